/**
 * `npm run import -- iot-events ... --write` as a user runs it, against a
 * running twin: the profiles land in the table through the one writer, then
 * readings over MQTT raise exactly the alarms the report promised (a keyed
 * model on the fleet defaults enrols new printers with a latching critical
 * alarm; a model that starts disabled leaves the printers it creates
 * DISABLED until enabled).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { Device, type BrokerWatch, watchBroker } from '../support/alarms.ts';
import { runCliProcess } from '../support/twin.ts';

let dir: string;
let twin: Twin;
let device: Device;
let watch: BrokerWatch;

const FIXTURES = 'test/importer/fixtures';
const importer = (...args: string[]) =>
  runCliProcess('cli/import.ts', ['iot-events', ...args, '--endpoint', twin.dynamoDbEndpoint, '--api-url', twin.httpUrl], {
    cwd: dir,
    killAfterMs: 60_000,
  });
const fixture = (name: string) => join(process.cwd(), FIXTURES, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-import-'));
  twin = await startTwin({ stateDir: join(dir, 'state'), sweepSeconds: 0, logFile: false });
  watch = await watchBroker(twin);
  device = new Device(twin);
});

afterAll(async () => {
  await watch?.close();
  await twin?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function stateOf(printerId: string) {
  const detail = await twin.fleet.printer(printerId);
  return detail === undefined ? undefined : { state: detail.alarm.State, severity: detail.alarm.Severity };
}

describe('npm run import -- iot-events --write, then readings', () => {
  it('prints without --write and writes nothing', async () => {
    const result = await importer(fixture('alarm-ack.json'));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('exact         alarmCapabilities.acknowledgeFlow.enabled: true -> Latch true');
    expect(await twin.fleet.printer('*')).toBeUndefined();
  });

  it('a keyed model with the acknowledge flow: enrolled printers alarm critical, latch, and need acknowledge', async () => {
    const result = await importer(fixture('alarm-ack.json'), '--write');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('wrote 1 profile(s)');

    await device.send('Fresh1', { temperature: 250 });
    expect(await stateOf('Fresh1')).toEqual({ state: 'ACTIVE', severity: 'critical' });
    await device.send('Fresh1', { temperature: 200 });
    expect(await stateOf('Fresh1')).toEqual({ state: 'LATCHED', severity: 'critical' });
    const acked = await twin.fleet.act('Fresh1', { action: 'acknowledge', by: 'local' });
    expect(acked.ok).toBe(true);
    expect((await stateOf('Fresh1'))?.state).toBe('NORMAL');
    await watch.settle();
    expect(watch.transitions('Fresh1').map((t) => `${t.From}->${t.To} ${t.Cause}`)).toEqual([
      'NORMAL->ACTIVE threshold',
      'ACTIVE->LATCHED clear',
      'LATCHED->NORMAL acknowledge',
    ]);
  });

  it('a model that starts disabled, over a key map: the printers it creates start DISABLED; enabled, they alarm', async () => {
    const result = await importer(fixture('alarm-disabled.json'), '--key-map', fixture('key-map.json'), '--write');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Printer2: DISABLED (disabledOnInitialization)');
    for (const id of ['Printer1', 'Printer2', 'Printer3']) expect((await stateOf(id))?.state).toBe('DISABLED');

    await device.send('Printer1', { chamber: 75 });
    expect((await stateOf('Printer1'))?.state).toBe('DISABLED');
    expect((await twin.fleet.act('Printer1', { action: 'enable', by: 'local' })).ok).toBe(true);
    await device.send('Printer1', { chamber: 75 });
    expect(await stateOf('Printer1')).toEqual({ state: 'ACTIVE', severity: 'major' });

    // Importing again keeps the alarms: an existing printer is not disabled again.
    const again = await importer(fixture('alarm-disabled.json'), '--key-map', fixture('key-map.json'), '--write');
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('DISABLED (disabledOnInitialization)');
    expect((await stateOf('Printer1'))?.state).toBe('ACTIVE');
  });
});

describe('npm run import -- --exact-bounds --write', () => {
  it('<= 50 becomes Lower 50.00000000000001, stored as written: exactly 50 alarms, the next number up does not', async () => {
    // Keyed onto one printer of its own: the fleet defaults are cached by the function for a while.
    const model = JSON.parse(readFileSync(fixture('alarm-no-ack.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'bed-keyed.json'), JSON.stringify({ ...model, key: 'printerId' }));
    writeFileSync(join(dir, 'edge-map.json'), JSON.stringify({ 'dev-7': 'Edge1' }));
    const result = await importer(join(dir, 'bed-keyed.json'), '--key-map', join(dir, 'edge-map.json'), '--exact-bounds', '--write');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await twin.fleet.printer('Edge1'))?.profile).toMatchObject({ Thresholds: { bed: { Lower: 50.00000000000001 } } });
    await device.send('Edge1', { bed: 50 });
    expect(await stateOf('Edge1')).toEqual({ state: 'ACTIVE', severity: 'minor' });
    await device.send('Edge1', { bed: 50.00000000000001 });
    expect((await stateOf('Edge1'))?.state).toBe('NORMAL');
  });
});

describe('npm run import -- --write with a file it cannot read', () => {
  it('writes nothing and exits 1', async () => {
    const folder = join(dir, 'models');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a-unread.json'), '{"not": "a model"}');
    const model = JSON.parse(readFileSync(fixture('alarm-keyed-fleet.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(folder, 'b-model.json'), JSON.stringify(model));
    writeFileSync(join(dir, 'unseen-map.json'), JSON.stringify({ 'dev-9': 'Unseen1' }));
    const result = await importer(folder, '--key-map', join(dir, 'unseen-map.json'), '--write');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('npm run import: nothing written: 1 file(s) or part(s) could not be read (above)\n');
    expect(result.stdout).toContain('not read: ');
    expect(await twin.fleet.printer('Unseen1')).toBeUndefined();
  });
});

describe('npm run import: mistakes are one line', () => {
  const plain = (...args: string[]) => runCliProcess('cli/import.ts', args, { cwd: dir, killAfterMs: 60_000 });

  it('a wrong source, no file, a bad --severity-map or --key-map: exit 2; a missing file: exit 1', async () => {
    expect(await plain('sitewise', 'x.json')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'npm run import: expected the source "iot-events", got "sitewise"\n',
    });
    expect(await plain('iot-events')).toEqual({ code: 2, stdout: '', stderr: 'npm run import: give at least one FILE or FOLDER\n' });
    const severity = await plain('iot-events', fixture('alarm-ack.json'), '--severity-map', '1=critical');
    expect(severity).toEqual({
      code: 2,
      stdout: '',
      stderr: 'npm run import: --severity-map must start at 0 (every integer needs a severity)\n',
    });
    const keyMap = await plain('iot-events', fixture('alarm-ack.json'), '--key-map', fixture('alarm-ack.json'));
    expect(keyMap.code).toBe(2);
    expect(keyMap.stderr).toMatch(/^npm run import: .*alarm-ack\.json: key "severity": PrinterId must be a string\n$/);
    expect(await plain('iot-events', 'nowhere.json')).toEqual({
      code: 1,
      stdout: '',
      stderr: 'npm run import: nowhere.json: no such file or folder\n',
    });
  });

  it('--json prints the profiles, the printers that start disabled and the report; --severity-map changes the severity', async () => {
    const result = await plain('iot-events', fixture('alarm-ack.json'), '--json', '--severity-map', '0=warning');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as {
      profiles: unknown[];
      startDisabled: string[];
      report: { status: string }[];
      problems: string[];
    };
    expect(json.profiles).toEqual([
      { PrinterId: '*', Thresholds: { temperature: { Upper: 240 } }, Window: 1, Severity: 'warning', Latch: true, Enrol: true },
    ]);
    expect(json.startDisabled).toEqual([]);
    expect(json.problems).toEqual([]);
    expect(json.report.length).toBeGreaterThan(0);
  });
});
