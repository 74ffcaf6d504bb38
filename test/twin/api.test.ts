/**
 * The operator API's contract on a running twin, over HTTP: the fleet-wide
 * routes (health, the OpenAPI document, ranking, the full listing, alarms,
 * the event feed) on real DynamoDB, real readings and real history, and what
 * every route answers to an unknown path, a wrong method, a foreign Host and
 * another origin. One fleet is built once (readings over MQTT, actions over
 * the API); every test only reads it, so each asserts the whole listing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../contract/index.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { Device } from '../support/alarms.ts';
import { allPages, apiClient, expectError, expectNewestFirst, expectOk, timeOf, withHost } from '../support/twin-api.ts';

let twin: Twin;
let call: ReturnType<typeof apiClient>;

/** Judges `data.value` against 20..80; every reading outside is an event. */
const profile = (PrinterId: string, extra: Partial<ProfileInput> = {}): ProfileInput => ({
  PrinterId,
  Thresholds: { Lower: 20, Upper: 80 },
  Window: 1,
  ...extra,
});

// Ids sort against the alarm listing's state order, so an order by id alone or by time shows.
const EVENTS: Readonly<Record<string, number>> = {
  'F-rank-c': 3,
  'F-rank-a': 2,
  'F-rank-b': 2,
  'E-act2': 1,
  'E-act1': 1,
  'D-lat': 1,
  'C-ack': 1,
};
const BULK = Array.from({ length: 150 }, (_, i) => `Fleet-${String(i).padStart(3, '0')}`);
const QUIET = ['B-snz', 'A-dis1', 'A-dis0', ...BULK];
const ALL = [...Object.keys(EVENTS), ...QUIET];
/** Each printer's alarm: its state and the cause that put it there. */
const ALARMS: Readonly<Record<string, readonly [string, string]>> = {
  'E-act1': ['ACTIVE', 'threshold'],
  'E-act2': ['ACTIVE', 'threshold'],
  'F-rank-a': ['ACTIVE', 'threshold'],
  'F-rank-b': ['ACTIVE', 'threshold'],
  'F-rank-c': ['ACTIVE', 'threshold'],
  'D-lat': ['LATCHED', 'clear'],
  'C-ack': ['ACKNOWLEDGED', 'acknowledge'],
  'B-snz': ['SNOOZE_DISABLED', 'snooze'],
  'A-dis0': ['DISABLED', 'disable'],
  'A-dis1': ['DISABLED', 'disable'],
};
/** Transitions each printer went through. */
const TRANSITIONS: Readonly<Record<string, number>> = {
  ...Object.fromEntries(Object.keys(ALARMS).map((id) => [id, 1])),
  'D-lat': 2,
  'C-ack': 2,
};

const byCountThenId = (a: string, b: string) => (EVENTS[b] ?? 0) - (EVENTS[a] ?? 0) || (a < b ? -1 : a > b ? 1 : 0);
const ids = (body: { printers: { PrinterId: string }[] }) => body.printers.map((p) => p.PrinterId);

/** When B-snz's snooze ends (whole seconds: the API answers ISO-8601 with milliseconds). */
const SNOOZE_UNTIL = new Date(Math.ceil(Date.now() / 1000) * 1000 + 3_600_000).toISOString();
let snoozeReply: { Until?: string };

beforeAll(async () => {
  twin = await startTwin({ sweepSeconds: 0, logFile: false });
  call = apiClient(`${twin.httpUrl}`);
  await twin.seed(ALL.map((id) => profile(id, id === 'D-lat' ? { Latch: true } : {})));
  const device = new Device(twin);
  for (const [id, count] of Object.entries(EVENTS)) await device.send(id, ...Array<number>(count).fill(95));
  await device.send('D-lat', 50);
  const act = async (id: string, body: object) => expectOk(await call('POST', `/api/printers/${id}/alarm`, { body }));
  await act('C-ack', { action: 'acknowledge' });
  snoozeReply = await act('B-snz', { action: 'snooze', until: SNOOZE_UNTIL });
  await act('A-dis1', { action: 'disable' });
  await act('A-dis0', { action: 'disable' });
});

