/**
 * Reading one field of a profile (`rules.ts` puts the fields together): its
 * value, or a one-line reason naming the field, so that every bad field of a
 * profile gets its own line. Pure.
 */
import { isRecord } from '../../common/guards.ts';
import { ATTR, isStorableNumber, MAX_METRIC_NAME_LENGTH, SEVERITIES, type Severity, unstorableReason } from '../../contract/index.ts';
import { CONTROL_CHARACTERS } from './reading.ts';
import type { Rules, Bands, Band, Adaptive } from './types.ts';

export { SEVERITIES };
export const ADAPTIVE_DEFAULTS = { alpha: 0.05, warmup: 30 } as const;

/** Where a reason goes. */
export type Fail = (reason: string) => void;

/** A Fail that remembers whether it was called: a field is read only when none of its parts failed. */
function watched(fail: Fail): Fail & { failed?: true } {
  const bad: Fail & { failed?: true } = (reason) => {
    bad.failed = true;
    fail(reason);
  };
  return bad;
}

/** `object` without its undefined values (an absent bound stays absent, not `undefined`). */
export function defined<T extends object>(object: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as never;
}

/** Whether `item` gives `key` (DynamoDB's NULL is given, and refused where a value is wanted). */
export function present(item: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(item, key) && item[key] !== undefined;
}

/** A value as a reason shows it: on one line, short, `nothing` when absent. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? typeof value;
  } catch {
    text = typeof value;
  }
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/** A number a profile may hold: one DynamoDB can store (`isStorableNumber`), as every number that enters. */
const isNumber = (value: unknown): value is number => typeof value === 'number' && isStorableNumber(value);

/** The reason a number field is refused: `otherwise` when it is no number, the storage limits when it is one. */
function numberReason(field: string, value: unknown, otherwise: string): string {
  return (typeof value === 'number' && Number.isFinite(value) && unstorableReason(field, value)) || otherwise;
}
export const isIntegerFrom = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= min;

