/**
 * The emitter against the embedded broker (aedes, random ports) with the real
 * device SDK: the programmatic replay API, then the CLI as a child process
 * (bad files, --dry-run, loops, failures, Ctrl-C).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TARGET_RULE } from '../../cli/kit.ts';
import { DETECT_TOPIC } from '../../contract/index.ts';
import { startBroker, type EmbeddedBroker } from '../../twin/broker.ts';
import { EmitterConnectionError, ReplayOptionsError } from '../../emitter/errors.ts';
import { replay, type ReplayProgress } from '../../emitter/replay.ts';
import { closedPort, recordPublishes, removeTempDirs, runCli, startCli, tempDir, tempFile } from '../support/emitter.ts';
import { makePki, startTlsBroker, type TestPki, type TlsBroker } from '../support/emitter-tls.ts';

afterAll(removeTempDirs);

/** `perPrinter` readings for each of `printers`, interleaved as a fleet reports. */
function fleetReadings(printers: number, perPrinter: number): { PrinterId: string; data: { value: number }; timestamp: number }[] {
  const readings = [];
  for (let i = 0; i < perPrinter; i++) {
    for (let p = 1; p <= printers; p++) {
      readings.push({
        PrinterId: `Printer${p}`,
        data: { value: 20 + ((i * 7 + p * 13) % 70) + 0.5 },
        timestamp: 1_763_700_000_000 + i * 1000 + p,
      });
    }
  }
  return readings;
}

function seqsByPrinter(payloads: readonly Record<string, unknown>[]): Record<string, unknown[]> {
  const seqs: Record<string, unknown[]> = {};
  for (const p of payloads) {
    const id = p['PrinterId'] as string;
    seqs[id] = [...(seqs[id] ?? []), p['seq']];
  }
  return seqs;
}

