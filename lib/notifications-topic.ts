/**
 * Where printer alarm notifications go (not to be confused with the
 * operations topic, which tells about the stack's own health): the detector,
 * the sweep and the operator API publish each notified alarm transition here
 * (`lambda/adapters/sns-notifier.ts`: a subject naming printer, state, cause
 * and severity; the transition as JSON; a `Renotify` number attribute on a
 * re-notification, a `Folded` one on a write's notification that stands for
 * several transitions, `docs/design.md` "Alarms"). Encrypted with a key of its own, TLS only. Its
 * subscriptions follow a routing table by severity (`notification-routes.ts`,
 * `docs/notifications.md`): an email address and/or an HTTPS endpoint per
 * severity and for the others, each filtered on the `Severity` attribute;
 * anything else (a queue, a function) subscribes to the topic.
 */
import { Validations } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { createEncryptedTopic } from './encrypted-topic.ts';
import { type NotificationRouting, routedSubscriptions } from './notification-routes.ts';

export interface NotificationsTopicProps {
  /**
   * Where notifications go by severity: `{ default: { email } }` sends every
   * one to one address (AWS sends a confirmation message first).
   * @default - no subscription: subscribe to the topic yourself
   */
  readonly routing?: NotificationRouting;
}

/** Why a subscription has no dead-letter queue, by its kind of endpoint. */
const NO_REDRIVE_REASON = {
  email:
    'An email delivery that fails after SNS retries is counted in NumberOfNotificationsFailed, which is alarmed; the ' +
    'notification itself stays readable in the history table, so a dead-letter queue would only hold a second copy.',
  https:
    'An HTTPS delivery is retried by SNS under its delivery policy and, when it still fails, counted in ' +
    'NumberOfNotificationsFailed, which is alarmed; the notification stays readable in the history table.',
} as const;

/** The alarm notifications topic and its key. */
export class NotificationsTopic extends Construct {
  /** The topic. */
  public readonly topic: Topic;
  /** The topic's customer-managed key (rotated yearly). */
  public readonly key: Key;

  constructor(scope: Construct, id: string, props: NotificationsTopicProps = {}) {
    super(scope, id);
    ({ key: this.key, topic: this.topic } = createEncryptedTopic(this, {
      keyDescription: 'printer-anomaly: encrypts the alarm notifications topic',
      displayName: 'printer-anomaly alarms',
    }));
    for (const { subscription, protocol } of routedSubscriptions(props.routing ?? {})) {
      Validations.of(this.topic.addSubscription(subscription)).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason: NO_REDRIVE_REASON[protocol],
      });
    }
  }

  /**
   * Lets `grantee` publish: `sns:Publish` on this topic and, because the topic
   * is encrypted, `kms:GenerateDataKey` and `kms:Decrypt` on its key (what SNS
   * calls on the publisher's behalf). Named actions instead of `grantPublish`'s
   * `kms:GenerateDataKey*`: no wildcard action anywhere.
   */
  grantPublish(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ sid: 'PublishAlarmNotifications', actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'EncryptAlarmNotifications',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.key.keyArn],
      }),
    );
  }
}
