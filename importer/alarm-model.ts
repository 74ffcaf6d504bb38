/**
 * An IoT Events alarm model as a profile (`docs/iot-events.md`, "Alarm
 * models"). A `simpleRule` on one input attribute against a number is one
 * band judged on every reading (`Window` 1, consecutive), which raises the
 * alarm on the first breach and clears it on the first reading back in
 * range, as the alarm model did. The acknowledge flow is our `Latch`: both
 * go ACTIVE -> LATCHED when the data returns without an acknowledgement,
 * ACTIVE -> ACKNOWLEDGED on acknowledge, ACKNOWLEDGED -> NORMAL when the data
 * returns, LATCHED -> NORMAL on acknowledge. Pure.
 */
import { type BandInput, isStorableNumber, unstorableReason } from '../contract/index.ts';
import { actionLines } from './actions.ts';
import {
  type MappedModel,
  metricOfInput,
  numberOf,
  type ProfileRules,
  type ReportLine,
  type SeverityMap,
  severityOf,
  showSeverityMap,
  type Status,
} from './mapping.ts';
import { type AlarmModelSource, isIntrinsic, showIntrinsic } from './sources.ts';

const shown = (value: unknown) => (isIntrinsic(value) ? showIntrinsic(value) : JSON.stringify(value));

/** The band a comparison breaches outside of, and how exactly. */
type Mapped = { band?: BandInput; status: Status; text: string };

/**
 * `>=` and `<=`: our bounds are inclusive (equal is in bounds), so the same
 * number is approximate. The nearest exact form is the next number a reading
 * can take (JSON numbers are doubles): `value >= N` is `value > nextBelow(N)`
 * for every double. Offered with `--exact-bounds`, when DynamoDB can store it.
 */
function inclusiveBand(operator: 'GREATER_OR_EQUAL' | 'LESS_OR_EQUAL', threshold: number, exactBounds: boolean): Mapped {
  const upper = operator === 'GREATER_OR_EQUAL';
  const [sign, name] = upper ? ['>=', 'Upper'] : ['<=', 'Lower'];
  const nearest = upper ? nextBelow(threshold) : -nextBelow(-threshold);
  const storable = nearest === 0 || Math.abs(nearest) >= MIN_STORABLE_MAGNITUDE;
  const bound = (value: number): BandInput => (upper ? { Upper: value } : { Lower: value });
  if (exactBounds && storable) {
    return {
      band: bound(nearest),
      status: 'exact',
      text: `value ${sign} ${threshold} -> ${name} ${nearest} (the next number a reading can take)`,
    };
  }
  const offer = !storable
    ? ` (the nearest exact bound, ${nearest}, is too small for DynamoDB)`
    : exactBounds
      ? ''
      : `; --exact-bounds gives ${name} ${nearest}, exact`;
  return {
    band: bound(threshold),
    status: 'approximate',
    text: `value ${sign} ${threshold} -> ${name} ${threshold}: our bounds are inclusive, so exactly ${threshold} does not alarm here${offer}`,
  };
}

/** The smallest non-zero magnitude a DynamoDB number holds. */
const MIN_STORABLE_MAGNITUDE = 1e-130;

/** The largest double below `x` (finite `x`). */
export function nextBelow(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigInt64(0, view.getBigInt64(0) + (x > 0 ? -1n : 1n));
  return view.getFloat64(0);
}

function bandOf(operator: unknown, threshold: number, exactBounds: boolean): Mapped {
  switch (operator) {
    case 'GREATER':
      return {
        band: { Upper: threshold },
        status: 'exact',
        text: `value > ${threshold} -> Upper ${threshold} (above it is out of bounds)`,
      };
    case 'LESS':
      return {
        band: { Lower: threshold },
        status: 'exact',
        text: `value < ${threshold} -> Lower ${threshold} (below it is out of bounds)`,
      };
    case 'GREATER_OR_EQUAL':
    case 'LESS_OR_EQUAL':
      return inclusiveBand(operator, threshold, exactBounds);
    case 'EQUAL':
    case 'NOT_EQUAL':
      return { status: 'not supported', text: `${operator}: a band cannot say "equal"; alarm on a range around the value instead` };
    default:
      return { status: 'not supported', text: `comparisonOperator ${shown(operator)} is not one IoT Events has` };
  }
}

