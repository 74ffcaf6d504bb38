/**
 * `npm run profile -- <get|set|validate>`: one printer's profile, read,
 * changed or checked. `set` changes only the attributes it is given (and
 * removes the ones named by `--unset`), through the one profile writer, which
 * judges the profile it leaves with the fleet defaults merged in, as the
 * detector runs it; counters, bookkeeping and the alarm are kept. `validate`
 * judges whole profiles with the same validator (`docs/design.md`, "Writing
 * profiles").
 */
import { CliError, runCli, TARGET_RULE, UsageError } from './kit.ts';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { readFile } from 'node:fs/promises';
import { describeTableError, resolveTableTarget, TABLE_TARGET_ALIASES, TABLE_TARGET_HELP, TABLE_TARGET_OPTIONS } from './aws-target.ts';
import { ATTR, FLEET_DEFAULTS_ID, type ProfileInput } from '../contract/index.ts';
import { describeWrittenProfile, type ProfileChange, writeProfileChanges } from '../lambda/adapters/profile-writer.ts';
import { REMOVABLE_ATTRIBUTES, userAttributesOf } from '../lambda/core/profile-change.ts';
import { checkProfiles } from '../lambda/core/profile-input.ts';
import { parseProfile } from '../lambda/adapters/profile-item.ts';
import { withDefaults } from '../lambda/core/rules.ts';
import { isRecord } from '../common/guards.ts';
import { checkPrinterId } from '../lambda/core/reading.ts';
import { fromItem } from '../lambda/adapters/dynamodb-values.ts';

const NAME = 'npm run profile';
const TARGET_USAGE = '[--table NAME] [--region R] [--endpoint URL]';

/** A PrinterId given on the command line, checked as a reading's would be. */
function printerIdArgument(positionals: readonly string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one PRINTER_ID, got ${positionals.length} (usage: ${usage})`);
  // The fleet defaults are read and changed like a printer's profile.
  const id = positionals[0] === FLEET_DEFAULTS_ID ? { ok: true as const, id: FLEET_DEFAULTS_ID } : checkPrinterId(positionals[0]);
  if (!id.ok) throw new UsageError(id.reason);
  return id.id;
}

/** Profiles to check, as parsed JSON, and where they come from (a file, `--json`, stdin; none for flags). */
interface ProfileSource {
  readonly name?: string;
  readonly value: unknown;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message}`);
  }
}

