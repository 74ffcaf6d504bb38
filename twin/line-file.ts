/**
 * An append-only text file written line by line without blocking the event
 * loop, whose `flush()` resolves once everything written so far is on disk
 * (so a test or CLI reading it afterwards sees every line).
 */
import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export class LineFile {
  private buffer: string[] = [];
  private chain: Promise<void>;
  private handle: FileHandle | undefined;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private pending = 0;
  private failed: Error | undefined;

  /** `truncate`: start the file empty instead of appending to it. */
  constructor(
    readonly path: string,
    options: { truncate?: boolean } = {},
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.chain = open(path, options.truncate ? 'w' : 'a').then((handle) => {
      this.handle = handle;
    });
    this.chain.catch((error: Error) => {
      this.failed = error;
    });
  }

  write(line: string): void {
    if (this.failed) return;
    this.buffer.push(line.endsWith('\n') ? line : `${line}\n`);
    this.pending += line.length;
    if (this.pending > 256 * 1024) {
      this.drain();
    } else if (!this.scheduled) {
      // Written in batches: one file write per 50 ms at most, not one per line.
      this.scheduled = true;
      this.timer = setTimeout(() => this.drain(), 50);
    }
  }

  private drain(): void {
    this.scheduled = false;
    clearTimeout(this.timer);
    this.pending = 0;
    if (this.buffer.length === 0) return;
    const text = this.buffer.join('');
    this.buffer = [];
    this.chain = this.chain
      .then(async () => {
        await this.handle?.write(text);
      })
      .catch((error: Error) => {
        this.failed = error;
      });
  }

  /** Resolves when every line written so far is in the file. */
  async flush(): Promise<void> {
    this.drain();
    await this.chain;
    if (this.failed) throw this.failed;
  }

  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    await this.handle?.close();
    this.handle = undefined;
  }
}
