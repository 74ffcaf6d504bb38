/**
 * Where the stack's own alarms go: an SNS topic encrypted with a key of its
 * own (CloudWatch must be allowed to use the key, which the AWS-managed SNS
 * key does not allow), reachable only over TLS, with an optional email
 * subscription. Without it, the alarms would change state with no one told.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

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
    this.key = new Key(this, 'Key', {
      description: 'printer-anomaly: encrypts the operations (alarm) topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch publishes alarm notifications to the encrypted topic: it needs the key for that, and only that.
    this.key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    // Grants on the key only for AWS services acting on AWS resources: no principal can delegate its use.
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'GrantsOnlyForAwsServices',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      }),
    );
    this.topic = new Topic(this, 'Topic', {
      displayName: 'printer-anomaly operations',
      masterKey: this.key,
      enforceSSL: true,
    });
    if (props.email) this.topic.addSubscription(new EmailSubscription(props.email));
  }
}
