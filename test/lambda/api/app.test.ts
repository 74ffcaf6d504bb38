/**
 * The operator API's contract, route by route and error by error, against
 * the real fleet operations on the embedded DynamoDB (so the 400/404/409
 * mapping and the profile validator are the deployed ones): statuses, body
 * shapes, limits, pagination, and the OpenAPI document listing exactly the
 * routes the router has. Counters, alarms and history come from readings.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Hono } from 'hono';
import { createApi } from '../../../lambda/api/app.ts';
import { type ApiFleet, startApiFleet } from '../../support/api-fleet.ts';

const NOW = Date.parse('2026-11-21T10:00:00.000Z');
const profile = (PrinterId: string, extra: Record<string, unknown> = {}) => ({
  PrinterId,
  Thresholds: { Lower: 20, Upper: 80 },
  Window: 2,
  ...extra,
});

let clock = NOW;
let fleet: ApiFleet;
let app: Hono;

beforeEach(async () => {
  clock = NOW;
  fleet = await startApiFleet(() => clock);
  app = fleet.api();
});

afterEach(async () => {
  vi.restoreAllMocks();
  await fleet.close();
});

/** Out-of-bounds readings enough for `events` anomaly events (each profile here counts one per `Window` = 2 readings). */
async function raise(printerId: string, events = 1): Promise<void> {
  for (let i = 0; i < 2 * events; i += 1) await fleet.reading(printerId, 95);
}

function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const type: Record<string, string> = text === undefined ? {} : { 'content-type': 'application/json' };
  return app.request(path, { method, headers: { ...type, ...headers }, ...(text === undefined ? {} : { body: text }) });
}

async function json(response: Response, status: number): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return (await response.json()) as Record<string, unknown>;
}

/**
 * An error is `{"error": "<one line>"}` with its status, and `matching` in the line; a refused profile
 * may add `fields`, one line per attribute. Returns the body.
 */
async function expectError(response: Response, status: number, matching: RegExp): Promise<Record<string, unknown>> {
  const body = await json(response, status);
  expect(Object.keys(body).filter((key) => key !== 'fields')).toEqual(['error']);
  expect(body['error']).toMatch(matching);
  expect(body['error']).not.toMatch(/\n|\bat .*\.ts:\d+/);
  for (const line of Object.values((body['fields'] ?? {}) as Record<string, unknown>)) expect(line).toMatch(/^[^\n]+$/);
  return body;
}

const ids = (body: Record<string, unknown>) => (body['printers'] as { PrinterId: string }[]).map((p) => p.PrinterId);

