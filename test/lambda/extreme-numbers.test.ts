/**
 * Extreme numbers on the handler against the embedded DynamoDB
 * (`docs/design.md`, "Data formats"): a value DynamoDB can store is applied
 * exactly (item, `anom/pred` event); one it cannot is refused as invalid,
 * never thrown, retried or dead-lettered. Generated over the whole double
 * range, as objects and as raw JSON text.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { isStorableNumber, MAX_STORABLE_NUMBER, MIN_STORABLE_NUMBER } from '../../contract/index.ts';
import { toItem } from '../../lambda/adapters/dynamodb-values.ts';
import { startDetectorHarness, type DetectorHarness } from '../support/detector-harness.ts';
import { putOriginalProfile } from '../support/profiles.ts';
import { extremeNumber, extremeLiteral } from '../support/invalid-payloads.ts';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 150);

let h: DetectorHarness;
beforeAll(async () => {
  h = await startDetectorHarness();
});
afterAll(async () => {
  await h.close();
});

let printers = 0;
/** A fresh printer whose every reading outside [-1, 1] is an event (window 1). */
async function freshPrinter(): Promise<string> {
  const id = `P${++printers}`;
  await putOriginalProfile(h.admin, h.tableName, id, -1, 1, 1);
  return id;
}

/** Sends a reading of `value` (raw JSON text when `literal` is given); checks what happened to the printer. */
async function check(value: number, literal: string | undefined, stream: boolean): Promise<void> {
  const id = await freshPrinter();
  const text = `{"PrinterId":"${id}","data":{"value":${literal ?? JSON.stringify(value)}}}`;
  const parsed = (JSON.parse(text) as { data: { value: number } }).data.value;
  const published = h.published.length;
  if (stream) {
    const result = await h.invokeStream([{ sequence: String(printers), data: text }]);
    expect(result.batchItemFailures).toEqual([]);
  } else {
    const result = await h.invoke(text);
    expect(result.outcome).toBe(isStorableNumber(parsed) ? (Math.abs(parsed) > 1 ? 'event' : 'in-bounds') : 'invalid');
  }
  const item = await h.item(id);
  if (!isStorableNumber(parsed)) {
    expect(item).toMatchObject({ OutOfBoundsCount: 0, EventCount: 0 });
    expect(item?.['LastValue']).toBeUndefined();
    expect(h.published.length).toBe(published);
    return;
  }
  const out = Math.abs(parsed) > 1;
  expect(Number(item?.['LastValue'])).toBe(parsed === 0 ? 0 : parsed);
  expect(item?.['EventCount']).toBe(out ? 1 : 0);
  if (out) {
    expect(h.published.length).toBe(published + 1);
    expect(h.published.at(-1)).toMatchObject({ PrinterId: id, value: parsed });
  }
}

describe('extreme numbers on the handler', () => {
  it.each([
    ['1e20', 1e20],
    ['-1e300', -1e300],
    ['12345678901234567890', Number('12345678901234567890')],
    ['5e-324', 5e-324],
    ['1.7976931348623157e308', Number.MAX_VALUE],
  ])('the named example %s: applied exactly when storable, else invalid', async (literal, value) => {
    await check(value, literal, false);
    await check(value, literal, true);
  });

  it('numbers across the whole double range, direct and stream', async () => {
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(extremeNumber, fc.boolean(), async (value, stream) => {
        tried++;
        await check(value, undefined, stream);
      }),
      { numRuns: RUNS },
    );
    await fc.assert(
      fc.asyncProperty(extremeLiteral, fc.boolean(), async (literal, stream) => {
        tried++;
        const value = Number(literal);
        if (!Number.isFinite(value)) return; // Infinity literals are covered by the fuzz suite
        await check(value, literal, stream);
      }),
      { numRuns: RUNS },
    );
    console.log(`extreme numbers: ${tried} readings tried`);
    expect(h.logs.records().filter((r) => r['level'] === 'ERROR')).toEqual([]);
  });

  it('adaptive statistics of values across the storable range stay storable: every reading applied, none thrown', async () => {
    const storable = fc.oneof(
      extremeNumber.filter(isStorableNumber),
      fc.constantFrom(MAX_STORABLE_NUMBER, -MAX_STORABLE_NUMBER, MIN_STORABLE_NUMBER, -MIN_STORABLE_NUMBER),
    );
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(storable, { minLength: 2, maxLength: 8 }), fc.constantFrom(1, 0.5, 1e-9), async (values, alpha) => {
        const id = `A${++printers}`;
        const adaptive = { Sigma: 3, Alpha: alpha, Warmup: 0 };
        await h.admin.send(
          new PutItemCommand({
            TableName: h.tableName,
            Item: toItem({
              PrinterId: id,
              Thresholds: { value: { Lower: -MAX_STORABLE_NUMBER, Upper: MAX_STORABLE_NUMBER, Adaptive: adaptive } },
              Window: 2,
            }),
          }),
        );
        for (const [seq, value] of values.entries()) {
          tried++;
          expect(['in-bounds', 'out-of-bounds', 'event']).toContain((await h.invoke({ PrinterId: id, data: { value }, seq })).outcome);
        }
        const item = await h.item(id);
        const stats = (item?.['Detector'] as { Stats: Record<string, { N: number; Mean: number; Var: number }> } | undefined)?.Stats;
        expect(stats?.['value']?.N).toBe(values.length);
        expect(Number(item?.['LastValue'])).toBe(values.at(-1) === 0 ? 0 : values.at(-1));
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
    console.log(`extreme numbers, adaptive: ${tried} readings tried`);
  });
});
