/**
 * `npm run alarm`: lists printers' alarms and acts on one (acknowledge,
 * snooze, disable, enable, reset), through the operator API: the same
 * action code and the same refusals as the API and the dashboard. The
 * deployed API records who acted as the caller's IAM ARN; the twin, `local`.
 */
import { alarmBadges, snoozeText } from '../dashboard/alarm-text.js';
import { ALARM_LISTING_ORDER, type AlarmSummary, MAX_BULK_PRINTERS, type PrinterSummary } from '../contract/index.ts';
import type { PrinterDetail } from '../lambda/api/operations.ts';
import { API_TARGET_HELP, API_TARGET_OPTIONS, API_TARGET_RULE, callApi, resolveApiTarget } from './api-client.ts';
import { runCli, UsageError } from './kit.ts';
import { spanOption, timeOption } from './time-options.ts';

const ACTIONS = {
  ack: 'acknowledge',
  acknowledge: 'acknowledge',
  snooze: 'snooze',
  disable: 'disable',
  enable: 'enable',
  reset: 'reset',
} as const;
const STATES: readonly string[] = ALARM_LISTING_ORDER;

const spec = {
  usage:
    'npm run alarm -- <list|show|ack|snooze|disable|enable|reset> [PrinterId] [more PrinterIds] [--note TEXT] [--until TIME | --for 30m] [--state S] [--json]',
  summary:
    "Reads and acts on printers' alarms. list: the alarms that are not NORMAL (or in --state S), ACTIVE first. show ID: one " +
    "printer's alarm and profile. ack|snooze|disable|enable|reset ID [ID ...]: the action, with an optional --note; snooze needs " +
    '--until TIME or --for SPAN. An action that does not apply to the alarm now is refused with the reason (exit 1). Given ' +
    'several printers, each alarm gets its own transition with the one note, one line per printer is printed, and it exits 1 ' +
    'if any was refused.',
  options: {
    note: { type: 'string' },
    until: { type: 'string' },
    for: { type: 'string' },
    state: { type: 'string' },
    json: { type: 'boolean' },
    ...API_TARGET_OPTIONS,
  },
  help: {
    note: 'a note recorded with the action (who acted is recorded too)',
    until: 'snooze until this time (ISO-8601 or epoch ms)',
    for: 'snooze for this long from now: 90s, 30m, 2h, 1d',
    state: `list only alarms in this state (${STATES.join(', ')})`,
    json: 'print JSON for scripts',
    ...API_TARGET_HELP,
  },
  allowPositionals: true,
  targetRule: API_TARGET_RULE,
} as const;

/** When a snoozed alarm's snooze ends, worded as the dashboard words it. */
const snoozed = (alarm: AlarmSummary): string | undefined => (alarm.Until ? snoozeText(alarm.Until, Date.now()) : undefined);

function alarmLine(id: string, alarm: AlarmSummary): string {
  const { severity, cause } = alarmBadges(alarm);
  const until = snoozed(alarm);
  return `${id}: ${alarm.State}${severity ? ` (${severity})` : ''}${cause ? `, cause ${cause}` : ''}${alarm.Since ? `, since ${alarm.Since}` : ''}${until ? `, ${until}` : ''}`;
}

function renderAlarms(printers: readonly PrinterSummary[]): string {
  if (printers.length === 0) return 'No alarms.';
  const width = (f: (p: PrinterSummary) => string, title: string) => Math.max(title.length, ...printers.map((p) => f(p).length));
  const cols: [string, (p: PrinterSummary) => string][] = [
    ['Printer', (p) => p.PrinterId],
    ['State', (p) => p.Alarm.State],
    ['Severity', (p) => alarmBadges(p.Alarm).severity ?? '-'],
    ['Cause', (p) => alarmBadges(p.Alarm).cause ?? '-'],
    ['Since', (p) => p.Alarm.Since ?? '-'],
    ['Events', (p) => String(p.EventCount)],
    // Who holds the alarm (acknowledged, snoozed or disabled it): the owner an operator looks for first.
    ['Owner', (p) => p.Alarm.By ?? '-'],
    ['Snooze', (p) => snoozed(p.Alarm) ?? '-'],
  ];
  const widths = cols.map(([title, f]) => width(f, title));
  const row = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [row(cols.map(([t]) => t)), ...printers.map((p) => row(cols.map(([, f]) => f(p))))].join('\n');
}