/** `Thresholds.temperature`, or `Thresholds["odd name"]` when the name would not read as one. */
export function fieldPath(at: string, name: string): string {
  return /^[^\s."[\]\\]+$/u.test(name) && !CONTROL_CHARACTERS.test(name) ? `${at}.${name}` : `${at}[${shown(name)}]`;
}

export function parseSeverity(value: unknown, at: string, fail: Fail): Severity | undefined {
  if (SEVERITIES.includes(value as Severity)) return value as Severity;
  fail(`${at} must be critical, major, minor or warning, got ${shown(value)}`);
  return undefined;
}

export function parseAdaptive(value: unknown, at: string, fail: Fail): Adaptive | undefined {
  if (!isRecord(value)) {
    fail(`${at} must be a map with Sigma (and optionally Alpha, Warmup), got ${shown(value)}`);
    return undefined;
  }
  const bad = watched(fail);
  for (const key of Object.keys(value)) {
    if (key !== ATTR.sigma && key !== ATTR.alpha && key !== ATTR.warmup) bad(`unknown attribute "${fieldPath(at, key)}"`);
  }
  const sigma = value[ATTR.sigma];
  if (!isNumber(sigma) || sigma <= 0) bad(numberReason(`${at}.Sigma`, sigma, `${at}.Sigma must be a number > 0, got ${shown(sigma)}`));
  const alpha = present(value, ATTR.alpha) ? value[ATTR.alpha] : ADAPTIVE_DEFAULTS.alpha;
  if (!isNumber(alpha) || alpha <= 0 || alpha > 1) {
    bad(numberReason(`${at}.Alpha`, alpha, `${at}.Alpha must be a number in (0, 1], got ${shown(alpha)}`));
  }
  const warmup = present(value, ATTR.warmup) ? value[ATTR.warmup] : ADAPTIVE_DEFAULTS.warmup;
  if (!isIntegerFrom(warmup, 0)) bad(`${at}.Warmup must be an integer >= 0, got ${shown(warmup)}`);
  return bad.failed ? undefined : { sigma: sigma as number, alpha: alpha as number, warmup: warmup as number };
}

export type BandKind = 'thresholds' | 'clear';

/** One metric's band; a clear band holds bounds only. */
function parseBand(value: unknown, at: string, kind: BandKind, fail: Fail): Band | undefined {
  if (!isRecord(value)) {
    fail(`${at} must be a map with Lower, Upper or both, got ${shown(value)}`);
    return undefined;
  }
  const bad = watched(fail);
  const extras = kind === 'thresholds' ? [ATTR.severity, ATTR.adaptive] : [];
  for (const key of Object.keys(value)) {
    if (key === ATTR.lower || key === ATTR.upper || (extras as string[]).includes(key)) continue;
    if (key === ATTR.severity || key === ATTR.adaptive) bad(`${at}.${key} is not allowed: a clear band has only Lower and Upper`);
    else bad(`unknown attribute "${fieldPath(at, key)}"`);
  }
  const lower = value[ATTR.lower];
  const upper = value[ATTR.upper];
  if (lower !== undefined && !isNumber(lower)) bad(numberReason(`${at}.Lower`, lower, `${at}.Lower must be a number, got ${shown(lower)}`));
  if (upper !== undefined && !isNumber(upper)) bad(numberReason(`${at}.Upper`, upper, `${at}.Upper must be a number, got ${shown(upper)}`));
  if (lower === undefined && upper === undefined) bad(`${at} needs Lower, Upper or both`);
  if (isNumber(lower) && isNumber(upper) && lower > upper) bad(`${at}.Lower (${lower}) is above ${at}.Upper (${upper})`);
  const severity = present(value, ATTR.severity) ? parseSeverity(value[ATTR.severity], `${at}.Severity`, bad) : undefined;
  const adaptive = present(value, ATTR.adaptive) ? parseAdaptive(value[ATTR.adaptive], `${at}.Adaptive`, bad) : undefined;
  return bad.failed ? undefined : defined({ lower: lower as number | undefined, upper: upper as number | undefined, severity, adaptive });
}

/** The original `{Lower, Upper}`, with the reasons the original project's users already know. */
function parseOriginal(value: Record<string, unknown>, at: string, fail: Fail): Band | undefined {
  const bad = watched(fail);
  for (const key of Object.keys(value)) {
    if (key !== ATTR.lower && key !== ATTR.upper) bad(`unknown attribute "${fieldPath(at, key)}"`);
  }
  const lower = value[ATTR.lower];
  const upper = value[ATTR.upper];
  if (!isNumber(lower)) bad(numberReason(`${at}.Lower`, lower, `${at}.Lower is missing or not a number`));
  if (!isNumber(upper)) bad(numberReason(`${at}.Upper`, upper, `${at}.Upper is missing or not a number`));
  if (isNumber(lower) && isNumber(upper) && lower > upper) bad(`${at}.Lower (${lower}) is above ${at}.Upper (${upper})`);
  return bad.failed ? undefined : { lower: lower as number, upper: upper as number };
}

/**
 * Whether a map was meant as the original form: it has `Lower` or `Upper`
 * holding something other than a band. (A well-formed original map has
 * exactly those two keys, both numbers; judging the near misses as the
 * original form gives their writers the reasons they expect.)
 */
function meantAsOriginal(value: Record<string, unknown>): boolean {
  return [ATTR.lower, ATTR.upper].some((key) => Object.hasOwn(value, key) && !isRecord(value[key]));
}

function metricNameReason(name: string, at: string): string | undefined {
  if (name.length === 0) return `${at} has a metric with an empty name`;
  if (name.length > MAX_METRIC_NAME_LENGTH) {
    return `${at}: metric name ${shown(name)} is ${name.length} characters, over ${MAX_METRIC_NAME_LENGTH}`;
  }
  if (CONTROL_CHARACTERS.test(name)) return `${at}: metric name ${shown(name)} contains control characters`;
  return undefined;
}

export type ParsedBands = { readonly form: Rules['form']; readonly bands: Bands };

/** `Thresholds` or `Clear`: the original form or a metric map. */
export function parseBands(value: unknown, at: string, kind: BandKind, fail: Fail): ParsedBands | undefined {
  if (!isRecord(value)) {
    fail(kind === 'thresholds' ? `${at} is missing or not a map` : `${at} must be a map, got ${shown(value)}`);
    return undefined;
  }
  if (meantAsOriginal(value)) {
    const band = parseOriginal(value, at, fail);
    return band ? { form: 'original', bands: { value: band } } : undefined;
  }
  const names = Object.keys(value);
  if (names.length === 0) {
    fail(`${at} is an empty map: give {Lower, Upper} or a map of metric name to band`);
    return undefined;
  }
  const bad = watched(fail);
  // Entries, not assignment: a metric may be called `__proto__` (JSON.parse makes it an own key).
  const bands: [string, Band][] = [];
  for (const name of names) {
    const nameReason = metricNameReason(name, at);
    if (nameReason) bad(nameReason);
    const band = parseBand(value[name], fieldPath(at, name), kind, bad);
    if (band) bands.push([name, band]);
  }
  return bad.failed ? undefined : { form: 'metrics', bands: Object.fromEntries(bands) };
}

/** Why `clear` cannot go with `thresholds`, if it cannot. */
export function clearMisfits(clear: ParsedBands, thresholds: ParsedBands): string[] {
  if (clear.form !== thresholds.form) {
    return [
      thresholds.form === 'original'
        ? 'Clear must be {Lower, Upper}, as Thresholds is'
        : 'Clear must be a map of metric name to band, as Thresholds is',
    ];
  }
  return Object.keys(clear.bands)
    .filter((name) => !Object.hasOwn(thresholds.bands, name))
    .map((name) => `${fieldPath(ATTR.clear, name)} is not a metric Thresholds monitors`);
}

/** An optional integer attribute with a floor: its value, or undefined (and a reason when it is there but wrong). */
export function integerAttribute(item: Record<string, unknown>, key: string, min: number, fail: Fail): number | undefined {
  if (!present(item, key)) return undefined;
  const value = item[key];
  if (isIntegerFrom(value, min)) return value;
  fail(`${key} must be an integer >= ${min}, got ${shown(value)}`);
  return undefined;
}

export function booleanAttribute(item: Record<string, unknown>, key: string, fail: Fail): boolean | undefined {
  if (!present(item, key)) return undefined;
  const value = item[key];
  if (typeof value === 'boolean') return value;
  fail(`${key} must be true or false, got ${shown(value)}`);
  return undefined;
}
