import { describe, expect, it } from 'vitest';
import type { AlarmTransitionPayload } from '../../../contract/index.ts';
import type { AlarmTransition } from '../../../lambda/core/types.ts';
import {
  compareEntries,
  eventEntry,
  historyItemOf,
  isNotified,
  notificationOf,
  parseEntry,
  renotifyEntry,
  transitionEntries,
  transitionEntry,
} from '../../../lambda/core/outbox.ts';

const at = '2026-11-27T10:00:00.000Z';
const t = (from: AlarmTransition['from'], to: AlarmTransition['to'], cause: AlarmTransition['cause'], seq = 1): AlarmTransition => ({
  from,
  to,
  cause,
  severity: 'major',
  by: 'detector',
  note: null,
  at,
  seq,
});
const payload = (x: AlarmTransition): AlarmTransitionPayload =>
  (parseEntry(transitionEntry('P1', x)) as { payload: AlarmTransitionPayload }).payload;

describe('outbox entries', () => {
  it('an event entry is the event as published, so entries written before alarms existed still read', () => {
    const event = { PrinterId: 'P1', events: 3, value: 91, window: 2, thresholds: { Lower: 20, Upper: 80 }, at };
    expect(eventEntry(event)).toBe(JSON.stringify(event));
    expect(parseEntry(eventEntry(event))).toEqual({ kind: 'event', event });
    expect(historyItemOf({ kind: 'event', event })).toEqual({ item: { ...event, Type: 'event' }, number: 3 });
  });

  it('a transition entry reads back as the anom/alarm payload, with its number; its history item is the payload plus Type', () => {
    const entry = parseEntry(transitionEntry('P1', t('NORMAL', 'ACTIVE', 'threshold', 7)));
    expect(entry).toEqual({
      kind: 'transition',
      seq: 7,
      payload: { PrinterId: 'P1', From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', Severity: 'major', By: 'detector', Note: null, At: at },
    });
    expect(entry && historyItemOf(entry)?.item).toEqual({ ...(entry as { payload: object }).payload, Type: 'transition' });
  });

  it('a re-notification is notified with its number and the activation unchanged, and never recorded', () => {
    const entry = parseEntry(renotifyEntry('P1', t('NORMAL', 'ACTIVE', 'threshold'), 2));
    expect(entry && historyItemOf(entry)).toBeUndefined();
    expect(entry && notificationOf(entry)).toEqual({
      Subject: '[major] P1 alarm ACTIVE (threshold) [reminder 2]',
      Message: payload(t('NORMAL', 'ACTIVE', 'threshold')),
      Renotify: 2,
    });
  });

  it('notifies activations, escalations, latches and clears; not the operators actions nor snooze expiry', () => {
    expect(isNotified(payload(t('NORMAL', 'ACTIVE', 'threshold')))).toBe(true);
    expect(isNotified(payload(t('NORMAL', 'ACTIVE', 'silent')))).toBe(true);
    expect(isNotified(payload(t('ACTIVE', 'ACTIVE', 'threshold')))).toBe(true);
    expect(isNotified(payload(t('ACTIVE', 'LATCHED', 'clear')))).toBe(true);
    expect(isNotified(payload(t('ACKNOWLEDGED', 'NORMAL', 'clear')))).toBe(true);
    for (const [from, to, cause] of [
      ['ACTIVE', 'ACKNOWLEDGED', 'acknowledge'],
      ['NORMAL', 'SNOOZE_DISABLED', 'snooze'],
      ['SNOOZE_DISABLED', 'NORMAL', 'snooze-expired'],
      ['NORMAL', 'DISABLED', 'disable'],
      ['DISABLED', 'NORMAL', 'enable'],
      ['ACTIVE', 'NORMAL', 'reset'],
    ] as const) {
      expect(isNotified(payload(t(from, to, cause))), `${from} -> ${to} (${cause})`).toBe(false);
    }
  });

  it('the subject names printer, state, cause and severity; an escalation says so', () => {
    expect(notificationOf({ kind: 'transition', seq: 1, payload: payload(t('NORMAL', 'ACTIVE', 'silent')) })?.Subject).toBe(
      '[major] P1 alarm ACTIVE (silent)',
    );
    expect(notificationOf({ kind: 'transition', seq: 2, payload: payload(t('ACTIVE', 'ACTIVE', 'threshold')) })?.Subject).toBe(
      '[major] P1 alarm ACTIVE (threshold, escalated to major)',
    );
  });

  it('delivers in time order, events before the transitions they caused, each in its own order', () => {
    const event = (n: number) => ({
      kind: 'event' as const,
      event: { PrinterId: 'P1', events: n, window: 1, thresholds: { Lower: 0, Upper: 1 }, at },
    });
    const tr = (n: number) => ({ kind: 'transition' as const, seq: n, payload: payload(t('NORMAL', 'ACTIVE', 'threshold', n)) });
    const sorted = [tr(2), event(2), tr(1), event(1)].sort(compareEntries);
    expect(sorted).toEqual([event(1), event(2), tr(1), tr(2)]);
  });

  it('text this code did not write is not an entry', () => {
    for (const text of ['not json', '[]', 'null', '{"Type":"transition"}', '{"PrinterId":"P1"}']) expect(parseEntry(text)).toBeUndefined();
  });
});

describe('the transitions of one write, notified as a group', () => {
  const notified = (entries: readonly string[]) => entries.flatMap((json) => notificationOf(parseEntry(json)!) ?? []);
  it('notifies only the last notifiable one, saying how many it stands for; every one is still recorded', () => {
    const made = [
      t('NORMAL', 'ACTIVE', 'threshold', 1),
      t('ACTIVE', 'ACKNOWLEDGED', 'acknowledge', 2),
      t('ACKNOWLEDGED', 'NORMAL', 'clear', 3),
      t('NORMAL', 'ACTIVE', 'threshold', 4),
      t('ACTIVE', 'SNOOZE_DISABLED', 'snooze', 5),
    ];
    const entries = transitionEntries('P1', made);
    expect(entries.map((json) => historyItemOf(parseEntry(json)!)?.item)).toEqual(made.map((x) => ({ ...payload(x), Type: 'transition' })));
    expect(notified(entries)).toEqual([
      { Subject: '[major] P1 alarm ACTIVE (threshold) [after 2 more changes]', Message: payload(made[3]!), Folded: 2 },
    ]);
  });

  it('a lone notifiable transition is notified as before, and entries written before grouping still notify', () => {
    const one = t('NORMAL', 'ACTIVE', 'threshold');
    expect(notified(transitionEntries('P1', [one]))).toEqual([{ Subject: '[major] P1 alarm ACTIVE (threshold)', Message: payload(one) }]);
    expect(notified([transitionEntry('P1', one)])).toEqual(notified(transitionEntries('P1', [one])));
    expect(notified(transitionEntries('P1', [t('ACTIVE', 'NORMAL', 'reset')]))).toEqual([]);
  });
});
