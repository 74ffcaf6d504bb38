/**
 * An independent, deliberately different model of a printer's alarm, written from the alarm rules in
 * `docs/design.md` ("Alarms") without reusing `lambda/core/alarm.ts`: a transition table keyed by trigger,
 * explicit mutable counters, deadlines handled one at a time in a loop, and re-notifications counted period
 * by period. The property tests run it beside the product and compare every step.
 */
import type { AlarmActionName, AlarmCause, AlarmState, Severity } from '../../contract/index.ts';

export interface ModelRules {
  readonly severity: Severity;
  readonly clearAfter: number;
  readonly latch: boolean;
  readonly silenceMs?: number;
  readonly renotifyMs?: number;
}

export type ModelInput =
  | {
      readonly kind: 'reading';
      readonly at: number;
      readonly arrival?: number;
      readonly inClear: boolean;
      readonly event?: { readonly severity: Severity };
    }
  | { readonly kind: 'tick'; readonly at: number }
  | {
      readonly kind: 'action';
      readonly action: AlarmActionName;
      readonly at: number;
      readonly by: string;
      readonly note?: string;
      readonly until?: number;
    };

export interface ModelTransition {
  from: AlarmState;
  to: AlarmState;
  cause: AlarmCause;
  severity: Severity | null;
  by: string;
  note: string | null;
  at: string;
  seq: number;
}

/** What a step produced, shaped like the product's step so the two compare with one `toEqual`. */
export type ModelStep =
  | { ok: true; alarm: Record<string, unknown>; transitions: ModelTransition[]; renotify?: number }
  | { ok: false; kind: 'invalid' | 'refused' };

/** What moves the alarm; each names one column of the table. */
type Trigger =
  | 'event'
  | 'escalate'
  | 'clear'
  | 'clearLatching'
  | 'dataBack'
  | 'silence'
  | 'snoozeExpired'
  | 'acknowledge'
  | 'snooze'
  | 'disable'
  | 'enable'
  | 'reset';

/** The whole machine: where each trigger takes each state; a missing cell means the trigger does not apply. */
const TABLE: Record<AlarmState, Partial<Record<Trigger, AlarmState>>> = {
  NORMAL: { event: 'ACTIVE', silence: 'ACTIVE', snooze: 'SNOOZE_DISABLED', disable: 'DISABLED' },
  ACTIVE: {
    escalate: 'ACTIVE',
    clear: 'NORMAL',
    clearLatching: 'LATCHED',
    dataBack: 'NORMAL',
    acknowledge: 'ACKNOWLEDGED',
    snooze: 'SNOOZE_DISABLED',
    disable: 'DISABLED',
    reset: 'NORMAL',
  },
  ACKNOWLEDGED: {
    escalate: 'ACKNOWLEDGED',
    clear: 'NORMAL',
    clearLatching: 'NORMAL',
    dataBack: 'NORMAL',
    snooze: 'SNOOZE_DISABLED',
    disable: 'DISABLED',
    reset: 'NORMAL',
  },
  LATCHED: { event: 'ACTIVE', acknowledge: 'NORMAL', snooze: 'SNOOZE_DISABLED', disable: 'DISABLED', reset: 'NORMAL' },
  SNOOZE_DISABLED: { snoozeExpired: 'NORMAL', snooze: 'SNOOZE_DISABLED', disable: 'DISABLED', reset: 'NORMAL' },
  DISABLED: { enable: 'NORMAL', reset: 'NORMAL' },
};

const ACTION_NAMES = ['acknowledge', 'snooze', 'disable', 'enable', 'reset'];
const SEVERITY_ORDER: readonly Severity[] = ['warning', 'minor', 'major', 'critical'];

export class AlarmModel {
  state: AlarmState = 'NORMAL';
  severity: Severity | null = null;
  cause: AlarmCause | null = null;
  since: string | null = null;
  seq = 0;
  /** Consecutive in-band readings since the activation. */
  inBandRun = 0;
  raisedBySilence = false;
  snoozeEnd: number | undefined;
  lastActivation: ModelTransition | undefined;
  /** The operator who acknowledged, snoozed or disabled the alarm, while it stays so (an escalation keeps them). */
  holder: { by: string; note: string | null } | undefined;
  renotifications = 0;
  silenceDeadline: number | undefined;
  /** Every transition so far, oldest first. */
  readonly log: ModelTransition[] = [];

  /** When the last reading arrived: what a new silence rule counts from. */
  lastReadingAt: number | undefined;

  constructor(public rules: ModelRules) {}

  /**
   * The printer's rules changed. By a write to its own profile (`ownWrite`): a pending silence deadline is counted
   * again from the last reading, under the new rules. By the fleet defaults: the deadline stays until the next
   * reading or tick, which judge it under the rules as they are then.
   */
  changeRules(rules: ModelRules, ownWrite: boolean): void {
    this.rules = rules;
    if (this.silenceDeadline === undefined || !ownWrite) return;
    this.silenceDeadline = rules.silenceMs === undefined ? undefined : this.lastReadingAt! + rules.silenceMs;
  }

