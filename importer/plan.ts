/**
 * From mapped models to the profiles to write (`docs/iot-events.md`,
 * "Keys"). An IoT Events model kept one alarm per value of its `key`; here
 * every printer has its own alarm, so a keyed model becomes the fleet
 * defaults `*` with `Enrol` (every printer that reports gets the rule, as
 * every key value got an alarm), or, with a key map, the profiles of the
 * printers it names. One alarm per printer: a second model for the same
 * printer is reported, not merged. Pure.
 */
import { FLEET_DEFAULTS_ID, type ProfileInput } from '../contract/index.ts';
import { isRecord } from '../common/guards.ts';
import { checkPrinterId } from '../lambda/core/reading.ts';
import type { MappedModel, ProfileRules, ReportLine } from './mapping.ts';

/** Key values (as the devices sent them) to PrinterIds. */
export type KeyMap = Readonly<Record<string, string>>;

export class KeyMapError extends Error {
  override readonly name = 'KeyMapError';
}

/** A key map file's JSON: `{"sensor-1": "Printer1", ...}`, each PrinterId valid. */
export function parseKeyMap(value: unknown, source: string): KeyMap {
  if (!isRecord(value) || Object.keys(value).length === 0)
    throw new KeyMapError(`${source}: expected a JSON map of key value to PrinterId, e.g. {"sensor-1": "Printer1"}`);
  for (const [key, id] of Object.entries(value)) {
    const checked =
      id === FLEET_DEFAULTS_ID ? { ok: false as const, reason: 'PrinterId "*" is the fleet defaults, not a printer' } : checkPrinterId(id);
    if (!checked.ok) throw new KeyMapError(`${source}: key "${key}": ${checked.reason}`);
  }
  return value as KeyMap;
}

export interface ImportPlan {
  readonly profiles: ProfileInput[];
  /** Printers that start DISABLED (when the import creates them). */
  readonly startDisabled: string[];
  readonly lines: ReportLine[];
}

/**
 * A named printer's rules with every alarm attribute the model decides
 * written out, so that fleet defaults cannot change them (a printer inherits
 * each attribute its profile omits).
 */
function pinned(rules: ProfileRules): ProfileRules {
  return {
    ...rules,
    Mode: rules.Mode ?? 'consecutive',
    Severity: rules.Severity ?? 'major',
    Latch: rules.Latch ?? false,
    Clear: rules.Clear ?? rules.Thresholds,
    ClearAfter: rules.ClearAfter ?? 1,
  };
}

export function planImport(models: readonly MappedModel[], keyMap?: KeyMap): ImportPlan {
  const profiles: ProfileInput[] = [];
  const startDisabled: string[] = [];
  const lines: ReportLine[] = [];
  const owner = new Map<string, string>();
  for (const model of models) {
    lines.push(...model.lines);
    const say = (where: string, status: ReportLine['status'], text: string) => lines.push({ model: model.name, where, status, text });
    if (model.rules === undefined) continue;
    let targets: string[];
    if (model.key !== undefined && keyMap !== undefined) {
      targets = [...new Set(Object.values(keyMap))];
      const pairs = Object.entries(keyMap).map(([value, id]) => `${value} -> ${id}`);
      say(
        'fleet defaults',
        'approximate',
        'Mode, Severity, Latch, Clear and ClearAfter are written so * cannot change them; Adaptive, SilenceSeconds and ' +
          'RenotifyMinutes the model does not set: a * that has them applies them to these printers too',
      );
      say('key', 'exact', `${model.key}: one alarm per printer of --key-map, as IoT Events kept one per key value (${pairs.join(', ')})`);
    } else if (model.key !== undefined) {
      targets = [FLEET_DEFAULTS_ID];
      say(
        'key',
        'exact',
        `${model.key}, no --key-map: fleet defaults * with Enrol: every printer that reports gets this rule and its own alarm ` +
          "(a printer's own attributes win); readings carry the key value as PrinterId",
      );
    } else {
      targets = [FLEET_DEFAULTS_ID];
      say(
        'key',
        'approximate',
        'none: IoT Events kept one alarm for all inputs; here each printer has its own (fleet defaults * with Enrol)',
      );
    }
    for (const target of targets) {
      const taken = owner.get(target);
      if (taken !== undefined) {
        say('key', 'not supported', `${target} already takes its profile from ${taken}: one alarm per printer, import them separately`);
        continue;
      }
      owner.set(target, model.name);
      const rules = target === FLEET_DEFAULTS_ID ? { ...model.rules, Enrol: true } : pinned(model.rules);
      profiles.push({ PrinterId: target, ...rules } as ProfileInput);
      if (model.startsDisabled && target !== FLEET_DEFAULTS_ID) startDisabled.push(target);
    }
    if (model.startsDisabled) {
      if (targets.includes(FLEET_DEFAULTS_ID)) {
        say(
          'alarmCapabilities.initializationConfiguration.disabledOnInitialization',
          'approximate',
          'true, but printers enrolled through * start NORMAL (* has no alarm): give --key-map, or npm run alarm -- disable ID',
        );
      } else {
        say(
          'alarmCapabilities.initializationConfiguration.disabledOnInitialization',
          'exact',
          'true -> each printer this import creates starts DISABLED (the disable action); existing printers keep their alarm',
        );
      }
    }
  }
  return { profiles, startDisabled, lines };
}
