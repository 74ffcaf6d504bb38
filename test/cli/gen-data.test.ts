/**
 * The replay data generator: deterministic, printer-like, and rich enough
 * that every printer's stream produces anomaly events and near-misses (checked
 * with the independent model of `test/support/model.ts`); with `--scenario`,
 * multi-metric fleets; and the committed samples it made.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../contract/index.ts';
import { fleetProfiles, formatReadings, generateReadings, type GeneratedReading } from '../../emitter/generate.ts';
import { loadReadingsFile } from '../../emitter/readings-file.ts';
import { checkProfiles } from '../../lambda/core/profile-input.ts';
import { parseReading } from '../../lambda/core/reading.ts';
import { removeTempDirs, runCli, tempDir } from '../support/emitter.ts';
import { runModel, type ModelProfile } from '../support/model.ts';
import { byPrinter as streamsByPrinter, fleetModelRules, runPrinter } from '../emitter/sample-model.ts';

afterAll(removeTempDirs);

const profiles = JSON.parse(readFileSync('data/printer_profiles.json', 'utf8')) as ProfileInput[];

/** A profile of `data/printer_profiles.json`: every one has the original thresholds and a window. */
function original(p: ProfileInput): { Lower: number; Upper: number; Window: number } {
  const t = p.Thresholds as { Lower?: unknown; Upper?: unknown };
  if (typeof t.Lower !== 'number' || typeof t.Upper !== 'number' || p.Window === undefined)
    throw new Error(`${p.PrinterId} is not original`);
  return { Lower: t.Lower, Upper: t.Upper, Window: p.Window };
}

/** A generated reading's `data.value`: the original printers' readings always carry it. */
function valueIn(r: GeneratedReading): number {
  const value = r.data['value'];
  if (value === undefined) throw new Error(`${r.PrinterId} seq ${r.seq} has no data.value`);
  return value;
}

function modelOf(fleet: readonly ProfileInput[]): Record<string, ModelProfile> {
  return Object.fromEntries(
    fleet.map((p) => {
      const { Lower, Upper, Window } = original(p);
      return [p.PrinterId, { lower: Lower, upper: Upper, window: Window }];
    }),
  );
}

function byPrinter(readings: readonly GeneratedReading[]): Map<string, GeneratedReading[]> {
  const map = new Map<string, GeneratedReading[]>();
  for (const r of readings) map.set(r.PrinterId, [...(map.get(r.PrinterId) ?? []), r]);
  return map;
}

/** Maximal out-of-bounds runs shorter than the window, ended by an in-bounds value. */
function nearMisses(profile: ProfileInput, values: readonly number[]): number {
  const { Lower, Upper, Window } = original(profile);
  let run = 0;
  let count = 0;
  for (const v of values) {
    if (v < Lower || v > Upper) run++;
    else {
      if (run > 0 && run < Window) count++;
      run = 0;
    }
  }
  return count;
}

