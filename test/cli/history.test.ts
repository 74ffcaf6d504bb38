/**
 * `npm run history` as a user runs it, against a running twin found through
 * its discovery file: a printer's or the fleet's anomaly events and alarm
 * transitions, newest first, following the API's pages up to `--limit`,
 * filtered by time; mistakes are one line with exit 2.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryItem } from '../../contract/index.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { Device, historyOf } from '../support/alarms.ts';
import { type CliResult, runCliProcess } from '../support/twin.ts';

let dir: string;
let cwd: string;
let twin: Twin;
/** Every history item of Busy1, then of the fleet, newest first, as the API pages them. */
let busy: HistoryItem[];
let fleetWide: HistoryItem[];

const history = (...args: string[]) => runCliProcess('cli/history.ts', args, { cwd, killAfterMs: 60_000 });
const timeOf = (item: HistoryItem) => (item.Type === 'event' ? item.at : item.At);
const json = (run: CliResult) => {
  expect(run).toMatchObject({ code: 0, stderr: '' });
  return JSON.parse(run.stdout) as HistoryItem[];
};

/** The whole fleet's history through the operator's operations, newest first. */
async function fleetHistory(): Promise<HistoryItem[]> {
  const items: HistoryItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await twin.fleet.events({ limit: 100, ...(cursor ? { cursor } : {}) });
    if (!('items' in page)) throw new Error(page.reason);
    items.push(...page.items);
    cursor = page.next ?? undefined;
  } while (cursor);
  return items;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-history-'));
  cwd = join(dir, 'work');
  twin = await startTwin({ stateDir: join(cwd, '.local', 'state'), sweepSeconds: 0, logFile: false });
  await twin.seed([
    { PrinterId: 'Busy1', Thresholds: { Lower: 20, Upper: 80 }, Window: 1 },
    { PrinterId: 'Calm1', Thresholds: { Lower: 20, Upper: 80 }, Window: 2 },
  ]);
  const device = new Device(twin);
  // 120 events and the activation: more than one page of the API (100 at most).
  await device.send('Busy1', ...Array.from({ length: 120 }, (_, i) => 81 + (i % 10)));
  await device.send('Calm1', 10, 10, 50);
  busy = (await historyOf(twin, 'Busy1')).reverse();
  fleetWide = await fleetHistory();
}, 120_000);

afterAll(async () => {
  await twin?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run history', () => {
  it("prints a printer's history newest first, following pages up to --limit", async () => {
    expect(busy).toHaveLength(121);
    const items = json(await history('Busy1', '--limit', '110', '--json'));
    expect(items).toEqual(busy.slice(0, 110));
    const times = items.map(timeOf);
    expect(times).toEqual([...times].sort().reverse());
    expect(items.filter((i) => i.Type === 'event').map((i) => (i.Type === 'event' ? i.events : 0))).toEqual(
      Array.from({ length: 110 }, (_, i) => 120 - i),
    );
    // The oldest item is the alarm's activation, with the first event.
    expect(json(await history('Busy1', '--limit', '1000', '--json'))).toEqual(busy);
    expect(busy.at(-2)).toMatchObject({ Type: 'transition', From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', By: 'detector' });
    expect(busy.at(-1)).toMatchObject({ Type: 'event', events: 1 });
  });

  it('prints one line per item for people, 50 by default', async () => {
    const run = await history('Busy1');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(50);
    const newest = busy[0]!;
    if (newest.Type !== 'event') throw new Error('the newest item should be an event');
    expect(lines[0]).toBe(`${newest.at}  Busy1  event #120  value=${newest.value}`);
    const none = await history('Calm1', '--since', new Date(Date.now() + 60_000).toISOString());
    expect(none).toMatchObject({ code: 0, stdout: 'No history.\n', stderr: '' });
  });

  it('--since and --until keep the items in that time range, bounds included', async () => {
    const since = timeOf(busy[20]!);
    const until = timeOf(busy[5]!);
    const inRange = (item: HistoryItem) => timeOf(item) >= since && timeOf(item) <= until;
    expect(json(await history('Busy1', '--since', since, '--until', until, '--json'))).toEqual(busy.filter(inRange));
    expect(json(await history('Busy1', '--since', String(Date.parse(since)), '--json'))).toEqual(
      busy.filter((item) => timeOf(item) >= since),
    );
  });

  it("with no PrinterId, prints the fleet's history newest first, across pages, --since filtering", async () => {
    expect(fleetWide.map((i) => i.PrinterId)).toContain('Calm1');
    expect(json(await history('--limit', '130', '--json'))).toEqual(fleetWide.slice(0, 130));
    const since = timeOf(fleetWide[10]!);
    const recent = json(await history('--since', since, '--json'));
    expect(recent).toEqual(fleetWide.filter((item) => timeOf(item) >= since).slice(0, 50));
    expect(recent.map((i) => i.PrinterId)).toContain('Calm1');
    const until = timeOf(fleetWide[10]!);
    expect(json(await history('--until', until, '--json'))).toEqual(fleetWide.filter((item) => timeOf(item) <= until).slice(0, 50));
  });

  it('a mistake is one line with exit 2; an unknown printer is exit 1', async () => {
    const cases: [string[], number, string][] = [
      [['--since', 'yesterday'], 2, 'npm run history: --since must be an ISO-8601 time or epoch milliseconds, got "yesterday"'],
      [['--limit', '0'], 2, 'npm run history: --limit must be a whole number from 1 to 10000, got "0"'],
      [['Busy1', '--since', '2030-01-02', '--until', '2030-01-01'], 2, 'npm run history: --since is after --until'],
      [['Busy1', 'Calm1'], 2, 'npm run history: unexpected argument "Calm1" (see --help)'],
      [['Ghost'], 1, 'npm run history: no printer "Ghost"'],
    ];
    for (const [args, code, line] of cases) {
      const run = await history(...args);
      expect(run).toEqual({ code, stdout: '', stderr: `${line}\n` });
    }
  });

  it('--help says what it does and how, exit 0', async () => {
    const run = await history('--help');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Usage: npm run history -- \[PrinterId\] \[--since TIME\] \[--until TIME\] \[--limit N\] \[--json\]/);
    expect(run.stdout).toContain('newest first');
    for (const option of ['--since', '--until', '--limit', '--json', '--api-url', '--help']) expect(run.stdout).toContain(option);
  });
});