describe('fleet listings', () => {
  it('HEAD /api/health answers 200 with no body', async () => {
    const response = await send('HEAD', '/api/health');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it('GET /api/health answers ok, with what the host adds', async () => {
    expect(await json(await send('GET', '/api/health'), 200)).toEqual({ ok: true });
    const twin = createApi(fleet.fleet, { by: () => 'local', health: () => ({ twin: { received: 3 } }) });
    expect(await json(await twin.request('/api/health'), 200)).toEqual({ ok: true, twin: { received: 3 } });
  });

  it('GET /api/printers/ranked orders by EventCount then PrinterId, 10 by default, limit 1..100', async () => {
    await fleet.add(...Array.from({ length: 12 }, (_, i) => profile(`P${String(i).padStart(2, '0')}`)));
    await raise('P05', 2);
    await raise('P09');
    const ranked = await json(await send('GET', '/api/printers/ranked'), 200);
    expect(ids(ranked)).toEqual(['P05', 'P09', 'P00', 'P01', 'P02', 'P03', 'P04', 'P06', 'P07', 'P08']);
    expect((ranked['printers'] as { EventCount: number }[])[0]?.EventCount).toBe(2);
    expect(ids(await json(await send('GET', '/api/printers/ranked?limit=1'), 200))).toEqual(['P05']);
    expect(ids(await json(await send('GET', '/api/printers/ranked?limit=100'), 200))).toHaveLength(12);
    for (const bad of ['0', '101', '-1', '1.5', 'ten', '']) {
      await expectError(await send('GET', `/api/printers/ranked?limit=${bad}`), 400, /limit must be a whole number from 1 to 100/);
    }
  });

  it('GET /api/printers pages through every printer with next, and refuses a made-up cursor', async () => {
    await fleet.add(...Array.from({ length: 7 }, (_, i) => profile(`P${i}`)), {
      PrinterId: '*',
      Thresholds: { Lower: 0, Upper: 100 },
      Window: 3,
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const body = await json(await send('GET', `/api/printers?limit=3${query}`), 200);
      seen.push(...ids(body));
      cursor = body['next'] as string | null;
      pages += 1;
    } while (cursor !== null);
    // Pages of at most 3 in the table's order; every printer once, the fleet defaults never.
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen.toSorted()).toEqual(['P0', 'P1', 'P2', 'P3', 'P4', 'P5', 'P6']);
    await expectError(await send('GET', '/api/printers?cursor=bm9wZQ'), 400, /cursor/);
    await expectError(await send('GET', '/api/printers?limit=500'), 400, /limit/);
  });

  it('GET /api/alarms lists alarms not NORMAL in state order, or one state, and checks the state', async () => {
    await fleet.add(...['A', 'B', 'C', 'D'].map((id) => profile(id)));
    for (const id of ['A', 'B', 'C']) await raise(id);
    await send('POST', '/api/printers/A/alarm', { action: 'acknowledge' });
    await send('POST', '/api/printers/C/alarm', { action: 'disable' });
    expect(ids(await json(await send('GET', '/api/alarms'), 200))).toEqual(['B', 'A', 'C']);
    expect(ids(await json(await send('GET', '/api/alarms?state=ACKNOWLEDGED'), 200))).toEqual(['A']);
    await expectError(await send('GET', '/api/alarms?state=NORMAL'), 400, /state NORMAL is not listed here/);
    await expectError(await send('GET', '/api/alarms?state=active'), 400, /state must be one of ACTIVE, LATCHED/);
  });
});

describe('one printer', () => {
  it('GET /api/printers/{id} gives profile, state, alarm and recent values; 404 for an unknown one', async () => {
    await fleet.add(profile('Printer1'));
    clock = NOW - 1000;
    await fleet.reading('Printer1', 50);
    const body = await json(await send('GET', '/api/printers/Printer1'), 200);
    expect(body).toEqual({
      profile: profile('Printer1'),
      effective: profile('Printer1'),
      state: {
        EventCount: 0,
        OutOfBoundsCount: 0,
        LastValue: 50,
        LastSeenAt: new Date(NOW - 1000).toISOString(),
        LastSeq: 1,
        LastTimestamp: NOW - 1000,
      },
      alarm: { State: 'NORMAL', Severity: null, Cause: null, Since: null },
      recent: [[NOW - 1000, 50]],
    });
    await expectError(await send('GET', '/api/printers/Nope'), 404, /no printer "Nope"/);
  });

  it('decodes path ids (spaces, slashes, non-ASCII) and refuses control characters and over-long ids', async () => {
    for (const id of ['line 1/printer', 'Drucker-é']) {
      await fleet.add(profile(id));
      const body = await json(await send('GET', `/api/printers/${encodeURIComponent(id)}`), 200);
      expect((body['profile'] as { PrinterId: string }).PrinterId).toBe(id);
    }
    await expectError(await send('GET', '/api/printers/a%00b'), 400, /control characters/);
    await expectError(await send('GET', `/api/printers/${'x'.repeat(129)}`), 400, /129 characters, over 128/);
    // Exactly the longest id is an id: looked up, not refused.
    await expectError(await send('GET', `/api/printers/${'x'.repeat(128)}`), 404, /^no printer "x{128}"$/);
  });

  it('reads and writes the fleet defaults (*), which have no alarm and no history', async () => {
    expect((await send('PUT', '/api/printers/*', { Thresholds: { Lower: 0, Upper: 100 }, Window: 3, Enrol: true })).status).toBe(201);
    expect(await json(await send('GET', '/api/printers/%2A'), 200)).toMatchObject({ profile: { PrinterId: '*', Enrol: true } });
    await expectError(await send('POST', '/api/printers/*/alarm', { action: 'reset' }), 400, /fleet defaults/);
    await expectError(await send('GET', '/api/printers/*/history'), 400, /fleet defaults/);
  });

  it('PUT /api/printers/{id} creates (201) and replaces (200), keeping counters and the alarm', async () => {
    const created = await send('PUT', '/api/printers/P1', { Thresholds: { Lower: 20, Upper: 80 }, Window: 2 });
    expect(await json(created, 201)).toEqual(profile('P1'));
    await raise('P1');
    const replaced = await send('PUT', '/api/printers/P1', profile('P1', { Window: 5, Severity: 'critical' }));
    expect(await json(replaced, 200)).toEqual(profile('P1', { Window: 5, Severity: 'critical' }));
    const detail = await json(await send('GET', '/api/printers/P1'), 200);
    expect(detail).toMatchObject({ state: { EventCount: 1 }, alarm: { State: 'ACTIVE' }, profile: { Window: 5 } });
  });

  it('PATCH /api/printers/{id} changes only what the body names; null removes an attribute', async () => {
    await send('PUT', '/api/printers/Pa', profile('Pa', { Severity: 'critical', Latch: true }));
    const patched = await send('PATCH', '/api/printers/Pa', { Window: 4, Latch: null });
    expect(await json(patched, 200)).toEqual(profile('Pa', { Window: 4, Severity: 'critical' }));
    await expectError(await send('PATCH', '/api/printers/Pa', '[1]'), 400, /must be a JSON object/);
  });

  it('PUT refuses a mismatched PrinterId, what the validator refuses, bad JSON, a non-object and a body not labelled JSON', async () => {
    await expectError(await send('PUT', '/api/printers/P1', profile('P2')), 400, /"P2" in the body does not match the path's "P1"/);
    const refused = await expectError(
      await send('PUT', '/api/printers/P1', { Thresholds: { Lower: 90, Upper: 10 }, Window: 1 }),
      400,
      /^Thresholds\.Lower \(90\) is above Thresholds\.Upper \(10\)$/,
    );
    expect(refused['fields']).toEqual({ Thresholds: expect.stringMatching(/Lower \(90\) is above Thresholds\.Upper/) });
    await expectError(await send('PUT', '/api/printers/P1', '{"Thresholds": '), 400, /^the body is not JSON \(.+\)$/);
    await expectError(await send('PUT', '/api/printers/P1', '[1, 2]'), 400, /must be a JSON object/);
    const plain = await app.request('/api/printers/P1', { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: '{}' });
    await expectError(plain, 415, /Content-Type: application\/json/);
    await expectError(await app.request('/api/printers/P1', { method: 'PUT', body: '{}' }), 415, /application\/json/);
    for (const body of ['null', '"text"', '3', 'true'])
      await expectError(await send('PUT', '/api/printers/P1', body), 400, /^the body must be a JSON object$/);
    for (const type of ['text/application/json', 'application/jsonp', 'application/json-seq']) {
      const other = await app.request('/api/printers/P1', {
        method: 'PUT',
        headers: { 'content-type': type },
        body: JSON.stringify(profile('P1')),
      });
      await expectError(other, 415, /Content-Type: application\/json/);
    }
    const charset = { 'content-type': 'Application/JSON ; charset=utf-8' };
    expect((await app.request('/api/printers/P1', { method: 'PUT', headers: charset, body: JSON.stringify(profile('P1')) })).status).toBe(
      201,
    );
  });

  it('refuses a body over 16 KB with 413, declared or streamed, also from a host passing a Request look-alike', async () => {
    const big = JSON.stringify(profile('P1', { Note: 'x'.repeat(17 * 1024) }));
    await expectError(
      await send('PUT', '/api/printers/P1', big, { 'content-length': String(big.length) }),
      413,
      /over the 16384-byte limit/,
    );
    const stream = new Blob([big]).stream();
    const chunked = await app.request('/api/printers/P1', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    await expectError(chunked, 413, /over the 16384-byte limit/);
    // What @hono/node-server hands over without its global override: a Request's fields on a plain object.
    const lookalike = (text: string) => {
      const { url, method, headers, body } = new Request('http://127.0.0.1/api/printers/P1', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: new Blob([text]).stream(),
        duplex: 'half',
      } as RequestInit);
      return { url, method, headers, body } as Request;
    };
    await expectError(await app.fetch(lookalike(big)), 413, /over the 16384-byte limit/);
    expect((await app.fetch(lookalike(JSON.stringify(profile('P1'))))).status).toBe(201);
    const small = createApi(fleet.fleet, { by: () => 'tester', maxBodyBytes: 10 });
    const refused = await small.request('/api/printers/P1/alarm', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'acknowledge' }),
    });
    await expectError(refused, 413, /over the 10-byte limit/);
  });
});

