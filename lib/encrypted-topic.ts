/**
 * An SNS topic encrypted with a customer-managed key of its own, rotated
 * yearly, that accepts only TLS requests: what both of the stack's topics
 * are (the operations topic and the alarm notifications topic). A key of its
 * own, not the AWS-managed SNS key, because that key's policy cannot be
 * changed: no service (CloudWatch) and no role of another stack could ever
 * publish to the topic.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

export interface EncryptedTopicOptions {
  /** What the key encrypts (its description). */
  readonly keyDescription: string;
  /** The topic's display name (an email's sender name). */
  readonly displayName: string;
}

/**
 * Creates `Key` and `Topic` in `scope` (the callers' construct ids, so the
 * resources keep their logical ids).
 */
export function createEncryptedTopic(scope: Construct, options: EncryptedTopicOptions): { key: Key; topic: Topic } {
  const key = new Key(scope, 'Key', {
    description: options.keyDescription,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  // Grants on the key only for AWS services acting on AWS resources: no principal can delegate its use.
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'GrantsOnlyForAwsServices',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    }),
  );
  const topic = new Topic(scope, 'Topic', { displayName: options.displayName, masterKey: key, enforceSSL: true });
  return { key, topic };
}