/** `exactBounds`: map `>=` and `<=` to their nearest exact bound (see {@link inclusiveBand}). */
export function mapAlarmModel(model: AlarmModelSource, severities: SeverityMap, exactBounds = false): MappedModel {
  const name = model.alarmModelName;
  const lines: ReportLine[] = [];
  const say = (where: string, status: Status, text: string) => lines.push({ model: name, where, status, text });
  const rule = model.alarmRule?.simpleRule;
  let band: BandInput | undefined;
  let metric: string | undefined;

  if (rule === undefined) {
    say('alarmRule', 'not supported', 'no simpleRule: nothing to import (IoT Events alarm models have only simpleRule)');
  } else {
    const input = typeof rule.inputProperty === 'string' ? metricOfInput(rule.inputProperty) : undefined;
    if (input === undefined) {
      say(
        'alarmRule.simpleRule.inputProperty',
        'not supported',
        `${shown(rule.inputProperty)} is not an input attribute path ($input.Input.attribute)`,
      );
    } else {
      metric = input.metric;
      say(
        'alarmRule.simpleRule.inputProperty',
        'exact',
        `${rule.inputProperty} -> metric "${metric}": devices send it as data.${metric} in their reading on anom/detect`,
      );
    }
    const threshold = numberOf(rule.threshold);
    if (threshold === undefined) {
      say(
        'alarmRule.simpleRule.threshold',
        'not supported',
        `${shown(rule.threshold)} is not a number: a threshold read from another input or parameter has no equal; give the number`,
      );
    } else if (!isStorableNumber(threshold)) {
      say(
        'alarmRule.simpleRule.threshold',
        'not supported',
        `${unstorableReason('the threshold', threshold)}; give a number DynamoDB can store`,
      );
    } else {
      const mapped = bandOf(rule.comparisonOperator, threshold, exactBounds);
      say('alarmRule.simpleRule.comparisonOperator', mapped.status, mapped.text);
      band = mapped.band;
    }
  }

  const severity = model.severity === undefined ? undefined : severityOf(model.severity, severities);
  if (severity !== undefined) say('severity', 'exact', `${model.severity} -> ${severity} (table: ${showSeverityMap(severities)})`);

  const acknowledge = model.alarmCapabilities?.acknowledgeFlow?.enabled;
  const latch = acknowledge === true;
  if (acknowledge === undefined) {
    say(
      'alarmCapabilities.acknowledgeFlow.enabled',
      'approximate',
      'absent, and IoT Events documents no default: imported without Latch (clears by itself); set Latch true if yours waited',
    );
  } else {
    say(
      'alarmCapabilities.acknowledgeFlow.enabled',
      latch ? 'exact' : 'approximate',
      latch
        ? 'true -> Latch true: a cleared alarm waits in LATCHED for acknowledge; ACKNOWLEDGED clears by itself'
        : 'false -> no Latch: the alarm returns to NORMAL by itself; acknowledge stays possible on ACTIVE (that flow had no ACKNOWLEDGED)',
    );
  }
  const startsDisabled = model.alarmCapabilities?.initializationConfiguration?.disabledOnInitialization === true;

  for (const action of actionLines(model.alarmEventActions?.alarmActions))
    say(`alarmEventActions: ${action.name}`, action.status, action.text);
  const notifications = model.alarmNotification?.notificationActions ?? [];
  if (notifications.length > 0) {
    say(
      'alarmNotification',
      'approximate',
      `${notifications.length} notification action(s) (email/SMS through a Lambda): transitions go to the stack SNS topic; ` +
        'subscribe the recipients there (cdk deploy -c notificationEmail=...)',
    );
  }

  const importable = band !== undefined && metric !== undefined;
  const rules: ProfileRules | undefined = importable
    ? {
        Thresholds: { [metric!]: band! },
        Window: 1,
        ...(severity !== undefined ? { Severity: severity } : {}),
        ...(latch ? { Latch: true } : {}),
      }
    : undefined;
  if (!importable) say('alarm model', 'not supported', 'not imported: its rule has no equal here (see the lines above)');
  return { name, kind: 'alarm model', ...(model.key ? { key: model.key } : {}), ...(rules ? { rules } : {}), startsDisabled, lines };
}
