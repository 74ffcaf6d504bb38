/**
 * `npm run alarm` as a user runs it, against a running twin: found through
 * the discovery file of the twin's default state folder in the working
 * folder, or given with `--api-url`. Listing, showing, acting, the refusals
 * (exit 1 with the API's reason) and mistakes on the command line (exit 2),
 * each a single line and never a stack trace.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmSummary, HistoryItem, PrinterSummary, ProfileInput } from '../../contract/index.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { Device } from '../support/alarms.ts';
import { type CliResult, runCliProcess } from '../support/twin.ts';

const MINUTE = 60_000;

let dir: string;
let cwd: string;
let twin: Twin;

/** `npm run alarm -- ...args` in the working folder the twin was started in (no flags needed to find it). */
const alarm = (...args: string[]) => runCliProcess('cli/alarm.ts', args, { cwd, killAfterMs: 60_000, env: { TZ: 'UTC' } });
/** `HH:MM` of an ISO time in UTC (the CLIs above run with TZ=UTC). */
const hhmm = (iso: string) => iso.slice(11, 16);
const history = (...args: string[]) => runCliProcess('cli/history.ts', args, { cwd, killAfterMs: 60_000 });

const profile = (PrinterId: string, extra: Partial<ProfileInput> = {}): ProfileInput => ({
  PrinterId,
  Thresholds: { Lower: 20, Upper: 80 },
  Window: 1,
  ...extra,
});

async function act(printerId: string, request: Omit<Parameters<Twin['fleet']['act']>[1], 'by'>) {
  const result = await twin.fleet.act(printerId, { by: 'local', ...request });
  if (!result.ok) throw new Error(`${request.action} ${printerId} refused: ${result.reason}`);
}

async function alarmOf(printerId: string): Promise<AlarmSummary> {
  return (await twin.fleet.printer(printerId))!.alarm;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-alarm-'));
  cwd = join(dir, 'work');
  // Where `npm run local` keeps its state by default, relative to the working folder: the CLIs look there.
  twin = await startTwin({ stateDir: join(cwd, '.local', 'state'), sweepSeconds: 0, logFile: false });
  await twin.seed(
    [
      profile('Active1'),
      profile('Acked1'),
      profile('Latched1', { Latch: true }),
      profile('Off1'),
      profile('Snoozed1'),
      profile('Quiet1'),
      profile('Ack2', { Severity: 'critical' }),
      profile('Snooze2'),
    ].map((p) => p),
  );
  const device = new Device(twin);
  await device.send('Active1', 95);
  await device.send('Acked1', 96);
  await device.send('Latched1', 97, 50);
  await device.send('Ack2', 98);
  await device.send('Snooze2', 99);
  await device.send('Quiet1', 50);
  await act('Acked1', { action: 'acknowledge' });
  await act('Off1', { action: 'disable' });
  await act('Snoozed1', { action: 'snooze', until: Date.now() + 24 * 60 * MINUTE });
});

