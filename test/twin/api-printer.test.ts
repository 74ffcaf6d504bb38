/**
 * The operator API's contract on a running twin, over HTTP, for one printer
 * at a time: its detail, replacing its profile, acting on its alarm and
 * reading its history, each with every error it answers. Readings go over
 * MQTT to the real detector; alarms move through the real alarm writer; the
 * history is the real table. Each test has printers of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../contract/index.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { Device } from '../support/alarms.ts';
import { allPages, apiClient, expectError, expectNewestFirst, expectOk, timeOf } from '../support/twin-api.ts';

let twin: Twin;
let device: Device;
let call: ReturnType<typeof apiClient>;

const profile = (PrinterId: string, extra: Partial<ProfileInput> = {}): ProfileInput => ({
  PrinterId,
  Thresholds: { Lower: 20, Upper: 80 },
  Window: 1,
  ...extra,
});
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** What a printer's `state` may show: counters and what it last did, never storage keys or guards. */
const STATE_KEYS = ['EventCount', 'OutOfBoundsCount', 'LastValue', 'LastSeenAt', 'LastEventAt', 'LastSeq', 'LastTimestamp', 'SilenceAt'];
const EVENT_KEYS = ['Type', 'PrinterId', 'events', 'value', 'window', 'thresholds', 'at', 'metrics', 'severity'];
const TRANSITION_KEYS = ['Type', 'PrinterId', 'From', 'To', 'Cause', 'Severity', 'By', 'Note', 'At'];

beforeAll(async () => {
  twin = await startTwin({ sweepSeconds: 0, logFile: false });
  device = new Device(twin);
  call = apiClient(twin.httpUrl);
});

afterAll(async () => {
  await twin?.close();
});

const detail = async (id: string) => expectOk(await call('GET', `/api/printers/${encodeURIComponent(id)}`));
const act = (id: string, body: unknown) => call('POST', `/api/printers/${encodeURIComponent(id)}/alarm`, { body });
const history = async (id: string, query = 'limit=100') => expectOk(await call('GET', `/api/printers/${id}/history?${query}`));

describe('GET /api/printers/{id}', () => {
  it('gives the profile, counters, alarm and recent values after readings', async () => {
    await twin.seed([profile('Detail1', { Severity: 'critical' }), profile('Detail0')]);
    await device.send('Detail1', 50, 95);
    const body = await detail('Detail1');
    expect(Object.keys(body).sort()).toEqual(['alarm', 'effective', 'profile', 'recent', 'state']);
    expect(body.effective).toEqual(body.profile);
    expect(body.profile).toEqual(profile('Detail1', { Severity: 'critical' }));
    expect(STATE_KEYS).toEqual(expect.arrayContaining(Object.keys(body.state)));
    expect(body.state).toMatchObject({ EventCount: 1, LastValue: 95, LastSeenAt: expect.stringMatching(ISO), LastSeq: 2 });
    const [transition] = (await history('Detail1')).items.filter((i: { Type: string }) => i.Type === 'transition');
    expect(body.alarm).toEqual({ State: 'ACTIVE', Severity: 'critical', Cause: 'threshold', Since: transition.At });
    expect(body.recent.map(([, value]: [number, number]) => value)).toEqual([50, 95]);
    expect(body.recent[0][0]).toBeLessThanOrEqual(body.recent[1][0]);
    expect(body.recent[1][0]).toBe(Date.parse(body.state.LastSeenAt));

    const fresh = await detail('Detail0');
    expect(fresh).toMatchObject({ profile: profile('Detail0'), recent: [] });
    expect(fresh.alarm).toEqual({ State: 'NORMAL', Severity: null, Cause: null, Since: null });
    expect(fresh.state.EventCount ?? 0).toBe(0);
  });

  it('decodes ids in the path; 404 for an unknown printer, 400 for an id no printer can have', async () => {
    await twin.seed([profile('line 1/printer é')]);
    expect((await detail('line 1/printer é')).profile.PrinterId).toBe('line 1/printer é');
    expectError(await call('GET', '/api/printers/Nope'), 404, /no printer "Nope"/);
    expectError(await call('GET', '/api/printers/%2A'), 404, /no printer "\*"/);
    expectError(await call('GET', '/api/printers/a%01b'), 400, /control characters/);
    expectError(await call('GET', `/api/printers/${'x'.repeat(129)}`), 400, /129 characters, over 128/);
  });
});

