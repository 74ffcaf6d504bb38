/**
 * Alarms end to end on the twin: real readings over MQTT move each printer's
 * alarm through its states; operator actions go through the operator's
 * operations; the clock is driven with `twin.sweep(at)` (no interval, no
 * waiting for time to pass). Every transition must be published once on
 * `anom/alarm/<PrinterId>`, recorded once in history, and, when it is one
 * that is notified, notified once (in memory and in `notifications.jsonl`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AlarmNotification, AlarmTransitionPayload, AnomalyEvent, ProfileInput } from '../../contract/index.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import {
  type BrokerWatch,
  Device,
  historyEvents,
  historyOf,
  historyTransitions,
  ms,
  notifiable,
  notificationsInFile,
  notificationsOf,
  WAIT_MS,
  watchBroker,
} from '../support/alarms.ts';

const MINUTE = 60_000;

let dir: string;
let twin: Twin;
let watch: BrokerWatch;
let device: Device;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'twin-alarms-'));
  twin = await startTwin({ stateDir: join(dir, 'state'), sweepSeconds: 0, logFile: false });
  watch = await watchBroker(twin);
  device = new Device(twin);
});

afterAll(async () => {
  await watch?.close();
  await twin?.close();
  rmSync(dir, { recursive: true, force: true });
});

const notificationsFile = () => join(dir, 'state', 'notifications.jsonl');

/** A profile judging `data.value` against 20..80, one out-of-bounds reading per event unless told otherwise. */
function profile(PrinterId: string, extra: Partial<ProfileInput> = {}): ProfileInput {
  return { PrinterId, Thresholds: { Lower: 20, Upper: 80 }, Window: 1, ...extra };
}

async function alarmOf(printerId: string) {
  const detail = await twin.fleet.printer(printerId);
  if (detail === undefined) throw new Error(`no printer ${printerId}`);
  return detail.alarm;
}

async function act(printerId: string, request: Omit<Parameters<Twin['fleet']['act']>[1], 'by'>) {
  const result = await twin.fleet.act(printerId, { by: 'local', ...request });
  if (!result.ok) throw new Error(`${request.action} ${printerId} refused: ${result.reason}`);
  return result.alarm;
}

type Expected = Pick<AlarmTransitionPayload, 'From' | 'To' | 'Cause' | 'By'> & Partial<AlarmTransitionPayload>;

/**
 * The printer's transitions, as published on its alarm topic, are `expected`
 * in order, each exactly once; history holds each exactly once; the ones
 * notified are notified exactly once, in order, in memory and in the file.
 * Returns the published transitions.
 */
async function expectTransitions(printerId: string, expected: readonly Expected[]): Promise<AlarmTransitionPayload[]> {
  await watch.settle();
  const published = watch.transitions(printerId);
  expect(published).toEqual(expected.map((e) => expect.objectContaining({ PrinterId: printerId, ...e })));
  expect(watch.alarmTopics(printerId).every((topic) => topic === `anom/alarm/${printerId}`)).toBe(true);

  const recorded = historyTransitions(await historyOf(twin, printerId));
  expect(recorded).toHaveLength(published.length);
  for (const transition of published) expect(recorded.filter((r) => equal(r, transition))).toHaveLength(1);

  // One write's notifiable transitions are notified once, by the last, which says how many earlier ones it folds.
  const notified = published.filter(notifiable);
  const sent = notificationsOf(twin, printerId).filter((n) => n.Renotify === undefined);
  expect(sent.map((n) => n.Message)).toEqual(notified.filter((_, i) => !folds(sent, i)));
  expect(sent.reduce((n, s) => n + 1 + (s.Folded ?? 0), 0)).toBe(notified.length);
  for (const n of sent) {
    // The subject names the printer, the state, the cause and the severity.
    for (const part of [printerId, n.Message.To, n.Message.Cause, n.Message.Severity ?? 'none']) expect.soft(n.Subject).toContain(part);
  }
  await vi.waitFor(() => expect(notificationsInFile(notificationsFile(), printerId)).toEqual(notificationsOf(twin, printerId)), {
    timeout: WAIT_MS,
  });
  return published;
}