describe('alarm actions', () => {
  beforeEach(async () => {
    await fleet.add(profile('P1'));
    await raise('P1');
  });

  /** The newest transition in P1's history: who acted, with which note. */
  const lastTransition = async () => {
    const history = await json(await send('GET', '/api/printers/P1/history?limit=1'), 200);
    return (history['items'] as Record<string, unknown>[])[0];
  };

  it('POST /api/printers/{id}/alarm returns the bare new Alarm, acting as options.by says, with the note', async () => {
    const body = await json(await send('POST', '/api/printers/P1/alarm', { action: 'acknowledge', note: 'on it' }), 200);
    expect(body).toEqual({
      State: 'ACKNOWLEDGED',
      Severity: 'major',
      Cause: 'acknowledge',
      Since: new Date(NOW).toISOString(),
      By: 'tester',
      Note: 'on it',
    });
    expect(await lastTransition()).toMatchObject({
      Type: 'transition',
      To: 'ACKNOWLEDGED',
      Cause: 'acknowledge',
      By: 'tester',
      Note: 'on it',
    });
  });

  it('snoozes until an ISO time, given as epoch ms to the fleet', async () => {
    const until = '2026-11-21T12:00:00Z';
    expect(await json(await send('POST', '/api/printers/P1/alarm', { action: 'snooze', until }), 200)).toMatchObject({
      State: 'SNOOZE_DISABLED',
      Until: new Date(Date.parse(until)).toISOString(),
    });
    expect(await lastTransition()).toMatchObject({ To: 'SNOOZE_DISABLED', By: 'tester' });
  });

  it('409 for an action not valid now, with the reason', async () => {
    await send('POST', '/api/printers/P1/alarm', { action: 'disable' });
    await expectError(
      await send('POST', '/api/printers/P1/alarm', { action: 'acknowledge' }),
      409,
      /alarm is DISABLED; acknowledge applies/,
    );
    await expectError(
      await send('POST', '/api/printers/P1/alarm', { action: 'snooze', until: '2027-01-01T00:00:00Z' }),
      409,
      /alarm is DISABLED/,
    );
  });

  it.each([
    [{ action: 'explode' }, /action must be one of acknowledge, snooze, disable, enable, reset, got "explode"/],
    [{}, /action must be one of .*got nothing/],
    [{ action: 'snooze' }, /snooze needs until/],
    // The message names only what snooze accepts: an ISO-8601 time, not epoch milliseconds.
    [
      { action: 'snooze', until: 'tomorrow' },
      /^until must be an ISO-8601 time with a time zone, e\.g\. 2026-12-07T14:30:00Z, got "tomorrow"$/,
    ],
    [{ action: 'snooze', until: String(NOW + 60_000) }, /until must be an ISO-8601 time/],
    [{ action: 'snooze', until: '2026-11-21T12:00:00' }, /needs a time zone/],
    [{ action: 'snooze', until: '2026-11-21T09:00:00Z' }, /is not after/],
    [{ action: 'reset', until: '2027-01-01T00:00:00Z' }, /until is for snooze, not reset/],
    [{ action: 'reset', note: 42 }, /note must be a string/],
    [{ action: 'reset', by: 'someone else' }, /unknown field "by"/],
  ])('400 for %j', async (body, reason) => {
    await expectError(await send('POST', '/api/printers/P1/alarm', body), 400, reason);
  });

  it('404 for an unknown printer', async () => {
    await expectError(await send('POST', '/api/printers/P9/alarm', { action: 'reset' }), 404, /no printer "P9"/);
  });
});

