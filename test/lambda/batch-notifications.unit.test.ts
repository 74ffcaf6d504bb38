/**
 * A batch is applied exactly as if its readings were published one by one (every transition recorded, each at its
 * reading's time), but notified once per write: `docs/design.md`, "Alarms" (notifications grouped per write).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlarmNotification, HistoryItem } from '../../contract/index.ts';
import type { Reading, PrinterState, Rules } from '../../lambda/core/types.ts';
import { compareEntries, historyItemOf, notificationOf, type OutboxEntry, parseEntry } from '../../lambda/core/outbox.ts';
import { originalRules, parseRules } from '../../lambda/core/rules.ts';
import { initialState } from '../../lambda/core/step.ts';
import { batchPlan } from '../../lambda/plans.ts';
import { groupedNotification, type ModelTransition, NotificationPacer } from '../support/alarm-model.ts';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const rules = (item: Record<string, unknown>): Rules => {
  const parsed = parseRules({ PrinterId: 'P1', ...item });
  if (!parsed.ok) throw new Error(parsed.reasons.join('; '));
  return parsed.rules;
};

interface Applied {
  readonly state: PrinterState;
  readonly history: HistoryItem[];
  /** Notifications per write, in order. */
  readonly notifications: AlarmNotification[][];
  /** Transitions per write, in order. */
  readonly transitions: HistoryItem[][];
}

/** Applies the readings in writes of `size` (1: one by one), the i-th write arriving at `arrival(i)`, as the processor's plans do. */
function apply(start: PrinterState, readings: readonly Reading[], size: number, arrival: number | ((write: number) => number)): Applied {
  let state = start;
  const history: HistoryItem[] = [];
  const notifications: AlarmNotification[][] = [];
  const transitions: HistoryItem[][] = [];
  for (let i = 0; i < readings.length; i += size) {
    const at = typeof arrival === 'number' ? arrival : arrival(i / size);
    const plan = batchPlan(state, readings.slice(i, i + size), `r${i}`, at);
    if (plan.kind !== 'write' || plan.write.kind !== 'full') continue;
    state = plan.write.next;
    // Delivered in the outbox's order, as `lambda/outbox.ts` does.
    const entries = plan.events
      .map((json) => parseEntry(json))
      .filter((e): e is OutboxEntry => e !== undefined)
      .sort(compareEntries);
    const items = entries.flatMap((e) => historyItemOf(e)?.item ?? []);
    history.push(...items);
    // In the order the alarm made them (delivery is by time, and a reading without a timestamp takes its arrival).
    const made = entries.flatMap((e) => (e.kind === 'transition' ? [e] : [])).sort((x, y) => x.seq - y.seq);
    transitions.push(made.map((e) => ({ ...e.payload, Type: 'transition' as const })));
    notifications.push(entries.flatMap((e) => notificationOf(e) ?? []));
  }
  return { state, history, notifications, transitions };
}

const flapping = (values: readonly number[], t0: number): Reading[] =>
  values.map((value, i) => ({ printerId: 'P1', metrics: { value }, seq: i + 1, timestamp: t0 + i * 1000 }));

describe('a batch that moves an alarm several times', () => {
  it('records every transition, each at its reading time, and notifies once with the last and how many it folds', () => {
    // Window 1: 90 raises, 50 clears; ten readings flap NORMAL -> ACTIVE -> NORMAL ... within one write.
    const readings = flapping([90, 50, 90, 50, 90, 50, 90, 50, 90, 90], T0);
    const arrival = T0 + 60_000;
    const batched = apply(initialState('P1', originalRules(20, 80, 1)), readings, 10, arrival);
    const single = apply(initialState('P1', originalRules(20, 80, 1)), readings, 1, arrival);
    expect(batched.history).toEqual(single.history);
    const transitions = batched.history.filter((item) => item.Type === 'transition');
    expect(transitions).toHaveLength(9);
    expect(transitions.map((t) => t.At)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => new Date(T0 + i * 1000).toISOString()));
    const events = batched.history.filter((item) => item.Type === 'event');
    expect(events.map((e) => e.at)).toEqual([0, 2, 4, 6, 8, 9].map((i) => new Date(T0 + i * 1000).toISOString()));
    expect(batched.notifications).toHaveLength(1);
    expect(batched.notifications[0]).toHaveLength(1);
    expect(batched.notifications[0]![0]).toMatchObject({ Message: { From: 'NORMAL', To: 'ACTIVE', At: transitions[8]!.At }, Folded: 8 });
  });

  it('an m-of-n printer flapping ACTIVE <-> LATCHED in one write notifies once', () => {
    const latching = rules({ Thresholds: { Lower: 20, Upper: 80 }, Window: 2, Of: 3, Mode: 'm-of-n', Latch: true });
    const readings = flapping([90, 90, 50, 50, 50, 90, 90, 50, 50, 50], T0);
    const batched = apply(initialState('P1', latching), readings, 10, T0 + 5000);
    expect(batched.history.filter((item) => item.Type === 'transition').length).toBeGreaterThan(2);
    expect(batched.notifications.flat()).toHaveLength(1);
  });
});

/** Readings of one value metric with increasing seq and timestamps (some without), values around a 20..80 band. */
const readingsArb = fc
  .array(fc.record({ value: fc.constantFrom(10, 50, 79, 90), gap: fc.integer({ min: 0, max: 5000 }), stamped: fc.boolean() }), {
    minLength: 1,
    maxLength: 40,
  })
  .map((xs) => {
    let t = T0;
    return xs.map(({ value, gap, stamped }, i): Reading => {
      t += gap;
      return { printerId: 'P1', metrics: { value }, seq: i + 1, ...(stamped ? { timestamp: t } : {}) };
    });
  });