/** Whether notifiable transition `i` was folded into a later notification (it stands for the `Folded` before it). */
function folds(sent: readonly AlarmNotification[], i: number): boolean {
  let at = 0;
  for (const n of sent) {
    const last = at + (n.Folded ?? 0);
    if (i < last) return true;
    if (i === last) return false;
    at = last + 1;
  }
  return false;
}

const equal = (a: object, b: object) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

describe('alarm lifecycle on the twin', () => {
  it('NORMAL -> ACTIVE on an event, ACKNOWLEDGED by an operator with a note, NORMAL when readings are back inside', async () => {
    await twin.seed([profile('Life1')]);
    expect(await alarmOf('Life1')).toEqual({ State: 'NORMAL', Severity: null, Cause: null, Since: null });

    await device.send('Life1', 50, 95);
    const [activation] = await expectTransitions('Life1', [
      { From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', Severity: 'major', By: 'detector', Note: null },
    ]);
    expect(await alarmOf('Life1')).toEqual({ State: 'ACTIVE', Severity: 'major', Cause: 'threshold', Since: activation!.At });
    expect((await twin.fleet.alarms()).map((p) => p.PrinterId)).toContain('Life1');

    const acknowledged = await act('Life1', { action: 'acknowledge', note: 'nozzle swapped' });
    expect(acknowledged).toMatchObject({ State: 'ACKNOWLEDGED', Severity: 'major', Cause: 'acknowledge' });
    await expectTransitions('Life1', [
      { From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', By: 'detector' },
      { From: 'ACTIVE', To: 'ACKNOWLEDGED', Cause: 'acknowledge', Severity: 'major', By: 'local', Note: 'nozzle swapped' },
    ]);

    await device.send('Life1', 50);
    await expectTransitions('Life1', [
      { From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', By: 'detector' },
      { From: 'ACTIVE', To: 'ACKNOWLEDGED', Cause: 'acknowledge', By: 'local' },
      { From: 'ACKNOWLEDGED', To: 'NORMAL', Cause: 'clear', Severity: 'major', By: 'detector', Note: null },
    ]);
    expect(await alarmOf('Life1')).toMatchObject({ State: 'NORMAL', Cause: 'clear' });
    expect((await twin.fleet.alarms()).map((p) => p.PrinterId)).not.toContain('Life1');
    // The event itself is on anom/pred and in history, once.
    expect(watch.events('Life1').map((e) => e.events)).toEqual([1]);
    expect(historyEvents(await historyOf(twin, 'Life1')).map((e) => e.events)).toEqual([1]);
  });
});

describe('clear condition', () => {
  it('with a Clear band inside the thresholds and ClearAfter 2: readings back inside the thresholds but outside the band do not clear; an outside reading restarts the count', async () => {
    await twin.seed([profile('Hyst1', { Clear: { Lower: 40, Upper: 60 }, ClearAfter: 2 })]);
    await device.send('Hyst1', 90);
    await device.send('Hyst1', 70, 30, 79);
    expect(await alarmOf('Hyst1')).toMatchObject({ State: 'ACTIVE' });
    // One inside the band (bounds inclusive), then one outside it: the count starts again.
    await device.send('Hyst1', 60, 75, 40);
    expect(await alarmOf('Hyst1')).toMatchObject({ State: 'ACTIVE' });
    await expectTransitions('Hyst1', [{ From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', By: 'detector' }]);

    await device.send('Hyst1', 60);
    await expectTransitions('Hyst1', [
      { From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', By: 'detector' },
      { From: 'ACTIVE', To: 'NORMAL', Cause: 'clear', By: 'detector' },
    ]);
    expect(watch.events('Hyst1').map((e) => e.events)).toEqual([1]);
  });

  it('with Latch, ACTIVE -> LATCHED when the condition clears, and stays there until acknowledged -> NORMAL', async () => {
    await twin.seed([profile('Latch1', { Latch: true, Severity: 'minor' })]);
    await device.send('Latch1', 99, 50);
    expect(await alarmOf('Latch1')).toMatchObject({ State: 'LATCHED', Severity: 'minor', Cause: 'clear' });
    await device.send('Latch1', 50, 50);
    expect(await alarmOf('Latch1')).toMatchObject({ State: 'LATCHED' });

    const alarm = await act('Latch1', { action: 'acknowledge' });
    expect(alarm).toMatchObject({ State: 'NORMAL', Cause: 'acknowledge' });
    await expectTransitions('Latch1', [
      { From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', Severity: 'minor', By: 'detector' },
      { From: 'ACTIVE', To: 'LATCHED', Cause: 'clear', Severity: 'minor', By: 'detector' },
      { From: 'LATCHED', To: 'NORMAL', Cause: 'acknowledge', By: 'local', Note: null },
    ]);
    // The latch was notified; the acknowledgement was not.
    expect(notificationsOf(twin, 'Latch1').map((n) => n.Message.To)).toEqual(['ACTIVE', 'LATCHED']);
  });
});

describe('operator actions and the clock', () => {
  it('a snooze ends at the first sweep after its time: NORMAL, cause snooze-expired, by the clock', async () => {
    await twin.seed([profile('Snooze1')]);
    await device.send('Snooze1', 95);
    const now = Date.now();
    const until = now + 30 * MINUTE;
    expect(await act('Snooze1', { action: 'snooze', until: until - MINUTE, note: 'maintenance' })).toMatchObject({
      State: 'SNOOZE_DISABLED',
      Cause: 'snooze',
    });
    // Snoozing again moves the end of the snooze: a transition to the same state.
    await act('Snooze1', { action: 'snooze', until });
    // Events are still counted while snoozed; the alarm neither activates nor notifies.
    await device.send('Snooze1', 96, 97);
    await watch.settle();
    expect(watch.events('Snooze1').map((e) => e.events)).toEqual([1, 2, 3]);

    expect((await twin.sweep(new Date(until - MINUTE + 1))).transitions).toBe(0);
    expect(await alarmOf('Snooze1')).toMatchObject({ State: 'SNOOZE_DISABLED' });
    const sweep = await twin.sweep(new Date(until + 1));
    expect(sweep).toMatchObject({ failed: 0, undelivered: 0 });
    expect(sweep.transitions).toBeGreaterThanOrEqual(1);
    expect(await alarmOf('Snooze1')).toEqual({
      State: 'NORMAL',
      Severity: 'major',
      Cause: 'snooze-expired',
      Since: new Date(until + 1).toISOString(),
    });
    await expectTransitions('Snooze1', [
      { From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', By: 'detector' },
      { From: 'ACTIVE', To: 'SNOOZE_DISABLED', Cause: 'snooze', By: 'local', Note: 'maintenance' },
      { From: 'SNOOZE_DISABLED', To: 'SNOOZE_DISABLED', Cause: 'snooze', By: 'local', Note: null },
      { From: 'SNOOZE_DISABLED', To: 'NORMAL', Cause: 'snooze-expired', By: 'clock', At: new Date(until + 1).toISOString() },
    ]);
    expect(historyEvents(await historyOf(twin, 'Snooze1')).map((e) => e.events)).toEqual([1, 2, 3]);
  });

  it('while DISABLED events are counted and published as ever, and the alarm does not move; enable -> NORMAL', async () => {
    await twin.seed([profile('Dis1'), profile('Dis2')]);
    expect(await act('Dis1', { action: 'disable', note: 'off for repair' })).toMatchObject({ State: 'DISABLED', Cause: 'disable' });
    // Dis2 is the same printer, enabled: the detector's counts and events must not differ.
    const values = [95, 50, 10, 96, 97, 50];
    await device.send('Dis1', ...values);
    await device.send('Dis2', ...values);
    await watch.settle();
    const counts = async (id: string) => {
      const { state } = (await twin.fleet.printer(id))!;
      return { EventCount: state['EventCount'], OutOfBoundsCount: state['OutOfBoundsCount'] };
    };
    expect(await counts('Dis1')).toEqual({ EventCount: 4, OutOfBoundsCount: 0 });
    expect(await counts('Dis1')).toEqual(await counts('Dis2'));
    const withoutPrinter = (events: readonly AnomalyEvent[]) => events.map(({ PrinterId: _id, at: _at, ...rest }) => rest);
    expect(withoutPrinter(watch.events('Dis1'))).toEqual(withoutPrinter(watch.events('Dis2')));
    expect(watch.events('Dis1').map((e) => e.events)).toEqual([1, 2, 3, 4]);
    expect(historyEvents(await historyOf(twin, 'Dis1')).map((e) => e.events)).toEqual([1, 2, 3, 4]);
    expect(await alarmOf('Dis1')).toMatchObject({ State: 'DISABLED' });

    expect(await act('Dis1', { action: 'enable' })).toMatchObject({ State: 'NORMAL', Cause: 'enable' });
    await device.send('Dis1', 98);
    await expectTransitions('Dis1', [
      { From: 'NORMAL', To: 'DISABLED', Cause: 'disable', By: 'local', Note: 'off for repair' },
      { From: 'DISABLED', To: 'NORMAL', Cause: 'enable', By: 'local' },
      { From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', By: 'detector' },
    ]);
  });

  it('silence: the first sweep after the deadline -> ACTIVE silent by the clock; the next reading -> NORMAL; a reading that ends a silence and completes a window gives both transitions in order, notified once', async () => {
    await twin.seed([profile('Quiet1', { SilenceSeconds: 60, Severity: 'minor', Window: 2 })]);
    await device.send('Quiet1', 50);
    const arrival = ms((await twin.fleet.printer('Quiet1'))!.state['LastSeenAt'] as string);

    await twin.sweep(new Date(arrival + 59_000));
    expect(await alarmOf('Quiet1')).toMatchObject({ State: 'NORMAL', Cause: null });
    const silentAt = new Date(arrival + 61_000);
    const sweep = await twin.sweep(silentAt);
    expect(sweep).toMatchObject({ failed: 0, undelivered: 0 });
    expect(await alarmOf('Quiet1')).toEqual({ State: 'ACTIVE', Severity: 'minor', Cause: 'silent', Since: silentAt.toISOString() });
    // A deadline raises once: a later sweep finds nothing new to do.
    await twin.sweep(new Date(arrival + 90_000));
    expect(await alarmOf('Quiet1')).toMatchObject({ State: 'ACTIVE', Since: silentAt.toISOString() });

    // The printer speaks again: back to NORMAL whatever the value (here out of bounds, not yet an event).
    await device.send('Quiet1', 95);
    expect(await alarmOf('Quiet1')).toMatchObject({ State: 'NORMAL', Cause: 'clear' });
    const back = ms((await twin.fleet.printer('Quiet1'))!.state['LastSeenAt'] as string);

    // Silent again; then one reading both ends the silence and completes the window.
    await twin.sweep(new Date(back + 61_000));
    expect(await alarmOf('Quiet1')).toMatchObject({ State: 'ACTIVE', Cause: 'silent' });
    await device.send('Quiet1', 96);
    const published = await expectTransitions('Quiet1', [
      { From: 'NORMAL', To: 'ACTIVE', Cause: 'silent', Severity: 'minor', By: 'clock', At: silentAt.toISOString() },
      { From: 'ACTIVE', To: 'NORMAL', Cause: 'clear', By: 'detector' },
      { From: 'NORMAL', To: 'ACTIVE', Cause: 'silent', By: 'clock', At: new Date(back + 61_000).toISOString() },
      { From: 'ACTIVE', To: 'NORMAL', Cause: 'clear', By: 'detector' },
      { From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', Severity: 'minor', By: 'detector' },
    ]);
    // The last two come from one reading: one time, clear first.
    expect(published[3]!.At).toBe(published[4]!.At);
    expect(watch.events('Quiet1').map((e) => e.events)).toEqual([1]);
    // Both are recorded and published; the reading's write notifies once, its net effect, folding the clear into it.
    expect(notificationsOf(twin, 'Quiet1').map((n) => `${n.Message.To}/${n.Message.Cause}/${n.Folded ?? 0}`)).toEqual([
      'ACTIVE/silent/0',
      'NORMAL/clear/0',
      'ACTIVE/silent/0',
      'ACTIVE/threshold/1',
    ]);
  });

  it('re-notification: while ACTIVE, every RenotifyMinutes the activation is notified again, numbered, and never published or recorded', async () => {
    await twin.seed([profile('Remind1', { RenotifyMinutes: 5, Severity: 'critical' })]);
    await device.send('Remind1', 95);
    const [activation] = await expectTransitions('Remind1', [
      { From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', Severity: 'critical', By: 'detector' },
    ]);
    const activatedAt = ms(activation!.At);

    expect((await twin.sweep(new Date(activatedAt + 5 * MINUTE - 1))).renotified).toBe(0);
    expect((await twin.sweep(new Date(activatedAt + 5 * MINUTE))).renotified).toBe(1);
    // Twice at the same time, or before the next period: nothing more.
    expect((await twin.sweep(new Date(activatedAt + 5 * MINUTE))).renotified).toBe(0);
    expect((await twin.sweep(new Date(activatedAt + 9 * MINUTE))).renotified).toBe(0);
    expect((await twin.sweep(new Date(activatedAt + 10 * MINUTE))).renotified).toBe(1);

    const reminders = notificationsOf(twin, 'Remind1').filter((n) => n.Renotify !== undefined);
    expect(reminders.map((n) => n.Renotify)).toEqual([1, 2]);
    for (const reminder of reminders) {
      expect(reminder.Message).toEqual(activation);
      expect(reminder.Subject).toContain('Remind1');
    }
    // Not on MQTT, not in history: the only transition is still the activation.
    await expectTransitions('Remind1', [{ From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', By: 'detector' }]);
    expect(notificationsOf(twin, 'Remind1').map((n) => n.Renotify ?? 0)).toEqual([0, 1, 2]);

    // Acknowledged: no more reminders.
    await act('Remind1', { action: 'acknowledge' });
    expect((await twin.sweep(new Date(activatedAt + 15 * MINUTE))).renotified).toBe(0);
    expect(notificationsOf(twin, 'Remind1')).toHaveLength(3);
  });

  it('escalation: a more severe event while ACTIVE or ACKNOWLEDGED is a transition to the same state with the new severity; a less severe one is none', async () => {
    const bands = {
      temperature: { Upper: 240, Severity: 'minor' },
      humidity: { Lower: 20, Upper: 60, Severity: 'major' },
      pressure: { Upper: 5, Severity: 'critical' },
    } as const;
    await twin.seed([{ PrinterId: 'Esc1', Thresholds: bands, Window: 1 }]);
    await device.send('Esc1', { temperature: 250, humidity: 40 });
    await device.send('Esc1', { temperature: 200, humidity: 70 });
    await device.send('Esc1', { temperature: 250, humidity: 40 });
    expect(await alarmOf('Esc1')).toMatchObject({ State: 'ACTIVE', Severity: 'major', Cause: 'threshold' });
    await act('Esc1', { action: 'acknowledge' });
    await device.send('Esc1', { pressure: 7 });
    await expectTransitions('Esc1', [
      { From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', Severity: 'minor', By: 'detector' },
      { From: 'ACTIVE', To: 'ACTIVE', Cause: 'threshold', Severity: 'major', By: 'detector' },
      { From: 'ACTIVE', To: 'ACKNOWLEDGED', Cause: 'acknowledge', Severity: 'major', By: 'local' },
      { From: 'ACKNOWLEDGED', To: 'ACKNOWLEDGED', Cause: 'threshold', Severity: 'critical', By: 'detector' },
    ]);
    expect(await alarmOf('Esc1')).toMatchObject({ State: 'ACKNOWLEDGED', Severity: 'critical', Cause: 'threshold' });
    expect(watch.events('Esc1').map((e) => [e.events, e.severity])).toEqual([
      [1, 'minor'],
      [2, 'major'],
      [3, 'minor'],
      [4, 'critical'],
    ]);
    // The escalations are notified, and their subjects say so with the new severity.
    const escalations = notificationsOf(twin, 'Esc1').filter((n) => n.Message.From === n.Message.To);
    expect(escalations.map((n) => n.Message.Severity)).toEqual(['major', 'critical']);
  });
});
