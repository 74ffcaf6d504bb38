/**
 * `npm start`, the README's main command, end to end as a user runs it: a
 * fresh working folder, the committed data, exit 0, and a ranking equal to
 * the independent model's.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProfileInput, ReadingPayload } from '../../contract/index.ts';
import { runModel } from '../support/model.ts';
import { modelProfiles, REPO, runCliProcess } from '../support/twin.ts';

const PROFILES = join(REPO, 'data/printer_profiles.json');
const READINGS = join(REPO, 'data/printer_iot_data.json');
const dir = mkdtempSync(join(tmpdir(), 'npm-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm start', () => {
  it('runs the whole pipeline on a fresh folder, exits 0 and prints the model ranking with every event seen on anom/pred', async () => {
    const result = await runCliProcess('cli/start.ts', ['--profiles', PROFILES, '--readings', READINGS], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const profiles = JSON.parse(readFileSync(PROFILES, 'utf8')) as ProfileInput[];
    const readings = JSON.parse(readFileSync(READINGS, 'utf8')) as ReadingPayload[];
    const model = runModel(
      modelProfiles(profiles),
      readings.map((r) => ({ printerId: r.PrinterId, value: r.data.value, ...(r.seq !== undefined ? { seq: r.seq } : {}) })),
    );
    const expected = Object.entries(model.printers)
      .map(([id, p]) => [id, p.eventCount] as const)
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));

    const rows = [...result.stdout.matchAll(/^\s+(\d+)\s+(\S+)\s+(\d+)\s+\S+$/gm)].map((m) => [m[2], Number(m[3])]);
    expect(rows).toEqual(expected);
    const total = model.events.length;
    expect(total).toBeGreaterThan(0);
    expect(result.stdout).toMatch(new RegExp(`anomaly events counted\\s+${total}\\n`));
    expect(result.stdout).toMatch(new RegExp(`anomaly events seen on anom/pred\\s+${total}\\n`));
    expect(result.stdout).toMatch(new RegExp(`readings processed\\s+${readings.length}\\n`));
    // The function's log lands in the working folder, as the summary says.
    expect(statSync(join(dir, '.local/detector.log')).size).toBeGreaterThan(0);
  });
});
