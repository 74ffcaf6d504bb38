/**
 * The twin's HTTP API and discovery file against a real twin, and what the
 * CLIs do with them: `npm run emit -- --wait` returns only once every reading
 * is handled, and `npm run ranked` says when readings are still in flight.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ENV } from '../../contract/index.ts';
import { fetchTwinHealth } from '../../twin/discovery.ts';
import { startTwin, type Twin, type TwinOptions } from '../../twin/twin.ts';
import { runCli } from '../support/emitter.ts';
import { countsOf, makeFleet } from '../support/fleet.ts';
import { allItems, publishReadings, reading, runCliProcess } from '../support/twin.ts';

const dir = mkdtempSync(join(tmpdir(), 'twin-discovery-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const twins: Twin[] = [];
afterEach(async () => {
  for (const twin of twins.splice(0)) await twin.close({ drainTimeoutMs: 0 });
});

async function twinWith(options: TwinOptions): Promise<Twin> {
  const twin = await startTwin({ logFile: false, ...options });
  twins.push(twin);
  return twin;
}

/** A fresh working folder, as a user's checkout. */
const workFolder = () => mkdtempSync(join(dir, 'cwd-'));

/** GET on the twin's HTTP API (node:http, which lets a test set Host): status and JSON body. */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number | undefined; body: unknown }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode, body: JSON.parse(text) }));
    }).on('error', reject);
  });
}

describe("the twin's HTTP API", () => {
  it('serves GET /api/health with the counts of twin.stats(), on 127.0.0.1', async () => {
    const twin = await twinWith({ profiles: [{ PrinterId: 'P1', Thresholds: { Lower: 20, Upper: 80 }, Window: 2 }] });
    expect(twin.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await get(`${twin.httpUrl}/api/health`)).toEqual({
      status: 200,
      body: { ok: true, twin: { received: 0, done: 0, inFlight: 0 } },
    });

    await publishReadings(twin.mqttUrl, [reading('P1', 90), reading('P1', 91), reading('P1', 50)]);
    await twin.waitForIdle({ timeoutMs: 30_000 });
    const { received, done, inFlight } = twin.stats();
    expect({ received, done, inFlight }).toEqual({ received: 3, done: 3, inFlight: 0 });
    expect(await fetchTwinHealth(twin.httpUrl)).toEqual({ ok: true, twin: { received: 3, done: 3, inFlight: 0 } });
  });

  it('answers anything else with a JSON error: 404, 405, and 403 for a request not addressed to 127.0.0.1 or localhost', async () => {
    const twin = await twinWith({});
    expect(await get(`${twin.httpUrl}/api/nope`)).toEqual({ status: 404, body: { error: 'no such route: GET /api/nope' } });
    const post = await fetch(`${twin.httpUrl}/api/health`, { method: 'POST' });
    expect({ status: post.status, allow: post.headers.get('allow'), body: await post.json() }).toEqual({
      status: 405,
      allow: 'GET, HEAD',
      body: { error: 'POST is not allowed on /api/health (allowed: GET, HEAD)' },
    });
    const head = await fetch(`${twin.httpUrl}/api/health`, { method: 'HEAD' });
    expect({ status: head.status, body: await head.text() }).toEqual({ status: 200, body: '' });
    // A web page whose host name rebinds to 127.0.0.1 sends its own name.
    expect(await get(`${twin.httpUrl}/api/health`, { host: 'attacker.example' })).toEqual({
      status: 403,
      body: { error: 'the twin answers requests to 127.0.0.1 or localhost only' },
    });
  });
});

describe('the discovery file', () => {
  it('is twin.json in the state folder while the twin runs, and gone once it is closed', async () => {
    const stateDir = join(workFolder(), 'state');
    const twin = await startTwin({ stateDir, logFile: false });
    const file = join(stateDir, 'twin.json');
    try {
      expect(twin.discoveryFile).toBe(file);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
        pid: process.pid,
        mqtt: twin.mqttUrl,
        dynamodb: twin.dynamoDbEndpoint,
        http: twin.httpUrl,
        dashboard: `${twin.httpUrl}/`,
        table: twin.tableName,
        eventsTable: twin.eventsTableName,
      });
    } finally {
      await twin.close();
    }
    expect(existsSync(file)).toBe(false);
  });

  it('is written where an in-memory twin is told (discoveryFile), and nowhere by default', async () => {
    const file = join(workFolder(), '.local', 'twin.json');
    const told = await twinWith({ discoveryFile: file });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid, http: told.httpUrl });
    const untold = await twinWith({});
    expect(untold.discoveryFile).toBeUndefined();
    await told.close();
    expect(existsSync(file)).toBe(false);
  });
});

