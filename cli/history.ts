/**
 * `npm run history`: anomaly events and alarm transitions, newest first, of
 * one printer or the whole fleet, through the operator API (following its
 * pages until `--limit` items).
 */
import type { HistoryItem } from '../contract/index.ts';
import { API_TARGET_HELP, API_TARGET_OPTIONS, API_TARGET_RULE, callApi, resolveApiTarget } from './api-client.ts';
import { intOption, runCli, UsageError } from './kit.ts';
import { timeOption } from './time-options.ts';

const spec = {
  usage: 'npm run history -- [PrinterId] [--since TIME] [--until TIME] [--limit N] [--json]',
  summary:
    "Lists anomaly events and alarm transitions, newest first: one printer's, or with no PrinterId the whole fleet's. " +
    'Times are ISO-8601 or epoch milliseconds.',
  options: {
    since: { type: 'string' },
    until: { type: 'string' },
    limit: { type: 'string', short: 'n' },
    json: { type: 'boolean' },
    ...API_TARGET_OPTIONS,
  },
  help: {
    since: 'only items at or after this time',
    until: 'only items at or before this time',
    limit: 'at most N items (default 50)',
    json: 'print JSON (an array of items: the published payload plus Type) for scripts',
    ...API_TARGET_HELP,
  },
  allowPositionals: true,
  targetRule: API_TARGET_RULE,
} as const;

/** One item as a line: time, printer, and what happened. */
export function historyLine(item: HistoryItem): string {
  if (item.Type === 'event') {
    const what = item.metrics
      ? Object.entries(item.metrics)
          .map(([m, v]) => `${m}=${v}`)
          .join(' ')
      : `value=${item.value ?? '?'}`;
    return `${item.at}  ${item.PrinterId}  event #${item.events}  ${what}${item.severity ? ` (${item.severity})` : ''}`;
  }
  const note = item.Note ? `  "${item.Note}"` : '';
  return `${item.At}  ${item.PrinterId}  ${item.From} -> ${item.To}  ${item.Cause}${item.Severity ? ` (${item.Severity})` : ''} by ${item.By}${note}`;
}

await runCli(spec, async (values, positionals) => {
  const [printerId, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}" (see --help)`);
  const limit = intOption('limit', values.limit, { min: 1, max: 10_000 }) ?? 50;
  const since = timeOption('since', values.since);
  const until = timeOption('until', values.until);
  if (since !== undefined && until !== undefined && since > until) throw new UsageError('--since is after --until');
  const target = resolveApiTarget(values);
  const base = printerId === undefined ? '/api/events' : `/api/printers/${encodeURIComponent(printerId)}/history`;
  const items: HistoryItem[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: String(Math.min(100, limit - items.length)) });
    if (since !== undefined) query.set('since', new Date(since).toISOString());
    if (until !== undefined) query.set('until', new Date(until).toISOString());
    if (cursor) query.set('cursor', cursor);
    const page: { items: HistoryItem[]; next: string | null } = await callApi(target, 'GET', `${base}?${query}`);
    items.push(...page.items);
    cursor = page.next;
  } while (cursor && items.length < limit);
  if (values.json) process.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
  else process.stdout.write(items.length === 0 ? 'No history.\n' : `${items.map(historyLine).join('\n')}\n`);
  return 0;
});