afterAll(async () => {
  await twin?.close();
});

describe('the snooze end', () => {
  it('is carried as Until (ISO-8601) by the snooze reply, the listings and the printer, and only while snoozed', async () => {
    expect(snoozeReply).toMatchObject({ State: 'SNOOZE_DISABLED', Until: SNOOZE_UNTIL });
    const listed = (expectOk(await call('GET', '/api/alarms')).printers as { PrinterId: string; Alarm: { Until?: string } }[]).map((p) => [
      p.PrinterId,
      p.Alarm.Until,
    ]);
    expect(listed.filter(([, until]) => until !== undefined)).toEqual([['B-snz', SNOOZE_UNTIL]]);
    expect(expectOk(await call('GET', '/api/printers/B-snz')).alarm).toMatchObject({ Until: SNOOZE_UNTIL });
    expect(expectOk(await call('GET', '/api/printers/A-dis0')).alarm.Until).toBeUndefined();
  });

  it('is in the OpenAPI schema of an alarm, as an optional date-time', async () => {
    const alarm = expectOk(await call('GET', '/api/openapi.json')).components.schemas.Alarm;
    expect(alarm.properties.Until).toMatchObject({ type: 'string', format: 'date-time' });
    expect(alarm.required).not.toContain('Until');
  });
});

describe('health and the OpenAPI document', () => {
  it('GET /api/health answers ok with the twin counters', async () => {
    const body = expectOk(await call('GET', '/api/health'));
    expect(body).toEqual({ ok: true, twin: { received: expect.any(Number), done: expect.any(Number), inFlight: 0 } });
    expect(body.twin.done).toBe(body.twin.received);
  });

  it('GET /api/openapi.json lists every route, and each answers on the twin (never 404 or 405)', async () => {
    const document = expectOk(await call('GET', '/api/openapi.json'));
    expect(document.openapi).toBe('3.1.0');
    const operations = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => [method.toUpperCase(), path] as const),
    );
    expect(operations.map(([method, path]) => `${method} ${path}`).sort()).toEqual(
      [
        'GET /api/health',
        'GET /api/openapi.json',
        'GET /api/printers/ranked',
        'GET /api/printers',
        'GET /api/alarms',
        'GET /api/printers/{id}',
        'PUT /api/printers/{id}',
        'PATCH /api/printers/{id}',
        'POST /api/printers/{id}/alarm',
        'GET /api/printers/{id}/history',
        'GET /api/events',
        'POST /api/alarms/actions',
        'POST /api/printers/{id}/preview',
        'GET /api/events/counts',
      ].sort(),
    );
    // The writes are sent bodies the API refuses, so that probing changes nothing.
    const probes: Record<string, object> = { PUT: { Window: 0 }, PATCH: { Window: 0 }, POST: { action: 'explode' } };
    for (const [method, path] of operations) {
      const reply = await call(method, path.replace('{id}', 'E-act1'), { body: probes[method] });
      expect({ method, path, status: reply.status }).toEqual({ method, path, status: method === 'GET' ? 200 : 400 });
    }
  });
});

