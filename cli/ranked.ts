/**
 * `npm run ranked`: printers sorted by anomaly events (EventCount descending,
 * ties by PrinterId ascending), from the deployed table or the local twin.
 */
import { CliError, intOption, runCli, TARGET_RULE } from './kit.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describeTableError, resolveTableTarget, TABLE_TARGET_ALIASES, TABLE_TARGET_HELP, TABLE_TARGET_OPTIONS } from './aws-target.ts';
import { allPrinters, topPrinters } from '../lambda/adapters/ranking-query.ts';
import { renderRanking } from './ranking-table.ts';
import { fetchTwinHealth, findRunningTwin, pendingMessages, sameEndpoint } from '../twin/discovery.ts';
import { discoveryFiles } from '../twin/locate.ts';

const spec = {
  usage: 'npm run ranked -- [--top N] [--json] [--table NAME] [--region R] [--endpoint URL]',
  summary:
    'Lists printers by anomaly events, most first, ties by PrinterId. --top N reads the ranking index with one Query whatever the fleet ' +
    'size; only when fewer than N printers have an event does it Scan for zero-event ones. Without --top, ' +
    'every printer is listed (a full Scan).',
  options: {
    top: { type: 'string', short: 'n' },
    json: { type: 'boolean' },
    ...TABLE_TARGET_OPTIONS,
  },
  help: {
    top: 'only the N printers with the most events (one index Query)',
    json: 'print JSON (an array of {PrinterId, EventCount, LastEventAt?}) for scripts',
    ...TABLE_TARGET_HELP,
  },
  aliases: TABLE_TARGET_ALIASES,
  targetRule: TARGET_RULE,
} as const;

/**
 * The twin handles readings asynchronously: right after a replay, counts can
 * still be moving. When the table read is a running twin's (found through
 * its discovery file), says how many readings it has yet to handle.
 */
async function inFlightNote(endpoint: string | undefined, tableName: string): Promise<string | undefined> {
  if (endpoint === undefined) return undefined;
  const twin = findRunningTwin((record) => record.table === tableName && sameEndpoint(record.dynamodb, endpoint), discoveryFiles());
  if (twin === undefined) return undefined;
  const pending = await fetchTwinHealth(twin.http, 1_000).then(pendingMessages, () => 0);
  if (pending === 0) return undefined;
  return `note: ${pending} reading(s) still being processed by the twin; run again, or use npm run emit -- --wait`;
}

await runCli(spec, async (values) => {
  const top = intOption('top', values.top, { min: 1, max: 1_000_000 });
  const target = resolveTableTarget(values);
  const client = new DynamoDBClient(target.clientConfig);
  try {
    const printers = top !== undefined ? await topPrinters(client, target.tableName, top) : await allPrinters(client, target.tableName);
    process.stdout.write(values.json ? `${JSON.stringify(printers, null, 2)}\n` : `${renderRanking(printers)}\n`);
    const note = await inFlightNote(target.endpoint, target.tableName);
    if (note !== undefined) process.stderr.write(`${note}\n`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw describeTableError(error, target);
  } finally {
    client.destroy();
  }
});
