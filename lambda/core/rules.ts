/**
 * A printer's detection and alarm rules, read from its profile's user
 * attributes (and the fleet defaults), validated. Pure. This is the one
 * profile validator: the detector, the CLIs, the twin and the API all judge a
 * profile here, so they cannot disagree.
 *
 * `Thresholds` is the original `{Lower, Upper}` judging `data.value`, or a
 * map of metric name to band. Every other attribute is optional; absent means
 * the original behaviour (`docs/design.md`, "Detection, extended").
 */
import { ATTR, type WindowMode } from '../../contract/index.ts';
import {
  booleanAttribute,
  clearMisfits,
  defined,
  type Fail,
  integerAttribute,
  isIntegerFrom,
  type ParsedBands,
  parseAdaptive,
  parseBands,
  parseSeverity,
  present,
  shown,
} from './rule-fields.ts';
import type { Adaptive, Band, Bands, Rules } from './types.ts';

export { ADAPTIVE_DEFAULTS, SEVERITIES } from './rule-fields.ts';

/** The rules of a profile written by the original `aws dynamodb put-item` commands. */
export function originalRules(lower: number, upper: number, window: number): Rules {
  const band = { lower, upper };
  return {
    form: 'original',
    bands: { value: band },
    mode: 'consecutive',
    window,
    severity: 'major',
    clear: { value: band },
    clearAfter: 1,
    latch: false,
  };
}

/** Per attribute, the reasons about it (one line, `; `-joined): what a form shows beside each field. */
export type FieldReasons = Readonly<Record<string, string>>;

export type ParsedRules =
  | { readonly ok: true; readonly rules: Rules }
  | { readonly ok: false; readonly reasons: string[]; readonly fields: FieldReasons };

export const WINDOW_MODES: readonly WindowMode[] = ['consecutive', 'm-of-n', 'duration'];
/** The most readings an m-of-n window holds: its state lives on the profile item, which must stay small. */
export const MAX_OF = 1000;
export const MIN_SILENCE_SECONDS = 60;
export const MIN_RENOTIFY_MINUTES = 5;
/** The least `NotifyMinIntervalSeconds`. */
export const MIN_NOTIFY_INTERVAL_SECONDS = 1;

/** The rule attributes: what a printer's profile may omit and take from the fleet defaults. */
export const INHERITED_ATTRIBUTES: readonly string[] = [
  ATTR.thresholds,
  ATTR.window,
  ATTR.mode,
  ATTR.of,
  ATTR.durationSeconds,
  ATTR.adaptive,
  ATTR.severity,
  ATTR.clear,
  ATTR.clearAfter,
  ATTR.latch,
  ATTR.silenceSeconds,
  ATTR.renotifyMinutes,
  ATTR.notifyMinIntervalSeconds,
];

/** What a user writes on a profile; counters and bookkeeping are the function's. */
export const USER_ATTRIBUTES: readonly string[] = [ATTR.printerId, ...INHERITED_ATTRIBUTES, ATTR.enrol];

/** Added to a reason about an attribute the printer took from the fleet defaults, so the reader knows where to fix it. */
const FROM_DEFAULTS = ' (from the fleet defaults)';

/** Where a judge's reasons go: `failOn(field)` adds one about `field`, saying so when it was inherited. */
type FailOn = (field: string) => Fail;