describe('replay() to the embedded broker', () => {
  let broker: EmbeddedBroker;
  beforeEach(async () => {
    broker = await startBroker({ port: 0 });
  });
  afterEach(async () => {
    await broker.close();
  });

  it('publishes every reading once, in order, at QoS 1, and counts each PUBACK', async () => {
    const readings = fleetReadings(3, 40);
    const received = recordPublishes(broker, DETECT_TOPIC);
    const progress: ReplayProgress[] = [];
    const summary = await replay(readings, { endpoint: broker.url, maxInFlight: 8, onProgress: (p) => progress.push(p) });

    expect(summary).toMatchObject({ sent: 120, acked: 120, failed: 0, interrupted: false });
    expect(summary.seconds).toBeGreaterThan(0);
    expect(received.payloads).toEqual(readings);
    expect(received.qos.every((q) => q === 1)).toBe(true);
    expect(progress.at(-1)).toEqual({
      sent: 120,
      acked: 120,
      failed: 0,
      total: 120,
      readingsSent: 120,
      readingsAcked: 120,
      readingsFailed: 0,
    });
    // Bounded in-flight: never more than 8 publishes awaiting their PUBACK.
    expect(Math.max(...progress.map((p) => p.sent - p.acked - p.failed))).toBeLessThanOrEqual(8);
  });

  it('publishes at QoS 0 when asked, to the topic asked', async () => {
    const readings = fleetReadings(2, 5);
    const received = recordPublishes(broker, 'fleet/a/readings');
    const summary = await replay(readings, { endpoint: broker.url, topic: 'fleet/a/readings', qos: 0 });
    expect(summary).toMatchObject({ sent: 10, acked: 10, failed: 0 });
    await received.waitFor(10);
    expect(received.payloads).toEqual(readings);
    expect(received.qos.every((q) => q === 0)).toBe(true);
  });

  it('stamps a per-printer seq 1, 2, 3... with addSeq, replacing any seq in the file', async () => {
    const readings = fleetReadings(3, 4).map((r, i) => (i % 5 === 0 ? { ...r, seq: 99 } : r));
    const received = recordPublishes(broker, DETECT_TOPIC);
    await replay(readings, { endpoint: broker.url, addSeq: true });
    expect(seqsByPrinter(received.payloads)).toEqual({ Printer1: [1, 2, 3, 4], Printer2: [1, 2, 3, 4], Printer3: [1, 2, 3, 4] });
    const withoutSeq = (r: object) => Object.fromEntries(Object.entries(r).filter(([key]) => key !== 'seq'));
    expect(received.payloads.map(withoutSeq)).toEqual(readings.map(withoutSeq));
    expect(readings[0]).toHaveProperty('seq', 99); // the caller's readings are not modified
  });

  it('counts a publish without a PUBACK as failed once the publish timeout passes', async () => {
    broker.aedes.authorizePublish = () => {}; // never answers: no PUBACK ever comes
    const summary = await replay(fleetReadings(1, 3), { endpoint: broker.url, publishTimeoutMs: 300 });
    expect(summary).toMatchObject({ sent: 3, acked: 0, failed: 3, interrupted: false });
  });

  it('on abort stops sending, waits for the in-flight PUBACKs, disconnects and resolves interrupted', async () => {
    // A slow broker: each PUBACK comes 50 ms late, so publishes are in flight when the abort comes.
    const authorize = broker.aedes.authorizePublish.bind(broker.aedes);
    broker.aedes.authorizePublish = (client, packet, callback) => setTimeout(() => authorize(client, packet, callback), 50);
    const readings = fleetReadings(2, 500);
    const received = recordPublishes(broker, DETECT_TOPIC);
    const controller = new AbortController();
    const inFlightAtAbort: number[] = [];
    const summary = await replay(readings, {
      endpoint: broker.url,
      maxInFlight: 5,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.sent === 5 && !controller.signal.aborted) {
          inFlightAtAbort.push(p.sent - p.acked - p.failed);
          controller.abort();
        }
      },
    });
    expect(inFlightAtAbort[0]).toBeGreaterThan(0);
    expect(summary).toMatchObject({ sent: 5, acked: 5, failed: 0, interrupted: true });
    expect(received.payloads).toEqual(readings.slice(0, 5));
    await expect.poll(() => broker.aedes.connectedClients).toBe(0); // disconnected
  });

  it('sends nothing when the signal is already aborted', async () => {
    const received = recordPublishes(broker, DETECT_TOPIC);
    const summary = await replay(fleetReadings(1, 5), { endpoint: broker.url, signal: AbortSignal.abort() });
    expect(summary).toMatchObject({ sent: 0, acked: 0, failed: 0, interrupted: true });
    expect(received.payloads).toEqual([]);
  });

  it('rejects with a one-line EmitterConnectionError when the broker refuses the connection', async () => {
    const endpoint = `mqtt://127.0.0.1:${await closedPort()}`;
    const error = await replay(fleetReadings(1, 1), { endpoint }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmitterConnectionError);
    expect((error as Error).message).toMatch(new RegExp(`^cannot connect to ${endpoint}: .*refused[^\\n]*$`));
  });

  it('refuses an AWS IoT Core endpoint without a certificate or websockets', async () => {
    await expect(replay(fleetReadings(1, 1), { endpoint: 'example-ats.iot.eu-west-1.amazonaws.com' })).rejects.toBeInstanceOf(
      ReplayOptionsError,
    );
  });
});

