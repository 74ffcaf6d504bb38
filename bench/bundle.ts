/**
 * The bundle figures of README, "Performance": the detector bundled exactly
 * as the stack bundles it (the shared {@link DETECTOR_BUNDLE} settings and
 * {@link DETECTOR_EXTERNALS}), its size, and its cold module-load time, with
 * the function's environment as deployed, in fresh Node processes next to an
 * empty handler bundled the same way (and to a handler that only loads the
 * two AWS SDK clients, and to one that only loads the DynamoDB client, to show
 * where the time goes).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { writeFile, mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { DEFAULT_TABLE_NAME, detectorEnvironment } from '../contract/index.ts';
import { DETECTOR_BUNDLE, DETECTOR_ENTRY, DETECTOR_EXTERNALS } from '../lambda/bundling.ts';
import { BENCH_BUILD_DIR, bundleTo } from './build.ts';
import { median, round } from './stats.ts';

const run = promisify(execFile);

export interface BundleVariant {
  readonly name: 'detector' | 'empty' | 'sdk-clients-only' | 'dynamodb-client-only';
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** Median over spawns: time of the dynamic `import()` of the bundle, measured inside the fresh process. */
  readonly importMs: number;
  /** Median over spawns: from the process's time origin to the handler being ready (Node bootstrap included). */
  readonly readyMs: number;
}

export interface BundleResult {
  readonly section: 'bundle';
  readonly spawns: number;
  readonly node: string;
  readonly variants: BundleVariant[];
  readonly detectorKb: number;
  readonly sourceMapKb: number;
  /** The synthesized stack's asset (cdk.out), when a synth has run. */
  readonly cdkAsset?: { readonly path: string; readonly kb: number };
  readonly ratio: {
    readonly importVsEmpty: number;
    readonly readyVsEmpty: number;
    readonly importVsSdkOnly: number;
    /** Against a handler that only loads the DynamoDB client: the floor of any handler that calls DynamoDB. */
    readonly importVsDynamoDbOnly?: number;
  };
  /** Largest inputs of the detector bundle, KB. */
  readonly topInputs: { readonly path: string; readonly kb: number }[];
}

const SHARED = {
  ...DETECTOR_BUNDLE,
  banner: { js: DETECTOR_BUNDLE.banner },
  mainFields: [...DETECTOR_BUNDLE.mainFields],
  external: [...DETECTOR_EXTERNALS],
};

const EMPTY_HANDLER = `export const handler = async () => ({});\n`;
const SDK_ONLY_HANDLER = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
const dynamoDb = new DynamoDBClient({});
const iotData = new IoTDataPlaneClient({});
export const handler = async () => ({ clients: [dynamoDb, iotData].length });
`;

/** The DynamoDB client alone: what any handler that reads or writes the table loads before its first invocation. */
const DYNAMODB_ONLY_HANDLER = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
const dynamoDb = new DynamoDBClient({});
export const handler = async () => ({ clients: [dynamoDb].length });
`;

/** The child: imports the bundle and reports, from inside, how long the import took. */
const CHILD = `
const started = performance.now();
const module = await import(process.env.BENCH_BUNDLE_URL);
const ready = performance.now();
if (typeof module.handler !== 'function') { process.stderr.write('no handler export'); process.exit(3); }
process.stdout.write(JSON.stringify({ importMs: ready - started, readyMs: ready }));
`;

async function loadOnce(file: string): Promise<{ importMs: number; readyMs: number }> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: BENCH_BUILD_DIR,
    env: {
      PATH: process.env['PATH'] ?? '',
      BENCH_BUNDLE_URL: pathToFileURL(file).href,
      // What the stack sets (the one definition of the function's environment), and what the Lambda runtime provides.
      ...detectorEnvironment({ tableName: DEFAULT_TABLE_NAME }),
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'bench',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as { importMs: number; readyMs: number };
}