  /** The alarm as the product represents it. */
  view(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      state: this.state,
      severity: this.severity,
      cause: this.cause,
      since: this.since,
      transitionCount: this.seq,
      clearCount: this.inBandRun,
      silent: this.raisedBySilence,
      renotified: this.renotifications,
    };
    if (this.snoozeEnd !== undefined) out['until'] = this.snoozeEnd;
    if (this.lastActivation !== undefined) out['activation'] = { ...this.lastActivation };
    if (this.silenceDeadline !== undefined) out['silenceAt'] = this.silenceDeadline;
    if (this.holder !== undefined) out['owner'] = { ...this.holder };
    return out;
  }

  step(input: ModelInput): ModelStep {
    if (input.kind === 'action') {
      const verdict = this.judge(input);
      if (verdict !== 'ok') return { ok: false, kind: verdict };
    }
    const before = this.log.length;
    let renotify: number | undefined;
    if (input.kind === 'reading') this.reading(input.at, input.arrival ?? input.at, input.inClear, input.event?.severity);
    if (input.kind === 'tick') renotify = this.tick(input.at);
    if (input.kind === 'action') {
      this.fire(input.action, input.action, this.severity, input.by, input.at, input.note ?? null);
      if (input.action === 'snooze') this.snoozeEnd = input.until;
    }
    const result: ModelStep = { ok: true, alarm: this.view(), transitions: this.log.slice(before).map((t) => ({ ...t })) };
    if (renotify !== undefined) result.renotify = renotify;
    return result;
  }

  private judge(input: Extract<ModelInput, { kind: 'action' }>): 'ok' | 'invalid' | 'refused' {
    if (!ACTION_NAMES.includes(input.action)) return 'invalid';
    const note = input.note;
    if (note !== undefined) {
      if (note.length > 1000) return 'invalid';
      for (const ch of note) {
        const code = ch.codePointAt(0)!;
        if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return 'invalid';
      }
    }
    if (input.action === 'snooze' && (input.until === undefined || !(input.until > input.at))) return 'invalid';
    if (TABLE[this.state][input.action] === undefined) return 'refused';
    if (input.action === 'snooze' && this.state === 'SNOOZE_DISABLED' && this.snoozeEnd === input.until) return 'refused';
    return 'ok';
  }

  /** `at`: the reading's own time, which its transitions carry; `arrival`: when it came, which silence counts from. */
  private reading(at: number, arrival: number, inClear: boolean, event: Severity | undefined): void {
    this.lastReadingAt = arrival;
    if (this.rules.silenceMs !== undefined) this.silenceDeadline = arrival + this.rules.silenceMs;
    else this.silenceDeadline = undefined;
    if (this.raisedBySilence && (this.state === 'ACTIVE' || this.state === 'ACKNOWLEDGED')) {
      this.fire('dataBack', 'clear', this.severity, 'detector', at);
    }
    let fresh = false;
    if (event !== undefined) {
      if (TABLE[this.state].event !== undefined) {
        this.fire('event', 'threshold', event, 'detector', at);
        fresh = true;
      } else if (TABLE[this.state].escalate !== undefined && this.rank(event) > this.rank(this.severity)) {
        this.fire('escalate', 'threshold', event, 'detector', at);
      }
    }
    if (fresh || (this.state !== 'ACTIVE' && this.state !== 'ACKNOWLEDGED')) return;
    this.inBandRun = inClear ? this.inBandRun + 1 : 0;
    if (this.inBandRun < this.rules.clearAfter) return;
    this.fire(this.rules.latch ? 'clearLatching' : 'clear', 'clear', this.severity, 'detector', at);
  }

  /** Handles due deadlines one at a time, earliest first (a snooze end before a silence at the same time). */
  private tick(at: number): number | undefined {
    for (;;) {
      const snoozeDue = this.state === 'SNOOZE_DISABLED' && this.snoozeEnd !== undefined && this.snoozeEnd <= at;
      const silenceDue = this.silenceDeadline !== undefined && this.silenceDeadline <= at;
      if (!snoozeDue && !silenceDue) break;
      if (snoozeDue && (!silenceDue || this.snoozeEnd! <= this.silenceDeadline!)) {
        this.fire('snoozeExpired', 'snooze-expired', this.severity, 'clock', at);
      } else {
        this.silenceDeadline = undefined;
        const watched = this.rules.silenceMs !== undefined;
        if (this.state === 'NORMAL' && watched) this.fire('silence', 'silent', this.rules.severity, 'clock', at);
      }
    }
    const period = this.rules.renotifyMs;
    if (this.state !== 'ACTIVE' || period === undefined || this.lastActivation === undefined) return undefined;
    const start = new Date(this.lastActivation.at).getTime();
    let periods = this.renotifications;
    while (start + (periods + 1) * period <= at) periods++;
    if (periods === this.renotifications) return undefined;
    this.renotifications = periods;
    return periods;
  }

  /** When the model's clock next has work: the smallest of the pending deadlines. */
  deadline(): number | undefined {
    const candidates: number[] = [];
    if (this.silenceDeadline !== undefined) candidates.push(this.silenceDeadline);
    if (this.state === 'SNOOZE_DISABLED' && this.snoozeEnd !== undefined) candidates.push(this.snoozeEnd);
    const period = this.rules.renotifyMs;
    if (this.state === 'ACTIVE' && period !== undefined && this.lastActivation !== undefined) {
      candidates.push(new Date(this.lastActivation.at).getTime() + period * (this.renotifications + 1));
    }
    let earliest: number | undefined;
    for (const c of candidates) if (earliest === undefined || c < earliest) earliest = c;
    return earliest;
  }

  private rank(severity: Severity | null): number {
    return severity === null ? -1 : SEVERITY_ORDER.indexOf(severity);
  }

  /** Moves along the table, then sets the counters for the kind of move it was. */
  private fire(trigger: Trigger, cause: AlarmCause, severity: Severity | null, by: string, at: number, note: string | null = null): void {
    const from = this.state;
    const to = TABLE[from][trigger];
    if (to === undefined) throw new Error(`model: ${trigger} does not apply to ${from}`);
    this.seq += 1;
    const t: ModelTransition = { from, to, cause, severity, by, note, at: new Date(at).toISOString(), seq: this.seq };
    this.log.push(t);
    this.state = to;
    this.severity = severity;
    this.cause = cause;
    this.since = t.at;
    const held = to === 'ACKNOWLEDGED' || to === 'SNOOZE_DISABLED' || to === 'DISABLED';
    const byOperator = (ACTION_NAMES as readonly string[]).includes(trigger);
    if (!held) this.holder = undefined;
    else if (byOperator) this.holder = { by, note };
    else if (from !== to) this.holder = undefined;
    switch (trigger) {
      case 'event':
      case 'silence':
        this.inBandRun = 0;
        this.raisedBySilence = trigger === 'silence';
        this.lastActivation = t;
        this.renotifications = 0;
        break;
      case 'escalate':
        this.lastActivation = t;
        this.renotifications = 0;
        break;
      case 'acknowledge':
        if (to === 'ACKNOWLEDGED') break;
        this.rest();
        break;
      default:
        this.rest();
    }
  }

  private rest(): void {
    this.inBandRun = 0;
    this.raisedBySilence = false;
    this.lastActivation = undefined;
    this.renotifications = 0;
    this.snoozeEnd = undefined;
  }
}

