/**
 * Where the stream poller is in each shard: the sequence number of the last
 * record it is done with (processed or dead-lettered), as Lambda's event
 * source mapping keeps it. With a state folder it is kept in a small JSON
 * file beside the stream's own data, written whole and renamed into place,
 * so a restart resumes after the last record done, never before or past it.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isRecord } from '../common/guards.ts';

export class StreamCheckpoints {
  private readonly positions = new Map<string, string>();

  /** `file`: where the positions are kept. @default none: in memory */
  constructor(private readonly file?: string) {
    if (file === undefined) return;
    let saved: unknown;
    try {
      saved = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      return; // none yet (or unreadable): every shard starts from its oldest record, which the function skips if applied
    }
    if (!isRecord(saved)) return;
    for (const [shardId, sequence] of Object.entries(saved)) if (typeof sequence === 'string') this.positions.set(shardId, sequence);
  }

  /** The last record done in `shardId`, if any. */
  get(shardId: string): string | undefined {
    return this.positions.get(shardId);
  }

  /** Records `sequence` as the last record done in `shardId`. */
  set(shardId: string, sequence: string): void {
    this.positions.set(shardId, sequence);
    if (this.file === undefined) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const staging = `${this.file}.${process.pid}.tmp`;
    writeFileSync(staging, `${JSON.stringify(Object.fromEntries(this.positions))}\n`);
    renameSync(staging, this.file);
  }
}
