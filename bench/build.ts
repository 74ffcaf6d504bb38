/**
 * Bundles what the bench runs outside the tsx loader (worker threads, fresh
 * Node processes) into a git-ignored folder, `.local/bench/`.
 */
import { build, type BuildOptions } from 'esbuild';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the bench writes its bundles (git-ignored with `.local/`). */
export const BENCH_BUILD_DIR = fileURLToPath(new URL('../.local/bench/', import.meta.url));

/** Bundles `entry` to `.local/bench/<name>.mjs` with esbuild; returns the file. */
export async function bundleTo(name: string, options: BuildOptions): Promise<string> {
  await mkdir(BENCH_BUILD_DIR, { recursive: true });
  const outfile = join(BENCH_BUILD_DIR, `${name}.mjs`);
  await build({ bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent', ...options, outfile });
  return outfile;
}

/** The UpdateItem loop worker, bundled (the AWS SDK stays external, resolved from node_modules). */
export function buildUpdateLoopWorker(): Promise<string> {
  return bundleTo('update-loop-worker', {
    entryPoints: [fileURLToPath(new URL('./update-loop-worker.ts', import.meta.url))],
    external: ['@aws-sdk/*'],
  });
}
