/**
 * An in-memory fleet behind the operator API's interface, for the API's
 * contract tests and the dashboard's browser tests. Alarms move through the
 * real alarm state machine (`lambda/core/alarm.ts`), so refusals and their
 * reasons are the ones the deployed API gives; detection is the original
 * consecutive-window rule on `data.value`, enough to drive the charts.
 */
import type { AlarmState, AlarmSummary, HistoryItem, PrinterSummary, ProfileInput, Severity } from '../../contract/index.ts';
import type { AlarmActionRequest, FleetOperations, HistoryQuery, Page, PrinterDetail, Refusal } from '../../lambda/api/operations.ts';
import { INITIAL_ALARM, stepAlarm } from '../../lambda/core/alarm.ts';
import type { Alarm, AlarmTransition } from '../../lambda/core/types.ts';

interface FakePrinter {
  profile: ProfileInput;
  eventCount: number;
  outOfBounds: number;
  lastValue: number | null;
  lastSeenAt: string | null;
  alarm: Alarm;
  recent: [number, number][];
  /** Oldest first. */
  history: HistoryItem[];
}

const ALARM_ORDER: readonly AlarmState[] = ['ACTIVE', 'LATCHED', 'ACKNOWLEDGED', 'SNOOZE_DISABLED', 'DISABLED'];
const FLEET_DEFAULTS = '*';
const RECENT_VALUES = 60;

const refusal = (status: Refusal['status'], reason: string): Refusal => ({ ok: false, status, reason });
const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const timeOf = (item: HistoryItem) => Date.parse(item.Type === 'event' ? item.at : item.At);

/** A cursor is an opaque token: here the offset of the next item, so that a made-up one is recognised. */
const encodeCursor = (offset: number) => Buffer.from(`fake:${offset}`).toString('base64url');
function decodeCursor(cursor: string | undefined): number | Refusal {
  if (cursor === undefined) return 0;
  const match = /^fake:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? Number(match[1]) : refusal(400, 'cursor is not one this API gave');
}

function page<T>(all: readonly T[], cursor: string | undefined, limit: number): Page<T> | Refusal {
  const offset = decodeCursor(cursor);
  if (typeof offset !== 'number') return offset;
  const items = all.slice(offset, offset + limit);
  return { items, next: offset + limit < all.length ? encodeCursor(offset + limit) : null };
}

function band(profile: ProfileInput): { Lower?: number; Upper?: number } {
  const t = profile.Thresholds as Record<string, unknown>;
  return typeof t['Lower'] === 'number' || typeof t['Upper'] === 'number' ? t : ((t['value'] as { Lower?: number; Upper?: number }) ?? {});
}

/** The checks the fake applies to a profile body: enough to exercise the API's 400 path. */
function profileProblem(body: Record<string, unknown>): string | undefined {
  const thresholds = body['Thresholds'];
  if (typeof thresholds !== 'object' || thresholds === null) return 'Thresholds must be an object';
  const { Lower, Upper } = thresholds as Record<string, unknown>;
  if (typeof Lower === 'number' && typeof Upper === 'number' && Lower > Upper) return `Thresholds.Lower ${Lower} is above Upper ${Upper}`;
  const window = body['Window'];
  if (body['Mode'] !== 'duration' && (!Number.isSafeInteger(window) || (window as number) < 1)) return 'Window must be an integer >= 1';
  return undefined;
}

export class FakeFleet implements FleetOperations {
  private readonly printers = new Map<string, FakePrinter>();
  /** When set, every operation rejects with it: a fault the API must not show to its client. */
  failWith: Error | undefined;
  /** The last action request, to check who the API says acts. */
  lastAction: AlarmActionRequest | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** Adds a printer (or the fleet defaults, `*`) with zero counters and a NORMAL alarm. */
  add(profile: ProfileInput): this {
    this.printers.set(profile.PrinterId, {
      profile,
      eventCount: 0,
      outOfBounds: 0,
      lastValue: null,
      lastSeenAt: null,
      alarm: INITIAL_ALARM,
      recent: [],
      history: [],
    });
    return this;
  }

