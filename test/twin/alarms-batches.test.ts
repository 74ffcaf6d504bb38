/**
 * Batches on the twin: a batch of 10 readings is one write that records and publishes every alarm transition its
 * readings make (each at its reading's time, exactly as if published one by one) and notifies them once, as the
 * model of grouping says (`docs/design.md`, "Alarms").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmTransitionPayload, ProfileInput } from '../../contract/index.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { groupedNotification, type ModelTransition } from '../support/alarm-model.ts';
import { type BrokerWatch, Device, historyOf, historyTransitions, notificationsOf, watchBroker } from '../support/alarms.ts';

let dir: string;
let twin: Twin;
let watch: BrokerWatch;
let device: Device;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'twin-alarm-batches-'));
  twin = await startTwin({ stateDir: join(dir, 'state'), sweepSeconds: 0, logFile: false });
  watch = await watchBroker(twin);
  device = new Device(twin);
});

afterAll(async () => {
  await watch?.close();
  await twin?.close();
  rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const toModel = (t: AlarmTransitionPayload): ModelTransition => ({
  from: t.From,
  to: t.To,
  cause: t.Cause,
  severity: t.Severity,
  by: t.By,
  note: t.Note,
  at: t.At,
  seq: 0,
});

/** Profiles that flap: one reading per event or 2 of 3, clearing at once, latching or not. */
const profileArb = fc.record({
  Window: fc.constantFrom(1, 2),
  Mode: fc.constantFrom('consecutive' as const, 'm-of-n' as const),
  Latch: fc.boolean(),
});
/** Writes of exactly 10 readings around a 20..80 band, 1 s apart. */
const batchesArb = fc.array(fc.array(fc.constantFrom(10, 50, 90), { minLength: 10, maxLength: 10 }), { minLength: 1, maxLength: 3 });

describe('batches of 10 on the twin', () => {
  let printers = 0;

  it('every transition is published and recorded once, at its reading time; each write notifies once, with the model', async () => {
    await fc.assert(
      fc.asyncProperty(profileArb, batchesArb, async (shape, batches) => {
        printers += 1;
        const printerId = `Batch${printers}`;
        const profile: ProfileInput = {
          PrinterId: printerId,
          Thresholds: { Lower: 20, Upper: 80 },
          Window: shape.Window,
          Latch: shape.Latch,
          ...(shape.Mode === 'm-of-n' ? { Mode: 'm-of-n', Of: shape.Window + 1 } : {}),
        };
        await twin.seed([profile]);
        const stamps: string[] = [];
        for (const [b, values] of batches.entries()) {
          const before = watch.transitions(printerId).length;
          const sentBefore = notificationsOf(twin, printerId).length;
          const readings = values.map((value, i) => ({ value, timestamp: T0 + (b * 10 + i + 1) * 1000 }));
          stamps.push(...readings.map((r) => new Date(r.timestamp).toISOString()));
          await device.sendBatch(printerId, readings);
          await watch.settle();
          const written = watch.transitions(printerId).slice(before);
          const expected = groupedNotification(written.map(toModel));
          const sent = notificationsOf(twin, printerId).slice(sentBefore);
          expect(sent.map((n) => ({ message: n.Message, folded: n.Folded ?? 0 }))).toEqual(
            expected === undefined
              ? []
              : [
                  {
                    message: written.find(
                      (w) => w.At === expected.last.at && w.To === expected.last.to && toModel(w).from === expected.last.from,
                    ),
                    folded: expected.folded,
                  },
                ],
          );
        }
        const published = watch.transitions(printerId);
        const recorded = historyTransitions(await historyOf(twin, printerId));
        expect(recorded).toHaveLength(published.length);
        for (const p of published) expect(recorded.filter((r) => JSON.stringify(r) === JSON.stringify(p)).length).toBe(1);
        for (const p of published) expect(stamps).toContain(p.At);
      }),
      { numRuns: 10 },
    );
  });

  it('one printer flapping in a batch of 10: several transitions recorded, one notification', async () => {
    await twin.seed([{ PrinterId: 'Flap1', Thresholds: { Lower: 20, Upper: 80 }, Window: 1 }]);
    const values = [90, 50, 90, 50, 90, 50, 90, 50, 90, 50];
    await device.sendBatch(
      'Flap1',
      values.map((value, i) => ({ value, timestamp: T0 + i * 1000 })),
    );
    await watch.settle();
    const recorded = historyTransitions(await historyOf(twin, 'Flap1'));
    expect(recorded.map((r) => r.At).sort()).toEqual(values.map((_, i) => new Date(T0 + i * 1000).toISOString()));
    expect(notificationsOf(twin, 'Flap1')).toEqual([
      expect.objectContaining({ Message: expect.objectContaining({ To: 'NORMAL', Cause: 'clear' }), Folded: 9 }),
    ]);
  });
});

describe('NotifyMinIntervalSeconds on the twin', () => {
  it('paces notifications across writes (the record survives in the table) unless the severity rises; history keeps every transition', async () => {
    await twin.seed([
      {
        PrinterId: 'Paced1',
        Thresholds: { value: { Lower: 20, Upper: 80 }, temp: { Upper: 200, Severity: 'critical' } },
        Window: 1,
        NotifyMinIntervalSeconds: 3600,
      },
    ]);
    const send = (values: readonly { value: number; temp: number }[], from: number) =>
      device.sendBatch(
        'Paced1',
        values.map((data, i) => ({ data, timestamp: T0 + (from + i) * 1000 })),
      );
    await send(
      [
        { value: 90, temp: 10 },
        { value: 50, temp: 10 },
        { value: 90, temp: 10 },
      ],
      0,
    );
    await send(
      [
        { value: 50, temp: 10 },
        { value: 90, temp: 10 },
      ],
      3,
    );
    await send(
      [
        { value: 50, temp: 10 },
        { value: 50, temp: 250 },
      ],
      5,
    );
    await watch.settle();
    expect(historyTransitions(await historyOf(twin, 'Paced1'))).toHaveLength(7);
    expect(notificationsOf(twin, 'Paced1').map((n) => `${n.Message.To}/${n.Message.Severity}/${n.Folded ?? 0}`)).toEqual([
      'ACTIVE/major/2',
      'ACTIVE/critical/1',
    ]);
  });
});
