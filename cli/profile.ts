/**
 * `npm run profile -- <get|set|validate>`: one printer's profile, read,
 * written or checked. `validate` and `set` judge profiles with the one
 * validator the seed and the twin use (`checkProfiles`, the detector's own
 * rules); `set` writes only the user attributes, through the writer `npm run
 * seed` uses, so counters and bookkeeping are kept.
 */
import { CliError, runCli, TARGET_RULE, UsageError } from './kit.ts';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { readFile } from 'node:fs/promises';
import { describeTableError, resolveTableTarget, TABLE_TARGET_ALIASES, TABLE_TARGET_HELP, TABLE_TARGET_OPTIONS } from './aws-target.ts';
import { ATTR, type ProfileInput } from '../contract/index.ts';
import { describeWrittenProfile, writeProfiles } from '../lambda/adapters/profile-writer.ts';
import { checkProfiles } from '../lambda/core/profile-input.ts';
import { parseProfile } from '../lambda/core/profile.ts';
import { checkPrinterId } from '../lambda/core/reading.ts';
import { fromItem } from '../lambda/adapters/dynamodb-values.ts';

const NAME = 'npm run profile';
const TARGET_USAGE = '[--table NAME] [--region R] [--endpoint URL]';

/** A PrinterId given on the command line, checked as a reading's would be. */
function printerIdArgument(positionals: readonly string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one PRINTER_ID, got ${positionals.length} (usage: ${usage})`);
  const id = checkPrinterId(positionals[0]);
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
    "Shows one printer's profile (Thresholds, Window), its counters (OutOfBoundsCount, EventCount) and the detector's " +
    'bookkeeping (LastValue, LastSeenAt, LastEventAt, LastSeq, pending events). An unknown printer is an error (exit 1).',
  options: { json: { type: 'boolean' }, ...TABLE_TARGET_OPTIONS },
  help: { json: 'print JSON {profile, counters, bookkeeping, configurationError?} for scripts', ...TABLE_TARGET_HELP },
  aliases: TABLE_TARGET_ALIASES,
  targetRule: TARGET_RULE,
  allowPositionals: true,
} as const;

const setSpec = {
  usage: `${NAME} -- set PRINTER_ID --lower L --upper U --window W ${TARGET_USAGE}  |  set --file FILE ${TARGET_USAGE}`,
  summary:
    'Sets the profile of one printer (or of each profile in FILE: one profile or a JSON array). Everything is validated first, ' +
    "with the detector's rules, and nothing is written when anything is invalid. Only Thresholds and Window are written: " +
    'OutOfBoundsCount, EventCount and the bookkeeping are kept; a new printer starts with its counters at 0.',
  options: {
    lower: { type: 'string' },
    upper: { type: 'string' },
    window: { type: 'string' },
    file: { type: 'string', short: 'f' },
    ...TABLE_TARGET_OPTIONS,
  },
  help: {
    lower: 'Thresholds.Lower: a value below it is out of bounds',
    upper: 'Thresholds.Upper: a value above it is out of bounds',
    window: 'Window: consecutive out-of-bounds readings that make one anomaly event (an integer >= 1)',
    file: 'a JSON file with one profile or an array of profiles, instead of PRINTER_ID and the flags',
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
    "Reads, writes or checks printer profiles. get PRINTER_ID: a printer's profile and counters. " +
    'set PRINTER_ID --lower L --upper U --window W (or set --file FILE): validates, then writes Thresholds and Window, keeping counters. ' +
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

async function getCommand(argv: string[]): Promise<never> {
  return runCli(
    getSpec,
    async (values, positionals) => {
      const id = printerIdArgument(positionals, getSpec.usage);
      const target = resolveTableTarget(values);
      const client = new DynamoDBClient(target.clientConfig);
      let item: Record<string, unknown>;
      try {
        const { Item } = await client.send(
          new GetItemCommand({ TableName: target.tableName, Key: { [ATTR.printerId]: { S: id } }, ConsistentRead: true }),
        );
        if (Item === undefined) throw new CliError(`no printer "${id}" in table ${target.tableName} at ${target.where}`);
        item = fromItem(Item);
      } catch (error) {
        if (error instanceof CliError) throw error;
        throw describeTableError(error, target);
      } finally {
        client.destroy();
      }
      const parsed = parseProfile(item);
      const pending = item[ATTR.pendingEvents];
      const report = {
        profile: { PrinterId: id, Thresholds: item[ATTR.thresholds], Window: item[ATTR.window] },
        counters: { OutOfBoundsCount: item[ATTR.outOfBoundsCount] ?? 0, EventCount: item[ATTR.eventCount] ?? 0 },
        bookkeeping: {
          LastValue: item[ATTR.lastValue],
          LastSeenAt: item[ATTR.lastSeenAt],
          LastEventAt: item[ATTR.lastEventAt],
          LastSeq: item[ATTR.lastSeq],
          PendingEvents: pending instanceof Set ? pending.size : 0,
        },
        ...(parsed.ok ? {} : { configurationError: parsed.reason }),
      };
      if (values.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const thresholds = item[ATTR.thresholds] as Record<string, unknown> | undefined;
      const rows: [string, unknown][] = [
        [
          'Thresholds',
          thresholds && typeof thresholds === 'object'
            ? `Lower ${show(thresholds[ATTR.lower])}, Upper ${show(thresholds[ATTR.upper])}`
            : undefined,
        ],
        ['Window', report.profile.Window],
        ...Object.entries(report.counters),
        ...Object.entries(report.bookkeeping),
      ];
      const lines = [id, ...rows.map(([name, value]) => `  ${name.padEnd(17)} ${show(value)}`)];
      if (!parsed.ok) lines.push(`  configuration error: ${parsed.reason}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    },
    argv,
  );
}

async function setCommand(argv: string[]): Promise<never> {
  return runCli(
    setSpec,
    async (values, positionals) => {
      const flags = [values.lower, values.upper, values.window];
      let source: ProfileSource;
      if (values.file !== undefined) {
        if (positionals.length > 0 || flags.some((flag) => flag !== undefined)) {
          throw new UsageError('give PRINTER_ID with --lower, --upper and --window, or --file FILE, not both');
        }
        source = await readSource({ file: values.file });
      } else {
        const id = printerIdArgument(positionals, setSpec.usage);
        if (flags.some((flag) => flag === undefined))
          throw new UsageError('set PRINTER_ID needs --lower, --upper and --window (or --file FILE)');
        source = {
          value: {
            PrinterId: id,
            Thresholds: { Lower: numberFlag(values.lower), Upper: numberFlag(values.upper) },
            Window: numberFlag(values.window),
          },
        };
      }
      const target = resolveTableTarget(values);
      const profiles = validProfiles(source);
      if (profiles === undefined) return 1;
      if (profiles.length === 0) {
        process.stdout.write(`${source.name ?? 'set'}: no profiles, nothing written\n`);
        return 0;
      }
      const client = new DynamoDBClient(target.clientConfig);
      try {
        const written = await writeProfiles(client, target.tableName, profiles);
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