/** How readings add up to an event. `mode` undefined: a Mode that is not one (what hangs on it is then not required). */
function judgeWindowing(item: Record<string, unknown>, partial: boolean, failOn: FailOn) {
  const has = (key: string) => present(item, key);
  let mode: WindowMode | undefined = 'consecutive';
  if (has(ATTR.mode)) {
    const value = item[ATTR.mode];
    mode = WINDOW_MODES.includes(value as WindowMode) ? (value as WindowMode) : undefined;
    if (!mode) failOn(ATTR.mode)(`Mode must be consecutive, m-of-n or duration, got ${shown(value)}`);
  }
  // The fleet defaults require nothing, and a printer may change their Mode: they only check each value.
  const judgesMode = !partial && mode !== undefined;

  const window = integerAttribute(item, ATTR.window, 1, failOn(ATTR.window));
  if (!has(ATTR.window) && judgesMode && mode !== 'duration') failOn(ATTR.window)('Window must be an integer >= 1, got nothing');

  let of: number | undefined;
  const failOf = failOn(ATTR.of);
  if (has(ATTR.of)) {
    const value = item[ATTR.of];
    if (!isIntegerFrom(value, 1) || value > MAX_OF) failOf(`Of must be an integer from 1 to ${MAX_OF}, got ${shown(value)}`);
    else if (window !== undefined && value < window) failOf(`Of (${value}) is below Window (${window})`);
    else of = value;
    if (judgesMode && mode !== 'm-of-n') failOf('Of applies only to Mode m-of-n');
  } else if (judgesMode && mode === 'm-of-n') failOf('Of is required with Mode m-of-n');

  const failDuration = failOn(ATTR.durationSeconds);
  const durationSeconds = integerAttribute(item, ATTR.durationSeconds, 1, failDuration);
  if (has(ATTR.durationSeconds) && judgesMode && mode !== 'duration') failDuration('DurationSeconds applies only to Mode duration');
  if (!has(ATTR.durationSeconds) && judgesMode && mode === 'duration') failDuration('DurationSeconds is required with Mode duration');
  return { mode, window, of, durationSeconds };
}

/**
 * Judges the rule attributes of `item`: the rules, or every reason. `partial`:
 * the fleet defaults, where nothing is required and only fields that meet each
 * other are cross-checked.
 */
function judge(
  item: Record<string, unknown>,
  inherited: ReadonlySet<string>,
  partial: boolean,
): { reasons: string[]; fields: Record<string, string>; rules?: Rules } {
  const reasons: string[] = [];
  const fields: Record<string, string> = {};
  const failOn: FailOn = (field) => (reason) => {
    const line = inherited.has(field) ? `${reason}${FROM_DEFAULTS}` : reason;
    reasons.push(line);
    fields[field] = fields[field] === undefined ? line : `${fields[field]}; ${line}`;
  };
  const has = (key: string) => present(item, key);

  const thresholds =
    has(ATTR.thresholds) || !partial
      ? parseBands(item[ATTR.thresholds], ATTR.thresholds, 'thresholds', failOn(ATTR.thresholds))
      : undefined;
  const { mode, window, of, durationSeconds } = judgeWindowing(item, partial, failOn);
  const adaptive = has(ATTR.adaptive) ? parseAdaptive(item[ATTR.adaptive], ATTR.adaptive, failOn(ATTR.adaptive)) : undefined;
  const severity = has(ATTR.severity) ? parseSeverity(item[ATTR.severity], ATTR.severity, failOn(ATTR.severity)) : undefined;

  let clear: ParsedBands | undefined;
  if (has(ATTR.clear)) {
    const failClear = failOn(ATTR.clear);
    clear = parseBands(item[ATTR.clear], ATTR.clear, 'clear', failClear);
    const misfits = clear && thresholds ? clearMisfits(clear, thresholds) : [];
    // A default Clear written for the default Thresholds does not bind a printer that brings its own.
    if (inherited.has(ATTR.clear) && !inherited.has(ATTR.thresholds) && misfits.length > 0) clear = undefined;
    else for (const misfit of misfits) failClear(misfit);
  }

  const clearAfter = integerAttribute(item, ATTR.clearAfter, 1, failOn(ATTR.clearAfter));
  const latch = booleanAttribute(item, ATTR.latch, failOn(ATTR.latch));
  const silenceSeconds = integerAttribute(item, ATTR.silenceSeconds, MIN_SILENCE_SECONDS, failOn(ATTR.silenceSeconds));
  const renotifyMinutes = integerAttribute(item, ATTR.renotifyMinutes, MIN_RENOTIFY_MINUTES, failOn(ATTR.renotifyMinutes));
  const notifyInterval = integerAttribute(
    item,
    ATTR.notifyMinIntervalSeconds,
    MIN_NOTIFY_INTERVAL_SECONDS,
    failOn(ATTR.notifyMinIntervalSeconds),
  );
  if (partial) booleanAttribute(item, ATTR.enrol, failOn(ATTR.enrol));

  if (reasons.length > 0 || partial || !thresholds || !mode) return { reasons, fields };
  return {
    reasons,
    fields,
    rules: {
      form: thresholds.form,
      bands: withAdaptive(thresholds.bands, adaptive),
      mode,
      window: window ?? 1,
      ...(mode === 'm-of-n' && of !== undefined ? { of } : {}),
      ...(mode === 'duration' && durationSeconds !== undefined ? { durationMs: durationSeconds * 1000 } : {}),
      severity: severity ?? 'major',
      // A monitored metric the Clear map leaves out clears on its thresholds band.
      clear: { ...boundsOnly(thresholds.bands), ...(clear ? boundsOnly(clear.bands) : {}) },
      clearAfter: clearAfter ?? 1,
      latch: latch ?? false,
      ...(silenceSeconds !== undefined ? { silenceMs: silenceSeconds * 1000 } : {}),
      ...(renotifyMinutes !== undefined ? { renotifyMs: renotifyMinutes * 60_000 } : {}),
      ...(notifyInterval !== undefined ? { notifyMinIntervalMs: notifyInterval * 1000 } : {}),
    },
  };
}