describe('fleet listings', () => {
  it('GET /api/printers/ranked: EventCount descending, then PrinterId; 10 by default; limit 1..100', async () => {
    const ranking = [...ALL].sort(byCountThenId);
    const top = expectOk(await call('GET', '/api/printers/ranked'));
    expect(Object.keys(top)).toEqual(['printers']);
    expect(ids(top)).toEqual(ranking.slice(0, 10));
    expect(top.printers[0]).toEqual({
      PrinterId: 'F-rank-c',
      EventCount: 3,
      OutOfBoundsCount: expect.any(Number),
      LastValue: 95,
      LastSeenAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      Alarm: { State: 'ACTIVE', Severity: 'major', Cause: 'threshold', Since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    });
    expect(top.printers.map((p: { EventCount: number }) => p.EventCount)).toEqual(ranking.slice(0, 10).map((id) => EVENTS[id] ?? 0));
    expect(ids(expectOk(await call('GET', '/api/printers/ranked?limit=1')))).toEqual(['F-rank-c']);
    expect(ids(expectOk(await call('GET', '/api/printers/ranked?limit=100')))).toEqual(ranking.slice(0, 100));
    for (const bad of ['0', '101', '-1', '2.5', 'ten', '']) {
      expectError(await call('GET', `/api/printers/ranked?limit=${bad}`), 400, /limit must be a whole number from 1 to 100/);
    }
  });

  it('GET /api/printers: every printer once, over several pages, each page in PrinterId order', async () => {
    const small = await allPages<{ PrinterId: string; EventCount: number }>(call, '/api/printers?limit=40', 'printers');
    expect(small.pages).toBeGreaterThanOrEqual(Math.ceil(ALL.length / 40));
    expect(small.items.map((p) => p.PrinterId).sort()).toEqual([...ALL].sort());
    for (const p of small.items) expect([p.PrinterId, p.EventCount]).toEqual([p.PrinterId, EVENTS[p.PrinterId] ?? 0]);
    const first = expectOk(await call('GET', '/api/printers?limit=40'));
    expect(ids(first)).toEqual([...ids(first)].sort());
    const whole = await allPages<{ PrinterId: string }>(call, '/api/printers', 'printers');
    expect(whole.pages).toBeGreaterThanOrEqual(2);
    expect(whole.items.map((p) => p.PrinterId).sort()).toEqual([...ALL].sort());
  });

  it('GET /api/printers refuses a cursor it did not give and a limit out of bounds', async () => {
    for (const cursor of ['bm9wZQ', 'e30', 'not a cursor', '']) {
      expectError(await call('GET', `/api/printers?cursor=${encodeURIComponent(cursor)}`), 400, /cursor/);
    }
    expectError(await call('GET', '/api/printers?limit=101'), 400, /limit/);
  });

  it('GET /api/alarms: alarms not NORMAL, ACTIVE, LATCHED, ACKNOWLEDGED, SNOOZE_DISABLED, DISABLED, then PrinterId', async () => {
    const body = expectOk(await call('GET', '/api/alarms'));
    // Without limit and cursor, every alarm in one answer: its next is always null.
    expect(body).toEqual({ printers: expect.any(Array), next: null });
    expect(ids(body)).toEqual(['E-act1', 'E-act2', 'F-rank-a', 'F-rank-b', 'F-rank-c', 'D-lat', 'C-ack', 'B-snz', 'A-dis0', 'A-dis1']);
    for (const p of body.printers) expect([p.PrinterId, p.Alarm.State, p.Alarm.Cause]).toEqual([p.PrinterId, ...ALARMS[p.PrinterId]!]);
    for (const state of ['ACTIVE', 'LATCHED', 'ACKNOWLEDGED', 'SNOOZE_DISABLED', 'DISABLED']) {
      const expected = ids(body).filter((id) => ALARMS[id]![0] === state);
      expect([state, ids(expectOk(await call('GET', `/api/alarms?state=${state}`)))]).toEqual([state, expected]);
    }
    for (const bad of ['active', 'ALARM', '']) {
      expectError(
        await call('GET', `/api/alarms?state=${bad}`),
        400,
        /state must be one of ACTIVE, LATCHED, ACKNOWLEDGED, SNOOZE_DISABLED, DISABLED/,
      );
    }
  });

  it('GET /api/alarms?state=NORMAL is refused: the alarm index holds only the alarms that are not NORMAL', async () => {
    expectError(await call('GET', '/api/alarms?state=NORMAL'), 400, /state NORMAL is not listed here/);
  });

  it('GET /api/events: the fleet history, newest first, paginated, from since on', async () => {
    const whole = expectOk(await call('GET', '/api/events?limit=100'));
    expect(whole.next).toBeNull();
    const all = whole.items as { PrinterId: string; Type: string; at?: string; At?: string }[];
    expectNewestFirst(all);
    const tally = (type: string) => {
      const counts: Record<string, number> = {};
      for (const item of all) if (item.Type === type) counts[item.PrinterId] = (counts[item.PrinterId] ?? 0) + 1;
      return counts;
    };
    expect({ events: tally('event'), transitions: tally('transition') }).toEqual({ events: EVENTS, transitions: TRANSITIONS });

    const paged = await allPages(call, '/api/events?limit=5', 'items');
    expect(paged.pages).toBeGreaterThanOrEqual(Math.ceil(all.length / 5));
    expect(paged.items).toEqual(all);
    expect(expectOk(await call('GET', '/api/events'))).toEqual({ items: all, next: null });

    const since = timeOf(all[Math.floor(all.length / 2)]!);
    const recent = all.filter((item) => timeOf(item) >= since);
    expect(recent.length).toBeLessThan(all.length);
    expect(expectOk(await call('GET', `/api/events?since=${new Date(since).toISOString()}`)).items).toEqual(recent);
    expect(expectOk(await call('GET', `/api/events?since=${since}`)).items).toEqual(recent);

    expectError(await call('GET', '/api/events?since=yesterday'), 400, /since must be epoch milliseconds or an ISO-8601 time/);
    expectError(await call('GET', '/api/events?limit=0'), 400, /limit/);
    expectError(await call('GET', '/api/events?cursor=bm9wZQ'), 400, /cursor/);
  });
});

describe('what no route answers', () => {
  it('404 for an unknown route, 405 with Allow for a known path and another method', async () => {
    expectError(await call('GET', '/api/nothing'), 404, /no such route: GET \/api\/nothing/);
    expectError(await call('GET', '/api/printers/E-act1/alarm/extra'), 404, /no such route/);
    const wrong = await call('DELETE', '/api/printers/E-act1');
    expectError(wrong, 405, /DELETE is not allowed on \/api\/printers\/E-act1 \(allowed: GET, HEAD, PUT, PATCH\)/);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, PUT, PATCH');
    expectError(await call('GET', '/api/printers/E-act1/alarm'), 405, /allowed: POST/);
    expectError(await call('POST', '/api/health', { body: {} }), 405, /allowed: GET/);
    expectError(await call('POST', '/api/events', { body: {} }), 405, /allowed: GET/);
  });

  it('403 for a request addressed to a host name that is not loopback; loopback names are answered', async () => {
    for (const path of ['/api/health', '/api/printers/ranked', '/api/printers/E-act1']) {
      expectError(await withHost(twin.httpUrl, 'GET', path, 'evil.example'), 403, /127\.0\.0\.1 or localhost only/);
      expectError(await withHost(twin.httpUrl, 'GET', path, `evil.example:${twin.httpPort}`), 403, /localhost only/);
    }
    expect((await withHost(twin.httpUrl, 'GET', '/api/printers/E-act1', `localhost:${twin.httpPort}`)).status).toBe(200);
  });

  it('never grants another origin: no CORS headers when asked, a preflight refused, a cross-site write refused', async () => {
    const origin = { origin: 'https://example.com' };
    expect(expectOk(await call('GET', '/api/alarms', { headers: origin })).printers).toHaveLength(10);
    const preflight = await call('OPTIONS', '/api/printers/E-act1/alarm', {
      headers: { ...origin, 'access-control-request-method': 'POST' },
    });
    expectError(preflight, 403, /OPTIONS from another site is refused/);
    expectError(await call('OPTIONS', '/api/printers/E-act1/alarm'), 405, /OPTIONS is not allowed/);
    const write = await call('POST', '/api/printers/E-act1/alarm', { body: { action: 'acknowledge' }, headers: origin });
    expectError(write, 403, /from another site is refused/);
    expect(expectOk(await call('GET', '/api/printers/E-act1')).alarm.State).toBe('ACTIVE');
  });
});
