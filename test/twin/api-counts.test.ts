/**
 * `GET /api/events/counts` on a running twin: the fleet's events and
 * transitions per equal span of a time range, checked against the same
 * range read item by item through `GET /api/events`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { Device } from '../support/alarms.ts';
import { allPages, apiClient, expectError, expectOk } from '../support/twin-api.ts';

let twin: Twin;
let call: ReturnType<typeof apiClient>;
const HOUR = 3_600_000;
const T0 = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR;

beforeAll(async () => {
  twin = await startTwin({ sweepSeconds: 0, logFile: false });
  call = apiClient(twin.httpUrl);
  await twin.seed(['C1', 'C2'].map((PrinterId) => ({ PrinterId, Thresholds: { Lower: 20, Upper: 80 }, Window: 1 })));
  const device = new Device(twin);
  // C1: an event and its activation in the first hour, the clear too; another event in the second hour.
  await device.sendBatch('C1', [
    { value: 95, timestamp: T0 + 60_000 },
    { value: 50, timestamp: T0 + 120_000 },
    { value: 96, timestamp: T0 + HOUR + 5 * 60_000 },
  ]);
  // C2: events at the very ends of the range.
  await device.sendBatch('C2', [
    { value: 97, timestamp: T0 },
    { value: 98, timestamp: T0 + 2 * HOUR - 1 },
  ]);
});

afterAll(async () => {
  await twin?.close();
});

describe('GET /api/events/counts', () => {
  it('counts events and transitions per span, as the items of the range say', async () => {
    const range = `since=${T0}&until=${T0 + 2 * HOUR - 1}`;
    const { buckets } = expectOk(await call('GET', `/api/events/counts?${range}&buckets=2`));
    const { items } = await allPages<{ Type: string; at?: string; At?: string }>(call, `/api/events?${range}&limit=100`, 'items');
    const model = [0, 1].map((i) => {
      const inside = items.filter((item) => Math.floor((Date.parse((item.at ?? item.At)!) - T0) / HOUR) === i);
      return {
        start: new Date(T0 + i * HOUR).toISOString(),
        events: inside.filter((item) => item.Type === 'event').length,
        transitions: inside.filter((item) => item.Type === 'transition').length,
      };
    });
    expect(buckets).toEqual(model);
    expect(model.map((b) => b.events)).toEqual([2, 2]);
    expect(model[0]!.transitions).toBeGreaterThanOrEqual(3);
  });

  it('defaults to the last 24 hours in 24 spans; refuses a bad range or bucket count', async () => {
    const { buckets } = expectOk(await call('GET', '/api/events/counts'));
    expect(buckets).toHaveLength(24);
    expect(buckets.reduce((sum: number, b: { events: number }) => sum + b.events, 0)).toBe(4);
    expectError(await call('GET', `/api/events/counts?since=${T0 + 1}&until=${T0}`), 400, /since is after until/);
    for (const n of ['0', '501', 'x']) expectError(await call('GET', `/api/events/counts?buckets=${n}`), 400, /buckets must be/);
  });
});