async function readSource(flags: { file?: string | undefined; json?: string | undefined }): Promise<ProfileSource> {
  if (flags.file !== undefined && flags.json !== undefined) throw new UsageError('give --file or --json, not both');
  let name: string;
  let text: string;
  if (flags.json !== undefined) {
    [name, text] = ['--json', flags.json];
  } else if (flags.file !== undefined) {
    [name, text] = [flags.file, await readText(flags.file)];
  } else {
    if (process.stdin.isTTY) throw new UsageError("give --file FILE, --json '{...}', or a profile on stdin");
    text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    name = 'stdin';
  }
  try {
    return { name, value: JSON.parse(text) };
  } catch (error) {
    throw new CliError(`${name}: not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
}

/**
 * The profiles of a source (one profile or an array), validated. Every
 * problem is printed on its own line (`source: profile N (Id): reason`); the
 * result is undefined when there is any.
 */
function validProfiles(source: ProfileSource): ProfileInput[] | undefined {
  const checked = checkProfiles(source.value, { single: 'allowed' });
  if (checked.ok) return checked.profiles;
  const prefix = source.name === undefined ? '' : `${source.name}: `;
  for (const problem of checked.problems) process.stderr.write(`${NAME}: ${prefix}${problem}\n`);
  return undefined;
}

const getSpec = {
  usage: `${NAME} -- get PRINTER_ID [--json] ${TARGET_USAGE}`,
  summary:
    "Shows one printer's whole profile, its effective settings (with the fleet defaults * merged in, as the detector runs " +
    'them), its counters (OutOfBoundsCount, EventCount) and the bookkeeping (LastValue, LastSeenAt, LastEventAt, LastSeq, ' +
    'pending events). An unknown printer is an error (exit 1).',
  options: { json: { type: 'boolean' }, ...TABLE_TARGET_OPTIONS },
  help: { json: 'print JSON {profile, effective, counters, bookkeeping, configurationError?} for scripts', ...TABLE_TARGET_HELP },
  aliases: TABLE_TARGET_ALIASES,
  targetRule: TARGET_RULE,
  allowPositionals: true,
} as const;

/** The `set` flags of one attribute each (`--lower` and `--upper` together make the original-form Thresholds). */
const ATTRIBUTE_FLAGS = {
  window: ATTR.window,
  mode: ATTR.mode,
  of: ATTR.of,
  'duration-seconds': ATTR.durationSeconds,
  severity: ATTR.severity,
  'clear-after': ATTR.clearAfter,
  latch: ATTR.latch,
  'silence-seconds': ATTR.silenceSeconds,
  'renotify-minutes': ATTR.renotifyMinutes,
  'notify-min-interval-seconds': ATTR.notifyMinIntervalSeconds,
} as const;

const setSpec = {
  usage: `${NAME} -- set PRINTER_ID [--lower L --upper U] [--window W] [--mode M] [...] [--json '{...}'] [--unset NAME]... ${TARGET_USAGE}  |  set --file FILE ${TARGET_USAGE}`,
  summary:
    'Changes the attributes it is given, and nothing else, on one printer (or on each printer in FILE: one partial profile ' +
    'or a JSON array of them); --unset NAME removes one attribute (repeatable), so the printer takes it from the fleet ' +
    "defaults or goes without. Each printer's profile as it will be stored is judged with the fleet defaults merged in, " +
    'as the detector runs it, and nothing is written when any is refused. Counters, bookkeeping and the alarm are kept; a ' +
    'new printer starts with its counters at 0. (npm run seed and PUT /api/printers/{id} replace whole profiles instead.)',
  options: {
    lower: { type: 'string' },
    upper: { type: 'string' },
    ...Object.fromEntries(Object.keys(ATTRIBUTE_FLAGS).map((flag) => [flag, { type: 'string' }])),
    json: { type: 'string' },
    unset: { type: 'string', multiple: true },
    file: { type: 'string', short: 'f' },
    ...TABLE_TARGET_OPTIONS,
  },
  help: {
    lower: 'Thresholds.Lower (with --upper: the original {Lower, Upper} Thresholds)',
    upper: 'Thresholds.Upper (with --lower)',
    window: 'Window: out-of-bounds readings that make one anomaly event (an integer >= 1)',
    mode: 'Mode: consecutive, m-of-n or duration',
    of: 'Of: the readings an m-of-n window holds',
    'duration-seconds': 'DurationSeconds: how long a duration-mode run lasts before it is an event',
    severity: 'Severity: critical, major, minor or warning',
    'clear-after': 'ClearAfter: in-band readings that clear an alarm',
    latch: 'Latch: true or false',
    'silence-seconds': 'SilenceSeconds: the alarm goes ACTIVE (silent) when no reading comes for this long (>= 60)',
    'renotify-minutes': 'RenotifyMinutes: re-notify an unacknowledged ACTIVE alarm this often (>= 5)',
    'notify-min-interval-seconds':
      'NotifyMinIntervalSeconds: at least this long between notifications of the alarm, unless its severity rises (>= 1)',
    json: 'attributes to set, as a JSON object (a metric map of Thresholds, Adaptive, Clear, ...)',
    unset: `remove this attribute (one of ${REMOVABLE_ATTRIBUTES.join(', ')}); repeatable`,
    file: 'a JSON file with one partial profile or an array of them, instead of PRINTER_ID and the flags',
    ...TABLE_TARGET_HELP,
  },
  aliases: TABLE_TARGET_ALIASES,
  targetRule: TARGET_RULE,
  allowPositionals: true,
} as const;

const validateSpec = {
  usage: `${NAME} -- validate [--file FILE | --json '{...}']`,
  summary:
    'Checks profiles, one or a JSON array, from FILE, --json or stdin, with exactly the rules the detector applies. ' +
    'Prints one line per problem, naming the entry and the field, and exits 1 when there is any; exits 0 when all are valid.',
  options: { file: { type: 'string', short: 'f' }, json: { type: 'string' } },
  help: { file: 'a JSON file with one profile or an array of profiles', json: 'the profile(s) as a JSON argument' },
} as const;

const topSpec = {
  usage: `${NAME} -- <get|set|validate> [options]`,
  summary:
    "Reads, changes or checks printer profiles. get PRINTER_ID: a printer's profile, effective settings and counters. " +
    'set PRINTER_ID [--lower L --upper U] [--window W] [...] [--unset NAME] (or set --file FILE): changes only the attributes given, ' +
    'judged with the fleet defaults, keeping counters and the alarm. ' +
    "validate [--file FILE | --json JSON]: checks profiles with the detector's rules. " +
    `Each command has its own --help (${NAME} -- get --help).`,
  options: {},
  help: {},
  allowPositionals: true,
} as const;

/** A number given as a flag; anything else is passed on as text, for the validator to name. */
function numberFlag(text: string | undefined): unknown {
  if (text === undefined || text.trim() === '') return text;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

function show(value: unknown): string {
  return value === undefined ? '-' : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** The printer's item and the fleet defaults' (none for `*` itself), read consistently. */
async function readPrinter(values: Parameters<typeof resolveTableTarget>[0], id: string) {
  const target = resolveTableTarget(values);
  const client = new DynamoDBClient(target.clientConfig);
  const read = async (key: string) => {
    const { Item } = await client.send(
      new GetItemCommand({ TableName: target.tableName, Key: { [ATTR.printerId]: { S: key } }, ConsistentRead: true }),
    );
    return Item === undefined ? undefined : fromItem(Item);
  };
  try {
    const [item, defaults] = await Promise.all([read(id), id === FLEET_DEFAULTS_ID ? undefined : read(FLEET_DEFAULTS_ID)]);
    if (item === undefined) throw new CliError(`no printer "${id}" in table ${target.tableName} at ${target.where}`);
    return { item, defaults: defaults === undefined ? undefined : userAttributesOf(defaults) };
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw describeTableError(error, target);
  } finally {
    client.destroy();
  }
}

async function getCommand(argv: string[]): Promise<never> {
  return runCli(
    getSpec,
    async (values, positionals) => {
      const id = printerIdArgument(positionals, getSpec.usage);
      const { item, defaults } = await readPrinter(values, id);
      const isDefaults = id === FLEET_DEFAULTS_ID;
      // The defaults are partial by design: they are judged on their own, as the detector judges them.
      const problem = isDefaults ? checkProfiles([{ ...userAttributesOf(item) }]) : undefined;
      const parsed = isDefaults ? undefined : parseProfile(item, defaults);
      const configurationError = problem && !problem.ok ? problem.problems.join('; ') : parsed && !parsed.ok ? parsed.reason : undefined;
      const profile = userAttributesOf(item);
      const effective = withDefaults(item, defaults);
      const pending = item[ATTR.pendingEvents];
      const report = {
        profile,
        effective,
        counters: { OutOfBoundsCount: item[ATTR.outOfBoundsCount] ?? 0, EventCount: item[ATTR.eventCount] ?? 0 },
        bookkeeping: {
          LastValue: item[ATTR.lastValue],
          LastSeenAt: item[ATTR.lastSeenAt],
          LastEventAt: item[ATTR.lastEventAt],
          LastSeq: item[ATTR.lastSeq],
          PendingEvents: pending instanceof Set ? pending.size : 0,
        },
        ...(configurationError !== undefined ? { configurationError } : {}),
      };
      if (values.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const attributeRows: [string, unknown][] = Object.entries(effective)
        .filter(([name]) => name !== ATTR.printerId)
        .map(([name, value]) => [
          name,
          `${attributeText(name, value)}${Object.hasOwn(profile, name) ? '' : ` (from ${FLEET_DEFAULTS_ID})`}`,
        ]);
      const rows: [string, unknown][] = [...attributeRows, ...Object.entries(report.counters), ...Object.entries(report.bookkeeping)];
      const lines = [id, ...rows.map(([name, value]) => `  ${name.padEnd(17)} ${show(value)}`)];
      if (configurationError !== undefined) lines.push(`  configuration error: ${configurationError}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    },
    argv,
  );
}

