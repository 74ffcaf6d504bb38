/**
 * How the detector function is bundled: one definition, read by the CDK
 * construct (through `NodejsFunction`'s bundling options), by the local twin
 * and by the benchmarks (through esbuild directly), so that what runs locally
 * is what is deployed.
 */
import { fileURLToPath } from 'node:url';

/** The detector's entry file: direct invocation by the topic rule. */
export const DETECTOR_ENTRY = fileURLToPath(new URL('./handlers/detector.ts', import.meta.url));

/** Stream ingest's entry file: the Kinesis event source mapping's function (same settings). */
export const STREAM_ENTRY = fileURLToPath(new URL('./handlers/stream.ts', import.meta.url));

/** The sweep's entry file: the clock, run every minute by EventBridge Scheduler. */
export const SWEEP_ENTRY = fileURLToPath(new URL('./handlers/sweep.ts', import.meta.url));

/** The operator API's entry file: API Gateway's HTTP API. */
export const API_ENTRY = fileURLToPath(new URL('./handlers/api.ts', import.meta.url));

/** The exported function Lambda calls. */
export const DETECTOR_HANDLER = 'handler';

/**
 * The AWS SDK v3 is part of the `nodejs22.x` runtime: leaving it out keeps the
 * bundle small and the cold start short. Everything else is bundled.
 */
export const DETECTOR_EXTERNALS = ['@aws-sdk/*'];

/** esbuild settings shared by the stack, the twin and the benchmarks. */
export const DETECTOR_BUNDLE = {
  target: 'node22',
  platform: 'node',
  format: 'esm',
  minify: true,
  sourcemap: true,
  /** ESM output still has to satisfy bundled CommonJS `require` calls. */
  banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  mainFields: ['module', 'main'],
} as const;