afterAll(async () => {
  await twin?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A CLI that failed as a user should see it: the exit code, nothing on stdout, exactly one line on stderr. */
function expectOneLineFailure(result: CliResult, code: number, line: string | RegExp): void {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code, stdout: '' });
  expect(result.stderr.endsWith('\n')).toBe(true);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  if (typeof line === 'string') expect(result.stderr).toBe(`${line}\n`);
  else expect(result.stderr).toMatch(line);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('npm run alarm -- list', () => {
  it('prints the alarms that are not NORMAL as a table, ACTIVE, LATCHED, ACKNOWLEDGED, SNOOZE_DISABLED, DISABLED', async () => {
    const run = await alarm('list');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const [header, ...rows] = run.stdout.trimEnd().split('\n');
    expect(header!.split(/\s+/)).toEqual(['Printer', 'State', 'Severity', 'Cause', 'Since', 'Events', 'Owner', 'Snooze']);
    const cells = rows.map((row) => row.split(/\s+/));
    expect(cells.map((c) => c.slice(0, 4))).toEqual([
      ['Ack2', 'ACTIVE', 'critical', 'threshold'],
      ['Active1', 'ACTIVE', 'major', 'threshold'],
      ['Snooze2', 'ACTIVE', 'major', 'threshold'],
      ['Latched1', 'LATCHED', 'major', 'threshold'],
      ['Acked1', 'ACKNOWLEDGED', 'major', 'acknowledge'],
      ['Snoozed1', 'SNOOZE_DISABLED', '-', 'snooze'],
      ['Off1', 'DISABLED', '-', 'disable'],
    ]);
    const snoozed = await alarmOf('Snoozed1');
    expect(rows.find((row) => row.startsWith('Snoozed1'))).toMatch(
      // A day ahead: its date in the one time format (`dashboard/time.js`), then the time.
      new RegExp(`  snoozed until \\d{1,2} [A-Z][a-z]{2}( \\d{4})? ${hhmm(snoozed.Until!)} \\(in (1 d|23 h 59 min)\\)$`),
    );
    expect(rows.filter((row) => row.includes('snoozed until'))).toHaveLength(1);
    const active1 = await alarmOf('Active1');
    expect(cells[1]).toEqual(['Active1', 'ACTIVE', 'major', 'threshold', active1.Since, '1', '-', '-']);
    // The owner is who holds the alarm: `local` on the twin for the acknowledged, snoozed and disabled ones.
    expect(cells.map((c) => c[6])).toEqual(['-', '-', '-', '-', 'local', 'local', 'local']);
    // Columns line up: every row starts each column where the header does.
    const starts = (line: string) => [...line.matchAll(/(^|\s{2,})(\S)/g)].map((m) => m.index! + m[1]!.length);
    for (const row of rows) expect(starts(row)).toEqual(starts(header!));
  });

  it('--json prints the summaries the API lists, in the same order; --state filters', async () => {
    const run = await alarm('list', '--json');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const printers = JSON.parse(run.stdout) as PrinterSummary[];
    expect(printers).toEqual(await twin.fleet.alarms());
    expect(printers.map((p) => p.PrinterId)).not.toContain('Quiet1');

    const latched = await alarm('list', '--state', 'LATCHED', '--json');
    expect(latched.code).toBe(0);
    expect((JSON.parse(latched.stdout) as PrinterSummary[]).map((p) => p.PrinterId)).toEqual(['Latched1']);
  });

  it('--api-url reaches the twin from any folder; an API that is not there is one line, exit 1', async () => {
    const run = await runCliProcess('cli/alarm.ts', ['list', '--json', '--api-url', twin.httpUrl], { cwd: dir, killAfterMs: 60_000 });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual(await twin.fleet.alarms());

    const port = await closedPort();
    const down = await runCliProcess('cli/alarm.ts', ['list', '--api-url', `http://127.0.0.1:${port}`], { cwd: dir, killAfterMs: 60_000 });
    expectOneLineFailure(down, 1, `npm run alarm: cannot reach the API at http://127.0.0.1:${port} (connection refused)`);
  });
});

describe('npm run alarm -- show', () => {
  it("prints one printer's alarm and its profile", async () => {
    const run = await alarm('show', 'Latched1');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const since = (await alarmOf('Latched1')).Since;
    const [line, profileLine] = run.stdout.trimEnd().split('\n');
    // A latched alarm shows the threshold that raised it, not the clear that latched it.
    expect(line).toBe(`Latched1: LATCHED (major), cause threshold, since ${since}`);
    expect(JSON.parse(profileLine!.replace(/^profile: /, ''))).toMatchObject({
      PrinterId: 'Latched1',
      Thresholds: { Lower: 20, Upper: 80 },
      Window: 1,
      Latch: true,
    });

    const json = await alarm('show', 'Quiet1', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      profile: { PrinterId: 'Quiet1' },
      alarm: { State: 'NORMAL', Severity: null, Cause: null, Since: null },
    });
  });
});

