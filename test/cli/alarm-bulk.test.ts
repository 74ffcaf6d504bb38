/**
 * `npm run alarm -- ack A B C --note x` and the other actions on several
 * printers, against a running twin found in the working folder: one bulk
 * request, each alarm its own transition with the one note, one line per
 * printer in the order given, and exit 1 when any was refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../contract/index.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { Device, historyOf, historyTransitions } from '../support/alarms.ts';
import { runCliProcess } from '../support/twin.ts';

let dir: string;
let cwd: string;
let twin: Twin;

const alarm = (...args: string[]) => runCliProcess('cli/alarm.ts', args, { cwd, killAfterMs: 60_000, env: { TZ: 'UTC' } });
const profile = (PrinterId: string): ProfileInput => ({ PrinterId, Thresholds: { Lower: 20, Upper: 80 }, Window: 1 });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-alarm-bulk-'));
  cwd = join(dir, 'work');
  twin = await startTwin({ stateDir: join(cwd, '.local', 'state'), sweepSeconds: 0, logFile: false });
  await twin.seed(['Hot1', 'Hot2', 'Calm1'].map(profile));
  const device = new Device(twin);
  await device.send('Hot1', 95);
  await device.send('Hot2', 96);
  await device.send('Calm1', 50);
});

afterAll(async () => {
  await twin?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run alarm -- <action> on several printers', () => {
  it('acts on each alarm with the one note, prints one line per printer in order, and exits 1 when any is refused', async () => {
    const run = await alarm('ack', 'Hot2', 'Calm1', 'Hot1', '--note', 'nozzles');
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^Hot2: ACKNOWLEDGED \(major\), cause acknowledge, since /);
    expect(lines[1]).toBe('Calm1: refused (409): alarm is NORMAL; acknowledge applies to ACTIVE or LATCHED');
    expect(lines[2]).toMatch(/^Hot1: ACKNOWLEDGED \(major\), cause acknowledge, since /);
    expect(run.stderr).toBe('npm run alarm: 1 of 3 refused\n');
    for (const id of ['Hot1', 'Hot2']) {
      expect(historyTransitions(await historyOf(twin, id)).at(-1)).toMatchObject({ To: 'ACKNOWLEDGED', Note: 'nozzles', By: 'local' });
    }
  });

  it('exits 0 when every alarm took the action; --json prints the results', async () => {
    const run = await alarm('reset', 'Hot1', 'Hot2', '--json');
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual([
      { PrinterId: 'Hot1', status: 200, alarm: expect.objectContaining({ State: 'NORMAL', Cause: 'reset' }) },
      { PrinterId: 'Hot2', status: 200, alarm: expect.objectContaining({ State: 'NORMAL', Cause: 'reset' }) },
    ]);
  });

  it('a printer named twice, or several printers for show, is a mistake on the command line (exit 2), and changes nothing', async () => {
    const before = await twin.fleet.alarms();
    const twice = await alarm('disable', 'Hot1', 'Hot1');
    expect({ code: twice.code, stdout: twice.stdout, stderr: twice.stderr }).toEqual({
      code: 2,
      stdout: '',
      stderr: 'npm run alarm: printer "Hot1" is named more than once\n',
    });
    const show = await alarm('show', 'Hot1', 'Hot2');
    expect({ code: show.code, stderr: show.stderr }).toEqual({
      code: 2,
      stderr: 'npm run alarm: unexpected argument "Hot2" (see --help)\n',
    });
    expect(await twin.fleet.alarms()).toEqual(before);
  });
});
