/**
 * The replay data generator: deterministic, printer-like, and rich enough
 * that every printer's stream produces anomaly events and near-misses (checked
 * with the independent model of `test/support/model.ts`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../contract/index.ts';
import { fleetProfiles, formatReadings, generateReadings, type GeneratedReading } from '../../emitter/generate.ts';
import { loadReadingsFile } from '../../emitter/readings-file.ts';
import { parseReading } from '../../lambda/core/reading.ts';
import { removeTempDirs, runCli, tempDir } from '../support/emitter.ts';
import { runModel, type ModelProfile } from '../support/model.ts';

afterAll(removeTempDirs);

const profiles = JSON.parse(readFileSync('data/printer_profiles.json', 'utf8')) as ProfileInput[];

function modelOf(fleet: readonly ProfileInput[]): Record<string, ModelProfile> {
  return Object.fromEntries(fleet.map((p) => [p.PrinterId, { lower: p.Thresholds.Lower, upper: p.Thresholds.Upper, window: p.Window }]));
}

function byPrinter(readings: readonly GeneratedReading[]): Map<string, GeneratedReading[]> {
  const map = new Map<string, GeneratedReading[]>();
  for (const r of readings) map.set(r.PrinterId, [...(map.get(r.PrinterId) ?? []), r]);
  return map;
}

/** Maximal out-of-bounds runs shorter than the window, ended by an in-bounds value. */
function nearMisses(profile: ProfileInput, values: readonly number[]): number {
  let run = 0;
  let count = 0;
  for (const v of values) {
    if (v < profile.Thresholds.Lower || v > profile.Thresholds.Upper) run++;
    else {
      if (run > 0 && run < profile.Window) count++;
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
    expect(other.map((r) => r.data.value)).not.toEqual(readings.map((r) => r.data.value));
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
      readings.map((r) => ({ printerId: r.PrinterId, value: r.data.value, seq: r.seq })),
    );
    const streams = byPrinter(readings);
    for (const profile of profiles) {
      const values = (streams.get(profile.PrinterId) ?? []).map((r) => r.data.value);
      const { Lower, Upper } = profile.Thresholds;
      expect(printers[profile.PrinterId]?.eventCount, profile.PrinterId).toBeGreaterThanOrEqual(2);
      if (profile.Window > 1) expect(nearMisses(profile, values), profile.PrinterId).toBeGreaterThanOrEqual(2);
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
    for (const p of fleet) expect(p.Thresholds.Lower).toBeLessThan(p.Thresholds.Upper);
    const generated = generateReadings({ profiles, printers: 15, readings: 1500, seed: 1 });
    expect(new Set(generated.map((r) => r.PrinterId)).size).toBe(15);
    // The printers of the profiles file keep their streams whatever the fleet size.
    const alone = generateReadings({ profiles: profiles.slice(0, 1), readings: 100, seed: 1 }).map((r) => r.data.value);
    const inFleet = generateReadings({ profiles, printers: 15, readings: 1500, seed: 1 })
      .filter((r) => r.PrinterId === 'Printer1')
      .map((r) => r.data.value);
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
