/**
 * `npm start`, the README's main command, end to end as a user runs it: a
 * fresh working folder, the committed data, exit 0, and a ranking equal to
 * the independent models': the original printers exactly as the original
 * model has them, and beside them the sample fleet with its window modes,
 * alarm states, severities, the clock's one sweep and the notifications, in
 * either ingest mode.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { soakCases } from '../support/soak.ts';
import type { ProfileInput, ReadingPayload } from '../../contract/index.ts';
import { runModel } from '../support/model.ts';
import { REPO, runCliProcess } from '../support/twin.ts';
import {
  byPrinter,
  fleetModelRules,
  notifiedBySpec,
  originalModelProfiles,
  type PrinterModelRules,
  runPrinter,
} from '../emitter/sample-model.ts';

const PROFILES = join(REPO, 'data/printer_profiles.json');
const READINGS = join(REPO, 'data/printer_iot_data.json');
const SAMPLE_PROFILES = join(REPO, 'data/fleet_profiles.json');
const SAMPLE_READINGS = join(REPO, 'data/fleet_iot_data.json');
const SAMPLE = ['--sample-profiles', SAMPLE_PROFILES, '--sample-readings', SAMPLE_READINGS];
const dir = mkdtempSync(join(tmpdir(), 'npm-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const load = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;
const byRanking = ([a, x]: readonly [string, number], [b, y]: readonly [string, number]) =>
  y - x || Buffer.compare(Buffer.from(a), Buffer.from(b));
const ORDER = ['ACTIVE', 'LATCHED', 'ACKNOWLEDGED', 'SNOOZE_DISABLED', 'DISABLED'];
const family = (r: PrinterModelRules) =>
  Object.values(r.detector.bands).some((band) => band.adaptive !== undefined) ? 'adaptive band' : r.detector.mode;

/** Every printer through the models: readings arrive in file order within moments, then one sweep `aheadMs` later. */
function expectedFleet(profiles: readonly ProfileInput[], readings: readonly ReadingPayload[], aheadMs: number) {
  const streams = byPrinter(readings);
  return [...fleetModelRules(profiles)].map(([id, rules]) => {
    const outcome = runPrinter(rules, streams.get(id) ?? [], {
      arrival: (_reading, index) => index,
      everyDeadline: false,
      finalSweep: (last) => last + aheadMs,
    });
    const { alarm } = outcome;
    // Severity and cause belong to a raised alarm: none for NORMAL; a LATCHED one was raised by a threshold.
    const severity = alarm.state === 'NORMAL' ? '-' : (alarm.severity ?? '-');
    const cause = alarm.state === 'NORMAL' ? '-' : alarm.state === 'LATCHED' ? 'threshold' : (alarm.cause ?? '-');
    return {
      id,
      family: family(rules),
      events: outcome.events,
      row: [id, outcome.events, alarm.state, severity, cause] as const,
      silent: alarm.cause === 'silent' ? 1 : 0,
      notifications: alarm.log.filter(notifiedBySpec).length + outcome.renotifications,
      notifiesAtAll: (alarm.log.some(notifiedBySpec) ? 1 : 0) + outcome.renotifications,
      renotifications: outcome.renotifications,
    };
  });
}

