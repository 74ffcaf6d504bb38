/**
 * Profile preview (`POST /api/printers/{id}/preview`) on a running twin: a
 * printer's recent values judged by the detector under its stored profile
 * and a proposed one, checked against an independent model of the original
 * rule (out of bounds outside [Lower, Upper]; an event at each run of Window
 * consecutive ones, the run starting again after it). Nothing is written.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../lambda/api/app.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { Device } from '../support/alarms.ts';
import { apiClient, expectError, expectOk } from '../support/twin-api.ts';

let twin: Twin;
let call: ReturnType<typeof apiClient>;
const VALUES = [50, 90, 95, 50, 10, 10, 50, 85, 81, 82, 79, 20];

beforeAll(async () => {
  twin = await startTwin({ sweepSeconds: 0, logFile: false });
  call = apiClient(twin.httpUrl);
  await twin.seed([
    { PrinterId: 'Pv', Thresholds: { Lower: 20, Upper: 80 }, Window: 2 },
    { PrinterId: 'Pv-empty', Thresholds: { Lower: 20, Upper: 80 }, Window: 1 },
  ]);
  await new Device(twin).send('Pv', ...VALUES);
});

afterAll(async () => {
  await twin?.close();
});

/** The original rule, written apart from the detector. */
function model(values: readonly number[], lower: number, upper: number, window: number) {
  const flags = values.map((v) => v < lower || v > upper);
  let run = 0;
  let events = 0;
  for (const out of flags) {
    run = out ? run + 1 : 0;
    if (run >= window) {
      events += 1;
      run = 0;
    }
  }
  return { flags, events };
}

describe("a refused profile's reasons per field", () => {
  it('PUT, PATCH and preview answer the error line and the same reasons per attribute', async () => {
    const body = { Thresholds: { Lower: 90, Upper: 80 }, Window: 0, Colour: 'red' };
    for (const [method, path] of [
      ['PUT', '/api/printers/Pv'],
      ['PATCH', '/api/printers/Pv'],
      ['POST', '/api/printers/Pv/preview'],
    ] as const) {
      const reply = await call(method, path, { body });
      expectError(reply, 400, /Window/);
      expect([method, Object.keys(reply.body.fields).sort()]).toEqual([method, ['Colour', 'Thresholds', 'Window']]);
      expect(reply.body.fields.Window).toMatch(/^Window must be an integer >= 1/);
      for (const line of Object.values(reply.body.fields)) expect(reply.body.error).toContain(line);
    }
    // A PATCH that would remove what cannot be removed names that attribute.
    const patch = await call('PATCH', '/api/printers/Pv', { body: { EventCount: null } });
    expectError(patch, 400, /EventCount/);
    expect(Object.keys(patch.body.fields ?? {})).toEqual(['EventCount']);
  });
});

describe('POST /api/printers/{id}/preview', () => {
  it("judges the printer's recent values under the stored and the proposed profile, and writes nothing", async () => {
    const before = expectOk(await call('GET', '/api/printers/Pv'));
    const reply = expectOk(await call('POST', '/api/printers/Pv/preview', { body: { Thresholds: { Lower: 40, Upper: 60 }, Window: 1 } }));
    expect(reply.values.map(([, v]: [number, number]) => v)).toEqual(VALUES);
    expect(reply.values).toEqual(before.recent);
    expect(reply.current).toEqual(model(VALUES, 20, 80, 2));
    expect(reply.proposed).toEqual(model(VALUES, 40, 60, 1));
    expect(expectOk(await call('GET', '/api/printers/Pv'))).toEqual(before);
  });

  it('agrees with the model for any band and window, on the last n values', async () => {
    const api = createApi(twin.fleet, { by: () => 'test' });
    const profile = fc
      .tuple(fc.integer({ min: -10, max: 110 }), fc.integer({ min: -10, max: 110 }), fc.integer({ min: 1, max: 4 }))
      .map(([a, b, window]) => ({ lower: Math.min(a, b), upper: Math.max(a, b), window }));
    await fc.assert(
      fc.asyncProperty(profile, fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }), async (p, n) => {
        const response = await api.request(`/api/printers/Pv/preview${n === undefined ? '' : `?n=${n}`}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ Thresholds: { Lower: p.lower, Upper: p.upper }, Window: p.window }),
        });
        expect(response.status).toBe(200);
        const values = n === undefined ? VALUES : VALUES.slice(-n);
        expect(await response.json()).toEqual({
          values: expect.any(Array),
          current: model(values, 20, 80, 2),
          proposed: model(values, p.lower, p.upper, p.window),
        });
      }),
      { numRuns: 80 },
    );
  });

  it('a printer without values previews nothing', async () => {
    const reply = expectOk(
      await call('POST', '/api/printers/Pv-empty/preview', { body: { Thresholds: { Lower: 0, Upper: 1 }, Window: 1 } }),
    );
    expect(reply).toEqual({ values: [], current: { flags: [], events: 0 }, proposed: { flags: [], events: 0 } });
  });

  it("refuses what PUT refuses with the validator's reason, an unknown printer, the fleet defaults and a bad n", async () => {
    expectError(
      await call('POST', '/api/printers/Pv/preview', { body: { Thresholds: { Lower: 20, Upper: 80 }, Window: 0 } }),
      400,
      /Window/,
    );
    expectError(
      await call('POST', '/api/printers/Pv/preview', { body: { Thresholds: { Lower: 90, Upper: 80 }, Window: 1 } }),
      400,
      /Lower/,
    );
    expectError(await call('POST', '/api/printers/Pv/preview', { body: { Window: 1, Colour: 'red' } }), 400, /unknown attribute "Colour"/);
    expectError(
      await call('POST', '/api/printers/Ghost/preview', { body: { Thresholds: { Lower: 0, Upper: 1 }, Window: 1 } }),
      404,
      /Ghost/,
    );
    expectError(await call('POST', '/api/printers/*/preview', { body: { Window: 1 } }), 400, /fleet defaults/);
    for (const n of ['0', '101', 'x', '-1']) {
      expectError(await call('POST', `/api/printers/Pv/preview?n=${n}`, { body: { Window: 1 } }), 400, /n must be a whole number/);
    }
  });
});