/** An attribute as people read it: the original Thresholds as `Lower 20, Upper 80`, maps as JSON. */
function attributeText(name: string, value: unknown): string {
  if ((name === ATTR.thresholds || name === ATTR.clear) && isRecord(value) && (ATTR.lower in value || ATTR.upper in value)) {
    return `Lower ${show(value[ATTR.lower])}, Upper ${show(value[ATTR.upper])}`;
  }
  return show(value);
}

/** A flag's text as a JSON value: a number or a boolean when it reads as one; otherwise the text, for the validator to name. */
function flagValue(text: string): unknown {
  if (text === 'true' || text === 'false') return text === 'true';
  return numberFlag(text);
}

/** The attributes `set PRINTER_ID` was given: its flags and `--json`, each attribute once. */
function flagAttributes(values: Record<string, unknown>): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  if (values['json'] !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(values['json'] as string);
    } catch (error) {
      throw new CliError(`--json: not valid JSON (${(error as Error).message.split('\n')[0]})`);
    }
    if (!isRecord(parsed)) throw new UsageError('--json must be a JSON object of attributes');
    Object.assign(set, parsed);
  }
  const give = (attribute: string, value: unknown, flag: string) => {
    if (Object.hasOwn(set, attribute)) throw new UsageError(`${attribute} is given twice (--${flag} and --json)`);
    set[attribute] = value;
  };
  const [lower, upper] = [values['lower'] as string | undefined, values['upper'] as string | undefined];
  if ((lower === undefined) !== (upper === undefined)) throw new UsageError('give --lower and --upper together (or Thresholds in --json)');
  if (lower !== undefined && upper !== undefined) give(ATTR.thresholds, { Lower: numberFlag(lower), Upper: numberFlag(upper) }, 'lower');
  for (const [flag, attribute] of Object.entries(ATTRIBUTE_FLAGS)) {
    const text = values[flag] as string | undefined;
    if (text !== undefined) give(attribute, attribute === ATTR.mode || attribute === ATTR.severity ? text : flagValue(text), flag);
  }
  return set;
}