/** One bulk result as a line: the new alarm, or the printer and why it was refused. */
function resultLine(result: BulkResult): string {
  return result.alarm ? alarmLine(result.PrinterId, result.alarm) : `${result.PrinterId}: refused (${result.status}): ${result.error}`;
}

interface BulkResult {
  readonly PrinterId: string;
  readonly status: number;
  readonly alarm?: AlarmSummary;
  readonly error?: string;
}

await runCli(spec, async (values, positionals) => {
  const [command, id, ...extra] = positionals;
  if (command === undefined) throw new UsageError('say what to do: list, show, ack, snooze, disable, enable or reset (see --help)');
  const isAction = command in ACTIONS;
  if (extra.length > 0 && !isAction) throw new UsageError(`unexpected argument "${extra[0]}" (see --help)`);
  const target = resolveApiTarget(values);
  const path = (printerId: string) => `/api/printers/${encodeURIComponent(printerId)}`;

  if (command === 'list') {
    if (id !== undefined) throw new UsageError('list takes no PrinterId (use show ID)');
    if (values.state !== undefined && !STATES.includes(values.state))
      throw new UsageError(`--state must be one of ${STATES.join(', ')}, got "${values.state}"`);
    const query = values.state ? `?state=${values.state}` : '';
    const { printers } = await callApi<{ printers: PrinterSummary[] }>(target, 'GET', `/api/alarms${query}`);
    process.stdout.write(values.json ? `${JSON.stringify(printers, null, 2)}\n` : `${renderAlarms(printers)}\n`);
    return 0;
  }
  if (command !== 'show' && !(command in ACTIONS)) {
    throw new UsageError(`unknown command "${command}": list, show, ack, snooze, disable, enable or reset`);
  }
  if (id === undefined) throw new UsageError(`${command} needs a PrinterId`);
  if (command === 'show') {
    const detail = await callApi<PrinterDetail>(target, 'GET', path(id));
    process.stdout.write(
      values.json ? `${JSON.stringify(detail, null, 2)}\n` : `${alarmLine(id, detail.alarm)}\nprofile: ${JSON.stringify(detail.profile)}\n`,
    );
    return 0;
  }
  const action = ACTIONS[command as keyof typeof ACTIONS];
  if (action === undefined) throw new UsageError(`unknown command "${command}": list, show, ack, snooze, disable, enable or reset`);
  if (action !== 'snooze' && (values.until !== undefined || values.for !== undefined))
    throw new UsageError('--until and --for go with snooze only');
  let until: number | undefined;
  if (action === 'snooze') {
    if ((values.until === undefined) === (values.for === undefined))
      throw new UsageError('snooze needs --until TIME or --for SPAN (one of them)');
    until = timeOption('until', values.until) ?? Date.now() + (spanOption('for', values.for) ?? 0);
  }
  const body = {
    action,
    ...(values.note !== undefined ? { note: values.note } : {}),
    ...(until !== undefined ? { until: new Date(until).toISOString() } : {}),
  };
  if (extra.length === 0) {
    const alarm = await callApi<AlarmSummary>(target, 'POST', `${path(id)}/alarm`, body);
    process.stdout.write(values.json ? `${JSON.stringify(alarm, null, 2)}\n` : `${alarmLine(id, alarm)}\n`);
    return 0;
  }
  // Several printers: the bulk route, MAX_BULK_PRINTERS at a time; each alarm still gets its own transition.
  const ids = [id, ...extra];
  const twice = ids.find((each, index) => ids.indexOf(each) !== index);
  if (twice !== undefined) throw new UsageError(`printer "${twice}" is named more than once`);
  const results: BulkResult[] = [];
  for (let i = 0; i < ids.length; i += MAX_BULK_PRINTERS) {
    const printers = ids.slice(i, i + MAX_BULK_PRINTERS);
    const reply = await callApi<{ results: BulkResult[] }>(target, 'POST', '/api/alarms/actions', { printers, ...body });
    results.push(...reply.results);
    if (!values.json) process.stdout.write(reply.results.map((r) => `${resultLine(r)}\n`).join(''));
  }
  if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  const refused = results.filter((r) => r.status !== 200).length;
  if (refused > 0) process.stderr.write(`npm run alarm: ${refused} of ${results.length} refused\n`);
  return refused > 0 ? 1 : 0;
});
