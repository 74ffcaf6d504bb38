/**
 * What every function that moves alarms needs (the detector, the sweep and
 * the operator API each deliver what their writes counted,
 * `lambda/outbox.ts`): the history table to record in, the IoT topics to
 * publish on, the notifications topic; their part of the functions'
 * environment, and the permissions, each scoped to its resource.
 */
import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { ALARM_TOPIC_PREFIX, type DetectorEnvironmentSettings, PREDICTION_TOPIC } from '../contract/index.ts';
import type { NotificationsTopic } from './notifications-topic.ts';

/** Where anomaly events and alarm transitions are delivered besides their MQTT topics. */
export interface AlarmDeliveryTargets {
  /**
   * The history table: a write records what it counted in the same request
   * (`TransactWriteItems`, authorized per item: `PutItem`); a delivery
   * records again, in one `BatchWriteItem`, what its write could not carry
   * (a redelivery, entries left pending, more items than a transaction holds).
   */
  readonly historyTable: ITable;
  /** Days a history item is kept (its TTL, computed by the function). */
  readonly historyDays: number;
  /** The alarm notifications topic. */
  readonly notifications: NotificationsTopic;
}

/** Their part of the functions' environment (`detectorEnvironment`). */
export function alarmDeliveryEnvironment(
  targets: AlarmDeliveryTargets,
): Pick<DetectorEnvironmentSettings, 'eventsTableName' | 'historyDays' | 'notificationsTopicArn'> {
  return {
    eventsTableName: targets.historyTable.tableName,
    historyDays: targets.historyDays,
    notificationsTopicArn: targets.notifications.topic.topicArn,
  };
}

/** The IoT ARN of an MQTT topic (or of a topic pattern). */
export function iotTopicArn(scope: Stack, topic: string): string {
  return scope.formatArn({ service: 'iot', resource: 'topic', resourceName: topic, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}

/**
 * Why the sweep's and the operator API's delivery grants can go unused in a
 * run without faults (test/twin/iam.test.ts): they publish anomaly events and
 * notify only when they deliver entries another function left pending (its
 * delivery failed on every attempt); their own writes never count events or
 * notifiable transitions, bar the sweep's silence alarm.
 */
/**
 * Why the history table's `BatchWriteItem` can go unused in a run without
 * faults: a write records what it counted in its own transaction; a delivery
 * records again only what a write could not carry.
 */
export const HISTORY_AFTER_WRITE_REASON =
  'records history after the write only for a redelivered invocation, entries left pending, or a write counting more items than one transaction holds';

export const PENDING_DELIVERY_REASON =
  "delivers the entries a failed delivery left pending on the printer, of any kind, on the printer's next write";

/**
 * Lets `role` deliver: publish anomaly events on `anom/pred` and transitions
 * on `anom/alarm/<PrinterId>` (any function may deliver a printer's pending
 * events, whichever kind), record them in history, notify.
 */
export function grantAlarmDelivery(role: IRole, targets: AlarmDeliveryTargets): void {
  const stack = Stack.of(role);
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'PublishEventsAndAlarmTransitions',
      actions: ['iot:Publish'],
      resources: [iotTopicArn(stack, PREDICTION_TOPIC), iotTopicArn(stack, `${ALARM_TOPIC_PREFIX}*`)],
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'RecordHistory',
      actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'],
      resources: [targets.historyTable.tableArn],
    }),
  );
  targets.notifications.grantPublish(role);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:topic/${ALARM_TOPIC_PREFIX}*]`,
    reason:
      'Alarm transitions go to one topic per printer, anom/alarm/<PrinterId>, and printers are data (any profile may be ' +
      'added at run time); the pattern is limited to that prefix, in this account and region, and to iot:Publish.',
  });
}
