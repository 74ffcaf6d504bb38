/**
 * `npm run local` as a user runs it: the ready line, a twin that works with
 * the original `put-item` and the other CLIs, a clean SIGTERM, and one-line
 * errors.
 */
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replay } from '../../emitter/replay.ts';
import { fetchTwinHealth, waitForTwinIdle } from '../../twin/discovery.ts';
import { localDynamoDbClient } from '../../twin/dynamodb.ts';
import { putOriginalProfile } from '../support/profiles.ts';
import { exitCode, publishReadings, REPO, reading, runCliProcess, spawnCli, waitForLine } from '../support/twin.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'twin-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const READY_STREAM =
  /^local twin ready: mqtt (mqtt:\/\/127\.0\.0\.1:\d+) \| dynamodb (http:\/\/127\.0\.0\.1:\d+) .* \| state in memory \| kinesis (http:\/\/127\.0\.0\.1:\d+) \(aws kinesis --endpoint-url http:\/\/127\.0\.0\.1:\d+\) \| stream PrinterReadings \| device identity thing \(1 things\)$/;

const READY =
  /^local twin ready: mqtt (mqtt:\/\/127\.0\.0\.1:\d+) \| dynamodb (http:\/\/127\.0\.0\.1:\d+) \(aws dynamodb --endpoint-url http:\/\/127\.0\.0\.1:\d+\) \| http (http:\/\/127\.0\.0\.1:\d+) \| dashboard http:\/\/127\.0\.0\.1:\d+\/ \| table PrinterProfiles \| log (\S+) \| state (.+)$/;

