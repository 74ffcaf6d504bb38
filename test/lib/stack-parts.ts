/**
 * How the infrastructure tests find the stack's parts in a synthesized
 * template: by their properties or by the references between them, never by
 * logical id.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';
import { ALARM_TOPIC_PREFIX, DEFAULT_EVENTS_TABLE_NAME, DEFAULT_TABLE_NAME, PREDICTION_TOPIC } from '../../contract/index.ts';
import { getAttOf, onlyResource, referencedId, refTo, stackArn } from '../support/cdk-app.ts';

/** The detector (either ingest mode). */
export const DETECTOR = { Description: Match.stringLikeRegexp('^Detects printer threshold anomalies') };
/** The sweep (the clock). */
export const SWEEP = { Description: Match.stringLikeRegexp('^Sweeps printer alarms') };
/** The operator API's function. */
export const API_FUNCTION = { Description: Match.stringLikeRegexp('operator API') };
/** The stack's own functions (besides CDK's custom resource provider). */
export const FUNCTIONS = { detector: DETECTOR, sweep: SWEEP, api: API_FUNCTION } as const;

/** The profiles table, by its default name. */
export const PROFILES = { TableName: DEFAULT_TABLE_NAME };
/** The history table, by its default name. */
export const HISTORY = { TableName: DEFAULT_EVENTS_TABLE_NAME };
/** The operations topic (the stack's own alarms). */
export const OPERATIONS_TOPIC = { DisplayName: 'printer-anomaly operations' };
/** The alarm notifications topic. */
export const NOTIFICATIONS_TOPIC = { DisplayName: 'printer-anomaly alarms' };

export const ref = (id: string) => ({ Ref: id });
export const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

/** The logical id of the one resource of `type` matching `props`. */
export const idOf = (t: Template, type: string, props?: unknown): string => onlyResource(t, type, props).id;

/** The execution role of a function. */
export const roleIdOf = (t: Template, fn: unknown): string =>
  referencedId(onlyResource(t, 'AWS::Lambda::Function', fn).resource.Properties!['Role'])!;

/** The log group of a function. */
export const logGroupIdOf = (t: Template, fn: unknown): string =>
  referencedId(onlyResource(t, 'AWS::Lambda::Function', fn).resource.Properties!['LoggingConfig']['LogGroup'])!;

/** The key a topic is encrypted with. */
export const keyIdOf = (t: Template, topic: unknown): string =>
  referencedId(onlyResource(t, 'AWS::SNS::Topic', topic).resource.Properties!['KmsMasterKeyId'])!;

/** The readings' dead-letter queue: where the topic rule's error action sends. */
export const readingsQueueId = (t: Template): string =>
  referencedId(onlyResource(t, 'AWS::IoT::TopicRule').resource.Properties!['TopicRulePayload']['ErrorAction']['Sqs']['QueueUrl'])!;

/** The sweep's dead-letter queue: the schedule's. */
export const sweepQueueId = (t: Template): string =>
  referencedId(onlyResource(t, 'AWS::Scheduler::Schedule').resource.Properties!['Target']['DeadLetterConfig']['Arn'])!;

/** A queue that refuses requests without TLS: its policy denies every SQS action when the transport is not secure. */
export function expectTlsOnlyQueue(t: Template, queueId: string): void {
  t.hasResourceProperties('AWS::SQS::QueuePolicy', {
    Queues: [ref(queueId)],
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Effect: 'Deny',
          Action: 'sqs:*',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      ]),
    },
  });
}

/**
 * What every function that moves alarms is granted to deliver them (as
 * `statementsOfRole` lists them): publish on the prediction and alarm topics,
 * write the history, publish to the notifications topic with its key.
 */
export const deliveryStatements = (t: Template) => [
  {
    actions: ['iot:Publish'],
    resources: expect.arrayContaining([stackArn('iot', `topic/${PREDICTION_TOPIC}`), stackArn('iot', `topic/${ALARM_TOPIC_PREFIX}*`)]),
  },
  { actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'], resources: [getAttOf(t, 'AWS::DynamoDB::Table', 'Arn', HISTORY)] },
  { actions: ['sns:Publish'], resources: [refTo(t, 'AWS::SNS::Topic', NOTIFICATIONS_TOPIC)] },
  { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [arnOf(keyIdOf(t, NOTIFICATIONS_TOPIC))] },
];
