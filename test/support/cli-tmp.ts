/**
 * The temporary folder CLI child processes of a test file see (`TMPDIR`):
 * their own, so that the twins `npm run local` registers there for the other
 * CLIs (`twin/locate.ts`) are this test file's only, never another's running
 * at the same time, nor a developer's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let folder: string | undefined;

/** This test process's folder (made on first use, removed when the process exits). */
export function cliTmpDir(): string {
  if (folder === undefined) {
    const made = mkdtempSync(join(tmpdir(), 'cli-tmp-'));
    folder = made;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  return folder;
}
