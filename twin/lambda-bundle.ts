/**
 * Builds what the twin runs as its Lambda functions (the detector or stream
 * ingest's handler, the sweep, the operator API), each bundled with the very
 * settings the CDK stack deploys it with ({@link DETECTOR_BUNDLE},
 * {@link DETECTOR_EXTERNALS}), plus the small runtime bootstrap that hosts it
 * in a worker thread. Output goes to a git-ignored, content-addressed folder
 * (`.local/build/<entry>-<hash>/`), written atomically, so that concurrent
 * twins and test processes never see a half-written bundle.
 */
import { build, type BuildOptions, type OutputFile } from 'esbuild';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  API_ENTRY,
  DETECTOR_BUNDLE,
  DETECTOR_ENTRY,
  DETECTOR_EXTERNALS,
  DETECTOR_HANDLER,
  STREAM_ENTRY,
  SWEEP_ENTRY,
} from '../lambda/bundling.ts';

/** Where bundles are written by default (git-ignored). */
export const DEFAULT_BUILD_DIR = fileURLToPath(new URL('../.local/build/', import.meta.url));

const BOOTSTRAP_ENTRY = fileURLToPath(new URL('./lambda-bootstrap.ts', import.meta.url));

/**
 * The functions' entry points: the topic rule's (direct ingest), the stream's
 * event source mapping's, the clock's sweep and the HTTP API's operator API;
 * or a file of its own (a test's stand-in, bundled the same way).
 */
export type FunctionEntry = 'detector' | 'stream' | 'sweep' | 'api' | { readonly file: string };

const ENTRIES: Readonly<Record<Exclude<FunctionEntry, object>, string>> = {
  detector: DETECTOR_ENTRY,
  stream: STREAM_ENTRY,
  sweep: SWEEP_ENTRY,
  api: API_ENTRY,
};

const entryFile = (entry: FunctionEntry) => (typeof entry === 'string' ? ENTRIES[entry] : entry.file);
const entryName = (entry: FunctionEntry) => (typeof entry === 'string' ? entry : basename(entry.file).replace(/\.[^.]*$/, ''));

/** A built function, ready to be loaded by an execution environment. */
export interface FunctionBundle {
  readonly dir: string;
  /** The function bundle (`index.mjs`), as `NodejsFunction` names it. */
  readonly handlerFile: string;
  /** The exported function Lambda calls. */
  readonly handlerName: string;
  /** The runtime bootstrap the worker thread runs. */
  readonly bootstrapFile: string;
  /** Size of the function bundle in bytes. */
  readonly bytes: number;
}

async function bundle(options: BuildOptions): Promise<OutputFile[]> {
  const result = await build({ ...options, bundle: true, write: false, logLevel: 'silent' });
  return result.outputFiles ?? [];
}

async function buildBundle(buildDir: string, entry: FunctionEntry): Promise<FunctionBundle> {
  const staging = join(buildDir, `.staging-${randomUUID()}`);
  const detector = await bundle({
    ...DETECTOR_BUNDLE,
    banner: { js: DETECTOR_BUNDLE.banner },
    mainFields: [...DETECTOR_BUNDLE.mainFields],
    entryPoints: [entryFile(entry)],
    external: [...DETECTOR_EXTERNALS],
    outfile: join(staging, 'index.mjs'),
  });
  const bootstrap = await bundle({
    entryPoints: [BOOTSTRAP_ENTRY],
    platform: 'node',
    format: 'esm',
    target: DETECTOR_BUNDLE.target,
    outfile: join(staging, 'bootstrap.mjs'),
  });
  const files = [...detector, ...bootstrap];
  const hash = createHash('sha256');
  for (const file of files) hash.update(basename(file.path)).update(file.contents);
  const dir = join(buildDir, `${entryName(entry)}-${hash.digest('hex').slice(0, 16)}`);
  const handlerFile = join(dir, 'index.mjs');
  const bytes = detector.find((file) => file.path.endsWith('index.mjs'))?.contents.byteLength ?? 0;
  const result = { dir, handlerFile, handlerName: DETECTOR_HANDLER, bootstrapFile: join(dir, 'bootstrap.mjs'), bytes };
  if (existsSync(handlerFile)) return result;

  await mkdir(staging, { recursive: true });
  try {
    await Promise.all(files.map((file) => writeFile(join(staging, basename(file.path)), file.contents)));
    await rename(staging, dir);
  } catch (error) {
    // Another process published the same content first: theirs is identical.
    if (!existsSync(handlerFile)) throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return result;
}

const builds = new Map<string, Promise<FunctionBundle>>();
const scripts = new Map<string, Promise<string>>();

async function buildScript(name: string, entry: string, external: readonly string[], buildDir: string): Promise<string> {
  const staging = join(buildDir, `.staging-${randomUUID()}`);
  const [output] = await bundle({
    entryPoints: [entry],
    platform: 'node',
    format: 'esm',
    target: DETECTOR_BUNDLE.target,
    external: [...external],
    outfile: join(staging, `${name}.mjs`),
  });
  if (!output) throw new Error(`esbuild produced nothing for ${entry}`);
  const hash = createHash('sha256').update(output.contents).digest('hex').slice(0, 16);
  const dir = join(buildDir, `${name}-${hash}`);
  const file = join(dir, `${name}.mjs`);
  if (existsSync(file)) return file;
  await mkdir(staging, { recursive: true });
  try {
    await writeFile(join(staging, `${name}.mjs`), output.contents);
    await rename(staging, dir);
  } catch (error) {
    if (!existsSync(file)) throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return file;
}

/**
 * Bundles a worker thread's entry (TypeScript) into a plain ES module the
 * thread can load without a loader; `external` packages are imported from
 * `node_modules` at run time. Once per process; returns the file.
 */
export function buildWorkerScript(
  name: string,
  entry: URL,
  external: readonly string[] = [],
  buildDir: string = DEFAULT_BUILD_DIR,
): Promise<string> {
  const key = `${buildDir}\0${name}`;
  let pending = scripts.get(key);
  if (!pending) {
    pending = buildScript(name, fileURLToPath(entry), external, buildDir);
    pending.catch(() => scripts.delete(key));
    scripts.set(key, pending);
  }
  return pending;
}

/** Bundles the function's `entry` (once per process, build folder and entry). */
export function buildFunctionBundle(buildDir: string = DEFAULT_BUILD_DIR, entry: FunctionEntry = 'detector'): Promise<FunctionBundle> {
  const key = `${buildDir}\0${entryFile(entry)}`;
  let pending = builds.get(key);
  if (!pending) {
    pending = buildBundle(buildDir, entry);
    pending.catch(() => builds.delete(key));
    builds.set(key, pending);
  }
  return pending;
}
