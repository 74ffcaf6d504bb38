/**
 * `npm run seed`: writes printer profiles into the deployed table or the local
 * twin. Each profile replaces the printer's, judged first with the fleet
 * defaults (the file's `*`, else the table's): nothing is written if any is
 * refused; counters of existing printers are never reset.
 */
import { CliError, runCli, TARGET_RULE } from './kit.ts';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { fromItem } from '../lambda/adapters/dynamodb-values.ts';
import { ATTR, FLEET_DEFAULTS_ID } from '../contract/index.ts';
import { describeTableError, resolveTableTarget, TABLE_TARGET_ALIASES, TABLE_TARGET_HELP, TABLE_TARGET_OPTIONS } from './aws-target.ts';
import { seedProfiles } from '../lambda/adapters/profile-writer.ts';
import { InvalidProfileError } from '../lambda/errors.ts';
import { loadProfilesFile, ProfilesFileError } from '../twin/profiles-file.ts';

const DEFAULT_FILE = 'data/printer_profiles.json';

const spec = {
  usage: 'npm run seed -- [--file data/printer_profiles.json] [--table NAME] [--region R] [--endpoint URL]',
  summary:
    'Writes printer profiles (a JSON array of {PrinterId, Thresholds: {Lower, Upper}, Window, ...}) into the ' +
    "profiles table. Each replaces the printer's profile, judged first with the fleet defaults (the file's *, else the " +
    "table's); nothing is written when any is refused. OutOfBoundsCount and EventCount are created at 0 only when " +
    'missing, so seeding again never resets a counter; the alarm and bookkeeping are kept. (npm run profile -- set ' +
    'changes single attributes instead.)',
  options: {
    file: { type: 'string', short: 'f' },
    ...TABLE_TARGET_OPTIONS,
  },
  help: {
    file: `the profiles file (default ${DEFAULT_FILE})`,
    ...TABLE_TARGET_HELP,
  },
  aliases: TABLE_TARGET_ALIASES,
  targetRule: TARGET_RULE,
} as const;

/** The table's fleet defaults (`*`), which the file's profiles inherit unless it brings its own. */
async function storedDefaults(client: DynamoDBClient, tableName: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await client.send(
    new GetItemCommand({ TableName: tableName, Key: { [ATTR.printerId]: { S: FLEET_DEFAULTS_ID } }, ConsistentRead: true }),
  );
  return Item === undefined ? undefined : fromItem(Item);
}

await runCli(spec, async (values) => {
  const file = values.file ?? DEFAULT_FILE;
  const target = resolveTableTarget(values);
  const client = new DynamoDBClient(target.clientConfig);
  try {
    const defaults = await storedDefaults(client, target.tableName);
    const profiles = await loadProfilesFile(file, defaults === undefined ? {} : { defaults });
    const { written } = await seedProfiles(client, target.tableName, profiles);
    process.stdout.write(`seeded ${written} profile(s) into ${target.tableName} at ${target.where}\n`);
  } catch (error) {
    if (error instanceof ProfilesFileError) throw new CliError(error.message);
    if (error instanceof InvalidProfileError) throw new CliError(`${file}: ${error.message}; nothing written`);
    throw describeTableError(error, target);
  } finally {
    client.destroy();
  }
});