describe('history', () => {
  const at = (minute: number) => NOW - (60 - minute) * 60_000;

  beforeEach(async () => {
    await fleet.add(profile('P1', { Window: 1 }), profile('P2', { Window: 1 }));
    for (let minute = 0; minute < 5; minute += 1) {
      clock = at(minute);
      await fleet.reading('P1', 95);
    }
    clock = at(10);
    await fleet.reading('P2', 95);
    clock = NOW;
  });

  it('GET /api/printers/{id}/history is newest first, paginated, filtered by since/until as ISO or epoch ms', async () => {
    const first = await json(await send('GET', '/api/printers/P1/history?limit=4'), 200);
    const items = first['items'] as { Type: string; events?: number }[];
    expect(items.map((i) => i.Type)).toEqual(['event', 'event', 'event', 'event']);
    expect(items.map((i) => i.events)).toEqual([5, 4, 3, 2]);
    const rest = await json(await send('GET', `/api/printers/P1/history?limit=4&cursor=${first['next']}`), 200);
    expect((rest['items'] as unknown[]).length).toBe(2);
    expect(rest['next']).toBeNull();
    const since = new Date(at(3)).toISOString();
    const filtered = await json(await send('GET', `/api/printers/P1/history?since=${since}&until=${at(3)}`), 200);
    expect((filtered['items'] as { events?: number }[]).map((i) => i.events)).toEqual([4]);
  });

  it('refuses bad times, since after until, and answers 404 for an unknown printer', async () => {
    await expectError(
      await send('GET', '/api/printers/P1/history?since=yesterday'),
      400,
      /since must be epoch milliseconds or an ISO-8601/,
    );
    await expectError(await send('GET', `/api/printers/P1/history?since=${at(4)}&until=${at(1)}`), 400, /since is after until/);
    await expectError(await send('GET', '/api/printers/P1/history?limit=0'), 400, /limit/);
    await expectError(await send('GET', '/api/printers/P9/history'), 404, /no printer "P9"/);
  });

  it('GET /api/events filters by since and until (an instant is a range of one), and pages with its cursor', async () => {
    const recent = await json(await send('GET', `/api/events?since=${at(4)}`), 200);
    expect((recent['items'] as { PrinterId: string; Type: string; events?: number }[]).map((i) => [i.PrinterId, i.Type, i.events])).toEqual(
      [
        ['P2', 'transition', undefined],
        ['P2', 'event', 1],
        ['P1', 'event', 5],
      ],
    );
    const instant = await json(await send('GET', `/api/events?since=${at(3)}&until=${new Date(at(3)).toISOString()}`), 200);
    expect((instant['items'] as { events?: number }[]).map((i) => i.events)).toEqual([4]);
    const seen: unknown[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const body = await json(await send('GET', `/api/events?limit=2${query}`), 200);
      seen.push(...(body['items'] as unknown[]));
      cursor = body['next'] as string | null;
    } while (cursor !== null && seen.length < 100);
    expect(seen).toEqual((await json(await send('GET', '/api/events'), 200))['items']);
  });

  it('GET /api/events is the same, fleet-wide, 50 by default', async () => {
    const body = await json(await send('GET', '/api/events'), 200);
    const items = body['items'] as { PrinterId: string; Type: string }[];
    // P2's event and the alarm transition it caused share a time: the transition, recorded after it, comes first.
    expect(items.slice(0, 2)).toMatchObject([
      { PrinterId: 'P2', Type: 'transition', To: 'ACTIVE' },
      { PrinterId: 'P2', Type: 'event' },
    ]);
    expect(items.filter((i) => i.Type === 'event')).toHaveLength(6);
    expect(body['next']).toBeNull();
    const until = await json(await send('GET', `/api/events?until=${new Date(at(3)).toISOString()}`), 200);
    const older = (until['items'] as { Type: string; events?: number; PrinterId: string }[]).filter((i) => i.Type === 'event');
    expect(older.map((i) => [i.PrinterId, i.events])).toEqual([
      ['P1', 4],
      ['P1', 3],
      ['P1', 2],
      ['P1', 1],
    ]);
    await expectError(await send('GET', `/api/events?since=${at(4)}&until=${at(1)}`), 400, /since is after until/);
    const page = await json(await send('GET', `/api/events?limit=2&since=${at(2)}`), 200);
    expect((page['items'] as unknown[]).length).toBe(2);
    expect(page['next']).toEqual(expect.any(String));
  });
});

