/**
 * Where `npm run logs` reads the detector's log from: the function's
 * CloudWatch Logs group (FilterLogEvents, polled with `--follow`), or the
 * local twin's log file (tailed with `fs.watch`). Both print the same
 * one-line-per-record view (`local/log-format.ts`).
 */
import { FilterLogEventsCommand, type CloudWatchLogsClient, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { existsSync, statSync, watch } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { classifyLine, entryTime, formatEntry, isAboutPrinter, isShownByDefault, type LogEntry } from '../twin/log-format.ts';
import { DEFAULT_LOG_FILE, IN_MEMORY_LOG_FILE } from '../twin/paths.ts';
import { UsageError } from './kit.ts';
import { sleep as abortableSleep } from '../common/async.ts';

/** What to show. */
export interface LogView {
  /** Only the handler's records about this printer. */
  readonly printerId?: string;
  /** Only lines logged at or after this time (ms). */
  readonly sinceMs?: number;
  /** Also metrics (EMF) and platform (START/END/REPORT) lines. */
  readonly all?: boolean;
  /** The lines as logged instead of the readable view. */
  readonly raw?: boolean;
  readonly color?: boolean;
}

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Reads `--since`: a duration back from now (`30s`, `10m`, `2h`, `1d`) or an ISO-8601 time. */
export function parseSince(text: string, now: number = Date.now()): number {
  const duration = /^(\d+)\s*([smhd])$/i.exec(text.trim());
  if (duration) return now - Number(duration[1]) * UNITS[duration[2]!.toLowerCase()]!;
  const ms = /^\d{4}-\d\d-\d\d/.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`--since must be a duration such as 10m, 2h, 1d, or an ISO-8601 time, got "${text}"`);
  return ms;
}

/**
 * Decides line by line what to print. Lines without a time of their own
 * (platform lines) follow the decision on the last timed line.
 */
export class LogPrinter {
  private afterSince: boolean;
  /** Lines read from the source, and lines printed. */
  read = 0;
  printed = 0;

  constructor(
    private readonly view: LogView,
    private readonly out: (line: string) => void,
  ) {
    this.afterSince = view.sinceMs === undefined;
  }

  /** Prints one log line if the view selects it; `time` is the event's time when the source knows it. */
  line(line: string, time?: number): void {
    this.read += 1;
    const entry: LogEntry = classifyLine(line);
    const at = entryTime(entry) ?? time;
    if (at !== undefined && this.view.sinceMs !== undefined) this.afterSince = at >= this.view.sinceMs;
    if (!this.afterSince) return;
    if (this.view.printerId !== undefined && !isAboutPrinter(entry, this.view.printerId)) return;
    if (!this.view.all && !isShownByDefault(entry)) return;
    this.printed += 1;
    if (this.view.raw) {
      this.out(entry.raw);
      return;
    }
    const text = formatEntry(entry, { color: this.view.color ?? false });
    // Lines that carry no time of their own get the event's time, as the CloudWatch console shows it.
    this.out(
      entry.kind === 'platform' || entry.kind === 'text' ? (time !== undefined ? `${new Date(time).toISOString()} ${text}` : text) : text,
    );
  }
}

/**
 * What to tell the user when nothing was printed, naming the log that was
 * read: an empty log and a log whose lines the view filtered out differ.
 */
export function nothingShown(printer: LogPrinter, source: string, view: LogView): string | undefined {
  if (printer.printed > 0) return undefined;
  if (printer.read === 0) return `${source} is empty: nothing has been logged there yet`;
  const filters = [
    view.printerId !== undefined ? `printer ${view.printerId}` : undefined,
    view.sinceMs !== undefined ? `since ${new Date(view.sinceMs).toISOString()}` : undefined,
  ].filter(Boolean);
  return `${source}: ${printer.read} line(s), none shown${filters.length > 0 ? ` for ${filters.join(', ')}` : ''}${view.all ? '' : ' (--all shows metrics and platform lines)'}`;
}

// ---------------------------------------------------------------- local file

/**
 * The twin's log file to read by default: the running twin's (`twin`, found
 * wherever its state folder is), else the most recently written of the two
 * defaults, if any.
 */
export function defaultLocalLogFile(cwd: string = process.cwd(), twin?: { readonly logFile?: string }): string | undefined {
  if (twin?.logFile !== undefined) return twin.logFile;
  const candidates = [DEFAULT_LOG_FILE, IN_MEMORY_LOG_FILE].map((file) => resolve(cwd, file)).filter((file) => existsSync(file));
  candidates.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return candidates[0];
}