describe('npm start', () => {
  // `npm run soak` also runs the original printers alone (--no-sample); the sample runs print their ranking too.
  it.each(
    soakCases(
      [
        ['direct ingest, with the sample fleet', SAMPLE],
        ['stream ingest, with the sample fleet', [...SAMPLE, '--ingest', 'stream']],
        ['direct ingest, --no-sample', ['--no-sample']],
      ] as [string, string[]][],
      2,
    ),
  )(
    '%s: runs the whole pipeline on a fresh folder, exits 0, prints the models’ ranking and alarms, every event seen on anom/pred',
    async (_mode, args) => {
      const cwd = mkdtempSync(join(dir, 'run-'));
      const result = await runCliProcess('cli/start.ts', ['--profiles', PROFILES, '--readings', READINGS, ...args], { cwd });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const withSample = !args.includes('--no-sample');
      const out = result.stdout;

      // The original printers: exactly the original model's events, in its order.
      const profiles = load<ProfileInput[]>(PROFILES);
      const readings = load<ReadingPayload[]>(READINGS);
      const original = runModel(
        originalModelProfiles(profiles),
        readings.map((r) => ({ printerId: r.PrinterId, value: r.data['value'] as number, ...(r.seq !== undefined ? { seq: r.seq } : {}) })),
      );
      const originalRanking = Object.entries(original.printers)
        .map(([id, p]) => [id, p.eventCount] as const)
        .sort(byRanking);
      const rows = [...out.matchAll(/^ *(\d+) {2}(\S+) +(\d+) {2}([A-Z_]+) +(\S+) +(\S+) {2}(.+)$/gm)].map((m) => [
        m[2]!,
        Number(m[3]),
        m[4]!,
        m[5]!,
        m[6]!,
      ]);
      const originalIds = new Set(profiles.map((p) => p.PrinterId));
      expect(rows.filter(([id]) => originalIds.has(id as string)).map(([id, events]) => [id, events])).toEqual(originalRanking);

      // The whole fleet: the extended and alarm models, the clock moved on once for silence and re-notification.
      const sampleProfiles = withSample ? load<ProfileInput[]>(SAMPLE_PROFILES) : [];
      const sampleReadings = withSample ? load<ReadingPayload[]>(SAMPLE_READINGS) : [];
      const clock = out.match(
        /^Clock moved (\d+\.\d) min ahead for one sweep, as if every printer then went quiet: (\d+) alarms? raised for silence, (\d+) re-notifications?\.$/m,
      );
      expect(clock !== null).toBe(withSample);
      const aheadMs = clock ? Number(clock[1]) * 60_000 : 0;
      const fleet = expectedFleet([...profiles, ...sampleProfiles], [...readings, ...sampleReadings], aheadMs);
      expect(rows).toEqual(fleet.map((p) => p.row).sort((a, b) => byRanking([a[0], a[1]], [b[0], b[1]])));
      const total = fleet.reduce((n, p) => n + p.events, 0);
      expect(original.events.length).toBeGreaterThan(0);
      if (clock) {
        expect(Number(clock[2])).toBe(fleet.reduce((n, p) => n + p.silent, 0));
        expect(Number(clock[3])).toBe(fleet.reduce((n, p) => n + p.renotifications, 0));
        expect(Number(clock[2]) + Number(clock[3])).toBeGreaterThan(0);
      }

      expect(out).toMatch(new RegExp(`anomaly events counted\\s+${total}\\n`));
      expect(out).toMatch(new RegExp(`anomaly events seen on anom/pred\\s+${total}\\n`));
      expect(out).toMatch(new RegExp(`readings processed\\s+${readings.length + sampleReadings.length}\\n`));
      for (const mode of ['consecutive', 'm-of-n', 'duration', 'adaptive band']) {
        const printers = fleet.filter((p) => p.family === mode);
        const line = new RegExp(`^ {6}${mode} \\((\\d+) printers?\\)\\s+(\\d+)$`, 'm').exec(out);
        expect(line && [Number(line[1]), Number(line[2])], mode).toEqual(
          printers.length > 0 ? [printers.length, printers.reduce((n, p) => n + p.events, 0)] : null,
        );
      }
      const raised = fleet.filter((p) => p.row[2] !== 'NORMAL');
      const states = ORDER.flatMap((state) => {
        const n = raised.filter((p) => p.row[2] === state).length;
        return n > 0 ? [`${state} ${n}`] : [];
      });
      expect(out).toMatch(new RegExp(`alarms not NORMAL\\s+${raised.length}(  \\(${states.join(', ')}\\))?\\n`));
      const perTransition = fleet.reduce((n, p) => n + p.notifications, 0);
      if (args.includes('stream')) {
        // The stream function folds whatever run of a printer's records a poll returns into one write, which notifies
        // once (`docs/design.md`, "Alarms"): fewer than one per transition, at least one per printer that notifies.
        const sent = Number(/notifications sent\s+(\d+)\n/.exec(out)?.[1]);
        expect(sent).toBeLessThanOrEqual(perTransition);
        expect(sent).toBeGreaterThanOrEqual(fleet.reduce((n, p) => n + p.notifiesAtAll, 0));
      } else {
        // One reading per message: one write per reading, as one by one.
        expect(out).toMatch(new RegExp(`notifications sent\\s+${perTransition}\\n`));
      }
      expect(out).toMatch(
        /^Dashboard: npm run local -- --profiles \S+, then open the http URL it prints \(http:\/\/127\.0\.0\.1:8080\/\)\n {2}and replay into it from another terminal: npm run emit -- --file \S+$/m,
      );
      expect(/^Stream ingest: Kinesis http:\/\/127\.0\.0\.1:\d+, stream PrinterReadings$/m.test(out)).toBe(args.includes('stream'));
      // The function's log lands in the working folder, as the summary says.
      expect(statSync(join(cwd, '.local/detector.log')).size).toBeGreaterThan(0);
    },
  );

  it.each([
    ['an unknown --ingest', ['--ingest', 'sqs'], 'npm start: --ingest must be direct or stream, got "sqs"\n'],
    [
      '--no-sample with a sample file',
      ['--no-sample', '--sample-profiles', SAMPLE_PROFILES],
      'npm start: --no-sample cannot go with --sample-readings or --sample-profiles\n',
    ],
  ])('refuses %s with one line, exit 2', async (_case, args, message) => {
    const result = await runCliProcess('cli/start.ts', args, { cwd: dir });
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ code: 2, stdout: '', stderr: message });
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
      [
        'a missing sample readings file',
        ['--profiles', PROFILES, '--readings', READINGS, '--sample-profiles', SAMPLE_PROFILES, '--sample-readings', 'missing.json'],
        /^npm start: missing\.json: no such file$/,
      ],
      [
        'the default sample, missing from the working folder',
        ['--profiles', PROFILES, '--readings', READINGS],
        /^npm start: data\/fleet_iot_data\.json: no such file$/,
      ],
      [
        'a sample printer that is also in --profiles',
        ['--profiles', PROFILES, '--readings', READINGS, '--sample-profiles', 'clash.json', '--sample-readings', SAMPLE_READINGS],
        /^npm start: clash\.json: PrinterId "Printer3" is also in .*data\/printer_profiles\.json$/,
      ],
    ])("%s: exit 1, and the last run's log is kept", async (_case, args, message) => {
      const cwd = folderWithLog();
      writeFileSync(join(cwd, 'bad-profiles.json'), '[{"PrinterId": "P1", "Thresholds": {"Lower": 80, "Upper": 20}, "Window": 3}]\n');
      writeFileSync(join(cwd, 'clash.json'), '[{"PrinterId": "Printer3", "Thresholds": {"Lower": 1, "Upper": 2}, "Window": 3}]\n');
      const result = await runCliProcess('cli/start.ts', args, { cwd });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.split('\n')).toEqual([expect.stringMatching(message), '']);
      expect(readFileSync(join(cwd, '.local/detector.log'), 'utf8')).toBe(LAST_RUN_LOG);
    });
  });
});
