/**
 * Finding IoT Events models in a parsed document: `aws iotevents
 * describe-alarm-model` / `describe-detector-model` output, or a
 * CloudFormation template holding `AWS::IoTEvents::AlarmModel` /
 * `AWS::IoTEvents::DetectorModel` resources. Pure. A template's PascalCase
 * properties become the API's camelCase shapes (`@aws-sdk/client-iot-events`,
 * types only), so one mapping judges both (`docs/iot-events.md`).
 */
import type { DescribeAlarmModelResponse, DetectorModelConfiguration, DetectorModelDefinition } from '@aws-sdk/client-iot-events';
import { isRecord } from '../common/guards.ts';

/** An alarm model as `describe-alarm-model` prints it. */
export type AlarmModelSource = DescribeAlarmModelResponse & { readonly alarmModelName: string };

/** A detector model: its definition and the configuration that names and keys it. */
export interface DetectorModelSource {
  readonly detectorModelName: string;
  readonly key?: string;
  readonly detectorModelDefinition: DetectorModelDefinition;
}

export interface FoundModels {
  readonly alarmModels: AlarmModelSource[];
  readonly detectorModels: DetectorModelSource[];
  /** Why a part of the document was not read (one line each). */
  readonly problems: string[];
}

/** A CloudFormation intrinsic left unresolved: `{Ref: X}`, `{"Fn::Sub": ...}`. */
export interface Intrinsic {
  readonly intrinsic: string;
  readonly argument: unknown;
}

export function isIntrinsic(value: unknown): value is Intrinsic {
  return isRecord(value) && typeof value['intrinsic'] === 'string' && 'argument' in value && Object.keys(value).length === 2;
}

/** How an unresolved intrinsic reads in a report: `!Ref Threshold`. */
export function showIntrinsic(value: Intrinsic): string {
  const name = value.intrinsic === 'Ref' ? 'Ref' : value.intrinsic.replace(/^Fn::/, '');
  return `!${name} ${JSON.stringify(value.argument)}`;
}

const INTRINSIC_KEY = /^(Ref|Condition|Fn::[A-Za-z]+)$/;

/**
 * A template's property tree in the API's spelling: keys lose their leading
 * capital (`AlarmRule` -> `alarmRule`, `DynamoDBv2` -> `dynamoDBv2`), an
 * intrinsic becomes an {@link Intrinsic}, and `!Sub` of a plain string (no
 * `${...}`) is that string.
 */
export function fromTemplate(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromTemplate);
  if (!isRecord(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && INTRINSIC_KEY.test(keys[0]!)) {
    const [intrinsic] = keys as [string];
    const argument = value[intrinsic];
    if (intrinsic === 'Fn::Sub' && typeof argument === 'string' && !argument.includes('${')) return argument;
    return { intrinsic, argument };
  }
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.charAt(0).toLowerCase() + key.slice(1), fromTemplate(inner)]));
}

const ALARM_TYPE = 'AWS::IoTEvents::AlarmModel';
const DETECTOR_TYPE = 'AWS::IoTEvents::DetectorModel';

function fromResources(resources: Record<string, unknown>, found: FoundModels, source: string): void {
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!isRecord(resource) || (resource['Type'] !== ALARM_TYPE && resource['Type'] !== DETECTOR_TYPE)) continue;
    const properties = fromTemplate(resource['Properties'] ?? {});
    if (!isRecord(properties)) {
      found.problems.push(`${source}: resource ${logicalId}: Properties is not a map`);
      continue;
    }
    if (resource['Type'] === ALARM_TYPE) {
      const name = typeof properties['alarmModelName'] === 'string' ? properties['alarmModelName'] : logicalId;
      found.alarmModels.push({ ...properties, alarmModelName: name } as AlarmModelSource);
    } else {
      const name = typeof properties['detectorModelName'] === 'string' ? properties['detectorModelName'] : logicalId;
      const definition = properties['detectorModelDefinition'];
      if (!isRecord(definition)) found.problems.push(`${source}: resource ${logicalId}: no DetectorModelDefinition`);
      else found.detectorModels.push(detector(name, properties['key'], definition));
    }
  }
}

function detector(name: string, key: unknown, definition: Record<string, unknown>): DetectorModelSource {
  return {
    detectorModelName: name,
    ...(typeof key === 'string' ? { key } : {}),
    detectorModelDefinition: definition as unknown as DetectorModelDefinition,
  };
}

/** The models in one parsed document; `source` names it in problems. */
export function findModels(document: unknown, source: string): FoundModels {
  const found: FoundModels = { alarmModels: [], detectorModels: [], problems: [] };
  if (!isRecord(document)) {
    found.problems.push(`${source}: not a JSON or YAML map`);
    return found;
  }
  if (isRecord(document['Resources'])) {
    fromResources(document['Resources'], found, source);
    if (found.alarmModels.length + found.detectorModels.length === 0)
      found.problems.push(`${source}: a template without ${ALARM_TYPE} or ${DETECTOR_TYPE} resources`);
  } else if (typeof document['alarmModelName'] === 'string') {
    found.alarmModels.push(document as unknown as AlarmModelSource);
  } else if (isRecord(document['detectorModel'])) {
    const model = document['detectorModel'];
    const configuration = (
      isRecord(model['detectorModelConfiguration']) ? model['detectorModelConfiguration'] : {}
    ) as DetectorModelConfiguration;
    const definition = model['detectorModelDefinition'];
    if (!isRecord(definition) || typeof configuration.detectorModelName !== 'string')
      found.problems.push(`${source}: detectorModel without detectorModelDefinition or detectorModelName`);
    else found.detectorModels.push(detector(configuration.detectorModelName, configuration.key, definition));
  } else {
    found.problems.push(`${source}: neither describe-alarm-model nor describe-detector-model output, nor a template with Resources`);
  }
  return found;
}