describe('PUT /api/printers/{id}', () => {
  it('creates (201) and replaces (200) the profile, keeping counters and the alarm', async () => {
    const created = await call('PUT', '/api/printers/Put1', { body: { Thresholds: { Lower: 20, Upper: 80 }, Window: 1 } });
    expect(expectOk(created, 201)).toEqual(profile('Put1'));
    await device.send('Put1', 95, 96);
    const before = await detail('Put1');
    expect(before.state.EventCount).toBe(2);
    expect(before.alarm).toMatchObject({ State: 'ACTIVE', Cause: 'threshold' });

    const next = profile('Put1', { Thresholds: { Lower: 10, Upper: 90 }, Window: 3, Severity: 'critical', Latch: true });
    expect(expectOk(await call('PUT', '/api/printers/Put1', { body: { ...next, EventCount: 0, OutOfBoundsCount: 0 } }))).toEqual(next);
    const after = await detail('Put1');
    expect(after.profile).toEqual(next);
    expect(after.alarm).toEqual(before.alarm);
    expect(after.state).toEqual(before.state);
    expect(after.recent).toEqual(before.recent);
  });

  it.each([
    [{ Thresholds: { Lower: 90, Upper: 10 }, Window: 1 }, /^Thresholds\.Lower \(90\) is above Thresholds\.Upper \(10\)$/],
    [{ Thresholds: { Lower: 20, Upper: 80 }, Window: 3, Mode: 'm-of-n', Of: 2 }, /^Of \(2\) is below Window \(3\)$/],
    [
      { Thresholds: { Lower: 20, Upper: 80 }, Window: 1, Mode: 'sometimes' },
      /^Mode must be consecutive, m-of-n or duration, got "sometimes"$/,
    ],
    [{ Thresholds: { Lower: 20, Upper: 80 }, Window: 0 }, /^Window must be an integer >= 1, got 0$/],
    [{ Window: 1 }, /^Thresholds is missing or not a map$/],
    [{ Thresholds: { Lower: 20, Upper: 80 }, Window: 1, Colour: 'red' }, /unknown attribute "Colour"/],
    [{ Thresholds: { Lower: 20, Upper: 80 }, Window: 1, SilenceSeconds: 10 }, /^SilenceSeconds must be an integer >= 60, got 10$/],
    [{ Thresholds: { Lower: 90, Upper: 10 }, Window: 0 }, /^(Window|Thresholds)[^;]+; (Window|Thresholds)[^;]+$/],
  ])('400 with a one-line reason for the profile %j, changing nothing', async (body, reason) => {
    expectError(await call('PUT', '/api/printers/Refused1', { body }), 400, reason);
    expectError(await call('GET', '/api/printers/Refused1'), 404, /no printer/);
    await twin.seed([profile('Refused2')]);
    expectError(await call('PUT', '/api/printers/Refused2', { body }), 400, reason);
    expect((await detail('Refused2')).profile).toEqual(profile('Refused2'));
  });

  it('400 for a PrinterId not matching the path, bad JSON or a non-object; 413 over 16 KB; 415 unless JSON', async () => {
    await twin.seed([profile('Put2')]);
    const put = (body: unknown, headers?: Record<string, string>) =>
      call('PUT', '/api/printers/Put2', { body, ...(headers ? { headers } : {}) });
    expectError(await put(profile('Put3')), 400, /PrinterId "Put3" in the body does not match the path's "Put2"/);
    const json = { 'content-type': 'application/json' };
    expectError(await put('{"Thresholds": ', json), 400, /^the body is not JSON \(.+\)$/);
    expectError(await put('[1, 2]', json), 400, /must be a JSON object/);
    expectError(await put('', json), 400, /not JSON/);
    const big = JSON.stringify({ ...profile('Put2'), Pad: 'x'.repeat(17 * 1024) });
    expectError(await put(big, json), 413, /over the 16384-byte limit/);
    expectError(await put(new Blob([big]).stream(), json), 413, /over the 16384-byte limit/);
    expectError(await put(JSON.stringify(profile('Put2')), { 'content-type': 'text/plain' }), 415, /Content-Type: application\/json/);
    expectError(await put(JSON.stringify(profile('Put2'))), 415, /application\/json/);
    expectError(await put(JSON.stringify(profile('Put2')), { 'content-type': 'application/x-www-form-urlencoded' }), 415, /JSON/);
    expect((await detail('Put2')).profile).toEqual(profile('Put2'));
    const labelled = await put(JSON.stringify(profile('Put2', { Window: 2 })), { 'content-type': 'application/json; charset=utf-8' });
    expect(expectOk(labelled)).toEqual(profile('Put2', { Window: 2 }));
  });
});

describe('POST /api/printers/{id}/alarm', () => {
  it('acts on an ACTIVE alarm with a note, answers the bare Alarm, 409 when it no longer applies; history says local', async () => {
    await twin.seed([profile('Act1')]);
    await device.send('Act1', 95);
    const acked = await act('Act1', { action: 'acknowledge', note: 'nozzle swapped' });
    expect(expectOk(acked)).toEqual({
      State: 'ACKNOWLEDGED',
      Severity: 'major',
      Cause: 'acknowledge',
      Since: expect.stringMatching(ISO),
      By: 'local',
      Note: 'nozzle swapped',
    });
    expectError(await act('Act1', { action: 'acknowledge' }), 409, /^alarm is ACKNOWLEDGED; acknowledge applies to ACTIVE or LATCHED$/);
    expect((await detail('Act1')).alarm).toEqual(acked.body);

    const until = new Date(Date.now() + 3_600_000).toISOString();
    expect(expectOk(await act('Act1', { action: 'snooze', until }))).toMatchObject({ State: 'SNOOZE_DISABLED', Cause: 'snooze' });
    expect(expectOk(await act('Act1', { action: 'disable', note: null }))).toMatchObject({ State: 'DISABLED', Cause: 'disable' });
    expectError(await act('Act1', { action: 'snooze', until }), 409, /alarm is DISABLED; snooze applies to any state but DISABLED/);
    expect(expectOk(await act('Act1', { action: 'enable' }))).toEqual({
      State: 'NORMAL',
      Severity: 'major',
      Cause: 'enable',
      Since: expect.stringMatching(ISO),
    });
    expectError(await act('Act1', { action: 'reset' }), 409, /alarm is NORMAL; reset applies to any state but NORMAL/);
    expectError(await act('Act1', { action: 'enable' }), 409, /alarm is NORMAL; enable applies to DISABLED/);

    const transitions = (await history('Act1')).items.filter((i: { Type: string }) => i.Type === 'transition').reverse();
    for (const t of transitions) expect(Object.keys(t).sort()).toEqual([...TRANSITION_KEYS].sort());
    expect(transitions.map(({ From, To, Cause, By, Note }: Record<string, unknown>) => ({ From, To, Cause, By, Note }))).toEqual([
      { From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', By: 'detector', Note: null },
      { From: 'ACTIVE', To: 'ACKNOWLEDGED', Cause: 'acknowledge', By: 'local', Note: 'nozzle swapped' },
      { From: 'ACKNOWLEDGED', To: 'SNOOZE_DISABLED', Cause: 'snooze', By: 'local', Note: null },
      { From: 'SNOOZE_DISABLED', To: 'DISABLED', Cause: 'disable', By: 'local', Note: null },
      { From: 'DISABLED', To: 'NORMAL', Cause: 'enable', By: 'local', Note: null },
    ]);
    expect(transitions[1].At).toBe(acked.body.Since);
  });

  it.each([
    [{ action: 'snooze' }, /snooze needs until/],
    [{ action: 'snooze', until: '2020-01-01T00:00:00Z' }, /snooze until 2020-01-01T00:00:00\.000Z is not after/],
    [
      { action: 'snooze', until: 'tomorrow' },
      /^until must be an ISO-8601 time with a time zone, e.g. 2026-12-07T14:30:00Z, got "tomorrow"$/,
    ],
    [{ action: 'explode' }, /action must be one of acknowledge, snooze, disable, enable, reset, got "explode"/],
    [{}, /action must be one of .*got nothing/],
    [{ action: 'reset', by: 'someone else' }, /unknown field "by"/],
    [{ action: 'reset', note: 'a\nb' }, /control characters/],
  ])('400 for %j, changing nothing', async (body, reason) => {
    await twin.seed([profile('Act2')]);
    expectError(await act('Act2', body), 400, reason);
    expect((await detail('Act2')).alarm.State).toBe('NORMAL');
    expect((await history('Act2')).items).toEqual([]);
  });

  it('404 for an unknown printer; 400 for the fleet defaults; 415 and 400 for a body not JSON', async () => {
    expectError(await act('Ghost', { action: 'reset' }), 404, /Ghost/);
    expectError(await act('*', { action: 'reset' }), 400, /fleet defaults/);
    expectError(await call('POST', '/api/printers/Ghost/alarm', { body: 'action=reset' }), 415, /application\/json/);
    const json = { 'content-type': 'application/json' };
    expectError(await call('POST', '/api/printers/Ghost/alarm', { body: '{', headers: json }), 400, /not JSON/);
  });
});

describe('GET /api/printers/{id}/history', () => {
  it('newest first, paginated, filtered by since and until; items are the payload and Type only', async () => {
    await twin.seed([profile('Hist1'), profile('Hist2')]);
    await device.send('Hist1', 91, 92, 93, 94, 95, 96);
    await device.send('Hist2', 99);
    const { items: all, next } = await history('Hist1');
    expect(next).toBeNull();
    expectNewestFirst(all);
    expect(all.every((i: { PrinterId: string }) => i.PrinterId === 'Hist1')).toBe(true);
    const events = all.filter((i: { Type: string }) => i.Type === 'event');
    expect(events.map((e: { events: number; value: number }) => [e.events, e.value])).toEqual([6, 5, 4, 3, 2, 1].map((n) => [n, 90 + n]));
    expect(all.filter((i: { Type: string }) => i.Type === 'transition')).toEqual([
      expect.objectContaining({ Type: 'transition', From: 'NORMAL', To: 'ACTIVE', By: 'detector' }),
    ]);
    for (const item of all) {
      expect((item.Type === 'event' ? EVENT_KEYS : TRANSITION_KEYS).sort()).toEqual(expect.arrayContaining(Object.keys(item).sort()));
    }

    const paged = await allPages(call, '/api/printers/Hist1/history?limit=3', 'items');
    expect(paged.pages).toBeGreaterThanOrEqual(3);
    expect(paged.items).toEqual(all);
    expect(expectOk(await call('GET', '/api/printers/Hist1/history'))).toEqual({ items: all, next: null });

    const since = timeOf(events[4]);
    const until = timeOf(events[1]);
    const window = all.filter((i: { at?: string }) => timeOf(i) >= since && timeOf(i) <= until);
    expect(window.length).toBeGreaterThanOrEqual(4);
    expect(window.length).toBeLessThan(all.length);
    const range = `since=${new Date(since).toISOString()}&until=${until}`;
    expect((await history('Hist1', range)).items).toEqual(window);
    expect((await allPages(call, `/api/printers/Hist1/history?${range}&limit=2`, 'items')).items).toEqual(window);
    expect((await history('Hist1', `until=${new Date(until).toISOString()}`)).items).toEqual(all.filter((i: object) => timeOf(i) <= until));
  });

  it('404 for an unknown printer; 400 for bad times, since after until, a bad limit or cursor, the fleet defaults', async () => {
    await twin.seed([profile('Hist3')]);
    expectError(await call('GET', '/api/printers/Ghost/history'), 404, /no printer "Ghost"/);
    expectError(await call('GET', '/api/printers/*/history'), 400, /fleet defaults/);
    const bad = (query: string, reason: RegExp) =>
      call('GET', `/api/printers/Hist3/history?${query}`).then((r) => expectError(r, 400, reason));
    await bad('since=yesterday', /since must be epoch milliseconds or an ISO-8601 time/);
    await bad('until=2026-01-01T00:00:00', /until needs a time zone/);
    await bad('since=2026-01-02&until=2026-01-01', /since is after until/);
    await bad('limit=0', /limit must be a whole number from 1 to 100/);
    await bad('limit=101', /limit/);
    await bad('cursor=bm9wZQ', /cursor/);
    expect(expectOk(await call('GET', '/api/printers/Hist3/history'))).toEqual({ items: [], next: null });
  });
});