/** The changes a file gives: one partial profile or an array of them, each naming its PrinterId. */
function fileChanges(source: ProfileSource): { changes: ProfileChange[]; names: string[] } | string[] {
  const single = isRecord(source.value);
  if (!single && !Array.isArray(source.value)) return [`${source.name}: expected a profile or a JSON array of profiles`];
  const entries: unknown[] = single ? [source.value] : (source.value as unknown[]);
  const problems: string[] = [];
  const changes: ProfileChange[] = [];
  const names: string[] = [];
  entries.forEach((entry, index) => {
    const where = `${source.name}: ${single ? 'profile' : `profile ${index + 1}`}`;
    const id = !isRecord(entry)
      ? { ok: false as const, reason: 'expected an object' }
      : entry[ATTR.printerId] === FLEET_DEFAULTS_ID
        ? { ok: true as const, id: FLEET_DEFAULTS_ID }
        : checkPrinterId(entry[ATTR.printerId]);
    if (!id.ok) problems.push(`${where}: ${id.reason}`);
    else {
      changes.push({ kind: 'merge', printerId: id.id, set: entry as Record<string, unknown> });
      names.push(`${where} (${id.id})`);
    }
  });
  return problems.length > 0 ? problems : { changes, names };
}

async function setCommand(argv: string[]): Promise<never> {
  return runCli(
    setSpec,
    async (values, positionals) => {
      const flagged = ['lower', 'upper', 'json', 'unset', ...Object.keys(ATTRIBUTE_FLAGS)].filter(
        (flag) => (values as Record<string, unknown>)[flag] !== undefined,
      );
      let changes: ProfileChange[];
      let names: string[];
      if (values.file !== undefined) {
        if (positionals.length > 0 || flagged.length > 0)
          throw new UsageError('give PRINTER_ID with attribute flags, or --file FILE, not both');
        const read = fileChanges(await readSource({ file: values.file }));
        if (Array.isArray(read)) {
          for (const problem of read) process.stderr.write(`${NAME}: ${problem}\n`);
          return 1;
        }
        ({ changes, names } = read);
      } else {
        const id = printerIdArgument(positionals, setSpec.usage);
        if (flagged.length === 0)
          throw new UsageError('set PRINTER_ID needs an attribute to change (a flag, --json or --unset), or --file FILE');
        changes = [{ kind: 'merge', printerId: id, set: flagAttributes(values), unset: values.unset ?? [] }];
        names = [`profile (${id})`];
      }
      const target = resolveTableTarget(values);
      if (changes.length === 0) {
        process.stdout.write(`${values.file}: no profiles, nothing written\n`);
        return 0;
      }
      const client = new DynamoDBClient(target.clientConfig);
      try {
        const { written, refused } = await writeProfileChanges(client, target.tableName, changes, { allOrNothing: true });
        for (const { printerId, reasons } of refused) {
          const name = names[changes.findIndex((change) => change.printerId === printerId)] ?? printerId;
          for (const reason of reasons) process.stderr.write(`${NAME}: ${name}: ${reason}\n`);
        }
        if (refused.length > 0) return 1;
        for (const result of written) process.stdout.write(`${describeWrittenProfile(result)}\n`);
        process.stdout.write(`wrote ${written.length} profile(s) into ${target.tableName} at ${target.where}\n`);
      } catch (error) {
        throw describeTableError(error, target);
      } finally {
        client.destroy();
      }
    },
    argv,
  );
}

async function validateCommand(argv: string[]): Promise<never> {
  return runCli(
    validateSpec,
    async (values) => {
      const source = await readSource(values);
      const profiles = validProfiles(source);
      if (profiles === undefined) return 1;
      process.stdout.write(`${source.name}: ${profiles.length} profile(s), all valid\n`);
    },
    argv,
  );
}

const COMMANDS: Readonly<Record<string, (argv: string[]) => Promise<never>>> = {
  get: getCommand,
  set: setCommand,
  validate: validateCommand,
};

const [command, ...rest] = process.argv.slice(2);
const run = command !== undefined && Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
if (run) {
  await run(rest);
} else {
  await runCli(topSpec, async (_values, positionals) => {
    const [name] = positionals;
    throw new UsageError(
      name === undefined ? 'expected a command: get, set or validate' : `unknown command "${name}": expected get, set or validate`,
    );
  });
}
