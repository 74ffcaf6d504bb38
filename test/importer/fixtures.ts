/** Reading a fixture as the command does, for the importer's tests. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mapAlarmModel } from '../../importer/alarm-model.ts';
import { parseTemplateText } from '../../importer/cfn-yaml.ts';
import { mapDetectorModel } from '../../importer/detector-model.ts';
import { DEFAULT_SEVERITY_MAP, type SeverityMap } from '../../importer/mapping.ts';
import { type ImportPlan, type KeyMap, planImport } from '../../importer/plan.ts';
import { findModels } from '../../importer/sources.ts';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export function fixture(name: string): unknown {
  const text = readFileSync(`${FIXTURES}${name}`, 'utf8');
  return name.endsWith('.json') ? JSON.parse(text) : parseTemplateText(text);
}

export function planOf(
  name: string,
  options: { keyMap?: KeyMap; severities?: SeverityMap; exactBounds?: boolean } = {},
): ImportPlan & { problems: string[] } {
  const found = findModels(fixture(name), name);
  const mapped = [
    ...found.alarmModels.map((model) => mapAlarmModel(model, options.severities ?? DEFAULT_SEVERITY_MAP, options.exactBounds)),
    ...found.detectorModels.map(mapDetectorModel),
  ];
  return { ...planImport(mapped, options.keyMap), problems: found.problems };
}