describe('everything else', () => {
  it('404 for an unknown route, 405 with Allow for a known path with another method', async () => {
    await expectError(await send('GET', '/api/nothing'), 404, /no such route: GET \/api\/nothing/);
    await expectError(await send('GET', '/elsewhere'), 404, /no such route/);
    const wrong = await send('DELETE', '/api/printers/P1');
    await expectError(wrong, 405, /DELETE is not allowed on \/api\/printers\/P1 \(allowed: GET, HEAD, PUT, PATCH\)/);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, PUT, PATCH');
    await expectError(await send('GET', '/api/printers/P1/alarm'), 405, /allowed: POST/);
    await expectError(await send('POST', '/api/health', {}), 405, /allowed: GET/);
    // The document's dot is a dot: another method on its path is a 405, a look-alike path a 404.
    await expectError(await send('POST', '/api/openapi.json', {}), 405, /allowed: GET/);
    await expectError(await send('POST', '/api/openapiXjson', {}), 404, /no such route/);
  });

  it('sends no CORS headers, even when asked, and refuses a preflight', async () => {
    const asked = await send('GET', '/api/health', undefined, { origin: 'https://example.com' });
    expect([...asked.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
    const preflight = await send('OPTIONS', '/api/printers/P1/alarm', undefined, {
      origin: 'https://example.com',
      'access-control-request-method': 'POST',
    });
    await expectError(preflight, 405, /OPTIONS is not allowed/);
    expect([...preflight.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('a failing operation is a 500 "internal error" even when the error carries a client status of its own', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    fleet.harness.setFault(() => Object.assign(new Error('secret detail'), { status: 404 }));
    expect(await json(await send('GET', '/api/printers/ranked'), 500)).toEqual({ error: 'internal error' });
  });

  it('a failing operation is a 500 "internal error" with the details only in the log', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    const failure = new Error('table PrinterProfiles: secret detail');
    fleet.harness.setFault(() => failure);
    const response = await send('GET', '/api/printers/ranked');
    expect(await json(response, 500)).toEqual({ error: 'internal error' });
    expect(log).toHaveBeenCalledWith('operator API: request failed', 'GET', '/api/printers/ranked', expect.anything());
    expect(String(log.mock.calls[0]?.[3])).toContain('secret detail');
  });

  it('answers are never cached nor content-sniffed', async () => {
    expect((await send('GET', '/api/alarms')).headers.get('cache-control')).toBe('no-store');
    expect((await send('GET', '/api/alarms')).headers.get('x-content-type-options')).toBe('nosniff');
    expect((await send('GET', '/api/nothing')).headers.get('cache-control')).toBe('no-store');
  });

  it('the OpenAPI document lists exactly the routes and methods of the router', async () => {
    const document = await json(await send('GET', '/api/openapi.json'), 200);
    expect(document['openapi']).toBe('3.1.0');
    const documented = Object.entries(document['paths'] as Record<string, Record<string, unknown>>).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const routed = app.routes.filter((route) => route.method !== 'ALL').map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    expect(routed.length).toBeGreaterThanOrEqual(10);
    expect(new Set(documented)).toEqual(new Set(routed));
    expect(documented).toHaveLength(routed.length);
  });
});