/** The profile's adaptive band goes to every band without its own. */
function withAdaptive(bands: Bands, adaptive: Adaptive | undefined): Bands {
  if (!adaptive) return bands;
  return Object.fromEntries(Object.entries(bands).map(([name, band]) => [name, band.adaptive ? band : { ...band, adaptive }]));
}

function boundsOnly(bands: Bands): Record<string, Band> {
  return Object.fromEntries(Object.entries(bands).map(([name, { lower, upper }]) => [name, defined({ lower, upper })]));
}

/** The user attributes of `item` with the fleet defaults filled in per top-level attribute. */
export function withDefaults(item: Record<string, unknown>, defaults?: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const key of USER_ATTRIBUTES) {
    if (present(item, key)) merged[key] = item[key];
    else if (defaults && INHERITED_ATTRIBUTES.includes(key) && present(defaults, key)) merged[key] = defaults[key];
  }
  return merged;
}

/**
 * A printer's rules, or every reason its profile is refused (one line each,
 * naming the field). `item`: the profile's attributes as plain JS (DynamoDB
 * numbers as numbers); unknown attributes are ignored, as the item also holds
 * counters and bookkeeping. `defaults`: the `*` item, when there is one.
 *
 * An inherited `Of` or `DurationSeconds` whose Mode the printer does not use,
 * and an inherited `Clear` that does not fit the printer's own `Thresholds`,
 * are left out rather than refused: they were written for the fleet, not for
 * this printer. Any other reason about an inherited attribute says so.
 */
export function parseRules(item: Record<string, unknown>, defaults?: Record<string, unknown>): ParsedRules {
  const inherited = new Set(defaults ? INHERITED_ATTRIBUTES.filter((key) => !present(item, key) && present(defaults, key)) : []);
  const merged = withDefaults(item, defaults);
  const mode = merged[ATTR.mode] ?? 'consecutive';
  if (inherited.has(ATTR.of) && mode !== 'm-of-n') delete merged[ATTR.of];
  if (inherited.has(ATTR.durationSeconds) && mode !== 'duration') delete merged[ATTR.durationSeconds];
  const judged = judge(merged, inherited, false);
  return judged.rules ? { ok: true, rules: judged.rules } : { ok: false, reasons: judged.reasons, fields: judged.fields };
}

/** Why the fleet defaults (the `*` item) are refused: a reason for each bad field it has. Nothing is required. */
export function checkDefaults(item: Record<string, unknown>): string[] {
  return judge(item, new Set(), true).reasons;
}

/** The same reasons per attribute. */
export function checkDefaultsByField(item: Record<string, unknown>): FieldReasons {
  return judge(item, new Set(), true).fields;
}
