/** Times on the command line: ISO-8601, epoch milliseconds, or a span from now (`--for 30m`). */
import { UsageError } from './kit.ts';

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const SPAN = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--name TIME` as epoch ms: ISO-8601 (`2026-11-27T10:00:00Z`, `2026-11-27`) or epoch milliseconds. */
export function timeOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  const ms = /^\d+$/.test(text) ? Number(text) : ISO.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`--${name} must be an ISO-8601 time or epoch milliseconds, got "${value}"`);
  return ms;
}

/** `--name SPAN` (`90s`, `30m`, `2h`, `1d`) in ms. */
export function spanOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = SPAN.exec(value.trim());
  if (!match || Number(match[1]) === 0) throw new UsageError(`--${name} must be a span like 90s, 30m, 2h or 1d, got "${value}"`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
