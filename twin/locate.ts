/**
 * Which running twin a CLI talks to, whatever its state folder and ports
 * (`docs/local.md`, "Finding the twin"): `npm run local` registers its
 * discovery file in a per-user folder under the system's temporary folder
 * while it runs, beside the discovery files of the working folder's default
 * state folders. With several twins running, {@link TWIN_ENV} names the one.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isRecord } from '../common/guards.ts';
import { readDiscoveryFile, type TwinRecord } from './discovery.ts';
import { DEFAULT_DISCOVERY_FILES } from './paths.ts';
import { isRunning } from './state-dir.ts';

/** Names the twin the CLIs use: its state folder, or its discovery file (`twin.json`). */
export const TWIN_ENV = 'PRINTER_ANOMALY_TWIN';

/** One line for every CLI's `--help`. */
export const TWIN_ENV_HELP = `Several twins running? ${TWIN_ENV}=<state folder or twin.json> names the one to use.`;

/** No single twin to use: several are running and none is named, or the named one is not running. One line. */
export class TwinChoiceError extends Error {
  override readonly name = 'TwinChoiceError';
}

/** Where running twins are registered (one file per twin process), per user. */
export function registryFolder(): string {
  return join(tmpdir(), `printer-anomaly-${process.getuid?.() ?? 'user'}`, 'twins');
}

/** Registers a twin's discovery file while it runs; returns what unregisters it. */
export function registerTwin(discoveryFile: string, pid: number = process.pid): () => void {
  const folder = registryFolder();
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const entry = join(folder, `${pid}.json`);
  writeFileSync(entry, `${JSON.stringify({ pid, discoveryFile: resolve(discoveryFile) })}\n`);
  return () => rmSync(entry, { force: true });
}

/** The discovery files registered by twins still running (a killed twin's entry is removed here). */
export function registeredDiscoveryFiles(): string[] {
  const folder = registryFolder();
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const files: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const entry = join(folder, name);
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(entry, 'utf8'));
    } catch {
      continue;
    }
    if (!isRecord(value) || typeof value['discoveryFile'] !== 'string' || !Number.isSafeInteger(value['pid'])) continue;
    if (isRunning(value['pid'] as number)) files.push(value['discoveryFile']);
    else rmSync(entry, { force: true });
  }
  return files;
}

/** The discovery file {@link TWIN_ENV} names (a state folder stands for its `twin.json`), or undefined when unset. */
export function namedDiscoveryFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const named = env[TWIN_ENV]?.trim();
  if (!named) return undefined;
  let folder = false;
  try {
    folder = statSync(named).isDirectory();
  } catch {
    folder = false;
  }
  return resolve(folder ? join(named, 'twin.json') : named);
}

/** Where to look for twins: the named one only, else the working folder's defaults, then the registered ones. */
export function discoveryFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const named = namedDiscoveryFile(env);
  if (named !== undefined) return [named];
  return [...new Set([...DEFAULT_DISCOVERY_FILES.map((file) => resolve(file)), ...registeredDiscoveryFiles()])];
}

/**
 * The twin the CLIs use by default: the one {@link TWIN_ENV} names, else a
 * twin of the working folder's default state folders, else the only running
 * registered one; undefined when none runs.
 *
 * @throws {TwinChoiceError} when the named twin is not running, or several run and none is named.
 */
export function locateTwin(env: NodeJS.ProcessEnv = process.env): TwinRecord | undefined {
  const named = namedDiscoveryFile(env);
  if (named !== undefined) {
    const record = readDiscoveryFile(named);
    if (record === undefined) {
      throw new TwinChoiceError(`${TWIN_ENV}=${env[TWIN_ENV]?.trim()}: no running twin there (no twin.json, or its process is gone)`);
    }
    return record;
  }
  for (const file of DEFAULT_DISCOVERY_FILES) {
    const record = readDiscoveryFile(resolve(file));
    if (record !== undefined) return record;
  }
  const running = new Map<string, TwinRecord>();
  for (const file of registeredDiscoveryFiles()) {
    const record = readDiscoveryFile(file);
    if (record !== undefined) running.set(file, record);
  }
  if (running.size <= 1) return [...running.values()][0];
  const folders = [...running.keys()].map((file) => file.replace(/[/\\]twin\.json$/, ''));
  throw new TwinChoiceError(
    `${running.size} twins are running (${folders.join(', ')}): set ${TWIN_ENV}=<state folder or twin.json> to the one to use`,
  );
}