describe('generateReadings', () => {
  const readings = generateReadings({ profiles, readings: 4000, seed: 42 });

  it('is deterministic: same seed, same readings; another seed, other readings', () => {
    expect(generateReadings({ profiles, readings: 4000, seed: 42 })).toEqual(readings);
    const other = generateReadings({ profiles, readings: 4000, seed: 43 });
    expect(other).toHaveLength(4000);
    expect(other.map(valueIn)).not.toEqual(readings.map(valueIn));
  });

  it('shares the readings evenly, with valid payloads, per-printer seq from 1 and increasing timestamps', () => {
    expect(readings).toHaveLength(4000);
    for (const r of readings) expect(parseReading(r)).toMatchObject({ ok: true });
    const streams = byPrinter(readings);
    expect([...streams.keys()].sort()).toEqual(profiles.map((p) => p.PrinterId).sort());
    for (const stream of streams.values()) {
      expect([333, 334]).toContain(stream.length);
      expect(stream.map((r) => r.seq)).toEqual(stream.map((_, i) => i + 1));
      for (let i = 1; i < stream.length; i++) expect(stream[i]!.timestamp).toBeGreaterThan(stream[i - 1]!.timestamp);
    }
    for (let i = 1; i < readings.length; i++) expect(readings[i]!.timestamp).toBeGreaterThanOrEqual(readings[i - 1]!.timestamp);
  });

  it('gives every printer anomaly events, near-misses (window > 1), values exactly on a threshold, and mostly in-band values', () => {
    const { printers, events } = runModel(
      modelOf(profiles),
      readings.map((r) => ({ printerId: r.PrinterId, value: valueIn(r), seq: r.seq })),
    );
    const streams = byPrinter(readings);
    for (const profile of profiles) {
      const values = (streams.get(profile.PrinterId) ?? []).map(valueIn);
      const { Lower, Upper, Window } = original(profile);
      expect(printers[profile.PrinterId]?.eventCount, profile.PrinterId).toBeGreaterThanOrEqual(2);
      if (Window > 1) expect(nearMisses(profile, values), profile.PrinterId).toBeGreaterThanOrEqual(2);
      expect(values.filter((v) => v === Lower || v === Upper).length, profile.PrinterId).toBeGreaterThan(0);
      const inBand = values.filter((v) => v >= Lower && v <= Upper).length;
      expect(inBand / values.length, profile.PrinterId).toBeGreaterThan(0.6);
    }
    expect(events.length).toBeGreaterThan(profiles.length * 2);
  });

  it('derives profiles for printers beyond the profiles file, and only then', () => {
    expect(fleetProfiles(profiles, 12, 1)).toEqual(profiles);
    const fleet = fleetProfiles(profiles, 15, 1);
    expect(fleet.slice(0, 12)).toEqual(profiles);
    expect(fleet.slice(12).map((p) => p.PrinterId)).toEqual(['Printer13', 'Printer14', 'Printer15']);
    for (const p of fleet) expect(original(p).Lower).toBeLessThan(original(p).Upper);
    const generated = generateReadings({ profiles, printers: 15, readings: 1500, seed: 1 });
    expect(new Set(generated.map((r) => r.PrinterId)).size).toBe(15);
    // The printers of the profiles file keep their streams whatever the fleet size.
    const alone = generateReadings({ profiles: profiles.slice(0, 1), readings: 100, seed: 1 }).map(valueIn);
    const inFleet = generateReadings({ profiles, printers: 15, readings: 1500, seed: 1 })
      .filter((r) => r.PrinterId === 'Printer1')
      .map(valueIn);
    expect(inFleet).toEqual(alone);
  });

  it("the committed data/printer_iot_data.json is the generator's default output and loads as a replay file", async () => {
    const committed = await loadReadingsFile('data/printer_iot_data.json');
    expect(committed).toEqual(readings);
    expect(readFileSync('data/printer_iot_data.json', 'utf8')).toBe(formatReadings(readings));
  });
});

