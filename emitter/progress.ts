/**
 * Progress output of the emitter CLI: a redrawn bar on a terminal, plain
 * lines (every 10 % or every 2 s) when the output is a file or a pipe. With
 * batched messages (`--batch`), both messages and readings are counted.
 */
import type { ReplayProgress, ReplaySummary } from './replay.ts';

/** Something to write text to, e.g. `process.stdout`. */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Receives progress updates; `finish()` ends the bar's line before the summary is printed. */
export interface ProgressReporter {
  update(progress: ReplayProgress): void;
  finish(): void;
}

const BAR_REDRAW_MS = 100;
const LINE_EVERY_MS = 2_000;
const LINE_EVERY_FRACTION = 0.1;
/** Short replays print no 10 % lines, only the summary. */
const LINE_MIN_TOTAL = 100;

/** How the replay's messages are shown: `batched` counts readings beside messages. */
export interface CountOptions {
  readonly batched?: boolean;
}

type Counts = Omit<ReplayProgress, 'total'>;

function counts(p: Counts, { batched = false }: CountOptions): string {
  if (!batched) return `sent ${p.sent}, acked ${p.acked}, failed ${p.failed}`;
  return (
    `sent ${p.sent} messages (${p.readingsSent} readings), acked ${p.acked} (${p.readingsAcked} readings), ` +
    `failed ${p.failed} (${p.readingsFailed} readings)`
  );
}

function ofTotal(p: ReplayProgress): string {
  return Number.isFinite(p.total) ? `${p.sent}/${p.total}` : `${p.sent}`;
}

/** A `[#####-----]  42% 1234/2938 acked 1200 failed 0 812/s` bar redrawn in place. */
function barReporter(out: ProgressOutput, now: () => number, { batched = false }: CountOptions): ProgressReporter {
  const startedAt = now();
  let lastDraw = -Infinity;
  let drawn = false;
  let latest: ReplayProgress | undefined;
  let latestDrawn = false;
  const draw = (p: ReplayProgress) => {
    const elapsed = (now() - startedAt) / 1000;
    const rate = elapsed > 0 ? Math.round(p.readingsAcked / elapsed) : 0;
    const readings = batched ? ` (${p.readingsAcked} readings)` : '';
    const tail = ` ${ofTotal(p)} acked ${p.acked}${readings} failed ${p.failed} ${rate}${batched ? ' readings' : ''}/s`;
    let line: string;
    if (Number.isFinite(p.total) && p.total > 0) {
      const done = (p.acked + p.failed) / p.total;
      const width = Math.max(10, Math.min(40, (out.columns ?? 80) - tail.length - 8));
      const filled = Math.round(done * width);
      line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(done * 100)).padStart(3)}%${tail}`;
    } else {
      line = `looping:${tail}`;
    }
    out.write(`\r${line}\u001b[K`);
    drawn = true;
    latestDrawn = p === latest;
    lastDraw = now();
  };
  return {
    update(p) {
      latest = p;
      if (now() - lastDraw >= BAR_REDRAW_MS || p.acked + p.failed === p.total) draw(p);
    },
    finish() {
      if (latest && !latestDrawn) draw(latest);
      if (drawn) out.write('\n');
    },
  };
}

/** One line every 10 % of the total, or every 2 s, whichever comes first. */
function lineReporter(out: ProgressOutput, now: () => number, options: CountOptions): ProgressReporter {
  let lastAt = now();
  let lastFraction = 0;
  return {
    update(p) {
      const settled = p.acked + p.failed;
      const fraction = Number.isFinite(p.total) && p.total >= LINE_MIN_TOTAL ? settled / p.total : 0;
      const due = now() - lastAt >= LINE_EVERY_MS || fraction - lastFraction >= LINE_EVERY_FRACTION;
      if (!due || settled === p.total) return;
      lastAt = now();
      lastFraction = fraction;
      const percent = Number.isFinite(p.total) ? ` (${Math.floor(fraction * 100)}%)` : '';
      const of = Number.isFinite(p.total) ? `${p.total}${options.batched ? ' messages' : ''}` : 'endless';
      out.write(`progress: ${counts(p, options)} of ${of}${percent}\n`);
    },
    finish() {},
  };
}

/** A bar when `out` is a terminal, plain lines otherwise. */
export function progressReporter(
  out: ProgressOutput,
  now: () => number = () => performance.now(),
  options: CountOptions = {},
): ProgressReporter {
  return out.isTTY ? barReporter(out, now, options) : lineReporter(out, now, options);
}

/** The final one-line summary. */
export function summaryLine(summary: ReplaySummary, where: string, options: CountOptions = {}): string {
  const rate = summary.readingsPerSecond >= 100 ? Math.round(summary.readingsPerSecond) : Number(summary.readingsPerSecond.toFixed(1));
  const head = summary.interrupted ? 'interrupted: ' : '';
  const failed =
    summary.failed > 0 ? ` (${summary.failed} publish${summary.failed === 1 ? '' : 'es'} failed or got no PUBACK in time)` : '';
  const resent = summary.resent > 0 ? `, resent ${summary.resent} after a lost connection` : '';
  return `${head}${counts(summary, options)}${resent} in ${summary.seconds.toFixed(2)} s, ${rate} readings/s to ${where}${failed}`;
}

/** Writes `text` and waits until it is handed to the OS: a CLI exits right after, and pipes are asynchronous. */
export function writeFlushed(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (error?: Error | null) => (error ? reject(error) : resolve()));
  });
}
