/**
 * The bundle figures of `docs/performance.md`: the detector bundled exactly
 * as the stack bundles it (the shared {@link DETECTOR_BUNDLE} settings and
 * {@link DETECTOR_EXTERNALS}), its size, and its cold module-load time, with
 * the function's environment as deployed, in fresh Node processes next to a
 * handler that imports only the SDK clients the detector's bundle imports at
 * load and creates them (the baseline of the cold-load target), and
 * next to an empty handler (to show what the SDK itself costs).
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
  readonly name: 'detector' | 'sdk-only' | 'empty';
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
  /** SDK client packages the detector's bundle imports at load (the SDK-only handler imports exactly these). */
  readonly sdkOnlyImports?: readonly string[];
  /** Other SDK packages it imports at load (utilities): counted on the detector's side. */
  readonly sdkOtherImports?: readonly string[];
  /** SDK packages the detector's bundle imports on first use (`import()`), outside its cold load. */
  readonly sdkLazyImports?: readonly string[];
  readonly ratio: {
    readonly importVsEmpty: number;
    readonly readyVsEmpty: number;
    /** The cold-load target's ratio: against the SDK-only handler. */
    readonly importVsSdkOnly?: number;
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
/** The client class of each SDK client package, for the SDK-only handler to create as the detector does at init. */
const SDK_CLIENT_CLASS: Readonly<Record<string, string>> = {
  '@aws-sdk/client-dynamodb': 'DynamoDBClient',
  '@aws-sdk/client-iot-data-plane': 'IoTDataPlaneClient',
  '@aws-sdk/client-sns': 'SNSClient',
  '@aws-sdk/client-iot': 'IoTClient',
};

/**
 * A handler that imports only `packages` (the SDK clients the detector imports at load) and creates a client of each
 * client package at module scope, as the detector creates its DynamoDB client: any handler that calls those services
 * loads at least this much, so it is the floor the cold-load target is measured against.
 */
export function sdkOnlyHandler(packages: readonly string[]): string {
  const lines = packages.map((pkg, i) => `import * as sdk${i} from '${pkg}';`);
  const made = packages.map((pkg, i) => (SDK_CLIENT_CLASS[pkg] ? `new sdk${i}.${SDK_CLIENT_CLASS[pkg]}({})` : `sdk${i}`));
  return `${lines.join('\n')}\nconst loaded = [${made.join(', ')}];\nexport const handler = async () => ({ loaded: loaded.length });\n`;
}

/** SDK packages an output imports, at load (`import` statements) and on first use (`import()`). */
function sdkImports(metafile: Metafile | undefined): { atLoad: string[]; lazy: string[] } {
  const output = metafile ? Object.entries(metafile.outputs).find(([file]) => file.endsWith('.mjs'))?.[1] : undefined;
  const sdk = (output?.imports ?? []).filter((i) => i.external && i.path.startsWith('@aws-sdk/'));
  const atLoad = [...new Set(sdk.filter((i) => i.kind === 'import-statement').map((i) => i.path))].sort();
  const lazy = [...new Set(sdk.filter((i) => i.kind === 'dynamic-import').map((i) => i.path))].filter((p) => !atLoad.includes(p)).sort();
  return { atLoad, lazy };
}

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

  const metafile: { value?: Metafile } = {};
  const detector = await bundleTo('detector', {
    ...SHARED,
    entryPoints: [DETECTOR_ENTRY],
    metafile: true,
    plugins: [captureMetafile(metafile)],
  });
  const imports = sdkImports(metafile.value);
  // The baseline imports the SDK *clients* the detector imports at load; other SDK packages (util-dynamodb) count as ours.
  const clients = imports.atLoad.filter((pkg) => pkg.startsWith('@aws-sdk/client-'));
  if (clients.length === 0) throw new Error('the detector bundle imports no SDK client at load: the SDK-only baseline would be empty');
  await writeFile(join(sources, 'sdk-only.mjs'), sdkOnlyHandler(clients));
  const files = {
    detector,
    'sdk-only': await bundleTo('sdk-only', { ...SHARED, entryPoints: [join(sources, 'sdk-only.mjs')] }),
    empty: await bundleTo('empty', { ...SHARED, entryPoints: [join(sources, 'empty.mjs')] }),
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
    sdkOnlyImports: clients,
    sdkOtherImports: imports.atLoad.filter((pkg) => !clients.includes(pkg)),
    sdkLazyImports: imports.lazy,
    detectorKb: round(by('detector').bytes / 1024, 1),
    sourceMapKb: existsSync(mapFile) ? round(statSync(mapFile).size / 1024, 1) : 0,
    ...(asset ? { cdkAsset: asset } : {}),
    ratio: {
      importVsEmpty: round(by('detector').importMs / by('empty').importMs, 1),
      readyVsEmpty: round(by('detector').readyMs / by('empty').readyMs, 2),
      importVsSdkOnly: round(by('detector').importMs / by('sdk-only').importMs, 2),
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