describe('npm run gen-data', () => {
  it('writes one reading per line and prints a per-printer summary; the same seed writes the same file', async () => {
    const dir = tempDir();
    const [first, second] = [join(dir, 'a.json'), join(dir, 'b.json')];
    const args = ['--readings', '600', '--seed', 'abc', '--profiles', join(process.cwd(), 'data/printer_profiles.json')];
    const [runA, runB] = await Promise.all([
      runCli('cli/gen-data.ts', [...args, '--out', first], { cwd: dir }),
      runCli('cli/gen-data.ts', [...args, '--out', second], { cwd: dir }),
    ]);
    expect(runA.code).toBe(0);
    expect(runB.code).toBe(0);
    const text = readFileSync(first, 'utf8');
    expect(readFileSync(second, 'utf8')).toBe(text);
    expect(text).toBe(formatReadings(generateReadings({ profiles, readings: 600, seed: 'abc' })));
    expect(text.split('\n')).toHaveLength(600 + 3); // '[', 600 readings, ']', final newline
    expect(runA.stdout).toContain(`${first}: 600 readings from 12 printers (seed abc)`);
    expect(runA.stdout).toMatch(/^Printer9 +1 +50 /m);
  });

  const profilesFile = join(process.cwd(), 'data/printer_profiles.json');

  it('refuses a bad --printers count first, in one line, whatever the output file', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data/printer_iot_data.json'), 'committed\n');
    const run = await runCli('cli/gen-data.ts', ['--profiles', profilesFile, '--printers', '0'], { cwd: dir });
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
      code: 2,
      stdout: '',
      stderr: 'npm run gen-data: --printers must be a whole number from 1 to 1000000, got "0"\n',
    });
    expect(readFileSync(join(dir, 'data/printer_iot_data.json'), 'utf8')).toBe('committed\n');
  });

  it('refuses to overwrite the default --out (the committed data/printer_iot_data.json) without --force', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data/printer_iot_data.json'), 'committed\n');
    const run = await runCli('cli/gen-data.ts', ['--profiles', profilesFile], { cwd: dir });
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: 'npm run gen-data: data/printer_iot_data.json exists: pass --force to overwrite it, or choose another --out\n',
    });
    expect(readFileSync(join(dir, 'data/printer_iot_data.json'), 'utf8')).toBe('committed\n');
  });

  it('overwrites an existing --out or --profiles-out only with --force, with the same bytes as a fresh file', async () => {
    const dir = tempDir();
    const [out, profilesOut] = [join(dir, 'readings.json'), join(dir, 'fleet.json')];
    writeFileSync(out, 'old\n');
    const refused = await runCli('cli/gen-data.ts', [
      '--profiles',
      profilesFile,
      '--readings',
      '120',
      '--out',
      join(dir, 'new.json'),
      '--profiles-out',
      out,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`npm run gen-data: ${out} exists: pass --force to overwrite it, or choose another --profiles-out\n`);
    const forced = await runCli('cli/gen-data.ts', [
      '--profiles',
      profilesFile,
      '--readings',
      '120',
      '--out',
      out,
      '--profiles-out',
      profilesOut,
      '--force',
    ]);
    expect(forced).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(out, 'utf8')).toBe(formatReadings(generateReadings({ profiles, readings: 120, seed: 42 })));
    expect(JSON.parse(readFileSync(profilesOut, 'utf8'))).toEqual(profiles);
  });

  it('--out - writes the readings to stdout, byte for byte, and the summary to stderr', async () => {
    const run = await runCli('cli/gen-data.ts', ['--profiles', profilesFile, '--readings', '240', '--seed', '7', '--out', '-']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(formatReadings(generateReadings({ profiles, readings: 240, seed: 7 })));
    expect(run.stderr).toMatch(/^stdout: 240 readings from 12 printers \(seed 7\)\n/);
  });

  it.each([
    ['a missing folder', '/nonexistent/x.json', 'cannot write /nonexistent/x.json: no such folder'],
    ['a file in the way of its folder', 'FILE/x.json', 'cannot write FILE/x.json: a file is in the way of its folder'],
    ['a folder', 'DIR', 'cannot write DIR: it is a folder'],
  ])('an --out in %s fails with one line, exit 1', async (_case, template, message) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    const out = template.replace('FILE', join(dir, 'file')).replace('DIR', dir);
    const run = await runCli('cli/gen-data.ts', ['--profiles', profilesFile, '--readings', '12', '--out', out]);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: `npm run gen-data: ${message.replace('FILE', join(dir, 'file')).replace('DIR', dir)}\n`,
    });
  });
});

const ORIGINAL_PROFILES = join(process.cwd(), 'data/printer_profiles.json');
const SAMPLE_PROFILES = join(process.cwd(), 'data/fleet_profiles.json');
const SAMPLE_READINGS = join(process.cwd(), 'data/fleet_iot_data.json');
/** How the committed sample readings were made. */
const SAMPLE_OPTIONS = ['--profiles', SAMPLE_PROFILES, '--scenario', 'mixed', '--readings', '2000', '--seed', 'fleet'];

/** The rows of a scenario summary: columns are two or more spaces apart. */
function summaryRows(text: string, prefix: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.split(/\s{2,}/));
}

