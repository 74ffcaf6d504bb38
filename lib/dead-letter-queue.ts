/**
 * Where readings go when they cannot be processed: the detector's on-failure
 * destination (of its asynchronous invocations, or of the reading stream's
 * event source mapping) and the topic rule's error action all send here, so
 * no reading is dropped silently and every failure can be inspected and replayed.
 * The sweep's failed runs go to a queue of their own, built the same way
 * (`lib/sweep.ts`), so that this one holds readings only.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { DestinationConfig, DlqDestinationConfig, IDestination, IEventSourceDlq, IFunction } from 'aws-cdk-lib/aws-lambda';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface DeadLetterQueueProps {
  /**
   * How long a failed reading is kept (SQS allows at most 14 days).
   * @default Duration.days(14)
   */
  readonly retentionPeriod?: Duration;
  /**
   * Whose dead letters the queue holds, for the reason it needs no queue of its own.
   * @default 'the detector and of the topic rule'
   */
  readonly deadLettersOf?: string;
}

/** An encrypted (SSE-SQS) queue that only accepts TLS requests. */
export class DeadLetterQueue extends Construct {
  /** The queue. */
  public readonly queue: Queue;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps = {}) {
    super(scope, id);
    this.queue = new Queue(this, 'Queue', {
      // SQS-managed keys: encrypted at rest at no cost, and the senders (Lambda,
      // the IoT rules engine) need no KMS permissions.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const lastStop =
      `This queue is itself the last stop: the dead-letter destination of ${props.deadLettersOf ?? 'the detector and of the topic rule'}. ` +
      'A further DLQ would only move the same messages; its depth alarm is the safeguard instead.';
    Validations.of(this.queue).acknowledge(
      { id: 'AwsSolutions-SQS3', reason: lastStop },
      { id: 'Serverless-SQSRedrivePolicy', reason: lastStop },
    );
  }
}

/**
 * The queue as a Lambda on-failure destination, for asynchronous invocations
 * (`onFailure` of a function) and for event source mappings alike, granting
 * the function only `sqs:SendMessage` (all Lambda needs to deliver the
 * failure record), unlike `SqsDestination` and `SqsDlq`, which also grant
 * `sqs:GetQueueAttributes` and `sqs:GetQueueUrl`.
 */
export function sendOnlyDestination(queue: IQueue): IDestination & IEventSourceDlq {
  return {
    // Both interfaces pass the function second: the scope (or the mapping) is not needed.
    bind(_scopeOrMapping: unknown, fn: IFunction): DestinationConfig & DlqDestinationConfig {
      fn.addToRolePolicy(new PolicyStatement({ sid: 'SendFailedInvocations', actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
      return { destination: queue.queueArn };
    },
  };
}
