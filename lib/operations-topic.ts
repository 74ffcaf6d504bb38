/**
 * Where the stack's own alarms go: an SNS topic encrypted with a key of its
 * own (CloudWatch must be allowed to use the key, which the AWS-managed SNS
 * key does not allow), reachable only over TLS, with an optional email
 * subscription. Without it, the alarms would change state with no one told.
 */
import { Validations } from 'aws-cdk-lib';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { createEncryptedTopic } from './encrypted-topic.ts';

export interface OperationsTopicProps {
  /**
   * An address that receives every alarm and recovery (AWS sends a
   * confirmation message first).
   * @default - no subscription: subscribe to the topic yourself
   */
  readonly email?: string;
}

/** The operations topic and its key. */
export class OperationsTopic extends Construct {
  /** The topic the alarms notify. */
  public readonly topic: Topic;
  /** The topic's customer-managed key (rotated yearly). */
  public readonly key: Key;

  constructor(scope: Construct, id: string, props: OperationsTopicProps = {}) {
    super(scope, id);
    ({ key: this.key, topic: this.topic } = createEncryptedTopic(this, {
      keyDescription: 'printer-anomaly: encrypts the operations (alarm) topic',
      displayName: 'printer-anomaly operations',
    }));
    // CloudWatch publishes alarm notifications to the encrypted topic: it needs the key for that, and only that.
    this.key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    if (props.email) {
      const subscription = this.topic.addSubscription(new EmailSubscription(props.email));
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          "An alarm's state is its record: it stays in ALARM in CloudWatch and on the dashboard whether or not the email " +
          'arrived, so a dead-letter queue would only hold copies of notifications that no one is told about.',
      });
    }
  }
}
