/**
 * Helpers for the emitter's tests: run a CLI as a child process (as a user
 * runs it, with its own exit code and signals) and record what the embedded
 * broker receives.
 */
import { cliTmpDir } from './cli-tmp.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Aedes } from 'aedes';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Starts `script` (relative to the repository) with tsx in `cwd` (default: a
 * fresh empty directory, so no cdk-outputs.json is found): the child, to
 * signal, and its outcome.
 */
export function startCli(
  script: string,
  args: readonly string[],
  options: { cwd?: string } = {},
): { child: ChildProcess; result: Promise<CliRun> } {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, join(ROOT, script), ...args], {
    cwd: options.cwd ?? tempDir(),
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', TMPDIR: cliTmpDir() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const result = new Promise<CliRun>((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
  return { child, result };
}

/** Runs `script` to its end (see {@link startCli}). */
export function runCli(script: string, args: readonly string[], options: { cwd?: string } = {}): Promise<CliRun> {
  return startCli(script, args, options).result;
}

const created: string[] = [];

/** A fresh temporary directory, removed by {@link removeTempDirs}. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'emitter-test-'));
  created.push(dir);
  return dir;
}

/** Removes the directories {@link tempDir} made (call in `afterAll`). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Writes `text` to `name` in a fresh temporary directory and returns its path. */
export function tempFile(name: string, text: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
}

/** Records every client PUBLISH the broker receives on `topic`. */
export function recordPublishes(broker: { readonly aedes: Aedes }, topic: string) {
  const payloads: Record<string, unknown>[] = [];
  const qos: number[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  broker.aedes.on('publish', (packet, client) => {
    if (!client || packet.topic !== topic) return;
    payloads.push(JSON.parse(packet.payload.toString()) as Record<string, unknown>);
    qos.push(packet.qos);
    for (const waiter of waiters.filter((w) => payloads.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  return {
    payloads,
    /** QoS of each publish, as sent by the client. */
    qos,
    /** Resolves once `count` publishes have arrived. */
    waitFor: (count: number) =>
      payloads.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
  };
}

/** A TCP port nothing listens on (taken from the OS, then released). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
