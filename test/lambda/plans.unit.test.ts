import { describe, expect, it } from 'vitest';
import { buildUpdate } from '../../lambda/adapters/profile-updates.ts';
import type { Reading, Rules } from '../../lambda/core/types.ts';
import { originalRules, parseRules } from '../../lambda/core/rules.ts';
import { initialState } from '../../lambda/core/step.ts';
import { FleetDefaults } from '../../lambda/fleet-defaults.ts';
import { batchPlan, singlePlan } from '../../lambda/plans.ts';

const T0 = Date.parse('2026-11-27T10:00:00.000Z');
const reading = (value: number, seq?: number): Reading => ({ printerId: 'P1', metrics: { value }, ...(seq !== undefined ? { seq } : {}) });
const rules = (item: Record<string, unknown>): Rules => {
  const parsed = parseRules({ PrinterId: 'P1', ...item });
  if (!parsed.ok) throw new Error(parsed.reasons.join('; '));
  return parsed.rules;
};

describe('which write a reading gets', () => {
  it('a plain consecutive reading that moves no alarm commutes: a reset or an increment, not guarded by the exact count', () => {
    const state = initialState('P1', originalRules(20, 80, 3));
    const inBounds = singlePlan(state, reading(50, 1), 'r1', T0);
    const out = singlePlan(state, reading(90, 1), 'r1', T0);
    expect(inBounds.kind === 'write' && inBounds.write.kind).toBe('reset');
    expect(out.kind === 'write' && out.write.kind).toBe('increment');
    const update = out.kind === 'write' ? buildUpdate(out.write) : undefined;
    expect(update?.UpdateExpression).toMatch(/if_not_exists/);
    expect(update?.ConditionExpression).not.toMatch(/EventCount/);
  });

  it('an event, a mode with memory, or an alarm that moves is one full write guarded by the exact state and the revision', () => {
    const event = singlePlan(initialState('P1', originalRules(20, 80, 1)), reading(90, 1), 'r1', T0);
    const mOfN = singlePlan(
      initialState('P1', rules({ Thresholds: { Lower: 20, Upper: 80 }, Window: 2, Of: 3, Mode: 'm-of-n' })),
      reading(50),
      'r1',
      T0,
    );
    const active = initialState('P1', originalRules(20, 80, 1));
    const afterEvent = event.kind === 'write' && event.write.kind === 'full' ? event.write.next : active;
    const clearing = singlePlan(afterEvent, reading(50, 2), 'r2', T0 + 1);
    for (const plan of [event, mOfN, clearing]) {
      expect(plan.kind === 'write' && plan.write.kind).toBe('full');
      const update = plan.kind === 'write' ? buildUpdate(plan.write) : undefined;
      const names = Object.values(update?.ExpressionAttributeNames ?? {});
      expect(names).toEqual(expect.arrayContaining(['Rev', 'OutOfBoundsCount', 'EventCount', 'Alarm']));
      expect(update?.UpdateExpression).toMatch(/SET/);
    }
    // The event activates the alarm in the same write, and records the event and the transition for a retry.
    expect(event.kind === 'write' && event.events.length).toBe(2);
    expect(afterEvent.alarm.state).toBe('ACTIVE');
    expect(clearing.kind === 'write' && clearing.write.kind === 'full' && clearing.write.next.alarm.state).toBe('NORMAL');
  });

  it('a reading invalid for the profile is skipped with its reason; nothing is written', () => {
    const plan = singlePlan(initialState('P1', rules({ Thresholds: { temperature: { Upper: 240 } }, Window: 1 })), reading(5), 'r1', T0);
    expect(plan).toMatchObject({
      kind: 'skip',
      readings: { invalid: 1 },
      invalid: ['carries none of the monitored metrics (temperature)'],
    });
  });

  it('a batch is one full write whatever it holds', () => {
    const plan = batchPlan(initialState('P1', originalRules(20, 80, 2)), [reading(90, 1), reading(95, 2), reading(50, 3)], 'r1', T0);
    expect(plan.kind === 'write' && plan.write.kind).toBe('full');
    expect(plan.readings).toEqual({ 'out-of-bounds': 1, event: 1, 'in-bounds': 1 });
  });
});

describe('the fleet defaults', () => {
  it('are read at most once per ttl, taken from a read that fetched them anyway, and a change drops the cached states', async () => {
    let now = T0;
    let reads = 0;
    let item: Record<string, unknown> | undefined = { PrinterId: '*', Window: 3 };
    let changes = 0;
    const read = async () => {
      reads += 1;
      return item;
    };
    const defaults = new FleetDefaults(
      { read },
      () => new Date(now),
      30_000,
      () => {
        changes += 1;
      },
    );
    expect(await defaults.current()).toEqual(item);
    expect(await defaults.current()).toEqual(item);
    expect(reads).toBe(1);
    now += 30_000;
    expect(defaults.stale()).toBe(true);
    item = { PrinterId: '*', Window: 5, Enrol: true };
    defaults.accept(item);
    expect(defaults.stale()).toBe(false);
    expect(reads).toBe(1);
    expect(changes).toBe(1);
    expect(defaults.enrols(await defaults.current())).toBe(true);
  });
});
