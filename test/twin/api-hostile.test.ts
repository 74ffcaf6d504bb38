/**
 * The operator API under client input meant to break it, on a running twin
 * (real tables, real history, readings over MQTT): numbers DynamoDB cannot
 * store, cursors the API never issued, and an applied extreme value read back
 * exactly. A client's input is answered 4xx with one line, never 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../contract/index.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { Device } from '../support/alarms.ts';
import { apiClient, expectError, expectOk } from '../support/twin-api.ts';
import { runCliProcess } from '../support/twin.ts';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let twin: Twin;
let call: ReturnType<typeof apiClient>;

const profile = (PrinterId: string, extra: Partial<ProfileInput> = {}): ProfileInput => ({
  PrinterId,
  Thresholds: { Lower: 20, Upper: 80 },
  Window: 1,
  ...extra,
});
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

beforeAll(async () => {
  twin = await startTwin({ sweepSeconds: 0, logFile: false });
  call = apiClient(twin.httpUrl);
  await twin.seed([profile('H1'), profile('H2'), profile('H3')]);
  await new Device(twin).send('H1', 1e20, 50, -1e125, 12345678901234567000);
  await new Device(twin).send('H2', 95);
});
afterAll(async () => {
  await twin?.close();
});

describe('numbers DynamoDB cannot store, through the API and profile validate', () => {
  it.each([
    ['Lower -1e308', { Thresholds: { Lower: -1e308, Upper: 80 } }, /Thresholds\.Lower -1e\+308 is too large to store/],
    ['Upper 1e200', { Thresholds: { Lower: 0, Upper: 1e200 } }, /Thresholds\.Upper 1e\+200 is too large to store/],
    ['Upper 5e-324', { Thresholds: { Lower: 0, Upper: 5e-324 } }, /Thresholds\.Upper 5e-324 is too small to store/],
  ])('PUT with %s: 400 with the validator line, and nothing written', async (_name, body, reason) => {
    const before = expectOk(await call('GET', '/api/printers/H3'));
    expectError(await call('PUT', '/api/printers/H3', { body: { ...body, Window: 1 } }), 400, reason);
    expect(expectOk(await call('GET', '/api/printers/H3'))).toEqual(before);

    const dir = await mkdtemp(join(tmpdir(), 'hostile-'));
    const file = join(dir, 'profiles.json');
    await writeFile(file, JSON.stringify([{ PrinterId: 'H3', ...body, Window: 1 }]));
    const run = await runCliProcess('cli/profile.ts', ['validate', '--file', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(reason);
  });

  it('reads applied extreme values back exactly: detail, recent values, history and events', async () => {
    const body = expectOk(await call('GET', '/api/printers/H1'));
    expect(body.state).toMatchObject({ LastValue: 12345678901234567000, EventCount: 3 });
    expect(body.recent.map(([, v]: [number, number]) => v)).toEqual([1e20, 50, -1e125, 12345678901234567000]);
    const history = expectOk(await call('GET', '/api/printers/H1/history?limit=100'));
    expect(history.items.filter((i: { Type: string }) => i.Type === 'event').map((i: { value: number }) => i.value)).toEqual([
      12345678901234567000, -1e125, 1e20,
    ]);
    const events = expectOk(await call('GET', '/api/events?limit=100'));
    expect(events.items.some((i: { value?: number }) => i.value === -1e125)).toBe(true);
  });
});

describe('cursors the API did not issue', () => {
  const forged = [
    ['{"x":1}', b64({ x: 1 })],
    ['a PrinterId number', b64({ PrinterId: 7 })],
    ['an extra key', b64({ PrinterId: 'H1', Key: 'k', x: 1 })],
    ['empty strings', b64({ PrinterId: '', Key: '', Feed: '', FeedKey: '' })],
    ['another printer', b64({ PrinterId: 'H2', Key: '2026-01-01T00:00:00.000Z#E#000000000000001' })],
    ['an array', b64([1, 2])],
    ['not base64 JSON', 'bm90IGpzb24'],
  ] as const;
  const routes = ['/api/events', '/api/printers/H1/history', '/api/printers'];

  for (const route of routes) {
    it.each(forged)(`${route} with a forged cursor (%s): 400, one line`, async (_name, cursor) => {
      expectError(await call('GET', `${route}?cursor=${cursor}`), 400, /cursor/);
    });
  }

  it('a cursor one route issued is refused by another', async () => {
    const printers = expectOk(await call('GET', '/api/printers?limit=1'));
    const events = expectOk(await call('GET', '/api/events?limit=1'));
    expect(printers.next).not.toBeNull();
    expect(events.next).not.toBeNull();
    expectError(await call('GET', `/api/events?cursor=${printers.next}`), 400, /cursor/);
    expectError(await call('GET', `/api/printers?cursor=${events.next}`), 400, /cursor/);
    expectError(await call('GET', `/api/printers/H2/history?cursor=${events.next}`), 400, /cursor/);
    // and its own next page is fine
    expectOk(await call('GET', `/api/events?limit=1&cursor=${events.next}`));
    // but not for a query over other times: the cursor is stale for it (DynamoDB refuses the start key: a 400)
    const later = Date.now() + 86_400_000;
    expectError(await call('GET', `/api/events?limit=1&since=${later}&cursor=${events.next}`), 400, /cursor/);
    const history = expectOk(await call('GET', '/api/printers/H1/history?limit=1'));
    expectOk(await call('GET', `/api/printers/H1/history?limit=1&cursor=${history.next}`));
    expectError(await call('GET', `/api/printers/H1/history?limit=1&until=0&cursor=${history.next}`), 400, /cursor/);
  });
});
