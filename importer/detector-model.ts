/**
 * The threshold-with-timer patterns of IoT Events detector models, found by
 * their structure, never by state names (`docs/iot-events.md`, "Detector
 * models"). Conditions are read only in three forms: one input attribute
 * against a number (`$input.X.y > N`), `timeout("T")`, and `true`.
 * - A timer set when the attribute breaches, and a transition on its
 *   timeout: `Mode` `duration` with `DurationSeconds` (the band from the
 *   breach).
 * - A timer set or reset on every input (`true`), and a transition on its
 *   timeout: `SilenceSeconds`.
 * Every other state, event and action is reported as not imported. Pure.
 */
import type { Action, Event, State } from '@aws-sdk/client-iot-events';
import type { BandInput } from '../contract/index.ts';
import { MIN_SILENCE_SECONDS } from '../lambda/core/rules.ts';
import { actionLines } from './actions.ts';
import { type MappedModel, metricOfInput, numberOf, type ReportLine, type Status } from './mapping.ts';
import type { DetectorModelSource } from './sources.ts';

type Operator = '>' | '>=' | '<' | '<=';
type Condition =
  | { readonly kind: 'compare'; readonly path: string; readonly metric: string; readonly operator: Operator; readonly value: number }
  | { readonly kind: 'timeout'; readonly timer: string }
  | { readonly kind: 'always' }
  | { readonly kind: 'other'; readonly text: string };

