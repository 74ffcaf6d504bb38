/**
 * Reading the detector's logs: the readable view and its filters, the
 * CloudWatch Logs path (with a fake client: tests never reach AWS), and
 * `npm run logs` on a twin log file, once and following it.
 */
import { FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogPrinter, parseSince, printerFilterPattern, readCloudWatchLogs } from '../../cli/log-sources.ts';
import { classifyLine, formatEntry } from '../../twin/log-format.ts';
import { exitCode, runCliProcess, spawnCli, waitForLine } from '../support/twin.ts';

const record = (level: string, message: string, extra: Record<string, unknown> = {}, timestamp = '2026-01-01T10:00:00.000Z') =>
  JSON.stringify({ level, message, timestamp, service: 'printer-anomaly-detector', sampling_rate: 0, requestId: 'req-1', ...extra });

const LOG = [
  'INIT_START Runtime Version: nodejs:22.local\tRuntime Version ARN: local',
  'START RequestId: req-1 Version: $LATEST',
  record('INFO', 'anomaly event', { printerId: 'Printer1', events: 3, window: 10 }),
  '{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"service":"printer-anomaly-detector","Readings":1}',
  'END RequestId: req-1',
  'REPORT RequestId: req-1\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 256 MB\tMax Memory Used: 20 MB',
  record('WARN', 'invalid reading dropped', { printerId: 'Printer2', reason: 'data.value must be finite' }, '2026-01-01T10:05:00.000Z'),
  '2026-01-01T10:06:00.000Z\treq-2\tERROR\tInvoke Error \t{"errorType":"ProfileStoreError","errorMessage":"reading profile P9 failed","trace":[]}',
  record('INFO', 'anomaly event', { printerId: 'Printer1', events: 4, window: 10 }, '2026-01-01T10:07:00.000Z'),
];

function view(options: ConstructorParameters<typeof LogPrinter>[0], lines: readonly string[] = LOG): string[] {
  const out: string[] = [];
  const printer = new LogPrinter(options, (line) => out.push(line));
  for (const line of lines) printer.line(line);
  return out;
}

describe('the readable view', () => {
  it('prints one line per record, hiding metrics and platform lines unless asked', () => {
    expect(view({})).toEqual([
      '2026-01-01T10:00:00.000Z INFO  Printer1 anomaly event events=3 window=10 (req-1)',
      '2026-01-01T10:05:00.000Z WARN  Printer2 invalid reading dropped reason="data.value must be finite" (req-1)',
      '2026-01-01T10:06:00.000Z ERROR - Invoke Error ProfileStoreError: reading profile P9 failed (req-2)',
      '2026-01-01T10:07:00.000Z INFO  Printer1 anomaly event events=4 window=10 (req-1)',
    ]);
    expect(view({ all: true })).toHaveLength(LOG.length);
    expect(view({ raw: true, printerId: 'Printer2' })).toEqual([LOG[6]]);
  });

  it('filters by printer and by time', () => {
    expect(view({ printerId: 'Printer1' }).map((l) => l.slice(0, 24))).toEqual(['2026-01-01T10:00:00.000Z', '2026-01-01T10:07:00.000Z']);
    expect(view({ sinceMs: Date.parse('2026-01-01T10:05:00.000Z') })).toHaveLength(3);
  });

  it('reads --since as a duration back from now or an ISO time, and refuses anything else', () => {
    expect(parseSince('10m', 1_000_000_000)).toBe(1_000_000_000 - 600_000);
    expect(parseSince('2h', 10_000_000)).toBe(10_000_000 - 7_200_000);
    expect(parseSince('2026-01-01T00:00:00Z')).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(() => parseSince('yesterday')).toThrow(/--since must be a duration such as 10m/);
  });

  it('never throws on lines it does not know', () => {
    expect(formatEntry(classifyLine('{not json'))).toBe('{not json');
    expect(formatEntry(classifyLine('{"a":1}'))).toBe('{"a":1}');
  });
});

