/**
 * Reading the detector's log lines as CloudWatch Logs holds them (the
 * handler's Powertools JSON records, EMF metric documents, the Lambda
 * platform's START/END/REPORT lines, runtime errors) and printing them as one
 * readable line each. Shared by `npm run logs` and the twin's console.
 */

/** One log line, classified. */
export type LogEntry =
  | {
      readonly kind: 'record';
      readonly raw: string;
      readonly record: Readonly<Record<string, unknown>>;
      readonly level: string;
      readonly message: string;
      readonly timestamp: string | undefined;
      readonly printerId: string | undefined;
      readonly requestId: string | undefined;
    }
  | { readonly kind: 'metrics'; readonly raw: string }
  | { readonly kind: 'platform'; readonly raw: string }
  | {
      readonly kind: 'runtime-error';
      readonly raw: string;
      readonly timestamp: string;
      readonly requestId: string;
      readonly detail: string;
    }
  | { readonly kind: 'text'; readonly raw: string };

const PLATFORM = /^(START|END|REPORT|INIT_START|INIT_REPORT|EXTENSION|TELEMETRY) /;
// `2026-01-01T00:00:00.000Z\t<request id>\tERROR\tInvoke Error \t{json}`, as the Node.js runtime writes it.
const RUNTIME_ERROR = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)\t(\S+)\tERROR\t(.*)$/;
const TIMED_OUT = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) (\S+) (Task timed out after .*)$/;

const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** Classifies one log line (never throws). */
export function classifyLine(line: string): LogEntry {
  const raw = line.replace(/\r?\n$/, '');
  if (raw.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return { kind: 'text', raw };
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const record = value as Record<string, unknown>;
      if (typeof record['_aws'] === 'object') return { kind: 'metrics', raw };
      if (typeof record['level'] === 'string') {
        return {
          kind: 'record',
          raw,
          record,
          level: record['level'],
          message: str(record['message']) ?? '',
          timestamp: str(record['timestamp']),
          printerId: str(record['printerId']),
          requestId: str(record['requestId']),
        };
      }
    }
    return { kind: 'text', raw };
  }
  if (PLATFORM.test(raw)) return { kind: 'platform', raw };
  const error = RUNTIME_ERROR.exec(raw) ?? TIMED_OUT.exec(raw);
  if (error) {
    let detail = error[3] ?? '';
    const json = detail.indexOf('{');
    if (json >= 0) {
      try {
        const parsed = JSON.parse(detail.slice(json)) as { errorType?: string; errorMessage?: string };
        detail = `${detail.slice(0, json).trim()} ${parsed.errorType ?? 'Error'}: ${parsed.errorMessage ?? ''}`;
      } catch {
        // keep the text as it is
      }
    }
    return { kind: 'runtime-error', raw, timestamp: error[1] ?? '', requestId: error[2] ?? '', detail };
  }
  return { kind: 'text', raw };
}

/** When the line was logged (ms), when it says. */
export function entryTime(entry: LogEntry): number | undefined {
  const text = entry.kind === 'record' ? entry.timestamp : entry.kind === 'runtime-error' ? entry.timestamp : undefined;
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Whether a line is about the printer (only handler records name one). */
export function isAboutPrinter(entry: LogEntry, printerId: string): boolean {
  return entry.kind === 'record' && entry.printerId === printerId;
}

/** Lines shown by default: the handler's records, runtime errors and unrecognised text; not metrics or platform lines. */
export function isShownByDefault(entry: LogEntry): boolean {
  return entry.kind !== 'metrics' && entry.kind !== 'platform';
}

const HIDDEN_KEYS = new Set(['level', 'message', 'timestamp', 'service', 'sampling_rate', 'printerId', 'requestId', 'xray_trace_id']);

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) || value === '' ? JSON.stringify(value) : value;
  if (typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string') {
    const error = value as { name?: string; message: string };
    return JSON.stringify(`${error.name ?? 'Error'}: ${error.message}`);
  }
  return JSON.stringify(value) ?? String(value);
}

const COLORS: Record<string, string> = { ERROR: '\u001b[31m', CRITICAL: '\u001b[31m', WARN: '\u001b[33m', DEBUG: '\u001b[2m' };

/** One readable line: `time LEVEL printer message key=value ... (request id)`. */
export function formatEntry(entry: LogEntry, options: { color?: boolean } = {}): string {
  const paint = (level: string, text: string) => (options.color && COLORS[level] ? `${COLORS[level]}${text}\u001b[0m` : text);
  switch (entry.kind) {
    case 'record': {
      const extras = Object.entries(entry.record)
        .filter(([key, value]) => !HIDDEN_KEYS.has(key) && value !== undefined)
        .map(([key, value]) => `${key}=${formatValue(value)}`);
      const parts = [entry.timestamp ?? '-', paint(entry.level, entry.level.padEnd(5)), entry.printerId ?? '-', entry.message, ...extras];
      return `${parts.join(' ')}${entry.requestId ? ` (${entry.requestId})` : ''}`;
    }
    case 'runtime-error':
      return `${entry.timestamp} ${paint('ERROR', 'ERROR')} - ${entry.detail} (${entry.requestId})`;
    default:
      return entry.raw;
  }
}
