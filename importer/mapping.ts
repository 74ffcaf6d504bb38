/**
 * What an import says about each IoT Events field, state and event, and the
 * severity table (`docs/iot-events.md`). Pure.
 */
import type { ProfileInput, Severity } from '../contract/index.ts';

/**
 * `exact`: behaves the same; `approximate`: imported, with the difference
 * said; `not supported`: nothing imported for it, with what to do instead;
 * `not imported`: a detector model's state or event outside the patterns.
 */
export type Status = 'exact' | 'approximate' | 'not supported' | 'not imported';

export interface ReportLine {
  /** The model's name. */
  readonly model: string;
  /** The field (`alarmRule.simpleRule.threshold`), or a detector model's state and event. */
  readonly where: string;
  readonly status: Status;
  readonly text: string;
}

/** A profile's rule attributes, without the PrinterId it is written under. */
export type ProfileRules = Omit<ProfileInput, 'PrinterId'>;

/** One model, mapped. */
export interface MappedModel {
  readonly name: string;
  readonly kind: 'alarm model' | 'detector model';
  /** The input attribute whose values the model kept one alarm (or detector) per. */
  readonly key?: string;
  /** Undefined when the model cannot be imported (its lines say why). */
  readonly rules?: ProfileRules;
  /** `initializationConfiguration.disabledOnInitialization`. */
  readonly startsDisabled: boolean;
  readonly lines: ReportLine[];
}

/** Lower bounds of integer ranges, most severe first: from each bound up to the next is that severity. */
export type SeverityMap = readonly { readonly from: number; readonly severity: Severity }[];

/**
 * The default table. IoT Events gives `severity` (a non-negative integer) no
 * meaning of its own; this follows the common reading where a lower number is
 * more urgent (1 highest), as SiteWise Monitor showed it.
 */
export const DEFAULT_SEVERITY_MAP: SeverityMap = [
  { from: 0, severity: 'critical' },
  { from: 2, severity: 'major' },
  { from: 3, severity: 'minor' },
  { from: 4, severity: 'warning' },
];

const SEVERITY_NAMES: readonly Severity[] = ['critical', 'major', 'minor', 'warning'];

export class SeverityMapError extends Error {
  override readonly name = 'SeverityMapError';
}

/** `0=critical,2=major,3=minor,4=warning`: each integer from its bound up to the next bound. */
export function parseSeverityMap(text: string): SeverityMap {
  const entries = text.split(',').map((part) => part.trim());
  const map = entries.map((entry) => {
    const match = /^(\d+)=([a-z]+)$/.exec(entry);
    if (!match || !SEVERITY_NAMES.includes(match[2] as Severity))
      throw new SeverityMapError(`--severity-map: "${entry}" is not N=critical|major|minor|warning`);
    return { from: Number(match[1]), severity: match[2] as Severity };
  });
  const sorted = [...map].sort((a, b) => a.from - b.from);
  if (sorted[0]?.from !== 0) throw new SeverityMapError('--severity-map must start at 0 (every integer needs a severity)');
  if (new Set(sorted.map((entry) => entry.from)).size !== sorted.length) throw new SeverityMapError('--severity-map names a bound twice');
  return sorted;
}

export function severityOf(value: number, map: SeverityMap): Severity {
  let found = map[0]!.severity;
  for (const entry of map) if (value >= entry.from) found = entry.severity;
  return found;
}

/** The table as one line: `0-1 critical, 2 major, 3 minor, 4+ warning`. */
export function showSeverityMap(map: SeverityMap): string {
  return map
    .map((entry, i) => {
      const next = map[i + 1]?.from;
      const range = next === undefined ? `${entry.from}+` : next - 1 === entry.from ? `${entry.from}` : `${entry.from}-${next - 1}`;
      return `${range} ${entry.severity}`;
    })
    .join(', ');
}

/** A metric name from an input attribute path: `$input.TemperatureInput.sensorData.temperature` -> `temperature`. */
const INPUT_PATH = /^\$input\.((?:`[^`]+`|[A-Za-z0-9_]+)(?:\.(?:`[^`]+`|[A-Za-z0-9_]+))+)$/;

export function metricOfInput(path: string): { input: string; metric: string } | undefined {
  const match = INPUT_PATH.exec(path.trim());
  if (!match) return undefined;
  const parts = match[1]!.match(/`[^`]+`|[A-Za-z0-9_]+/g)!.map((part) => part.replace(/`/g, ''));
  return { input: parts[0]!, metric: parts.at(-1)! };
}

/** A number written as IoT Events writes one (`"80"`, `80`, `-1.5e3`), else undefined. */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !/^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}