describe('npm run emit -- --wait', () => {
  it('returns once the twin has handled every reading: the table holds the final counts right after', async () => {
    const cwd = workFolder();
    const fleet = makeFleet(12, 240, 5);
    // The twin `npm run local` starts by default: its state folder is .local/state in the working folder.
    const twin = await twinWith({ stateDir: join(cwd, '.local', 'state'), profiles: fleet.profiles });
    const file = join(cwd, 'readings.json');
    writeFileSync(file, JSON.stringify(fleet.readings));

    const run = await runCli('cli/emit.ts', ['-f', file, '--endpoint', twin.mqttUrl, '--wait'], { cwd });
    const counts = countsOf(await allItems(twin.dynamoDb, twin.tableName));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\nprocessed: all 240 readings handled by the twin\n$/);
    expect(counts).toEqual(fleet.expected.printers);
    expect(twin.stats()).toMatchObject({ received: 240, done: 240 });

    // Nothing in flight any more: ranked prints the ranking and no note.
    const ranked = await runCliProcess('cli/ranked.ts', ['--top', '3', '--endpoint', twin.dynamoDbEndpoint], { cwd });
    expect(ranked).toMatchObject({ code: 0, stderr: '' });
  });

  it('--batch 10 to a twin in stream mode: returns once every batched message went through the stream, counting readings and messages', async () => {
    const cwd = workFolder();
    const fleet = makeFleet(12, 240, 6);
    const twin = await twinWith({ stateDir: join(cwd, '.local', 'state'), profiles: fleet.profiles, ingest: 'stream' });
    expect(JSON.parse(readFileSync(join(cwd, '.local', 'state', 'twin.json'), 'utf8'))).toMatchObject({ kinesis: twin.kinesisEndpoint });
    const file = join(cwd, 'readings.json');
    writeFileSync(file, JSON.stringify(fleet.readings));

    const run = await runCli('cli/emit.ts', ['-f', file, '--endpoint', twin.mqttUrl, '--batch', '10', '--wait'], { cwd });
    const counts = countsOf(await allItems(twin.dynamoDb, twin.tableName));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [, messages] = /\nprocessed: all 240 readings \((\d+) messages\) handled by the twin\n$/.exec(run.stdout) ?? [];
    expect(Number(messages)).toBeGreaterThanOrEqual(24);
    expect(Number(messages)).toBeLessThan(240);
    expect(counts).toEqual(fleet.expected.printers);
    expect(twin.stats()).toMatchObject({ received: Number(messages), done: Number(messages) });
  });

  it('finds the twin by --twin-url when no discovery file names it', async () => {
    const twin = await twinWith({ profiles: [{ PrinterId: 'P1', Thresholds: { Lower: 20, Upper: 80 }, Window: 1 }] });
    const file = join(workFolder(), 'readings.jsonl');
    writeFileSync(file, `${JSON.stringify(reading('P1', 95))}\n${JSON.stringify(reading('P1', 99))}\n`);
    const run = await runCli('cli/emit.ts', ['-f', file, '--endpoint', twin.mqttUrl, '--wait', '--twin-url', twin.httpUrl]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('processed: all 2 readings handled by the twin\n');
    expect(countsOf(await allItems(twin.dynamoDb, twin.tableName))).toEqual({ P1: { outOfBoundsCount: 0, eventCount: 2 } });
  });
});

describe('npm run ranked while the twin is still processing', () => {
  let blackHole: Server | undefined;
  const sockets: Socket[] = [];
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (blackHole ? blackHole.close(() => resolve()) : resolve()));
  });

  it('prints the ranking, and on stderr how many readings are still being processed', async () => {
    // The function's DynamoDB never answers, so its invocations are held until their timeout.
    blackHole = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => blackHole!.listen(0, '127.0.0.1', resolve));
    const { port } = blackHole.address() as { port: number };
    const cwd = workFolder();
    const twin = await twinWith({
      discoveryFile: join(cwd, '.local', 'twin.json'),
      profiles: [{ PrinterId: 'P1', Thresholds: { Lower: 20, Upper: 80 }, Window: 1 }],
      environment: { [ENV.dynamoDbEndpoint]: `http://127.0.0.1:${port}` },
      functionTimeoutMs: 60_000,
    });
    await publishReadings(twin.mqttUrl, [reading('P1', 95), reading('P2', 50), reading('P3', 10)]);
    expect(twin.stats()).toMatchObject({ received: 3, done: 0 });

    const ranked = await runCliProcess('cli/ranked.ts', ['--endpoint', twin.dynamoDbEndpoint], { cwd });
    expect(ranked.code).toBe(0);
    expect(ranked.stdout).toMatch(/^Rank +Printer +Events +Last event\n +1 +P1 +0 +-\n$/);
    expect(ranked.stderr).toBe('note: 3 reading(s) still being processed by the twin; run again, or use npm run emit -- --wait\n');

    // Another table, or no discovery file in the working folder: no note.
    const elsewhere = await runCliProcess('cli/ranked.ts', ['--endpoint', twin.dynamoDbEndpoint], { cwd: workFolder() });
    expect(elsewhere).toMatchObject({ code: 0, stderr: '' });
  });
});