describe('CloudWatch Logs (fake client)', () => {
  type Input = FilterLogEventsCommand['input'];
  function fakeClient(pages: (input: Input) => { events?: FilteredLogEvent[]; nextToken?: string }) {
    const inputs: Input[] = [];
    return {
      inputs,
      client: {
        send: async (command: unknown) => {
          expect(command).toBeInstanceOf(FilterLogEventsCommand);
          const input = (command as FilterLogEventsCommand).input;
          inputs.push(input);
          return pages(input);
        },
      } as never,
    };
  }
  const event = (eventId: string, timestamp: number, message: string): FilteredLogEvent => ({
    eventId,
    timestamp,
    message: `${message}\n`,
  });

  it("filters the function's log group for one printer, through every page", async () => {
    const { client, inputs } = fakeClient((input) =>
      input.nextToken === undefined
        ? { events: [event('1', 1000, LOG[2]!)], nextToken: 'page-2' }
        : { events: [event('2', 2000, LOG[8]!)] },
    );
    const out: string[] = [];
    await readCloudWatchLogs(
      client,
      { logGroupName: '/aws/lambda/detector', startTime: 500, filterPattern: printerFilterPattern('Printer1') },
      new LogPrinter({ printerId: 'Printer1' }, (line) => out.push(line)),
    );
    expect(inputs).toEqual([
      { logGroupName: '/aws/lambda/detector', startTime: 500, filterPattern: '{ $.printerId = "Printer1" }' },
      { logGroupName: '/aws/lambda/detector', startTime: 500, filterPattern: '{ $.printerId = "Printer1" }', nextToken: 'page-2' },
    ]);
    expect(out).toHaveLength(2);
    expect(printerFilterPattern('odd"id')).toBe('{ $.printerId = "odd\\"id" }');
  });

  it('follows by polling from the newest event, printing each event once, until stopped', async () => {
    const controller = new AbortController();
    let polls = 0;
    const { client, inputs } = fakeClient(() => {
      polls += 1;
      if (polls === 1) return { events: [event('a', 1000, 'START RequestId: r1 Version: $LATEST')] };
      if (polls === 2) return { events: [event('a', 1000, 'START RequestId: r1 Version: $LATEST'), event('b', 1500, 'END RequestId: r1')] };
      return { events: [event('b', 1500, 'END RequestId: r1')] };
    });
    const out: string[] = [];
    const sleeps: number[] = [];
    await readCloudWatchLogs(client, { logGroupName: 'g', startTime: 0 }, new LogPrinter({ all: true }, (line) => out.push(line)), {
      follow: true,
      intervalMs: 2000,
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 3) controller.abort();
      },
      signal: controller.signal,
    });
    expect(inputs.map((i) => i.startTime)).toEqual([0, 1000, 1500]);
    expect(sleeps).toEqual([2000, 2000, 2000]);
    expect(out).toEqual([
      `${new Date(1000).toISOString()} START RequestId: r1 Version: $LATEST`,
      `${new Date(1500).toISOString()} END RequestId: r1`,
    ]);
  });
});

describe('npm run logs on a twin log file', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'logs-'));
    file = join(dir, 'detector.log');
    writeFileSync(file, `${LOG.join('\n')}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the records of one printer', async () => {
    const result = await runCliProcess('cli/logs.ts', ['--log-file', file, '--printer', 'Printer2']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      '2026-01-01T10:05:00.000Z WARN  Printer2 invalid reading dropped reason="data.value must be finite" (req-1)\n',
    );
  });

  it('follows the file as the twin appends to it, and stops cleanly on SIGTERM', async () => {
    const child = spawnCli('cli/logs.ts', ['--follow', '--log-file', file, '--printer', 'Printer1']);
    await waitForLine(child.stdout, /events=4/);
    const next = waitForLine(child.stdout, /events=5/);
    appendFileSync(file, `${record('INFO', 'anomaly event', { printerId: 'Printer1', events: 5, window: 10 })}\n`);
    expect(await next).toContain('Printer1 anomaly event events=5');
    child.kill('SIGTERM');
    expect(await exitCode(child)).toBe(0);
  });

  it('says which log it read and that it was empty, on stderr, exit 0', async () => {
    const empty = join(dir, 'empty.log');
    writeFileSync(empty, '');
    const result = await runCliProcess('cli/logs.ts', ['--log-file', empty]);
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toBe(`npm run logs: the twin's log ${empty} is empty: nothing has been logged there yet\n`);
  });

  it('says so when the log has lines but none for the printer asked for', async () => {
    const result = await runCliProcess('cli/logs.ts', ['--log-file', file, '--printer', 'Nobody']);
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toMatch(/^npm run logs: the twin's log .*detector\.log: \d+ line\(s\), none shown for printer Nobody/);
  });

  it('ends quietly with exit 0 when its reader closes the pipe (npm run logs | head)', async () => {
    const big = join(dir, 'big.log');
    writeFileSync(
      big,
      `${Array.from({ length: 50_000 }, (_, i) => record('INFO', 'anomaly event', { printerId: `P${i}`, events: i })).join('\n')}\n`,
    );
    const child = spawnCli('cli/logs.ts', ['--log-file', big]);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.once('data', () => child.stdout.destroy());
    expect(await exitCode(child)).toBe(0);
    expect(stderr).toBe('');
  });

  it('fails with one line when there is no log', async () => {
    const result = await runCliProcess('cli/logs.ts', ['--log-file', join(dir, 'none.log')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^npm run logs: no log file .*none\.log: start the local twin .*\n$/);
  });
});
