/**
 * A small interpreter of AWS IoT Events detector models, written from the
 * IoT Events developer guide's account of detector behaviour, independent of
 * the importer: on an input, the current state's `onInput` events whose
 * condition holds run their actions, then the first `transitionEvents` entry
 * whose condition holds runs its actions and moves to its `nextState`
 * (running the old state's `onExit` and the new one's `onEnter` events). A
 * timer set with `setTimer` expires `seconds` later, by the clock: the
 * detector is then evaluated as on an input in which `timeout("name")` is
 * true. Conditions understood: `true`, `timeout("T")`, and one input attribute
 * against a number (`$input.X.y > N`, `>=`, `<`, `<=`); anything else is false.
 */
import type { Action, DetectorModelDefinition, Event, State } from '@aws-sdk/client-iot-events';

type Input = Readonly<Record<string, number>>;

const COMPARISON = /^(\$input(?:\.[A-Za-z0-9_]+)+)\s*(>=|<=|>|<)\s*(-?[\d.]+(?:[eE][-+]?\d+)?)$/;

function holds(condition: string | undefined, input: Input | undefined, expired: string | undefined): boolean {
  const text = (condition ?? 'true').trim();
  if (text === 'true') return true;
  const timeout = /^timeout\("([^"]+)"\)$/.exec(text);
  if (timeout) return timeout[1] === expired;
  const compare = COMPARISON.exec(text);
  if (!compare || input === undefined) return false;
  const value = input[compare[1]!];
  if (value === undefined) return false;
  const n = Number(compare[3]);
  return { '>': value > n, '>=': value >= n, '<': value < n, '<=': value <= n }[compare[2] as '>' | '>=' | '<' | '<='];
}

export class IotEventsDetector {
  state: string;
  /** Timer name -> when it expires (ms). */
  private readonly timers = new Map<string, number>();
  private readonly states: Map<string, State>;

  constructor(definition: DetectorModelDefinition) {
    this.states = new Map((definition.states ?? []).map((s) => [s.stateName!, s]));
    this.state = definition.initialStateName!;
  }

  /** Lets the clock run to `at`: timers expire in order, each evaluated as an input. */
  advance(at: number): void {
    for (;;) {
      const due = [...this.timers].filter(([, when]) => when <= at).sort((a, b) => a[1] - b[1])[0];
      if (!due) return;
      this.timers.delete(due[0]);
      this.evaluate(undefined, due[0], due[1]);
    }
  }

  /** An input at `at` (ms), its attributes by full path (`$input.In.sensor.t`). */
  input(values: Input, at: number): string {
    this.advance(at);
    this.evaluate(values, undefined, at);
    return this.state;
  }

  private evaluate(input: Input | undefined, expired: string | undefined, at: number): void {
    const state = this.states.get(this.state)!;
    for (const event of state.onInput?.events ?? []) if (holds(event.condition, input, expired)) this.run(event, at);
    const transition = (state.onInput?.transitionEvents ?? []).find((t) => holds(t.condition, input, expired));
    if (!transition) return;
    this.run(transition, at);
    for (const event of state.onExit?.events ?? []) if (holds(event.condition, input, expired)) this.run(event, at);
    this.state = transition.nextState!;
    for (const event of this.states.get(this.state)!.onEnter?.events ?? []) if (holds(event.condition, input, expired)) this.run(event, at);
  }

  private run(event: Pick<Event, 'actions'>, at: number): void {
    for (const action of (event.actions ?? []) as Action[]) {
      if (action.setTimer?.timerName) this.timers.set(action.setTimer.timerName, at + Number(action.setTimer.seconds) * 1000);
      if (action.resetTimer?.timerName) {
        // resetTimer restarts a running timer with its original length; the models here only set timers.
        throw new Error('resetTimer is not modelled');
      }
      if (action.clearTimer?.timerName) this.timers.delete(action.clearTimer.timerName);
    }
  }
}
