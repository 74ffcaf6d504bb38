/**
 * The CLIs find a running twin whatever its state folder and ports: a twin
 * started with `--state-dir DIR` and free ports, used from another folder by
 * `alarm`, `history`, `emit --wait`, `logs --local`, `ranked` and `dashboard`;
 * with two twins running, `PRINTER_ANOMALY_TWIN` names the one to use, and
 * every CLI's `--help` names that variable.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TWIN_ENV } from '../../twin/locate.ts';
import { exitCode, REPO, runCliProcess, spawnCli, waitForLine } from '../support/twin.ts';

let dir: string;
/** The machine the CLIs see: their own temporary folder, so that no other test's twin is in their way. */
let machine: Record<string, string>;
const twins: ReturnType<typeof spawnCli>[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'find-twin-'));
  machine = { TMPDIR: mkdtempSync(join(dir, 'tmp-')) };
});
afterAll(async () => {
  for (const child of twins) {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exitCode(child);
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `npm run local` on free ports with its state in `stateDir`; resolves with its HTTP URL once ready. */
async function startLocal(stateDir: string): Promise<{ http: string; mqtt: string; child: ReturnType<typeof spawnCli> }> {
  const child = spawnCli(
    'cli/local.ts',
    ['--mqtt-port', '0', '--dynamodb-port', '0', '--http-port', '0', '--state-dir', stateDir, '--profiles', 'data/printer_profiles.json'],
    { env: machine },
  );
  twins.push(child);
  const line = await waitForLine(child.stdout, /^local twin ready:/);
  const [, mqtt] = /mqtt (\S+)/.exec(line)!;
  const [, http] = /\| http (\S+)/.exec(line)!;
  return { http: http!, mqtt: mqtt!, child };
}

const elsewhere = () => mkdtempSync(join(dir, 'cwd-'));

describe('a twin on its own state folder and ports', () => {
  it('is found by alarm, history, emit --wait, logs --local, ranked and dashboard from any folder', async () => {
    const { http } = await startLocal(join(dir, 'state-a'));
    const cwd = elsewhere();
    const run = (script: string, args: string[]) => runCliProcess(script, args, { cwd, env: machine });

    const readings = join(cwd, 'readings.json');
    writeFileSync(readings, JSON.stringify([{ PrinterId: 'Printer1', data: { value: 99 } }]));
    const emit = await run('cli/emit.ts', ['-f', readings, '--wait']);
    expect(emit).toMatchObject({ code: 0, stderr: '' });
    expect(emit.stdout).toContain('processed: all 1 readings handled by the twin');

    expect(await run('cli/alarm.ts', ['list'])).toMatchObject({ code: 0, stderr: '' });
    expect(await run('cli/history.ts', ['Printer1'])).toMatchObject({ code: 0, stderr: '' });
    const ranked = await run('cli/ranked.ts', ['--top', '3']);
    expect(ranked).toMatchObject({ code: 0, stderr: '' });
    expect(ranked.stdout).toMatch(/Printer1/);
    const logs = await run('cli/logs.ts', ['--local', '--all']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/"OutOfBoundsReadings":1/); // the invocation of the reading sent above

    const dashboard = spawnCli('cli/dashboard.ts', ['--port', '0'], { cwd, env: machine });
    try {
      const line = await waitForLine(dashboard.stdout, /127\.0\.0\.1:\d+/);
      expect(line).toContain(http);
    } finally {
      dashboard.kill('SIGTERM');
      await exitCode(dashboard);
    }
  });

  it(`with two twins running, ${TWIN_ENV} names the one to use; without it the CLIs say so in one line`, async () => {
    await startLocal(join(dir, 'state-b'));
    const other = join(dir, 'state-c');
    const { http: otherHttp } = await startLocal(other);
    const cwd = elsewhere();
    const ambiguous = await runCliProcess('cli/alarm.ts', ['list'], { cwd, env: machine });
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(new RegExp(`^npm run alarm: .*twins are running.*${TWIN_ENV}=.*\\n$`));

    const named = await runCliProcess('cli/alarm.ts', ['list', '--json'], { cwd, env: { ...machine, [TWIN_ENV]: other } });
    expect(named).toMatchObject({ code: 0, stderr: '' });
    const byFile = await runCliProcess('cli/dashboard.ts', ['--help'], { cwd, env: { ...machine, [TWIN_ENV]: join(other, 'twin.json') } });
    expect(byFile.code).toBe(0);
    const wrong = await runCliProcess('cli/alarm.ts', ['list'], { cwd, env: { ...machine, [TWIN_ENV]: join(dir, 'nothing-here') } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`${TWIN_ENV}=${join(dir, 'nothing-here')}`);
    expect(otherHttp).toMatch(/^http:/);
  });

  it(`every CLI's --help names ${TWIN_ENV}`, async () => {
    // One file per npm script: the scripts name them.
    const scripts = Object.values(
      (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts,
    );
    const clis = [...new Set(scripts.flatMap((script) => /tsx cli\/([a-z-]+\.ts)/.exec(script)?.[1] ?? []))];
    expect(clis.length).toBeGreaterThanOrEqual(12);
    // Two at a time: each is a process of its own that mostly waits on module loading.
    const results: { cli: string; code: number | null; names: boolean }[] = [];
    const queue = [...clis];
    const worker = async () => {
      for (let cli = queue.shift(); cli !== undefined; cli = queue.shift()) {
        const help = await runCliProcess(`cli/${cli}`, ['--help'], { env: machine });
        results.push({ cli, code: help.code, names: help.stdout.includes(TWIN_ENV) });
      }
    };
    await Promise.all([worker(), worker()]);
    expect(results.sort((a, b) => a.cli.localeCompare(b.cli))).toEqual(clis.sort().map((cli) => ({ cli, code: 0, names: true })));
  });
});