  /** Applies one reading of `data.value` with the consecutive-window rule; returns whether it counted an event. */
  reading(printerId: string, value: number, at: number = this.now()): boolean {
    const p = this.get(printerId);
    const { Lower = -Infinity, Upper = Infinity } = band(p.profile);
    const out = value < Lower || value > Upper;
    p.outOfBounds = out ? p.outOfBounds + 1 : 0;
    p.lastValue = value;
    p.lastSeenAt = new Date(at).toISOString();
    p.recent = [...p.recent, [at, value] as [number, number]].slice(-RECENT_VALUES);
    const event = p.outOfBounds >= (p.profile.Window ?? 1);
    let severity: Severity | undefined;
    if (event) {
      severity = p.profile.Severity ?? 'major';
      p.eventCount += 1;
      p.outOfBounds = 0;
      p.history.push({
        Type: 'event',
        PrinterId: printerId,
        events: p.eventCount,
        value,
        window: p.profile.Window ?? 1,
        thresholds: p.profile.Thresholds,
        at: p.lastSeenAt,
        severity,
      });
    }
    const step = stepAlarm(p.alarm, this.rules(p), { kind: 'reading', at, inClear: !out, ...(severity ? { event: { severity } } : {}) });
    if (step.ok) this.record(p, printerId, step.alarm, step.transitions);
    return event;
  }

  /** Sends readings above the upper threshold until one counts an event (the alarm goes ACTIVE from NORMAL). */
  raise(printerId: string): void {
    const { Upper = 0 } = band(this.get(printerId).profile);
    let counted = false;
    while (!counted) counted = this.reading(printerId, Upper + 10);
  }

  async ranked(limit: number): Promise<PrinterSummary[]> {
    this.check();
    return this.summaries()
      .sort((a, b) => b.EventCount - a.EventCount || byId(a.PrinterId, b.PrinterId))
      .slice(0, limit);
  }

  async list(cursor: string | undefined, limit: number): Promise<Page<PrinterSummary> | Refusal> {
    this.check();
    return page(
      this.summaries().sort((a, b) => byId(a.PrinterId, b.PrinterId)),
      cursor,
      limit,
    );
  }

  async alarms(state?: AlarmState): Promise<PrinterSummary[]> {
    this.check();
    const rank = (s: AlarmState) => ALARM_ORDER.indexOf(s);
    return this.summaries()
      .filter((s) => (state === undefined ? s.Alarm.State !== 'NORMAL' : s.Alarm.State === state))
      .sort((a, b) => rank(a.Alarm.State) - rank(b.Alarm.State) || byId(a.PrinterId, b.PrinterId));
  }

  async alarmPage(state: AlarmState | undefined, cursor: string | undefined, limit: number): Promise<Page<PrinterSummary> | Refusal> {
    return page(await this.alarms(state), cursor, limit);
  }

  /** The detector is not faked: a preview is only on the real fleet (test/twin/api-preview.test.ts). */
  async preview(): Promise<undefined> {
    return undefined;
  }

  async printer(printerId: string): Promise<PrinterDetail | undefined> {
    this.check();
    const p = this.printers.get(printerId);
    if (p === undefined) return undefined;
    const state = { EventCount: p.eventCount, OutOfBoundsCount: p.outOfBounds, LastValue: p.lastValue, LastSeenAt: p.lastSeenAt };
    const defaults = printerId === FLEET_DEFAULTS ? undefined : this.printers.get(FLEET_DEFAULTS)?.profile;
    return { profile: p.profile, effective: { ...defaults, ...p.profile }, state, alarm: summaryOf(p.alarm), recent: p.recent };
  }