/** The synthesized detector asset, if `cdk synth` has produced one. */
function cdkAsset(): { path: string; kb: number } | undefined {
  const template = join(process.cwd(), 'cdk.out', 'PrinterAnomaly.template.json');
  if (!existsSync(template)) return undefined;
  try {
    const resources = (
      JSON.parse(readFileSync(template, 'utf8')) as {
        Resources: Record<string, { Type: string; Properties?: { Code?: { S3Key?: string } } }>;
      }
    ).Resources;
    for (const [id, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::Lambda::Function' || !id.startsWith('DetectorFunction')) continue;
      const hash = resource.Properties?.Code?.S3Key?.replace(/\.zip$/, '');
      const file = join(process.cwd(), 'cdk.out', `asset.${hash}`, 'index.mjs');
      if (hash && existsSync(file)) return { path: `cdk.out/asset.${hash}/index.mjs`, kb: round(statSync(file).size / 1024, 1) };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export async function bundleBench(options: { spawns: number; progress?: (line: string) => void }): Promise<BundleResult> {
  const sources = join(BENCH_BUILD_DIR, 'sources');
  await mkdir(sources, { recursive: true });
  await writeFile(join(sources, 'empty.mjs'), EMPTY_HANDLER);
  await writeFile(join(sources, 'sdk-clients-only.mjs'), SDK_ONLY_HANDLER);
  await writeFile(join(sources, 'dynamodb-client-only.mjs'), DYNAMODB_ONLY_HANDLER);

  const metafile: { value?: Metafile } = {};
  const files = {
    detector: await bundleTo('detector', {
      ...SHARED,
      entryPoints: [DETECTOR_ENTRY],
      metafile: true,
      plugins: [captureMetafile(metafile)],
    }),
    empty: await bundleTo('empty', { ...SHARED, entryPoints: [join(sources, 'empty.mjs')] }),
    'sdk-clients-only': await bundleTo('sdk-clients-only', { ...SHARED, entryPoints: [join(sources, 'sdk-clients-only.mjs')] }),
    'dynamodb-client-only': await bundleTo('dynamodb-client-only', { ...SHARED, entryPoints: [join(sources, 'dynamodb-client-only.mjs')] }),
  } as const;
  const names = Object.keys(files) as (keyof typeof files)[];

  const samples = new Map(names.map((n) => [n, [] as { importMs: number; readyMs: number }[]]));
  // Round 0 warms the file cache and is discarded; the variants alternate so that drift hits them alike.
  for (let round = 0; round <= options.spawns; round += 1) {
    for (const name of names) {
      const sample = await loadOnce(files[name]);
      if (round > 0) samples.get(name)!.push(sample);
    }
  }

  const variants: BundleVariant[] = names.map((name) => {
    const content = readFileSync(files[name]);
    const s = samples.get(name)!;
    return {
      name,
      file: relative(process.cwd(), files[name]),
      bytes: content.length,
      gzipBytes: gzipSync(content).length,
      importMs: round(median(s.map((x) => x.importMs)), 2),
      readyMs: round(median(s.map((x) => x.readyMs)), 2),
    };
  });
  const by = (name: BundleVariant['name']) => variants.find((v) => v.name === name)!;
  const detector = by('detector');
  const mapFile = `${files.detector}.map`;
  const inputs = Object.entries(
    metafile.value?.outputs[Object.keys(metafile.value.outputs).find((k) => k.endsWith('.mjs')) ?? '']?.inputs ?? {},
  )
    .map(([path, { bytesInOutput }]) => ({ path: path.replace(/^.*node_modules\//, ''), kb: round(bytesInOutput / 1024, 1) }))
    .sort((a, b) => b.kb - a.kb)
    .slice(0, 8);
  const asset = cdkAsset();
  const result: BundleResult = {
    section: 'bundle',
    spawns: options.spawns,
    node: process.version,
    variants,
    detectorKb: round(detector.bytes / 1024, 1),
    sourceMapKb: existsSync(mapFile) ? round(statSync(mapFile).size / 1024, 1) : 0,
    ...(asset ? { cdkAsset: asset } : {}),
    ratio: {
      importVsEmpty: round(detector.importMs / by('empty').importMs, 1),
      readyVsEmpty: round(detector.readyMs / by('empty').readyMs, 2),
      importVsSdkOnly: round(detector.importMs / by('sdk-clients-only').importMs, 2),
      importVsDynamoDbOnly: round(detector.importMs / by('dynamodb-client-only').importMs, 2),
    },
    topInputs: inputs,
  };
  for (const v of variants) {
    options.progress?.(
      `  ${v.name.padEnd(17)} ${(v.bytes / 1024).toFixed(1).padStart(7)} KB  import ${v.importMs.toFixed(1).padStart(7)} ms  ready ${v.readyMs.toFixed(1).padStart(7)} ms`,
    );
  }
  return result;
}

function captureMetafile(target: { value?: Metafile }) {
  return {
    name: 'capture-metafile',
    setup(build: { onEnd(callback: (result: { metafile?: Metafile }) => void): void }) {
      build.onEnd((result) => {
        if (result.metafile) target.value = result.metafile;
      });
    },
  };
}
