/**
 * The clock in the cloud: the sweep function (`lambda/handlers/sweep.ts`)
 * run every minute by an EventBridge Scheduler schedule, with the scheduled
 * time as its input (`{"time": "<aws.scheduler.scheduled-time>"}`), so that
 * a retried sweep keeps the time it was due at. It reads the printers whose
 * deadline has passed from the deadline index (never a Scan) and steps their
 * alarms: silence, snooze expiry, re-notification.
 *
 * Failures are retried at two levels, and both end in the sweep's own
 * encrypted dead-letter queue (alarmed): Scheduler invokes the function
 * asynchronously, so its retry policy covers only the invocation being
 * refused, while the function's own async invocation config retries a sweep
 * that threw (a due printer could not be moved).
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IRole, PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { type IFunction, Tracing } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke, type ScheduleTargetBaseProps } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { detectorEnvironment, PROFILES_TABLE, SWEEP_FUNCTION } from '../contract/index.ts';
import { SWEEP_ENTRY } from '../lambda/bundling.ts';
import { type AlarmDeliveryTargets, alarmDeliveryEnvironment, grantAlarmDelivery } from './alarm-delivery.ts';
import { createBundledFunction } from './bundled-function.ts';
import { DeadLetterQueue, sendOnlyDestination } from './dead-letter-queue.ts';

/** The sweep's input: the time the schedule fired for, filled in by Scheduler on each run. */
export const SWEEP_INPUT = { time: ContextAttribute.scheduledTime } as const;

export interface SweepProps {
  /** The profiles table: Query on its deadline index, GetItem and UpdateItem on it, nothing else. */
  readonly table: ITable;
  /** Where the transitions the sweep makes are recorded and notified. */
  readonly alarmDelivery: AlarmDeliveryTargets;
  /**
   * IoT Data Plane endpoint (`https://<account endpoint>`) transitions are published through.
   * @default - the SDK's default endpoint for the region
   */
  readonly iotDataEndpoint?: string;
  /**
   * How often the sweep runs. Deadlines take effect at the first sweep at or
   * after their time, so this is how late a silence alarm can be.
   * @default Duration.minutes(1)
   */
  readonly every?: Duration;
  /**
   * Retries of a failed sweep, by Scheduler (invocation refused) and by
   * Lambda (the sweep threw). A sweep is idempotent: what it already moved
   * is no longer due.
   * @default SWEEP_FUNCTION.retryAttempts (2)
   */
  readonly retryAttempts?: number;
  /**
   * How old a sweep may get before it goes to the dead-letter queue instead.
   * The next sweeps read everything due up to their own time, so an old
   * sweep would add nothing but a stale `At`; ten minutes leaves room for
   * both of Lambda's retries (about one and two minutes apart).
   * @default SWEEP_FUNCTION.maxEventAgeSeconds (10 minutes)
   */
  readonly maxEventAge?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * `LambdaInvoke`, but the schedule's role may invoke the function itself
 * only: the base class grants `lambda:InvokeFunction` on every version and
 * alias too (`<function ARN>:*`), and the schedule invokes none of them.
 */
class InvokeUnqualified extends LambdaInvoke {
  private readonly target: IFunction;

  constructor(fn: IFunction, props: ScheduleTargetBaseProps) {
    super(fn, props);
    this.target = fn;
  }

  protected override addTargetActionToRole(role: IRole): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({ sid: 'InvokeSweep', actions: ['lambda:InvokeFunction'], resources: [this.target.functionArn] }),
    );
  }
}

/** The sweep function, its schedule and its dead-letter queue. */
export class Sweep extends Construct {
  /** The function. */
  public readonly function: NodejsFunction;
  /** The function's log group. */
  public readonly logGroup: LogGroup;
  /** The function's execution role. */
  public readonly role: Role;
  /** The schedule that runs it. */
  public readonly schedule: Schedule;
  /** Sweeps that failed for good (after Scheduler's or Lambda's retries). */
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: SweepProps) {
    super(scope, id);
    const retryAttempts = props.retryAttempts ?? SWEEP_FUNCTION.retryAttempts;
    const maxEventAge = props.maxEventAge ?? Duration.seconds(SWEEP_FUNCTION.maxEventAgeSeconds);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters', { deadLettersOf: 'the sweep (its schedule and its function)' }).queue;

    ({
      function: this.function,
      logGroup: this.logGroup,
      role: this.role,
    } = createBundledFunction(this, {
      entry: SWEEP_ENTRY,
      description: 'Sweeps printer alarms every minute: silence, snooze expiry, re-notification',
      roleDescription: 'printer-anomaly sweep: read due printers, move their alarms, deliver the transitions',
      memorySizeMb: SWEEP_FUNCTION.memorySizeMb,
      timeout: Duration.seconds(SWEEP_FUNCTION.timeoutSeconds),
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      tracing: Tracing.DISABLED,
      environment: detectorEnvironment({
        tableName: props.table.tableName,
        ...(props.iotDataEndpoint ? { iotDataEndpoint: props.iotDataEndpoint } : {}),
        ...alarmDeliveryEnvironment(props.alarmDelivery),
      }),
      reservedConcurrency: SWEEP_FUNCTION.reservedConcurrency,
      extra: { retryAttempts, maxEventAge, onFailure: sendOnlyDestination(this.deadLetterQueue) },
    }));
    Validations.of(this.function).acknowledge(
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'The function has an on-failure destination (the sweep dead-letter queue, encrypted), the successor of a DLQ ' +
          'that also records the error; configuring both would deliver every failed sweep twice.',
      },
      {
        id: 'Serverless-LambdaTracing',
        reason:
          'One short run a minute, whose work (due printers, transitions, failures) is in its EMF metrics and ' +
          'structured logs; traces would add cost and a wildcard X-Ray permission without telling more.',
      },
    );

    // What the sweep calls (lambda/sweep.ts, lambda/alarm-writer.ts): one Query on the deadline
    // index, then per due printer a GetItem and guarded UpdateItems; no Scan, no other index.
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'QueryDuePrinters',
        actions: ['dynamodb:Query'],
        resources: [`${props.table.tableArn}/index/${PROFILES_TABLE.deadlineIndex.indexName}`],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ReadAndUpdateProfiles',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [props.table.tableArn],
      }),
    );
    grantAlarmDelivery(this.role, props.alarmDelivery);

    this.schedule = new Schedule(this, 'Schedule', {
      description: 'Runs the printer-anomaly sweep (the clock) every minute',
      schedule: ScheduleExpression.rate(props.every ?? Duration.minutes(1)),
      target: new InvokeUnqualified(this.function, {
        input: ScheduleTargetInput.fromObject(SWEEP_INPUT),
        retryAttempts,
        maxEventAge,
        deadLetterQueue: this.deadLetterQueue,
      }),
    });
  }
}