/** Whether nothing listens on 127.0.0.1:`port` (a listener can take it). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('npm run local', () => {
  it('prints one ready line, serves the original put-item and the CLIs, and exits 0 on SIGTERM', async () => {
    const stateDir = join(dir, 'state');
    const child = spawnCli('cli/local.ts', [
      '--mqtt-port',
      '0',
      '--dynamodb-port',
      '0',
      '--http-port',
      '0',
      '--state-dir',
      stateDir,
      '--profiles',
      'data/printer_profiles.json',
    ]);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    try {
      const [, mqttUrl, endpoint, httpUrl, logFile, state] = READY.exec(await waitForLine(child.stdout, /^local twin ready:/))!;
      expect(logFile).toBe(join(stateDir, 'detector.log'));
      expect(state).toBe(stateDir);
      // Where the other CLIs find it, and its health.
      expect(JSON.parse(readFileSync(join(stateDir, 'twin.json'), 'utf8'))).toEqual({
        pid: child.pid,
        mqtt: mqttUrl,
        dynamodb: endpoint,
        http: httpUrl,
        dashboard: `${httpUrl}/`,
        table: 'PrinterProfiles',
        eventsTable: 'PrinterEvents',
        logFile,
      });
      expect(await fetchTwinHealth(httpUrl!)).toEqual({ ok: true, twin: { received: 0, done: 0, inFlight: 0 } });

      // The original project's commands, against the twin's endpoint.
      const client = localDynamoDbClient(endpoint!);
      try {
        expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(['PrinterEvents', 'PrinterProfiles']);
        await putOriginalProfile(client, 'PrinterProfiles', 'Printer99', 20, 80, 2);
      } finally {
        client.destroy();
      }
      // The function's records reach the console, as readable lines.
      const shown = waitForLine(child.stdout, /INFO {2}Printer99 anomaly event events=1/);
      await publishReadings(mqttUrl!, [reading('Printer99', 85), reading('Printer99', 86)]);
      await shown;

      const ranked = await runCliProcess('cli/ranked.ts', ['--json', '--top', '1', '--endpoint-url', endpoint!]);
      expect(JSON.parse(ranked.stdout)).toEqual([expect.objectContaining({ PrinterId: 'Printer99', EventCount: 1 })]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exitCode(child)).toBe(0);
    expect(stderr).toMatch(/SIGTERM: stopping the local twin\nlocal twin stopped \(2 readings received, 0 dead-lettered\)\n$/);
    expect(readFileSync(join(stateDir, 'detector.log'), 'utf8')).toContain('"printerId":"Printer99"');
    expect(existsSync(join(stateDir, 'twin.json'))).toBe(false);
  });

  it('kill -TERM on npm run local reaches the twin: it stops cleanly and its ports are free once npm has exited', async () => {
    const stateDir = join(dir, 'npm-state');
    // As a user starts it: npm runs the package script through a shell.
    const npm = spawn(
      'npm',
      ['run', '--silent', 'local', '--', '--mqtt-port', '0', '--dynamodb-port', '0', '--http-port', '0'].concat(['--state-dir', stateDir]),
      {
        cwd: REPO,
        env: { ...process.env, TMPDIR: dir },
      },
    );
    let stderr = '';
    npm.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const line = await waitForLine(npm.stdout, /^local twin ready:/);
    const ports = [...line.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
    expect(ports.length).toBeGreaterThanOrEqual(3);
    const exited = new Promise<number | null>((resolve) => npm.once('exit', resolve));
    npm.kill('SIGTERM');
    await exited;
    expect(stderr).toContain('local twin stopped');
    expect(existsSync(join(stateDir, 'twin.json'))).toBe(false);
    for (const port of new Set(ports)) expect({ port, free: await portIsFree(port) }).toEqual({ port, free: true });
  });

  it('--in-memory writes its discovery file to .local/twin.json and removes it on SIGTERM', async () => {
    const cwd = mkdtempSync(join(dir, 'in-memory-'));
    const child = spawnCli('cli/local.ts', ['--mqtt-port', '0', '--dynamodb-port', '0', '--http-port', '0', '--in-memory', '--quiet'], {
      cwd,
    });
    try {
      const [, mqttUrl, , httpUrl] = READY.exec(await waitForLine(child.stdout, /^local twin ready:/))!;
      expect(JSON.parse(readFileSync(join(cwd, '.local/twin.json'), 'utf8'))).toMatchObject({
        pid: child.pid,
        mqtt: mqttUrl,
        http: httpUrl,
      });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exitCode(child)).toBe(0);
    expect(existsSync(join(cwd, '.local/twin.json'))).toBe(false);
  });

  it('--ingest stream --device-identity thing --things FILE: the ready line names the Kinesis endpoint; a gateway counts, an intruder does not', async () => {
    const cwd = mkdtempSync(join(dir, 'stream-'));
    writeFileSync(join(cwd, 'things.json'), JSON.stringify({ Gateway1: { printers: 'Printer2,Printer3' } }));
    const child = spawnCli(
      'cli/local.ts',
      [
        ...['--mqtt-port', '0', '--dynamodb-port', '0', '--http-port', '0', '--in-memory', '--quiet'],
        ...['--ingest', 'stream', '--kinesis-port', '0', '--device-identity', 'thing', '--things', 'things.json'],
      ],
      { cwd },
    );
    try {
      const line = await waitForLine(child.stdout, /^local twin ready:/);
      const [, mqttUrl, endpoint] = READY_STREAM.exec(line) ?? [];
      expect(line).toMatch(READY_STREAM);
      const kinesis = /\| kinesis (\S+) /.exec(line)![1];
      expect(JSON.parse(readFileSync(join(cwd, '.local/twin.json'), 'utf8'))).toMatchObject({ kinesis });

      const client = localDynamoDbClient(endpoint!);
      try {
        await putOriginalProfile(client, 'PrinterProfiles', 'Printer2', 20, 80, 1);
        // The gateway reports for Printer2; an intruder's reading for it is dropped. Each waits for its PUBACK, which waits for the put on the stream.
        await replay([reading('Printer2', 95, { seq: 1 })], { endpoint: mqttUrl!, qos: 1, clientId: 'Gateway1' });
        await replay([reading('Printer2', 96, { seq: 2 })], { endpoint: mqttUrl!, qos: 1, clientId: 'Intruder' });
        const httpUrl = /\| http (\S+) /.exec(line)![1]!;
        await waitForTwinIdle(httpUrl, { timeoutMs: 20_000 });
        const ranked = await runCliProcess('cli/ranked.ts', ['--json', '--endpoint-url', endpoint!]);
        expect(JSON.parse(ranked.stdout)).toEqual([expect.objectContaining({ PrinterId: 'Printer2', EventCount: 1 })]);
      } finally {
        client.destroy();
      }
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exitCode(child)).toBe(0);
  });

  describe('refuses with one line', () => {
    let busy: Server;
    let port: number;
    beforeAll(async () => {
      busy = createServer();
      await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
      port = (busy.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));
    /** A things file holding `text` (an empty `text` leaves it as it is, for the message). */
    const thingsFile = (text: string) => {
      const file = join(dir, 'things.json');
      if (text !== '') writeFileSync(file, text);
      return file;
    };
    /** A plain file, where a folder is expected. */
    const aFile = () => {
      const file = join(dir, 'a-file');
      writeFileSync(file, '');
      return file;
    };

    it.each([
      [
        'an MQTT port in use',
        () => ['--mqtt-port', String(port), '--dynamodb-port', '0', '--in-memory'],
        1,
        () => `npm run local: MQTT port ${port} is already in use\n`,
      ],
      [
        'a DynamoDB port in use',
        () => ['--mqtt-port', '0', '--dynamodb-port', String(port), '--in-memory'],
        1,
        () => `npm run local: DynamoDB port ${port} is already in use\n`,
      ],
      [
        '--in-memory with --state-dir',
        () => ['--in-memory', '--state-dir', 'x'],
        2,
        () => 'npm run local: --state-dir and --in-memory cannot be used together\n',
      ],
      [
        'a port out of range',
        () => ['--mqtt-port', '70000'],
        2,
        () => 'npm run local: --mqtt-port must be a whole number from 0 to 65535, got "70000"\n',
      ],
      [
        'a missing profiles file',
        () => ['--mqtt-port', '0', '--dynamodb-port', '0', '--in-memory', '--profiles', 'nope.json'],
        1,
        () => 'npm run local: nope.json: no such file\n',
      ],
      ['an unknown --ingest', () => ['--ingest', 'kafka'], 2, () => 'npm run local: --ingest must be direct or stream, got "kafka"\n'],
      [
        'a --webhook route for no severity',
        () => ['--webhook', 'http://127.0.0.1:9/all', '--webhook', 'urgent=http://127.0.0.1:9/pager'],
        2,
        () =>
          'npm run local: --webhook must be an http(s) URL, or SEVERITY=URL with SEVERITY one of critical, major, minor, warning; ' +
          'got "urgent=http://127.0.0.1:9/pager"\n',
      ],
      [
        '--kinesis-port without --ingest stream',
        () => ['--kinesis-port', '0'],
        2,
        () => 'npm run local: --kinesis-port goes with --ingest stream\n',
      ],
      [
        'a Kinesis port in use',
        () => ['--mqtt-port', '0', '--dynamodb-port', '0', '--in-memory', '--ingest', 'stream', '--kinesis-port', String(port)],
        1,
        () => `npm run local: Kinesis port ${port} is already in use\n`,
      ],
      [
        'an unknown --device-identity',
        () => ['--device-identity', 'cert'],
        2,
        () => 'npm run local: --device-identity must be any or thing, got "cert"\n',
      ],
      [
        '--things without --device-identity thing',
        () => ['--things', 'x.json'],
        2,
        () => 'npm run local: --things goes with --device-identity thing\n',
      ],
      [
        'a missing things file',
        () => ['--in-memory', '--device-identity', 'thing', '--things', 'nope.json'],
        1,
        () => 'npm run local: nope.json: no such file\n',
      ],
      [
        'a things file that is not an object of attributes',
        () => ['--in-memory', '--device-identity', 'thing', '--things', thingsFile('{"Gateway1": {"printers": ["P2"]}}')],
        1,
        () => `npm run local: ${thingsFile('')}: attribute printers of Gateway1 must be a string, got object\n`,
      ],
      [
        'an HTTP port in use',
        () => ['--mqtt-port', '0', '--dynamodb-port', '0', '--http-port', String(port), '--in-memory'],
        1,
        () => `npm run local: HTTP port ${port} is already in use\n`,
      ],
      [
        'a state folder under a file',
        () => ['--mqtt-port', '0', '--dynamodb-port', '0', '--state-dir', join(aFile(), 'state')],
        1,
        () => `npm run local: state folder ${join(aFile(), 'state')}: ${aFile()} is a file, not a folder\n`,
      ],
    ])('%s', async (_case, args, code, message) => {
      const given = args();
      const result = await runCliProcess('cli/local.ts', [
        ...given,
        ...(given.includes('--http-port') ? [] : ['--http-port', '0']),
        '--log-file',
        join(dir, 'refused.log'),
      ]);
      expect({ code: result.code, stderr: result.stderr, stdout: result.stdout }).toEqual({ code, stderr: message(), stdout: '' });
    });

    it.runIf(process.platform === 'linux').each([
      ['a state folder under /proc', ['--state-dir', '/proc/x'], 'state folder /proc/x'],
      ['a log file under /proc', ['--in-memory', '--log-file', '/proc/x/detector.log'], 'log file /proc/x/detector.log'],
    ])('%s (where mkdir -p never returns)', async (_case, args, subject) => {
      const result = await runCliProcess('cli/local.ts', ['--mqtt-port', '0', '--dynamodb-port', '0', '--http-port', '0', ...args], {
        killAfterMs: 20_000,
      });
      expect({ code: result.code, stderr: result.stderr, stdout: result.stdout }).toEqual({
        code: 1,
        stderr: `npm run local: ${subject}: /proc is on the kernel's proc filesystem, not a place for files\n`,
        stdout: '',
      });
    });
  });
});
