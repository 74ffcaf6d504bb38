/**
 * `npm run import -- iot-events FILE...`: reads AWS IoT Events alarm and
 * detector models (describe-* output, CloudFormation templates in JSON or
 * YAML, folders of them), prints the profiles they become and a mapping
 * report, and with `--write` writes them through the one validator and the
 * one profile writer (counters and alarms kept). `docs/iot-events.md` says
 * what maps and how exactly.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { mapAlarmModel } from '../importer/alarm-model.ts';
import { parseTemplateText } from '../importer/cfn-yaml.ts';
import { mapDetectorModel } from '../importer/detector-model.ts';
import { DEFAULT_SEVERITY_MAP, parseSeverityMap, SeverityMapError } from '../importer/mapping.ts';
import { type KeyMap, KeyMapError, parseKeyMap, planImport } from '../importer/plan.ts';
import { planJson, renderPlan } from '../importer/report.ts';
import { findModels } from '../importer/sources.ts';
import { describeWrittenProfile, writeProfileChanges } from '../lambda/adapters/profile-writer.ts';
import { checkProfiles } from '../lambda/core/profile-input.ts';
import { API_TARGET_HELP, callApi, resolveApiTarget } from './api-client.ts';
import { describeTableError, resolveTableTarget, TABLE_TARGET_ALIASES, TABLE_TARGET_HELP, TABLE_TARGET_OPTIONS } from './aws-target.ts';
import { CliError, runCli, TARGET_RULE, UsageError } from './kit.ts';

const READABLE = new Set(['.json', '.yaml', '.yml', '.template']);

const spec = {
  usage: 'npm run import -- iot-events FILE|FOLDER... [--key-map FILE] [--severity-map MAP] [--exact-bounds] [--write] [--json]',
  summary:
    'Reads AWS IoT Events alarm models and detector models (aws iotevents describe-alarm-model / describe-detector-model ' +
    'output, CloudFormation templates in JSON or YAML, folders of them) and prints the profiles they map to and a report: ' +
    'per field, state and event, exact, approximate (what differs), not supported or not imported. --write validates and ' +
    'writes the profiles (counters and alarms of existing printers are kept). Details: docs/iot-events.md.',
  options: {
    'key-map': { type: 'string' },
    'severity-map': { type: 'string' },
    'exact-bounds': { type: 'boolean' },
    write: { type: 'boolean' },
    json: { type: 'boolean' },
    'api-url': { type: 'string' },
    ...TABLE_TARGET_OPTIONS,
  },
  help: {
    'key-map': 'a JSON file {"keyValue": "PrinterId", ...}: keyed models go to these printers instead of the fleet defaults *',
    'severity-map': 'integer severity to ours, each from its bound up: 0=critical,2=major,3=minor,4=warning (the default)',
    'exact-bounds': 'map >= and <= to the next number a reading can take (exact), instead of the threshold (approximate)',
    write: 'write the profiles (else only print them)',
    json: 'print {profiles, startDisabled, report, problems} as JSON',
    'api-url': `with --write, where printers that start DISABLED are disabled: ${API_TARGET_HELP['api-url']}`,
    ...TABLE_TARGET_HELP,
  },
  aliases: TABLE_TARGET_ALIASES,
  targetRule: TARGET_RULE,
  allowPositionals: true,
} as const;

/** The files to read: each file given, and the readable files under each folder given (sorted, so output is stable). */
async function filesOf(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) throw new CliError(`${path}: no such file or folder`);
    if (!info.isDirectory()) {
      files.push(path);
      continue;
    }
    const entries = await readdir(path, { recursive: true, withFileTypes: true });
    const found = entries.filter((e) => e.isFile() && READABLE.has(extname(e.name))).map((e) => join(e.parentPath, e.name));
    files.push(...found.sort());
  }
  return files;
}

async function parsed(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return extname(file) === '.json' ? JSON.parse(text) : parseTemplateText(text);
  } catch (error) {
    throw new CliError(`${file}: not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'} (${(error as Error).message.split('\n')[0]})`);
  }
}

async function keyMapOf(file: string | undefined): Promise<KeyMap | undefined> {
  if (file === undefined) return undefined;
  try {
    return parseKeyMap(await parsed(file), file);
  } catch (error) {
    if (error instanceof KeyMapError) throw new UsageError(error.message);
    throw error;
  }
}

await runCli(spec, async (values, positionals) => {
  const [source, ...paths] = positionals;
  if (source !== 'iot-events') throw new UsageError(`expected the source "iot-events", got ${source ? `"${source}"` : 'nothing'}`);
  if (paths.length === 0) throw new UsageError('give at least one FILE or FOLDER');
  let severities = DEFAULT_SEVERITY_MAP;
  try {
    if (values['severity-map'] !== undefined) severities = parseSeverityMap(values['severity-map']);
  } catch (error) {
    if (error instanceof SeverityMapError) throw new UsageError(error.message);
    throw error;
  }
  const keyMap = await keyMapOf(values['key-map']);
  const problems: string[] = [];
  const mapped = [];
  for (const file of await filesOf(paths)) {
    const found = findModels(await parsed(file), file);
    problems.push(...found.problems);
    mapped.push(
      ...found.alarmModels.map((model) => mapAlarmModel(model, severities, values['exact-bounds'] ?? false)),
      ...found.detectorModels.map(mapDetectorModel),
    );
  }
  const plan = planImport(mapped, keyMap);
  const checked = checkProfiles(plan.profiles);
  if (!checked.ok) {
    for (const problem of checked.problems) process.stderr.write(`npm run import: ${problem}\n`);
    return 1;
  }
  process.stdout.write(values.json ? `${JSON.stringify(planJson(plan, problems), null, 2)}\n` : `${renderPlan(plan, problems)}\n`);
  if (!values.write) return problems.length > 0 ? 1 : 0;
  if (problems.length > 0) {
    process.stderr.write(`npm run import: nothing written: ${problems.length} file(s) or part(s) could not be read (above)\n`);
    return 1;
  }
  if (checked.profiles.length === 0) {
    process.stderr.write('npm run import: nothing to write\n');
    return 1;
  }
  const log = (line: string) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);
  const target = resolveTableTarget(values);
  const client = new DynamoDBClient(target.clientConfig);
  let created: Set<string>;
  try {
    // A merge: what the model maps is set, and an attribute it does not map (a printer's own Enrol, say) is kept.
    const changes = checked.profiles.map(({ PrinterId, ...set }) => ({ kind: 'merge' as const, printerId: PrinterId, set }));
    const { written, refused } = await writeProfileChanges(client, target.tableName, changes, { allOrNothing: true });
    if (refused.length > 0) {
      throw new CliError(`nothing written: ${refused.map((r) => `${r.printerId}: ${r.reasons.join('; ')}`).join('; ')}`);
    }
    for (const result of written) log(describeWrittenProfile(result));
    log(`wrote ${written.length} profile(s) into ${target.tableName} at ${target.where}`);
    created = new Set(written.filter((result) => result.previous === undefined).map((result) => result.profile.PrinterId));
  } catch (error) {
    throw describeTableError(error, target);
  } finally {
    client.destroy();
  }
  const toDisable = plan.startDisabled.filter((id) => created.has(id));
  if (toDisable.length > 0) {
    const api = resolveApiTarget(values);
    for (const id of toDisable) {
      const note = 'imported from AWS IoT Events: disabledOnInitialization';
      await callApi(api, 'POST', `/api/printers/${encodeURIComponent(id)}/alarm`, { action: 'disable', note });
      log(`${id}: DISABLED (disabledOnInitialization)`);
    }
  }
});
