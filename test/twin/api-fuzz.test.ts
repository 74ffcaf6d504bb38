/**
 * The operator API fuzzed from its own OpenAPI document, in process against
 * the real fleet operations on a twin's tables (readings over MQTT, real
 * history): for every route and method, thousands of requests with valid,
 * boundary and invalid parameters and bodies (wrong types, numbers DynamoDB
 * cannot store, forged cursors, ids over 128 characters). Zero 5xx; every
 * answer JSON with a status the document lists; every 4xx exactly
 * `{"error": "<one line>"}`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../contract/index.ts';
import { createApi } from '../../lambda/api/app.ts';
import { openApiDocument } from '../../lambda/api/openapi.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { Device } from '../support/alarms.ts';
import { type Known, operations, requestFor } from '../support/openapi-requests.ts';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 400); // per route and method: 9 of them

let twin: Twin;
let api: ReturnType<typeof createApi>;
const known: { ids: string[]; cursors: string[] } = { ids: ['Z1', 'Z2', 'Z3', 'Z-é-💥'], cursors: [] };

beforeAll(async () => {
  twin = await startTwin({ sweepSeconds: 0, logFile: false });
  const profiles: ProfileInput[] = known.ids.map((PrinterId) => ({ PrinterId, Thresholds: { Lower: 20, Upper: 80 }, Window: 1 }));
  await twin.seed(profiles);
  const device = new Device(twin);
  for (const id of known.ids) await device.send(id, 95, 1e20, 50, -1e125, 10);
  api = createApi(twin.fleet, { by: () => 'fuzz' });
  for (const path of ['/api/printers?limit=1', '/api/events?limit=1', '/api/printers/Z1/history?limit=1']) {
    const next = ((await (await api.request(path)).json()) as { next: string | null }).next;
    expect(next).not.toBeNull();
    known.cursors.push(next as string);
  }
});
afterAll(async () => {
  await twin?.close();
});

describe('the operator API fuzzed from its OpenAPI document', () => {
  const doc = openApiDocument();
  const ops = operations(doc);
  let total = 0;
  const byStatus = new Map<number, number>();

  it('lists every route of the app', () => {
    expect(ops.map((op) => `${op.method} ${op.route}`).sort()).toEqual(
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
  });

  for (const op of ops) {
    it(`${op.method} ${op.route}: no 5xx, documented statuses, one-line errors`, async () => {
      await fc.assert(
        fc.asyncProperty(requestFor(doc, op, known as Known), async (request) => {
          total++;
          const response = await api.request(request.path, {
            method: request.method,
            headers: request.headers,
            ...(request.body === undefined ? {} : { body: request.body }),
          });
          const text = await response.text();
          byStatus.set(response.status, (byStatus.get(response.status) ?? 0) + 1);
          const seen = { request, status: response.status, text: text.slice(0, 300) };
          expect(response.status < 500, JSON.stringify(seen)).toBe(true);
          expect([...op.statuses, 404, 405], JSON.stringify(seen)).toContain(response.status);
          expect(response.headers.get('content-type')).toMatch(/^application\/json/);
          const body = JSON.parse(text) as unknown;
          if (response.status >= 400) {
            // A refused profile may add its reasons per attribute.
            const { fields, ...rest } = body as { fields?: Record<string, unknown> };
            expect(Object.keys(rest), JSON.stringify(seen)).toEqual(['error']);
            for (const reason of Object.values(fields ?? {})) {
              expect(typeof reason === 'string' && reason.length > 0 && !/[\r\n]/.test(reason), JSON.stringify(seen)).toBe(true);
            }
            const line = (body as { error: unknown }).error;
            expect(typeof line === 'string' && line.length > 0 && !/[\r\n]/.test(line) && line.trim() === line, JSON.stringify(seen)).toBe(
              true,
            );
          }
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('tried thousands of requests', () => {
    console.log(`API fuzz: ${total} requests tried, by status ${JSON.stringify(Object.fromEntries([...byStatus].sort()))}`);
    expect(total).toBeGreaterThanOrEqual(ops.length * RUNS);
  });
});