describe('npm run alarm -- <action>', () => {
  it('ack with --note acknowledges; history then shows who (local) and the note', async () => {
    const run = await alarm('ack', 'Ack2', '--note', 'belt replaced, watching it');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const acked = await alarmOf('Ack2');
    expect(acked).toMatchObject({ State: 'ACKNOWLEDGED', Severity: 'critical', Cause: 'acknowledge' });
    expect(run.stdout).toBe(`Ack2: ACKNOWLEDGED (critical), cause acknowledge, since ${acked.Since}\n`);

    const json = await history('Ack2', '--json');
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const [newest] = JSON.parse(json.stdout) as HistoryItem[];
    expect(newest).toEqual({
      Type: 'transition',
      PrinterId: 'Ack2',
      From: 'ACTIVE',
      To: 'ACKNOWLEDGED',
      Cause: 'acknowledge',
      Severity: 'critical',
      By: 'local',
      Note: 'belt replaced, watching it',
      At: acked.Since,
    });
    const text = await history('Ack2');
    expect(text.stdout.split('\n')[0]).toBe(
      `${acked.Since}  Ack2  ACTIVE -> ACKNOWLEDGED  acknowledge (critical) by local  "belt replaced, watching it"`,
    );
  });

  it('snooze --for 30m snoozes until 30 minutes from now: the sweep before then leaves it, the sweep after ends it', async () => {
    const before = Date.now();
    const run = await alarm('snooze', 'Snooze2', '--for', '30m');
    const after = Date.now();
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const snoozed = await alarmOf('Snooze2');
    expect(snoozed).toMatchObject({ State: 'SNOOZE_DISABLED', Cause: 'snooze' });
    expect(run.stdout).toBe(
      `Snooze2: SNOOZE_DISABLED (major), cause snooze, since ${snoozed.Since}, snoozed until ${hhmm(snoozed.Until!)} (in 30 min)\n`,
    );
    const shown = await alarm('show', 'Snooze2');
    expect(shown.stdout.split('\n')[0]).toMatch(new RegExp(`, snoozed until ${hhmm(snoozed.Until!)} \\(in (30|29) min\\)$`));

    await twin.sweep(new Date(before + 30 * MINUTE - 1));
    expect(await alarmOf('Snooze2')).toMatchObject({ State: 'SNOOZE_DISABLED' });
    await twin.sweep(new Date(after + 30 * MINUTE));
    expect(await alarmOf('Snooze2')).toMatchObject({ State: 'NORMAL', Cause: 'snooze-expired' });
  });

  it('an action that does not apply now is refused with the reason: exit 1, and nothing changes', async () => {
    expectOneLineFailure(await alarm('ack', 'Quiet1'), 1, 'npm run alarm: alarm is NORMAL; acknowledge applies to ACTIVE or LATCHED');
    expectOneLineFailure(
      await alarm('snooze', 'Off1', '--for', '1h'),
      1,
      'npm run alarm: alarm is DISABLED; snooze applies to any state but DISABLED',
    );
    expectOneLineFailure(await alarm('enable', 'Active1'), 1, 'npm run alarm: alarm is ACTIVE; enable applies to DISABLED');
    expectOneLineFailure(await alarm('ack', 'Nobody'), 1, 'npm run alarm: no printer "Nobody"');
    expect(await alarmOf('Quiet1')).toMatchObject({ State: 'NORMAL' });
    expect(await alarmOf('Off1')).toMatchObject({ State: 'DISABLED' });
    expect(await alarmOf('Active1')).toMatchObject({ State: 'ACTIVE' });
  });

  it('a mistake on the command line is one line, exit 2, and changes nothing', async () => {
    const before = await twin.fleet.alarms();
    const cases: [string[], string | RegExp][] = [
      [['frobnicate', 'Active1'], 'npm run alarm: unknown command "frobnicate": list, show, ack, snooze, disable, enable or reset'],
      [[], /^npm run alarm: say what to do: list, show, ack, snooze/],
      [['snooze', 'Active1'], 'npm run alarm: snooze needs --until TIME or --for SPAN (one of them)'],
      [
        ['snooze', 'Active1', '--until', 'tomorrow'],
        'npm run alarm: --until must be an ISO-8601 time or epoch milliseconds, got "tomorrow"',
      ],
      [['snooze', 'Active1', '--for', '30x'], 'npm run alarm: --for must be a span like 90s, 30m, 2h or 1d, got "30x"'],
      [['ack', 'Active1', '--until', '2030-01-01T00:00:00Z'], 'npm run alarm: --until and --for go with snooze only'],
      [['list', '--state', 'SLEEPY'], /^npm run alarm: --state must be one of ACTIVE, LATCHED, /],
      [['ack'], 'npm run alarm: ack needs a PrinterId'],
      [['list', '--frobnicate'], /^npm run alarm: Unknown option '--frobnicate'/],
      // Without a PrinterId too, the reason is that the command does not exist.
      [['frobnicate'], /^npm run alarm: unknown command "frobnicate"/],
    ];
    for (const [args, line] of cases) expectOneLineFailure(await alarm(...args), 2, line);
    expect(await twin.fleet.alarms()).toEqual(before);
  });

  it('--help says what it does and how, exit 0', async () => {
    const run = await alarm('--help');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Usage: npm run alarm -- <list\|show\|ack\|snooze\|disable\|enable\|reset> \[PrinterId\]/);
    for (const option of ['--note', '--until', '--for', '--state', '--json', '--api-url', '--help']) expect(run.stdout).toContain(option);
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