describe('the sample fleet (data/fleet_profiles.json, data/fleet_iot_data.json)', () => {
  const sample = JSON.parse(readFileSync(SAMPLE_PROFILES, 'utf8')) as ProfileInput[];

  it('passes the profile validator with its fleet defaults, and none of its printers is one of data/printer_profiles.json', () => {
    expect(checkProfiles(sample)).toEqual({ ok: true, profiles: sample });
    expect(sample[0]?.PrinterId).toBe('*');
    const originals = new Set(profiles.map((p) => p.PrinterId));
    expect(sample.filter((p) => originals.has(p.PrinterId))).toEqual([]);
  });

  it('exercises every window mode, the adaptive band, three metrics, severities, Clear, ClearAfter, Latch, SilenceSeconds, RenotifyMinutes and inheritance', () => {
    const rules = [...fleetModelRules(sample).values()];
    expect(new Set(rules.map((r) => r.detector.mode))).toEqual(new Set(['consecutive', 'm-of-n', 'duration']));
    expect(rules.some((r) => Object.values(r.detector.bands).some((band) => band.adaptive !== undefined))).toBe(true);
    expect(new Set(rules.flatMap((r) => Object.keys(r.detector.bands)))).toEqual(new Set(['temperature', 'humidity', 'vibration']));
    expect(new Set(rules.flatMap((r) => Object.values(r.detector.bands).flatMap((band) => band.severity ?? [])))).toEqual(
      new Set(['critical', 'major', 'minor']),
    );
    const printers = sample.slice(1);
    for (const attribute of ['Severity', 'Clear', 'ClearAfter', 'Latch', 'SilenceSeconds', 'RenotifyMinutes'] as const) {
      expect(
        printers.some((p) => p[attribute] !== undefined),
        attribute,
      ).toBe(true);
    }
    // A printer with no thresholds of its own takes the fleet defaults'.
    expect(printers.some((p) => p.Thresholds === undefined)).toBe(true);
  });

  it("is gen-data's output for its options, small enough for npm start, and every printer has events by the independent models", async () => {
    const run = await runCli('cli/gen-data.ts', [...SAMPLE_OPTIONS, '--out', '-']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(readFileSync(SAMPLE_READINGS, 'utf8'));
    const readings = (await loadReadingsFile(SAMPLE_READINGS)) as GeneratedReading[];
    expect(readings.length).toBeLessThanOrEqual(3000);

    const end = Math.max(...readings.map((r) => r.timestamp));
    const streams = streamsByPrinter(readings);
    const rows = summaryRows(run.stderr, 'Fleet-');
    expect(rows.map((row) => row[0])).toEqual(sample.slice(1).map((p) => p.PrinterId));
    for (const [id, rules] of fleetModelRules(sample)) {
      const model = runPrinter(rules, streams.get(id) ?? [], {
        arrival: (r) => r.timestamp as number,
        everyDeadline: true,
        finalSweep: () => end,
      });
      expect(model.events, id).toBeGreaterThan(0);
      const row = rows.find((r) => r[0] === id)!;
      // printer, mode, readings, out, events, near-miss, severity, alarm, silent, notified, episodes
      expect([row[2], row[3], row[4], row[7]].map(String), id).toEqual([
        String(model.readings),
        String(model.outOfBounds),
        String(model.events),
        model.alarm.state,
      ]);
      expect(row[10], id).toMatch(/^drift \d+, spikes \d+, stuck \d+, noisy \d+, silence \d+$/);
    }
    expect(run.stderr).toMatch(/^stdout: 2000 readings from 5 printers \(seed fleet, scenario mixed\)\n/);
  });
});

describe('npm run gen-data --scenario', () => {
  it('derives multi-metric printers beyond the profiles, writes them with --profiles-out, and prints the scenario summary', async () => {
    const dir = tempDir();
    const [out, profilesOut] = [join(dir, 'spikes.json'), join(dir, 'fleet.json')];
    const run = await runCli('cli/gen-data.ts', [
      ...['--profiles', ORIGINAL_PROFILES, '--scenario', 'spikes', '--printers', '14', '--readings', '1400', '--seed', 's'],
      ...['--out', out, '--profiles-out', profilesOut],
    ]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(readFileSync(out, 'utf8')).toBe(
      formatReadings(generateReadings({ profiles, printers: 14, readings: 1400, seed: 's', scenario: 'spikes' })),
    );
    const written = JSON.parse(readFileSync(profilesOut, 'utf8')) as ProfileInput[];
    expect(written.map((p) => p.PrinterId).slice(12)).toEqual(['Fleet1', 'Fleet2']);
    expect(checkProfiles(written)).toMatchObject({ ok: true });
    expect(run.stdout).toContain(`${out}: 1400 readings from 14 printers (seed s, scenario spikes)`);
    expect(run.stdout).toMatch(/^printer +mode +readings +out +events +near-miss +severity +alarm +silent +notified +episodes$/m);
    expect(summaryRows(run.stdout, 'Fleet2')[0]?.[1]).toMatch(/^m-of-n 3\/\d+$/);
    for (const row of summaryRows(run.stdout, 'Printer')) expect(row[10]).toMatch(/^spikes \d+$/);
  });

  it('refuses an unknown scenario with one line, exit 2', async () => {
    const run = await runCli('cli/gen-data.ts', ['--profiles', ORIGINAL_PROFILES, '--scenario', 'calm', '--out', '-']);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
      code: 2,
      stdout: '',
      stderr: 'npm run gen-data: --scenario must be one of drift, spikes, stuck, noisy, silence, mixed, got "calm"\n',
    });
  });
});