/** Reads a log file from `offset`, handing complete lines to `onLine`; returns the offset after the last complete line. */
async function readFrom(path: string, offset: number, onLine: (line: string) => void): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size < offset) offset = 0; // truncated or replaced: start over
    if (size === offset) return offset;
    const buffer = Buffer.alloc(size - offset);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end < 0) return offset;
    for (const line of text.slice(0, end).split('\n')) if (line.length > 0) onLine(line);
    return offset + Buffer.byteLength(text.slice(0, end + 1));
  } finally {
    await handle.close();
  }
}

/** Prints the log file's lines; with `follow`, keeps printing new ones until `signal` aborts. */
export async function readLocalLog(
  path: string,
  printer: LogPrinter,
  options: { follow?: boolean; signal?: AbortSignal; onCaughtUp?: () => void } = {},
): Promise<void> {
  const onLine = (line: string) => printer.line(line);
  let offset = 0;
  if (existsSync(path)) offset = await readFrom(path, 0, onLine);
  options.onCaughtUp?.();
  if (!options.follow) return;

  const signal = options.signal;
  if (signal?.aborted) return;
  await new Promise<void>((done, fail) => {
    let reading = false;
    let again = false;
    const catchUp = async () => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          if (existsSync(path)) offset = await readFrom(path, offset, onLine);
        } while (again);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') fail(error);
      } finally {
        reading = false;
      }
    };
    // Watching the folder also sees the file being created or replaced.
    const watcher = watch(dirname(path), (_event, name) => {
      if (name === null || name === basename(path)) void catchUp();
    });
    watcher.on('error', fail);
    signal?.addEventListener(
      'abort',
      () => {
        watcher.close();
        done();
      },
      { once: true },
    );
    void catchUp(); // anything written between the first read and the watch
  });
}

// ---------------------------------------------------------------- CloudWatch

/** A CloudWatch Logs filter pattern selecting the handler's JSON records about one printer. */
export function printerFilterPattern(printerId: string): string {
  return `{ $.printerId = ${JSON.stringify(printerId)} }`;
}

export interface CloudWatchQuery {
  readonly logGroupName: string;
  readonly startTime: number;
  readonly filterPattern?: string;
}

/** One pass over FilterLogEvents from `startTime`, all pages; skips event ids in `seen`. */
async function filterOnce(
  client: Pick<CloudWatchLogsClient, 'send'>,
  query: CloudWatchQuery,
  seen: Map<string, number>,
  onEvent: (event: FilteredLogEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new FilterLogEventsCommand({
        logGroupName: query.logGroupName,
        startTime: query.startTime,
        ...(query.filterPattern ? { filterPattern: query.filterPattern } : {}),
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    for (const event of page.events ?? []) {
      if (event.eventId !== undefined) {
        if (seen.has(event.eventId)) continue;
        seen.set(event.eventId, event.timestamp ?? 0);
      }
      onEvent(event);
    }
    nextToken = page.nextToken;
  } while (nextToken && !signal?.aborted);
}

/**
 * Prints the log group's events since `query.startTime`; with `follow`, polls
 * for new ones every `intervalMs` until `signal` aborts (events already
 * printed are recognised by id, so none is printed twice).
 */
export async function readCloudWatchLogs(
  client: Pick<CloudWatchLogsClient, 'send'>,
  query: CloudWatchQuery,
  printer: LogPrinter,
  options: {
    follow?: boolean;
    intervalMs?: number;
    signal?: AbortSignal;
    sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  } = {},
): Promise<void> {
  const seen = new Map<string, number>();
  let startTime = query.startTime;
  const onEvent = (event: FilteredLogEvent) => {
    if (event.timestamp !== undefined && event.timestamp > startTime) startTime = event.timestamp;
    for (const line of (event.message ?? '').split('\n')) if (line.trim()) printer.line(line, event.timestamp);
  };
  await filterOnce(client, query, seen, onEvent, options.signal);
  const sleep = options.sleep ?? abortableSleep;
  while (options.follow && !options.signal?.aborted) {
    await sleep(options.intervalMs ?? 2_000, options.signal);
    if (options.signal?.aborted) break;
    // From the newest event seen: events at that same millisecond are told apart by id.
    await filterOnce(client, { ...query, startTime }, seen, onEvent, options.signal);
    for (const [id, at] of seen) if (at < startTime) seen.delete(id);
  }
}