const profileArb = fc.record({
  Window: fc.integer({ min: 1, max: 3 }),
  Latch: fc.boolean(),
  ClearAfter: fc.integer({ min: 1, max: 2 }),
  Mode: fc.constantFrom('consecutive', 'm-of-n'),
});

describe('batches against the one-by-one application and the model of grouping', () => {
  it('any split into writes records the same history; each write notifies what the model says', () => {
    fc.assert(
      fc.property(profileArb, readingsArb, fc.integer({ min: 1, max: 12 }), (profile, readings, size) => {
        const item = { Thresholds: { Lower: 20, Upper: 80 }, ...profile, ...(profile.Mode === 'm-of-n' ? { Of: profile.Window + 1 } : {}) };
        const arrival = T0 + 1_000_000;
        const start = initialState('P1', rules(item));
        const batched = apply(start, readings, size, arrival);
        const single = apply(start, readings, 1, arrival);
        // The same items (history is keyed by printer, time and number; at one time, delivery order may differ).
        const sorted = (items: HistoryItem[]) => items.map((h) => JSON.stringify(h)).sort();
        expect(sorted(batched.history)).toEqual(sorted(single.history));
        expect(batched.state.alarm).toEqual(single.state.alarm);
        // Each write's notifications: the model's grouping of the transitions that write recorded.
        batched.transitions.forEach((written, i) => {
          const expected = groupedNotification(written.map(toModel));
          const got = batched.notifications[i]!.map((n) => ({ at: n.Message.At, to: n.Message.To, folded: n.Folded ?? 0 }));
          expect(got).toEqual(expected === undefined ? [] : [{ at: expected.last.at, to: expected.last.to, folded: expected.folded }]);
        });
        // Each transition at its reading's time: never the batch's arrival unless the reading had no timestamp.
        const times = new Set(readings.map((r) => new Date(r.timestamp ?? arrival).toISOString()));
        for (const h of batched.history) expect(times.has(h.Type === 'event' ? h.at : h.At)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

function toModel(h: unknown): ModelTransition {
  const t = h as { From: never; To: never; Cause: never; Severity: never; By: string; Note: null; At: string };
  return { from: t.From, to: t.To, cause: t.Cause, severity: t.Severity, by: t.By, note: t.Note, at: t.At, seq: 0 };
}

describe('NotifyMinIntervalSeconds: notifications paced per printer', () => {
  it('holds a notification within the interval of the last one unless the severity rises; history keeps everything', () => {
    const paced = rules({ Thresholds: { Lower: 20, Upper: 80 }, Window: 1, NotifyMinIntervalSeconds: 60 });
    const readings = flapping([90, 50, 90, 50, 90], T0);
    // One reading per write, 10 s apart: ACTIVE at 0 s notified; clear, ACTIVE, clear, ACTIVE held; the clear at 60 s sent; ACTIVE at 70 s held.
    const applied = apply(
      initialState('P1', paced),
      [...readings, ...flapping([50, 90], T0 + 60_000).map((r, i) => ({ ...r, seq: 6 + i }))],
      1,
      (w) => (w < 5 ? T0 + w * 10_000 : T0 + 50_000 + (w - 4) * 10_000),
    );
    expect(applied.history.filter((h) => h.Type === 'transition')).toHaveLength(7);
    expect(applied.notifications.flat().map((n) => `${n.Message.To}@${n.Message.At}`)).toEqual([
      `ACTIVE@${new Date(T0).toISOString()}`,
      `NORMAL@${new Date(T0 + 60_000).toISOString()}`,
    ]);
    // A more severe band raises through the interval.
    const escalating = rules({
      Thresholds: { value: { Lower: 20, Upper: 80 }, temp: { Upper: 200, Severity: 'critical' } },
      Window: 1,
      NotifyMinIntervalSeconds: 600,
    });
    const two: Reading[] = [
      { printerId: 'P1', metrics: { value: 90, temp: 10 }, seq: 1 },
      { printerId: 'P1', metrics: { value: 50, temp: 10 }, seq: 2 },
      { printerId: 'P1', metrics: { value: 50, temp: 250 }, seq: 3 },
    ];
    const raised = apply(initialState('P1', escalating), two, 1, (w) => T0 + w * 1000);
    expect(raised.notifications.flat().map((n) => `${n.Message.To}/${n.Message.Severity}`)).toEqual(['ACTIVE/major', 'ACTIVE/critical']);
  });

  it('any writes, any interval: each write notifies what the pacing model says', () => {
    fc.assert(
      fc.property(
        profileArb,
        fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
        readingsArb,
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 40, maxLength: 40 }),
        (profile, interval, readings, size, gaps) => {
          const item = {
            Thresholds: { Lower: 20, Upper: 80 },
            ...profile,
            ...(profile.Mode === 'm-of-n' ? { Of: profile.Window + 1 } : {}),
            ...(interval !== undefined ? { NotifyMinIntervalSeconds: interval } : {}),
          };
          const arrivals = gaps.map((_, i) => T0 + 1_000_000 + gaps.slice(0, i + 1).reduce((a, b) => a + b, 0));
          const applied = apply(initialState('P1', rules(item)), readings, size, (w) => arrivals[w]!);
          const pacer = new NotificationPacer(interval === undefined ? undefined : interval * 1000);
          applied.transitions.forEach((written, i) => {
            const expected = pacer.write(written.map(toModel), arrivals[i]!);
            const got = applied.notifications[i]!.map((n) => ({ at: n.Message.At, to: n.Message.To, folded: n.Folded ?? 0 }));
            expect(got).toEqual(expected === undefined ? [] : [{ at: expected.last.at, to: expected.last.to, folded: expected.folded }]);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
