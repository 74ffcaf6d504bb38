/**
 * The twin's state folder: what it holds (the function's log, the dead
 * letters, the DynamoDB data) and the lock that keeps a second twin out of it.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TwinStartError } from './errors.ts';

/** The files and folders inside a state folder. */
export interface StatePaths {
  /** The function's log, as CloudWatch Logs would hold it. */
  readonly logFile: string;
  /** Dead-lettered messages, one on-failure record per line (JSON Lines). */
  readonly deadLetterFile: string;
  /** The embedded DynamoDB's data. */
  readonly dynamoDbDir: string;
  /** Holds the pid of the twin that owns the folder. */
  readonly lockFile: string;
}

/** Where things live in the state folder `stateDir`. */
export function statePaths(stateDir: string): StatePaths {
  return {
    logFile: join(stateDir, 'detector.log'),
    deadLetterFile: join(stateDir, 'dead-letter.jsonl'),
    dynamoDbDir: join(stateDir, 'dynamodb'),
    lockFile: join(stateDir, 'twin.lock'),
  };
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
  mkdirSync(stateDir, { recursive: true });
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