describe('replay() with mTLS, as to AWS IoT Core (a local TLS broker that requires a client certificate)', () => {
  let pki: TestPki;
  let broker: TlsBroker;
  beforeAll(async () => {
    pki = makePki();
    broker = await startTlsBroker(pki);
  });
  afterAll(async () => {
    await broker.close();
  });

  it('connects with the device certificate, trusting the CA given, and publishes every reading', async () => {
    const readings = fleetReadings(2, 10);
    const received = recordPublishes(broker, DETECT_TOPIC);
    const summary = await replay(readings, {
      endpoint: `localhost:${broker.port}`,
      mtls: { certPath: pki.deviceCert, keyPath: pki.deviceKey, caPath: pki.caCert },
      clientId: 'printer-device-1',
    });
    expect(summary).toMatchObject({ sent: 20, acked: 20, failed: 0 });
    expect(received.payloads).toEqual(readings);
    expect(broker.clientCertificates).toContain('emitter-test-device');
  });

  it('gives up at the connect timeout when the server certificate is not trusted (no CA given)', async () => {
    const handshakes = broker.clientCertificates.length;
    const error = await replay(fleetReadings(1, 1), {
      endpoint: `localhost:${broker.port}`,
      mtls: { certPath: pki.deviceCert, keyPath: pki.deviceKey },
      connectTimeoutMs: 1500,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmitterConnectionError);
    // The CRT reports a TLS negotiation failure after its own 10 s: the emitter's timeout usually comes first.
    expect((error as Error).message).toMatch(/^cannot connect to localhost:\d+: (.* within 1\.5 s|.*TLS.*)$/);
    expect(broker.clientCertificates).toHaveLength(handshakes);
  });
});

describe.concurrent('npm run emit (child process)', () => {
  let broker: EmbeddedBroker;
  // Refused runs publish to the default topic, which no other test here uses: nothing may ever arrive on it.
  let onDefaultTopic: ReturnType<typeof recordPublishes>;
  beforeAll(async () => {
    broker = await startBroker({ port: 0 });
    onDefaultTopic = recordPublishes(broker, DETECT_TOPIC);
    // Publishes to test/no-puback never get their PUBACK; those to test/interrupt/... get it 200 ms late,
    // so that some are in flight when the signal comes.
    const authorize = broker.aedes.authorizePublish.bind(broker.aedes);
    broker.aedes.authorizePublish = (client, packet, callback) => {
      if (packet.topic === 'test/no-puback') return;
      if (packet.topic.startsWith('test/interrupt/')) setTimeout(() => authorize(client, packet, callback), 200);
      else authorize(client, packet, callback);
    };
  });
  afterAll(async () => {
    await broker.close();
  });

  const goodFile = () =>
    tempFile(
      'readings.json',
      `[\n${fleetReadings(2, 2)
        .map((r) => JSON.stringify(r))
        .join(',\n')}\n]\n`,
    );

  const line = (id: string, value: unknown) => JSON.stringify({ PrinterId: id, data: { value } });
  it.each([
    ['not JSON', 'bad.json', 'this is not JSON\n', 1, 'not valid JSON'],
    [
      'a string value',
      'bad.json',
      `[\n${line('P1', 1)},\n${line('P1', 2)},\n${line('P1', '99')}\n]\n`,
      4,
      'data.value must be a number, got string',
    ],
    ['1e999', 'bad.json', `[\n${line('P1', 1)},\n{"PrinterId": "P1", "data": {"value": 1e999}}\n]\n`, 3, 'data.value must be finite'],
    ['a missing PrinterId', 'bad.json', `[\n${line('P1', 1)},\n{"data": {"value": 1}}\n]\n`, 3, 'PrinterId must be a string'],
    [
      '-1e300, which DynamoDB cannot store',
      'bad.json',
      `[\n${line('P6', 1e20)},\n{"PrinterId": "P6", "data": {"value": -1e300}}\n]\n`,
      3,
      'data.value -1e+300 is too large to store: a magnitude must be below 1e126',
    ],
    [
      'a bad JSON Lines line',
      'bad.jsonl',
      `${line('P1', 1)}\n${line('P1', 2)}\n${line('P1', null)}\n`,
      3,
      'data.value must be a number, got null',
    ],
  ])('%s: prints file:line: reason, exits 1 and publishes nothing', async (_case, name, text, lineNumber, reason) => {
    const topic = `test/bad/${name}/${lineNumber}/${reason.length}`;
    const received = recordPublishes(broker, topic);
    const file = tempFile(name, text);
    const run = await runCli('cli/emit.ts', ['--file', file, '--endpoint', broker.url, '--topic', topic]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${lineNumber}: ${reason.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*\\n$`),
    );
    expect(run.stdout).toBe('');
    expect(received.payloads).toEqual([]);
  });

  it('--dry-run validates, says what the file holds and publishes nothing', async () => {
    const received = recordPublishes(broker, 'test/dry-run');
    const file = goodFile();
    const run = await runCli('cli/emit.ts', ['--file', file, '--endpoint', broker.url, '--topic', 'test/dry-run', '--dry-run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('4 valid readings from 2 printers');
    expect(run.stdout).toContain('nothing sent');
    expect(received.payloads).toEqual([]);
  });

  it('--count cycles through the file and --add-seq keeps counting across passes', async () => {
    const received = recordPublishes(broker, 'test/count');
    const run = await runCli('cli/emit.ts', [
      '--file',
      goodFile(),
      '--endpoint',
      broker.url,
      '--topic',
      'test/count',
      '--count',
      '7',
      '--add-seq',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^sent 7, acked 7, failed 0 in [\d.]+ s, [\d.]+ readings\/s to test\/count at mqtt:\/\/127\.0\.0\.1:\d+$/m);
    expect(seqsByPrinter(received.payloads)).toEqual({ Printer1: [1, 2, 3, 4], Printer2: [1, 2, 3] });
  });

  it("--batch N sends each printer's readings in batched messages, counting readings and messages; --add-seq numbers each reading", async () => {
    const received = recordPublishes(broker, 'test/batch');
    const file = tempFile('fleet.json', JSON.stringify(fleetReadings(2, 5)));
    const run = await runCli('cli/emit.ts', [
      '--file',
      file,
      '--endpoint',
      broker.url,
      '--topic',
      'test/batch',
      '--batch',
      '3',
      '--add-seq',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^replaying 10 readings in 4 batched messages of up to 3 \(2 printers, from \S+\) to test\/batch at /m);
    expect(run.stdout).toMatch(
      /^sent 4 messages \(10 readings\), acked 4 \(10 readings\), failed 0 \(0 readings\) in [\d.]+ s, [\d.]+ readings\/s to test\/batch at /m,
    );
    expect(received.payloads.map((m) => [m['PrinterId'], (m['readings'] as { seq: number }[]).map((r) => r.seq)])).toEqual([
      ['Printer1', [1, 2, 3]],
      ['Printer2', [1, 2, 3]],
      ['Printer1', [4, 5]],
      ['Printer2', [4, 5]],
    ]);
    expect(received.payloads.every((m) => (m['readings'] as object[]).every((r) => !('PrinterId' in r)))).toBe(true);
  });

  it('--batch with --dry-run says how many messages it would send', async () => {
    const run = await runCli('cli/emit.ts', ['--file', goodFile(), '--dry-run', '--batch', '500']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\S+: 4 valid readings from 2 printers in 2 batched messages of up to 500; dry run, nothing sent\n$/);
  });

  it('exits 1 and says so when publishes get no PUBACK', async () => {
    const run = await runCli('cli/emit.ts', [
      '--file',
      goodFile(),
      '--endpoint',
      broker.url,
      '--topic',
      'test/no-puback',
      '--timeout',
      '1',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/sent 4, acked 0, failed 4 .*\(4 publishes failed or got no PUBACK in time\)/);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('%s during a slow replay: flushes, prints the summary, exits 130', async (signal) => {
    const topic = `test/interrupt/${signal}`;
    const received = recordPublishes(broker, topic);
    const { child, result } = startCli('cli/emit.ts', [
      '--file',
      goodFile(),
      '--endpoint',
      broker.url,
      '--topic',
      topic,
      '--loop',
      '--rate',
      '40',
    ]);
    await received.waitFor(3);
    child.kill(signal);
    const run = await result;
    expect(run.code).toBe(130);
    const summary = /^interrupted: sent (\d+), acked (\d+), failed 0 /m.exec(run.stdout);
    expect(summary).not.toBeNull();
    expect(summary?.[1]).toBe(summary?.[2]);
    expect(received.payloads).toHaveLength(Number(summary?.[2]));
    expect(run.stderr).toContain(`${signal}: stopping`);
  });

  it('connection refused: one line, exit 1, no stack trace', async () => {
    const endpoint = `mqtt://127.0.0.1:${await closedPort()}`;
    const run = await runCli('cli/emit.ts', ['--file', goodFile(), '--endpoint', endpoint]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^npm run emit: cannot connect to ${endpoint.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*refused.*\\n$`),
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('without --endpoint or cdk-outputs.json: the local twin, by the one target rule (here the running twin its discovery file names)', async () => {
    const cwd = tempDir();
    const port = await closedPort();
    // A "running" twin (this test's own pid) whose MQTT port nothing serves: the emitter must go there, and say it cannot connect.
    mkdirSync(join(cwd, '.local/state'), { recursive: true });
    const twin = {
      pid: process.pid,
      mqtt: `mqtt://127.0.0.1:${port}`,
      dynamodb: 'http://127.0.0.1:9',
      http: 'http://127.0.0.1:9',
      table: 'PrinterProfiles',
    };
    writeFileSync(join(cwd, '.local/state/twin.json'), JSON.stringify(twin));
    const run = await runCli('cli/emit.ts', ['--file', goodFile(), '--timeout', '5'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`mqtt://127.0.0.1:${port}`);
    const help = await runCli('cli/emit.ts', ['--help']);
    expect(help.stdout).toContain(TARGET_RULE);
  });

  it('a missing readings file (-f is --file): the file and the reason, no line number', async () => {
    const run = await runCli('cli/emit.ts', ['-f', 'missing.json', '--dry-run']);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: 'missing.json: no such file\n',
    });
  });

  const AWS_ENDPOINT = 'example-ats.iot.eu-west-1.amazonaws.com';
  const regexText = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

  it.each([
    [
      'an endpoint scheme the emitter does not speak',
      () => ['--endpoint', 'mqtts://127.0.0.1:1883'],
      2,
      /^npm run emit: endpoint "mqtts:\/\/127\.0\.0\.1:1883": mqtts:\/\/ is not supported; use mqtt:\/\/HOST:PORT for a local broker .*$/,
    ],
    [
      'TLS to this machine without a certificate',
      () => ['--endpoint', 'https://127.0.0.1:1883'],
      2,
      /^npm run emit: https:\/\/127\.0\.0\.1:1883 means TLS to this machine: for the local twin use --endpoint mqtt:\/\/127\.0\.0\.1:1883; .*$/,
    ],
    [
      'a --cert that is missing',
      () => ['--endpoint', AWS_ENDPOINT, '--cert', 'missing.pem', '--key', 'missing.key'],
      1,
      /^npm run emit: cannot read --cert missing\.pem \(no such file\)$/,
    ],
    [
      'a --cert that is a folder',
      () => ['--endpoint', AWS_ENDPOINT, '--cert', '.', '--key', 'missing.key'],
      1,
      /^npm run emit: cannot read --cert \. \(not a file\)$/,
    ],
    [
      'a --key that is not PEM',
      () => ['--endpoint', AWS_ENDPOINT, '--cert', tempFile('c.pem', '-----BEGIN CERTIFICATE-----\n'), '--key', tempFile('k.pem', 'key')],
      1,
      /^npm run emit: --key \S+k\.pem is not a PEM file \(no -----BEGIN line\)$/,
    ],
    [
      '--wait against AWS IoT Core',
      () => ['--endpoint', AWS_ENDPOINT, '--websocket', '--region', 'eu-west-1', '--wait'],
      2,
      /^npm run emit: --wait only works with the local twin \(an mqtt:\/\/ endpoint\): .*$/,
    ],
    ['--wait with --dry-run', () => ['--dry-run', '--wait'], 2, /^npm run emit: --wait has nothing to wait for with --dry-run$/],
    [
      '--batch 0',
      () => ['--endpoint', broker.url, '--batch', '0'],
      2,
      /^npm run emit: --batch must be a whole number from 1 to 500, got "0"$/,
    ],
    [
      '--batch 501',
      () => ['--endpoint', broker.url, '--batch', '501'],
      2,
      /^npm run emit: --batch must be a whole number from 1 to 500, got "501"$/,
    ],
    ['--wait with --loop', () => ['--endpoint', broker.url, '--loop', '--wait'], 2, /^npm run emit: --wait needs a replay that ends: .*$/],
    [
      '--twin-url without --wait',
      () => ['--endpoint', broker.url, '--twin-url', 'http://127.0.0.1:8080'],
      2,
      /^npm run emit: --twin-url and --wait-timeout go with --wait$/,
    ],
    [
      'a --twin-url that is not http://',
      () => ['--endpoint', broker.url, '--wait', '--twin-url', 'mqtt://x'],
      2,
      /^npm run emit: --twin-url must be an http:\/\/ URL, got "mqtt:\/\/x"$/,
    ],
    [
      '--wait when no twin says it has this MQTT endpoint',
      () => ['--endpoint', broker.url, '--wait'],
      1,
      /^npm run emit: --wait: no running twin with MQTT at mqtt:\/\/127\.0\.0\.1:\d+ .*; pass --twin-url http:\/\/127\.0\.0\.1:8080$/,
    ],
    [
      '--wait when the twin does not answer',
      () => ['--endpoint', broker.url, '--wait', '--twin-url', 'http://127.0.0.1:9'],
      1,
      /^npm run emit: --wait: cannot reach the twin at http:\/\/127\.0\.0\.1:9 \(connection refused\)$/,
    ],
  ])('%s: one line, exit %i, nothing sent', async (_case, args, code, message) => {
    const run = await runCli('cli/emit.ts', ['--file', goodFile(), ...args()]);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code, stdout: '' });
    expect(run.stderr).toMatch(/^[^\n]*\n$/);
    expect(run.stderr.trimEnd()).toMatch(message);
    expect(onDefaultTopic.payloads).toEqual([]);
  });

  it('TLS to the port of a running twin: a usage error naming its mqtt:// endpoint (found in its discovery file)', async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, '.local'));
    // This test process stands in for the twin that wrote the file: it is alive.
    const record = {
      pid: process.pid,
      mqtt: broker.url,
      dynamodb: 'http://127.0.0.1:9',
      http: 'http://127.0.0.1:9',
      table: 'PrinterProfiles',
    };
    writeFileSync(join(cwd, '.local/twin.json'), JSON.stringify(record));
    const tls = broker.url.replace('mqtt://', 'https://');
    const run = await runCli('cli/emit.ts', ['--file', goodFile(), '--endpoint', tls, '--cert', 'c.pem', '--key', 'k.pem'], { cwd });
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
      code: 2,
      stdout: '',
      stderr: `npm run emit: ${tls} is the local twin, whose broker is plain TCP: use --endpoint ${broker.url}\n`,
    });
  });

  it('TLS with a certificate to a plain-TCP broker on this machine: one line that names the mqtt:// endpoint to use', async () => {
    const pki = makePki();
    const tls = broker.url.replace('mqtt://', 'https://');
    const run = await runCli('cli/emit.ts', [
      '--file',
      goodFile(),
      '--endpoint',
      tls,
      '--cert',
      pki.deviceCert,
      '--key',
      pki.deviceKey,
      '--timeout',
      '5',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `^npm run emit: cannot connect to ${regexText(tls)}: .*; a plain-TCP broker such as the local twin needs ${regexText(broker.url)}\\n$`,
      ),
    );
  });
});