  async putProfile(printerId: string, body: unknown): Promise<{ ok: true; created: boolean; profile: ProfileInput } | Refusal> {
    this.check();
    const problem = profileProblem(body as Record<string, unknown>);
    if (problem !== undefined) return refusal(400, problem);
    const profile = { ...(body as object), PrinterId: printerId } as ProfileInput;
    const existing = this.printers.get(printerId);
    if (existing === undefined) this.add(profile);
    else existing.profile = profile;
    return { ok: true, created: existing === undefined, profile };
  }

  async patchProfile(printerId: string, body: unknown): Promise<{ ok: true; created: boolean; profile: ProfileInput } | Refusal> {
    const patch = body as Record<string, unknown>;
    const merged: Record<string, unknown> = { ...this.printers.get(printerId)?.profile };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    return this.putProfile(printerId, merged);
  }

  async act(printerId: string, request: AlarmActionRequest): Promise<{ ok: true; alarm: AlarmSummary } | Refusal> {
    this.check();
    this.lastAction = request;
    const p = this.printers.get(printerId);
    if (p === undefined || printerId === FLEET_DEFAULTS) return refusal(404, `no printer ${JSON.stringify(printerId)}`);
    const step = stepAlarm(p.alarm, this.rules(p), { kind: 'action', at: this.now(), ...request });
    if (!step.ok) return refusal(step.kind === 'invalid' ? 400 : 409, step.reason);
    this.record(p, printerId, step.alarm, step.transitions);
    return { ok: true, alarm: summaryOf(step.alarm) };
  }

  async history(printerId: string, query: HistoryQuery): Promise<Page<HistoryItem> | Refusal | undefined> {
    this.check();
    const p = this.printers.get(printerId);
    if (p === undefined) return undefined;
    return page(newestFirst(p.history, query), query.cursor, query.limit);
  }

  async events(query: HistoryQuery): Promise<Page<HistoryItem> | Refusal> {
    this.check();
    const all = [...this.printers.values()].flatMap((p) => p.history);
    return page(newestFirst(all, query), query.cursor, query.limit);
  }

  private get(printerId: string): FakePrinter {
    const p = this.printers.get(printerId);
    if (p === undefined) throw new Error(`the fake fleet has no printer ${printerId}`);
    return p;
  }

  private check(): void {
    if (this.failWith !== undefined) throw this.failWith;
  }

  private rules(p: FakePrinter) {
    return { severity: p.profile.Severity ?? 'major', clearAfter: p.profile.ClearAfter ?? 1, latch: p.profile.Latch ?? false };
  }

  private record(p: FakePrinter, printerId: string, alarm: Alarm, transitions: readonly AlarmTransition[]): void {
    p.alarm = alarm;
    for (const t of transitions) {
      p.history.push({
        Type: 'transition',
        PrinterId: printerId,
        From: t.from,
        To: t.to,
        Cause: t.cause,
        Severity: t.severity,
        By: t.by,
        Note: t.note,
        At: t.at,
      });
    }
  }

  private summaries(): PrinterSummary[] {
    return [...this.printers.entries()]
      .filter(([id]) => id !== FLEET_DEFAULTS)
      .map(([id, p]) => ({
        PrinterId: id,
        EventCount: p.eventCount,
        OutOfBoundsCount: p.outOfBounds,
        LastValue: p.lastValue,
        LastSeenAt: p.lastSeenAt,
        Alarm: summaryOf(p.alarm),
      }));
  }
}

function summaryOf(alarm: Alarm): AlarmSummary {
  return { State: alarm.state, Severity: alarm.severity, Cause: alarm.cause, Since: alarm.since };
}

function newestFirst(items: readonly HistoryItem[], query: Pick<HistoryQuery, 'since' | 'until'>): HistoryItem[] {
  return items
    .map((item, index) => ({ item, index, at: timeOf(item) }))
    .filter(({ at }) => (query.since === undefined || at >= query.since) && (query.until === undefined || at <= query.until))
    .sort((a, b) => b.at - a.at || b.index - a.index)
    .map(({ item }) => item);
}