const FLIP: Readonly<Record<Operator, Operator>> = { '>': '<', '>=': '<=', '<': '>', '<=': '>=' };
const NOT: Readonly<Record<Operator, Operator>> = { '>': '<=', '>=': '<', '<': '>=', '<=': '>' };
const ATTRIBUTE = String.raw`\$input(?:\.(?:\x60[^\x60]+\x60|[A-Za-z0-9_]+))+`;
const NUMBER = String.raw`-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;
const COMPARE = new RegExp(String.raw`^(${ATTRIBUTE})\s*(>=|<=|>|<)\s*(${NUMBER})$`);
const COMPARE_FLIPPED = new RegExp(String.raw`^(${NUMBER})\s*(>=|<=|>|<)\s*(${ATTRIBUTE})$`);

function parseCondition(text: string | undefined): Condition {
  const source = (text ?? '')
    .trim()
    .replace(/^\((.*)\)$/s, '$1')
    .trim();
  if (source === 'true') return { kind: 'always' };
  const timeout = /^timeout\(\s*(["'])([^"']+)\1\s*\)$/.exec(source);
  if (timeout) return { kind: 'timeout', timer: timeout[2]! };
  const direct = COMPARE.exec(source);
  const flipped = direct ? undefined : COMPARE_FLIPPED.exec(source);
  const [path, operator, value] = direct
    ? [direct[1]!, direct[2] as Operator, Number(direct[3])]
    : flipped
      ? [flipped[3]!, FLIP[flipped[2] as Operator], Number(flipped[1])]
      : [];
  const input = path === undefined ? undefined : metricOfInput(path);
  if (input && operator && value !== undefined && Number.isFinite(value))
    return { kind: 'compare', path: path!, metric: input.metric, operator, value };
  return { kind: 'other', text: source || '(none)' };
}

interface Site {
  readonly state: string;
  readonly section: 'onEnter' | 'onInput' | 'onExit' | 'transition';
  readonly event: Event & { readonly nextState?: string };
  readonly condition: Condition;
}

function sitesOf(states: readonly State[]): Site[] {
  return states.flatMap((state) => {
    const name = state.stateName ?? '(unnamed)';
    const site = (section: Site['section']) => (event: Event & { nextState?: string }) => ({
      state: name,
      section,
      event,
      condition: parseCondition(event.condition),
    });
    return [
      ...(state.onEnter?.events ?? []).map(site('onEnter')),
      ...(state.onInput?.events ?? []).map(site('onInput')),
      ...(state.onInput?.transitionEvents ?? []).map(site('transition')),
      ...(state.onExit?.events ?? []).map(site('onExit')),
    ];
  });
}

/** A timer an action starts, with its constant length in seconds. */
function timerOf(action: Action): { name: string; seconds?: number } | undefined {
  const set = action.setTimer ?? action.resetTimer;
  if (!set?.timerName) return undefined;
  const seconds = numberOf(action.setTimer?.seconds ?? action.setTimer?.durationExpression);
  return { name: set.timerName, ...(seconds !== undefined ? { seconds } : {}) };
}

const where = (site: Site) =>
  `state ${site.state}, ${site.section} ${site.section === 'transition' ? `to ${site.event.nextState ?? '?'} ` : ''}event ${site.event.eventName ?? '(unnamed)'}`;

export function mapDetectorModel(model: DetectorModelSource): MappedModel {
  const name = model.detectorModelName;
  const lines: ReportLine[] = [];
  const say = (at: string, status: Status, text: string) => lines.push({ model: name, where: at, status, text });
  const sites = sitesOf(model.detectorModelDefinition.states ?? []);
  const timed = (site: Site) => (site.event.actions ?? []).map(timerOf).filter((timer) => timer !== undefined);
  const timeoutOf = (timer: string) =>
    sites.find((s) => s.section === 'transition' && s.condition.kind === 'timeout' && s.condition.timer === timer);

  const usable = (timer: { name: string; seconds?: number }) => timer.seconds !== undefined && timeoutOf(timer.name) !== undefined;
  /** The timer a breach starts: in its own actions, or on entering the state its transition goes to. */
  const startedBy = (site: Site): { timer: { name: string; seconds?: number }; starter: Site } | undefined => {
    const own = timed(site).find(usable);
    if (own) return { timer: own, starter: site };
    if (site.section !== 'transition') return undefined;
    for (const enter of sites.filter((s) => s.state === site.event.nextState && s.section === 'onEnter' && s.condition.kind === 'always')) {
      const timer = timed(enter).find(usable);
      if (timer) return { timer, starter: enter };
    }
    return undefined;
  };

  // The breach: a comparison whose event starts a timer that some transition waits for.
  const breachSite = sites.find((s) => s.condition.kind === 'compare' && startedBy(s) !== undefined);
  const breach = breachSite?.condition.kind === 'compare' ? breachSite.condition : undefined;
  const started = breachSite ? startedBy(breachSite) : undefined;
  const durationTimer = started?.timer;
  const silenceSite = sites.find((s) => s.section === 'onInput' && s.condition.kind === 'always' && timed(s).some(usable));
  const silenceTimer = silenceSite ? timed(silenceSite).find(usable) : undefined;
  const silenceTimeout = silenceTimer ? timeoutOf(silenceTimer.name) : undefined;
  const silenceUsable =
    silenceTimer !== undefined && silenceTimer.seconds! >= MIN_SILENCE_SECONDS && Number.isInteger(silenceTimer.seconds);
  // Every comparison must be on the breach's attribute and value, the breach or its negation, for the band to say it.
  const sameRule = (c: Condition) =>
    breach !== undefined &&
    c.kind === 'compare' &&
    c.path === breach.path &&
    c.value === breach.value &&
    (c.operator === breach.operator || c.operator === NOT[breach.operator]);
  const durationSeconds = durationTimer?.seconds;
  const durationUsable = durationSeconds !== undefined && Number.isInteger(durationSeconds) && durationSeconds >= 1;

  for (const site of sites) {
    const at = where(site);
    const { condition } = site;
    const timers = timed(site);
    if (durationUsable && site === breachSite) {
      say(
        at,
        breach!.operator.includes('=') ? 'approximate' : 'exact',
        `${site.event.condition} starts timer "${durationTimer!.name}"${started!.starter === site ? '' : ` (entering ${site.event.nextState})`}: ` +
          'the band (out of bounds when it holds)',
      );
    } else if (durationUsable && site === started!.starter) {
      say(at, 'exact', `entering ${site.state} starts timer "${durationTimer!.name}": the run begins at the breach`);
    } else if (durationUsable && condition.kind === 'timeout' && condition.timer === durationTimer!.name && site.section === 'transition') {
      say(
        at,
        'approximate',
        `timeout after ${durationSeconds} s -> Mode duration, DurationSeconds ${durationSeconds}: raised by the first out-of-bounds reading ${durationSeconds} s or more into the run, not by the clock`,
      );
    } else if (durationUsable && sameRule(condition) && timers.length === 0) {
      say(
        at,
        'exact',
        `${site.event.condition}: ${condition.kind === 'compare' && condition.operator === breach!.operator ? 'still out of bounds' : 'back in bounds: the run ends and the alarm clears'}`,
      );
    } else if (silenceUsable && (site === silenceSite || (condition.kind === 'timeout' && condition.timer === silenceTimer!.name))) {
      say(
        at,
        'approximate',
        site === silenceSite
          ? `every input resets timer "${silenceTimer!.name}" -> SilenceSeconds ${silenceTimer!.seconds}`
          : `timeout -> ACTIVE (silent), seen at the first sweep at or after it (every minute)`,
      );
    } else if (
      silenceUsable &&
      site.section === 'transition' &&
      condition.kind === 'always' &&
      site.state === silenceTimeout?.event.nextState
    ) {
      say(at, 'exact', 'any input ends the silence: the next reading returns the alarm to NORMAL (cause clear)');
    } else if (silenceTimer !== undefined && !silenceUsable && site === silenceSite) {
      say(at, 'not supported', `a silence timer of ${silenceTimer.seconds} s: SilenceSeconds is an integer >= ${MIN_SILENCE_SECONDS}`);
    } else {
      say(
        at,
        'not imported',
        `${site.event.condition ?? '(no condition)'}: ${condition.kind === 'other' ? 'a condition outside the threshold-with-timer patterns' : 'outside the threshold-with-timer patterns'}`,
      );
    }
    for (const action of site.event.actions ?? []) {
      const [kind] = Object.keys(action);
      if (kind === 'setTimer' || kind === 'resetTimer' || kind === 'clearTimer') continue;
      if (kind === 'setVariable')
        say(
          `${at}, action setVariable`,
          'not imported',
          'detector variables have no equal: only the band, the duration and the silence are imported',
        );
      else for (const line of actionLines([action])) say(`${at}, action ${line.name}`, line.status, line.text);
    }
  }

  // Comparisons on another attribute or value would need a second band: the model is not one rule.
  const others = sites.filter((site) => site.condition.kind === 'compare' && !sameRule(site.condition));
  let rules: MappedModel['rules'];
  if (durationUsable && breach && others.length > 0) {
    say(
      'detector model',
      'not imported',
      `comparisons on another attribute or value (${others.map((o) => o.event.eventName).join(', ')}): not one band`,
    );
  } else if (durationUsable && breach) {
    const upper = breach.operator === '>' || breach.operator === '>=';
    const band: BandInput = upper ? { Upper: breach.value } : { Lower: breach.value };
    rules = {
      Thresholds: { [breach.metric]: band },
      Mode: 'duration',
      DurationSeconds: durationSeconds,
      ...(silenceUsable ? { SilenceSeconds: silenceTimer!.seconds! } : {}),
    };
    say('severity', 'approximate', 'a detector model has no severity: imported as major (the default); set Severity to change it');
  } else {
    say(
      'detector model',
      'not imported',
      'no threshold-with-timer pattern (a comparison that starts a timer, and a transition on its timeout)',
    );
  }
  return {
    name,
    kind: 'detector model',
    ...(model.key ? { key: model.key } : {}),
    ...(rules ? { rules } : {}),
    startsDisabled: false,
    lines,
  };
}