/** Whether the spec's list of notified transitions holds `t`: written from its words, not from the product's rule. */
export function notifiedByModel(t: Pick<ModelTransition, 'from' | 'to' | 'cause'>): boolean {
  const activation = t.from !== t.to && t.to === 'ACTIVE' && ['threshold', 'silent'].includes(t.cause);
  const escalation = t.from === t.to && t.cause === 'threshold';
  const latch = t.to === 'LATCHED';
  const cleared = (t.from === 'ACTIVE' || t.from === 'ACKNOWLEDGED') && t.to === 'NORMAL' && t.cause === 'clear';
  return activation || escalation || latch || cleared;
}

/**
 * The one notification a write makes of the transitions it recorded (`docs/design.md`, "Alarms"): the last notified
 * one, carrying how many earlier notified ones of the same write it stands for; none when none is notified.
 */
export function groupedNotification(
  transitions: readonly ModelTransition[],
): { readonly last: ModelTransition; readonly folded: number } | undefined {
  let last: ModelTransition | undefined;
  let folded = -1;
  for (let i = transitions.length - 1; i >= 0; i--) {
    if (!notifiedByModel(transitions[i]!)) continue;
    last ??= transitions[i];
    folded++;
  }
  return last === undefined ? undefined : { last, folded };
}

/**
 * The notifications of a printer's writes, one write at a time, with an optional minimum interval: a write's group
 * (`groupedNotification`) is sent unless one was sent less than `minIntervalMs` before and its severity is not higher
 * than that one's. Written from `docs/design.md` ("Alarms"), apart from the product's code.
 */
export class NotificationPacer {
  private sentAt: number | undefined;
  private sentSeverity: Severity | null = null;

  constructor(private readonly minIntervalMs: number | undefined) {}

  write(transitions: readonly ModelTransition[], at: number): { readonly last: ModelTransition; readonly folded: number } | undefined {
    const group = groupedNotification(transitions);
    if (group === undefined) return undefined;
    const recent = this.minIntervalMs !== undefined && this.sentAt !== undefined && at < this.sentAt + this.minIntervalMs;
    const order = (s: Severity | null) => (s === null ? -1 : SEVERITY_ORDER.indexOf(s));
    if (recent && !(group.last.severity !== null && order(group.last.severity) > order(this.sentSeverity))) return undefined;
    if (this.minIntervalMs !== undefined) {
      this.sentAt = at;
      this.sentSeverity = group.last.severity;
    }
    return group;
  }
}
