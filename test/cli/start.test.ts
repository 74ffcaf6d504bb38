/**
 * `npm start`, the README's main command, end to end as a user runs it: a
 * fresh working folder, the committed data, exit 0, and a ranking equal to
 * the independent model's, in either ingest mode.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  it.each([
    ['direct', []],
    ['stream', ['--ingest', 'stream']],
  ])(
    '%s ingest: runs the whole pipeline on a fresh folder, exits 0 and prints the model ranking with every event seen on anom/pred',
    async (mode, args) => {
      const cwd = mkdtempSync(join(dir, `${mode}-`));
      const result = await runCliProcess('cli/start.ts', ['--profiles', PROFILES, '--readings', READINGS, ...args], { cwd });
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
      expect(/^Stream ingest: Kinesis http:\/\/127\.0\.0\.1:\d+, stream PrinterReadings$/m.test(result.stdout)).toBe(mode === 'stream');
      // The function's log lands in the working folder, as the summary says.
      expect(statSync(join(cwd, '.local/detector.log')).size).toBeGreaterThan(0);
    },
  );

  it('refuses an unknown --ingest with one line, exit 2', async () => {
    const result = await runCliProcess('cli/start.ts', ['--ingest', 'sqs'], { cwd: dir });
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
      code: 2,
      stdout: '',
      stderr: 'npm start: --ingest must be direct or stream, got "sqs"\n',
    });
  });

  describe('refuses bad input files with one line, before the twin starts', () => {
    const LAST_RUN_LOG = 'the log of the last good run\n';
    /** A working folder holding the previous run's function log. */
    function folderWithLog(): string {
      const cwd = mkdtempSync(join(dir, 'again-'));
      mkdirSync(join(cwd, '.local'));
      writeFileSync(join(cwd, '.local/detector.log'), LAST_RUN_LOG);
      return cwd;
    }

    it.each([
      [
        'a profiles file that is not valid',
        ['--profiles', 'bad-profiles.json', '--readings', READINGS],
        /^npm start: bad-profiles\.json: profile 1 \(P1\): Thresholds\.Lower \(80\) is above Thresholds\.Upper \(20\)$/,
      ],
      ['a missing profiles file', ['--profiles', 'missing.json', '--readings', READINGS], /^npm start: missing\.json: no such file$/],
      ['a missing readings file', ['--profiles', PROFILES, '--readings', 'missing.json'], /^npm start: missing\.json: no such file$/],
    ])("%s: exit 1, and the last run's log is kept", async (_case, args, message) => {
      const cwd = folderWithLog();
      writeFileSync(join(cwd, 'bad-profiles.json'), '[{"PrinterId": "P1", "Thresholds": {"Lower": 80, "Upper": 20}, "Window": 3}]\n');
      const result = await runCliProcess('cli/start.ts', args, { cwd });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.split('\n')).toEqual([expect.stringMatching(message), '']);
      expect(readFileSync(join(cwd, '.local/detector.log'), 'utf8')).toBe(LAST_RUN_LOG);
    });
  });
});
