/**
 * The twin's state folder: what it holds (the function's log, the dead
 * letters, the DynamoDB data, in stream ingest the stream and where its
 * poller is, the discovery file) and the lock that keeps a second twin out
 * of it.
 */
import { accessSync, closeSync, constants, mkdirSync, openSync, readFileSync, rmSync, statfsSync, statSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TwinStartError } from './errors.ts';

/** The files and folders inside a state folder. */
export interface StatePaths {
  /** The function's log, as CloudWatch Logs would hold it. */
  readonly logFile: string;
  /** Dead-lettered messages, one on-failure record per line (JSON Lines). */
  readonly deadLetterFile: string;
  /** The embedded DynamoDB's data. */
  readonly dynamoDbDir: string;
  /** Stream ingest: the embedded Kinesis's data (the reading stream). */
  readonly kinesisDir: string;
  /** Stream ingest: the last record done with in each shard (`stream-checkpoints.ts`). */
  readonly streamCheckpointsFile: string;
  /** Holds the pid of the twin that owns the folder. */
  readonly lockFile: string;
  /** Where the running twin says how to reach it (`discovery.ts`). */
  readonly discoveryFile: string;
  /** Alarm notifications, one JSON per line. */
  readonly notificationsFile: string;
}

/** Where things live in the state folder `stateDir`. */
export function statePaths(stateDir: string): StatePaths {
  return {
    logFile: join(stateDir, 'detector.log'),
    deadLetterFile: join(stateDir, 'dead-letter.jsonl'),
    dynamoDbDir: join(stateDir, 'dynamodb'),
    kinesisDir: join(stateDir, 'kinesis'),
    streamCheckpointsFile: join(stateDir, 'stream-checkpoints.json'),
    lockFile: join(stateDir, 'twin.lock'),
    discoveryFile: join(stateDir, 'twin.json'),
    notificationsFile: join(stateDir, 'notifications.jsonl'),
  };
}

/**
 * The kernel's own filesystems (Linux `statfs` magic numbers): no place for
 * files, and Node's recursive `mkdir` never returns on /proc (it loops at
 * full CPU, deaf to signals), so a folder there is refused before it is made.
 */
const KERNEL_FILESYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0x62656570, 'configfs'],
  [0xde5e81e4, 'efivarfs'],
  [0x42494e4d, 'binfmt_misc'],
  [0xf97cff8c, 'selinuxfs'],
]);

/** The path itself or its nearest ancestor that exists, and what is there. */
function nearestExisting(path: string): { path: string; isDirectory: boolean } {
  let current = path;
  for (;;) {
    try {
      return { path: current, isDirectory: statSync(current).isDirectory() };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
    }
    const parent = dirname(current);
    if (parent === current) return { path: current, isDirectory: false };
    current = parent;
  }
}

/**
 * Checks that `folder` is, or can be created as, a folder the twin can write
 * in: its nearest existing ancestor must be a writable folder on an ordinary
 * filesystem. The one-line {@link TwinStartError} starts with `subject`
 * (`state folder DIR`, `log file FILE`...). `access` is the permission check
 * (tests give their own: as root, every folder is writable).
 */
export function checkWritableFolder(folder: string, subject: string, access: (path: string, mode: number) => void = accessSync): void {
  const target = resolve(folder);
  const fail = (reason: string) => new TwinStartError(`${subject}: ${reason}`);
  let existing: { path: string; isDirectory: boolean };
  try {
    existing = nearestExisting(target);
  } catch (error) {
    throw fail(`cannot look at it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (!existing.isDirectory) throw fail(`${existing.path === target ? 'it' : existing.path} is a file, not a folder`);
  if (process.platform === 'linux') {
    const kind = KERNEL_FILESYSTEMS.get(statfsSync(existing.path).type);
    if (kind !== undefined) throw fail(`${existing.path} is on the kernel's ${kind} filesystem, not a place for files`);
  }
  try {
    access(existing.path, constants.W_OK | constants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(code === 'EROFS' ? `${existing.path} is on a read-only filesystem` : `no permission to write in ${existing.path}`);
  }
}

/** Creates `folder` (and its parents) once {@link checkWritableFolder} accepts it. */
export function makeWritableFolder(folder: string, subject: string): void {
  checkWritableFolder(folder, subject);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw new TwinStartError(`${subject}: cannot create ${folder} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** Whether a process with this pid exists (one we may not signal counts). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the state folder for this twin, creating it if needed (the lock file
 * holds the owner's pid). The embedded DynamoDB cannot report a folder held
 * by another process cleanly, so the twin refuses it before starting
 * anything. A lock left by a process that is gone is taken over. Returns the
 * release function.
 */
export function lockStateDir(stateDir: string): () => void {
  makeWritableFolder(stateDir, `state folder ${stateDir}`);
  const { lockFile } = statePaths(stateDir);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(lockFile, 'utf8').trim());
      if (Number.isSafeInteger(owner) && owner > 0 && isRunning(owner)) break;
      rmSync(lockFile, { force: true }); // stale: its twin is gone
    }
  }
  throw new TwinStartError(`state folder ${stateDir} is in use by another twin`);
}
