/**
 * Bulk alarm actions (`POST /api/alarms/actions`) on a running twin, over
 * HTTP: each alarm gets its own transition (with the one note and the
 * caller), a refusal is reported per alarm in the request's order, and a bad
 * body is a 400 that changes nothing. Also the alarm list's pages.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../contract/index.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { Device, historyOf, historyTransitions } from '../support/alarms.ts';
import { apiClient, expectError, expectOk } from '../support/twin-api.ts';

let twin: Twin;
let call: ReturnType<typeof apiClient>;
let device: Device;

const profile = (PrinterId: string): ProfileInput => ({ PrinterId, Thresholds: { Lower: 20, Upper: 80 }, Window: 1 });
const RAISED = ['Bulk-a', 'Bulk-b', 'Bulk-c', 'Bulk-d'];
const CALM = ['Bulk-n'];

beforeAll(async () => {
  twin = await startTwin({ sweepSeconds: 0, logFile: false });
  call = apiClient(twin.httpUrl);
  device = new Device(twin);
  await twin.seed([...RAISED, ...CALM].map(profile));
  for (const id of RAISED) await device.send(id, 95);
  await device.send('Bulk-n', 50);
});

afterAll(async () => {
  await twin?.close();
});

const alarmsNow = async () => expectOk(await call('GET', '/api/alarms')).printers;

describe('POST /api/alarms/actions', () => {
  it('acts on each alarm in its own transition, and reports a refusal per alarm, in the request order', async () => {
    const reply = expectOk(
      await call('POST', '/api/alarms/actions', {
        body: { printers: ['Bulk-b', 'Bulk-n', 'Ghost', 'Bulk-a'], action: 'acknowledge', note: 'on it' },
      }),
    );
    expect(reply).toEqual({
      results: [
        { PrinterId: 'Bulk-b', status: 200, alarm: expect.objectContaining({ State: 'ACKNOWLEDGED', Cause: 'acknowledge' }) },
        { PrinterId: 'Bulk-n', status: 409, error: 'alarm is NORMAL; acknowledge applies to ACTIVE or LATCHED' },
        { PrinterId: 'Ghost', status: 404, error: 'no printer "Ghost"' },
        { PrinterId: 'Bulk-a', status: 200, alarm: expect.objectContaining({ State: 'ACKNOWLEDGED', Cause: 'acknowledge' }) },
      ],
    });
    for (const id of ['Bulk-a', 'Bulk-b']) {
      const last = historyTransitions(await historyOf(twin, id)).at(-1);
      expect(last).toMatchObject({ PrinterId: id, From: 'ACTIVE', To: 'ACKNOWLEDGED', By: 'local', Note: 'on it' });
    }
    expect(historyTransitions(await historyOf(twin, 'Bulk-n'))).toEqual([]);
    // The alarm list shows who holds each alarm, with their note; an ACTIVE one has no owner.
    const owners = (await alarmsNow()).map((p: { PrinterId: string; Alarm: { By?: string; Note?: string } }) => [
      p.PrinterId,
      p.Alarm.By,
      p.Alarm.Note,
    ]);
    expect(owners).toEqual([
      ['Bulk-c', undefined, undefined],
      ['Bulk-d', undefined, undefined],
      ['Bulk-a', 'local', 'on it'],
      ['Bulk-b', 'local', 'on it'],
    ]);
  });

  it('another event while acknowledged keeps the owner (stored with the alarm); clearing forgets them', async () => {
    await device.send('Bulk-a', 95);
    const printer = expectOk(await call('GET', '/api/printers/Bulk-a'));
    expect(printer.alarm).toMatchObject({ State: 'ACKNOWLEDGED', By: 'local', Note: 'on it' });
    await device.send('Bulk-a', 50);
    const cleared = expectOk(await call('GET', '/api/printers/Bulk-a')).alarm;
    expect([cleared.State, cleared.By, cleared.Note]).toEqual(['NORMAL', undefined, undefined]);
    await device.send('Bulk-a', 95);
  });

  it('snoozes several alarms until one time', async () => {
    const until = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3_600_000).toISOString();
    const reply = expectOk(
      await call('POST', '/api/alarms/actions', { body: { printers: ['Bulk-c', 'Bulk-d'], action: 'snooze', until } }),
    );
    expect(reply.results.map((r: { status: number; alarm: { Until: string } }) => [r.status, r.alarm.Until])).toEqual([
      [200, until],
      [200, until],
    ]);
    expectOk(await call('POST', '/api/alarms/actions', { body: { printers: ['Bulk-c', 'Bulk-d'], action: 'reset' } }));
  });

  it('refuses a bad body with a 400 and changes nothing', async () => {
    const before = await alarmsNow();
    const good = { printers: ['Bulk-a'], action: 'reset' };
    const badBody = fc.oneof(
      fc.constant({ ...good, printers: [] }),
      fc.constant({ ...good, printers: ['Bulk-a', 'Bulk-a'] }),
      fc.constant({ ...good, printers: Array.from({ length: 101 }, (_, i) => `P${i}`) }),
      fc.constant({ ...good, printers: ['Bulk-a', '*'] }),
      fc.constant({ ...good, printers: ['Bulk-a', 'x'.repeat(129)] }),
      fc.constant({ ...good, printers: 'Bulk-a' }),
      fc.constant({ action: 'reset' }),
      fc.constant({ ...good, until: new Date(Date.now() + 60_000).toISOString() }),
      fc.constant({ ...good, action: 'snooze' }),
      fc.record({
        printers: fc.constant(['Bulk-a']),
        action: fc.string().filter((a) => !['acknowledge', 'snooze', 'disable', 'enable', 'reset'].includes(a)),
      }),
      fc.record({
        ...Object.fromEntries(Object.entries(good).map(([k, v]) => [k, fc.constant(v)])),
        note: fc.oneof(fc.integer(), fc.boolean()),
      }),
      fc.record({ ...Object.fromEntries(Object.entries(good).map(([k, v]) => [k, fc.constant(v)])), extra: fc.jsonValue() }),
      fc.array(fc.string(), { minLength: 1, maxLength: 3 }).map((printers) => ({ ...good, printers: [...printers, 42] })),
    );
    await fc.assert(
      fc.asyncProperty(badBody, async (body) => {
        const reply = await call('POST', '/api/alarms/actions', { body });
        expectError(reply, 400, /./);
      }),
      { numRuns: 60 },
    );
    expect(await alarmsNow()).toEqual(before);
  });
});

describe('GET /api/alarms, paged', () => {
  it('gives the whole list a page at a time, in the same order, and verifies its cursor', async () => {
    const whole = expectOk(await call('GET', '/api/alarms'));
    expect(whole.next).toBeNull();
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { printers: { PrinterId: string }[]; next: string | null } = expectOk(
        await call('GET', `/api/alarms?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
      );
      expect(page.printers.length).toBeLessThanOrEqual(1);
      paged.push(...page.printers.map((p) => p.PrinterId));
      cursor = page.next;
    } while (cursor !== null);
    expect(paged).toEqual(whole.printers.map((p: { PrinterId: string }) => p.PrinterId));

    const first = expectOk(await call('GET', '/api/alarms?limit=1&state=ACKNOWLEDGED'));
    expect(first.next).toEqual(expect.any(String));
    // A cursor of the ACKNOWLEDGED list is not one of the ACTIVE list.
    expectError(await call('GET', `/api/alarms?state=ACTIVE&cursor=${encodeURIComponent(first.next)}`), 400, /cursor is not one/);
    expectError(await call('GET', '/api/alarms?cursor=abc'), 400, /cursor is not one/);
    expectError(await call('GET', '/api/alarms?limit=501'), 400, /limit must be a whole number from 1 to 500/);
    expect(expectOk(await call('GET', '/api/alarms?limit=500')).next).toBeNull();
  });
});
