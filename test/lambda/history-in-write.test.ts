/**
 * History recorded in the same request as the state change
 * (`TransactWriteItems`, `historyInWrite` in `lambda/app.ts`): every event the
 * model counts is recorded exactly once, whatever the delivery (Lambda
 * redelivering an invocation, a device resending a reading, responses lost
 * after the write went through); and the state a transaction leaves, which
 * the processor caches without reading it back, is the one stored.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { seedProfiles } from '../../lambda/adapters/profile-writer.ts';
import { profileStore } from '../../lambda/app.ts';
import { parseProfile } from '../../lambda/adapters/profile-item.ts';
import { ReadingProcessor } from '../../lambda/processor.ts';
import { type DetectorHarness, startDetectorHarness } from '../support/detector-harness.ts';
import { coin, dynamoDbFaults, eachPrinterInOrder, invokeWithRetries, serviceError } from '../support/mode-delivery.ts';
import { eventKey, makeModeFleet, printerCounts } from '../support/mode-fleet.ts';

const NOW = new Date('2026-11-21T10:00:00.000Z');
const fleet = makeModeFleet({ perKind: 2, readingsPerPrinter: 24, seed: 29 });

let h: DetectorHarness;
afterEach(async () => {
  await h.close();
});

/** Each history event item by `PrinterId#EventCount`, counted: the model's events, each exactly once. */
async function expectHistoryExactlyOnce() {
  const counts = new Map<string, number>();
  for (const item of await h.historyItems()) {
    if (item['Type'] !== 'event') continue;
    const key = eventKey(item as { PrinterId: string; events: number });
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const expected = fleet.expected.events.map(eventKey).sort();
  expect([...counts.keys()].sort()).toEqual(expected);
  expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
  expect(expected.length).toBeGreaterThan(10);
}

/**
 * Every invocation dies right after its write went through (every later
 * request of it fails) and is never retried (Lambda gave up): readings one by
 * one. Returns how many events the model counts that history lacks.
 */
async function dieAfterEachWrite(): Promise<number> {
  let dead = false;
  h.setFault((command, phase) => {
    if (dead && phase === 'before') return serviceError('ProcessKilled');
    if (phase === 'after' && (command === 'UpdateItemCommand' || command === 'TransactWriteItemsCommand')) dead = true;
    return undefined;
  });
  for (const r of fleet.readings) {
    dead = false;
    await h.invoke(r).catch(() => undefined);
  }
  h.setFault(undefined);
  const recorded = new Set((await h.historyItems()).filter((i) => i['Type'] === 'event').map((i) => eventKey(i as never)));
  // The state changes all went through: the printers' counts are the model's.
  expect(printerCounts(await h.allItems())).toEqual(fleet.expected.printers);
  return fleet.expected.events.filter((e) => !recorded.has(eventKey(e))).length;
}

describe('history in the write', () => {
  beforeEach(async () => {
    h = await startDetectorHarness({ processor: { now: () => NOW }, history: 'in-write' });
    await seedProfiles(h.admin, h.tableName, fleet.seed);
  });

  it('records what a write counts in the same request: no BatchWriteItem, one TransactWriteItems per counting write', async () => {
    await eachPrinterInOrder(fleet.readings, async (r) => {
      await h.invoke(r);
    });
    await expectHistoryExactlyOnce();
    expect(h.requests.get('BatchWriteItemCommand') ?? 0).toBe(0);
    expect(h.requests.get('TransactWriteItemsCommand') ?? 0).toBeGreaterThanOrEqual(fleet.expected.events.length);
  });

  it('redelivered invocations, resent readings and lost responses: each event recorded exactly once', async () => {
    const redeliver = coin(3, 0.3);
    const resend = coin(4, 0.3);
    const faults = dynamoDbFaults(5, 0.2);
    h.setFault(faults.fault);
    await eachPrinterInOrder(fleet.readings, async (r) => {
      const id = randomUUID();
      await invokeWithRetries(h, r, id);
      if (redeliver()) await invokeWithRetries(h, r, id);
      if (resend()) await invokeWithRetries(h, r);
    });
    h.setFault(undefined);
    await expectHistoryExactlyOnce();
    expect(faults.injected.after).toBeGreaterThan(0);
  });

  it('a transaction that failed before it was applied records nothing, and its retry records it once', async () => {
    let failed = 0;
    h.setFault((command, phase) => {
      if (command !== 'TransactWriteItemsCommand' || phase !== 'before' || failed >= 5) return undefined;
      failed += 1;
      return serviceError('ThrottlingException');
    });
    await eachPrinterInOrder(fleet.readings, async (r) => {
      await invokeWithRetries(h, r);
    });
    await expectHistoryExactlyOnce();
    expect(failed).toBe(5);
  });

  it('an invocation that dies right after its write, never retried: its events are in history all the same', async () => {
    expect(await dieAfterEachWrite()).toBe(0);
    await expectHistoryExactlyOnce();
  });

  it('the state a transaction leaves, cached without a read, is the state stored', async () => {
    const defaults = await h.item('*');
    // Through the processor: every write's resulting state against the stored item read back.
    const processor = new ReadingProcessor({
      store: profileStore({
        config: { tableName: h.tableName, predictionTopic: 'p', eventsTableName: 'PrinterEvents' },
        dynamoDb: h.admin,
        historyInWrite: true,
      }),
      publisher: { publishEvent: async () => {}, publishTransition: async () => {} },
      now: () => NOW,
    });
    let compared = 0;
    await eachPrinterInOrder(fleet.readings, async (r) => {
      const result = await processor.process(r, randomUUID());
      if (result.state === undefined || result.outcome !== 'event') return;
      const stored = parseProfile((await h.item(r.PrinterId))!, defaults);
      expect(stored.ok && stored.printer.state).toEqual(result.state);
      compared += 1;
    });
    expect(compared).toBeGreaterThan(10);
  });
});

describe('history after the write (the outbox), for comparison', () => {
  beforeEach(async () => {
    h = await startDetectorHarness({ processor: { now: () => NOW }, history: 'outbox' });
    await seedProfiles(h.admin, h.tableName, fleet.seed);
  });

  it('records every event once when nothing fails', async () => {
    await eachPrinterInOrder(fleet.readings, async (r) => {
      await h.invoke(r);
    });
    await expectHistoryExactlyOnce();
    expect(h.requests.get('TransactWriteItemsCommand') ?? 0).toBe(0);
  });

  it('an invocation that dies right after its write, never retried: its events are missing from history', async () => {
    expect(await dieAfterEachWrite()).toBe(fleet.expected.events.length);
  });
});
