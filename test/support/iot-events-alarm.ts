/**
 * An independent reference of an AWS IoT Events alarm model's behaviour,
 * written from the IoT Events documentation, not from our alarm core:
 * - AlarmState (IoT Events Data API): NORMAL is ready to evaluate; ACTIVE the
 *   alarm is invoked; ACKNOWLEDGED invoked and acknowledged; LATCHED invoked,
 *   the data is back within range, and it needs an acknowledgement to reach
 *   NORMAL; DISABLED does not evaluate data and is left by enabling it.
 * - AcknowledgeFlow: enabled, the alarm must be acknowledged before it can
 *   return to NORMAL; disabled, it returns to NORMAL by itself when the input
 *   property value is back in range.
 * - SimpleRule: the alarm is invoked when `inputProperty OPERATOR threshold`
 *   holds for the input.
 * - InitializationConfiguration: disabledOnInitialization starts it DISABLED.
 * - ResetAlarm: the alarm returns to NORMAL after it is reset.
 * A breach while LATCHED invokes the alarm again (ACTIVE): the documentation
 * does not spell this out; it follows from LATCHED being "invoked, data in
 * range". Snooze is left out (it is timed, and the import writes no snooze).
 */

export type IotEventsState = 'DISABLED' | 'NORMAL' | 'ACTIVE' | 'ACKNOWLEDGED' | 'LATCHED';
export type IotEventsOperator = 'GREATER' | 'GREATER_OR_EQUAL' | 'LESS' | 'LESS_OR_EQUAL';
export type IotEventsAction = 'acknowledge' | 'disable' | 'enable' | 'reset';

export interface IotEventsAlarmModel {
  readonly operator: IotEventsOperator;
  readonly threshold: number;
  readonly acknowledgeFlow: boolean;
  readonly disabledOnInitialization: boolean;
}

const BREACHES: Readonly<Record<IotEventsOperator, (value: number, threshold: number) => boolean>> = {
  GREATER: (v, t) => v > t,
  GREATER_OR_EQUAL: (v, t) => v >= t,
  LESS: (v, t) => v < t,
  LESS_OR_EQUAL: (v, t) => v <= t,
};

export class IotEventsAlarm {
  state: IotEventsState;

  constructor(readonly model: IotEventsAlarmModel) {
    this.state = model.disabledOnInitialization ? 'DISABLED' : 'NORMAL';
  }

  /** One input carrying the rule's property; returns the state after it. */
  input(value: number): IotEventsState {
    const invoked = BREACHES[this.model.operator](value, this.model.threshold);
    if (invoked && (this.state === 'NORMAL' || this.state === 'LATCHED')) this.state = 'ACTIVE';
    else if (!invoked && this.state === 'ACTIVE') this.state = this.model.acknowledgeFlow ? 'LATCHED' : 'NORMAL';
    else if (!invoked && this.state === 'ACKNOWLEDGED') this.state = 'NORMAL';
    return this.state;
  }

  /** An operator's action; one that does not apply leaves the state as it is. */
  act(action: IotEventsAction): IotEventsState {
    if (action === 'acknowledge' && this.model.acknowledgeFlow) {
      if (this.state === 'ACTIVE') this.state = 'ACKNOWLEDGED';
      else if (this.state === 'LATCHED') this.state = 'NORMAL';
    } else if (action === 'disable') this.state = 'DISABLED';
    else if (action === 'enable' && this.state === 'DISABLED') this.state = 'NORMAL';
    else if (action === 'reset') this.state = 'NORMAL';
    return this.state;
  }
}
