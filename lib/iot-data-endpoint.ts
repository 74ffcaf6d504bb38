/**
 * The account's AWS IoT data endpoint, looked up at deploy time: it differs
 * per account and region and CloudFormation has no attribute for it.
 */
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId, type AwsSdkCall } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

export interface IotDataEndpointProps {
  /**
   * The endpoint type to describe.
   * @default 'iot:Data-ATS' (the Amazon Trust Services endpoint devices and the data plane API use)
   */
  readonly endpointType?: string;
  /**
   * Retention of the lookup function's logs.
   * @default RetentionDays.ONE_WEEK
   */
  readonly logRetention?: RetentionDays;
}

/** Calls `iot:DescribeEndpoint` through an `AwsCustomResource`. */
export class IotDataEndpoint extends Construct {
  /** The endpoint's host name, e.g. `abc123-ats.iot.eu-west-1.amazonaws.com`. */
  public readonly address: string;
  /** `https://<address>`: the IoT Data Plane API endpoint for the SDK. */
  public readonly url: string;
  /** The custom resource (exposed to acknowledge cdk-nag findings on it). */
  public readonly resource: AwsCustomResource;

  constructor(scope: Construct, id: string, props: IotDataEndpointProps = {}) {
    super(scope, id);
    const describe: AwsSdkCall = {
      service: 'Iot',
      action: 'describeEndpoint',
      parameters: { endpointType: props.endpointType ?? 'iot:Data-ATS' },
      physicalResourceId: PhysicalResourceId.fromResponse('endpointAddress'),
    };
    this.resource = new AwsCustomResource(this, 'Lookup', {
      onCreate: describe,
      onUpdate: describe,
      policy: AwsCustomResourcePolicy.fromStatements([
        // DescribeEndpoint has no resource-level permissions: `*` is the only valid resource.
        // Not exercised on the twin: see DEPLOY_TIME_LOOKUP_REASON.
        new PolicyStatement({ actions: ['iot:DescribeEndpoint'], resources: ['*'] }),
      ]),
      // The SDK bundled in the Lambda runtime is enough; no download at deploy time.
      installLatestAwsSdk: false,
      // One small API call per deployment.
      memorySize: 256,
      logGroup: new LogGroup(this, 'LogGroup', {
        retention: props.logRetention ?? RetentionDays.ONE_WEEK,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    Validations.of(this.resource).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'iot:DescribeEndpoint supports no resource-level permissions: `*` is the only valid resource, and it is the only action granted.',
    });
    // The provider function is CDK's singleton for every AwsCustomResource in the stack.
    const provider = Stack.of(this).node.tryFindChild(`AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
    if (provider) {
      Validations.of(provider).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: "CDK's AwsCustomResource provider: the managed policy only lets it write its own CloudWatch logs.",
        },
        {
          id: 'Serverless-LambdaDLQ',
          reason:
            'Invoked synchronously by CloudFormation during deployment; a failure fails the deployment, so there is nothing to dead-letter.',
        },
        {
          id: 'Serverless-LambdaTracing',
          reason: 'Runs once per deployment to look up the IoT endpoint; tracing would add cost and nothing to diagnose.',
        },
      );
    }
    this.address = this.resource.getResponseField('endpointAddress');
    this.url = `https://${this.address}`;
  }
}

/** Why the twin's IAM coverage (test/twin/iam.test.ts) never sees `iot:DescribeEndpoint` used. */
export const DEPLOY_TIME_LOOKUP_REASON =
  'the endpoint lookup runs once, at deploy time, in a CDK custom resource; the twin serves its own endpoint and runs no deployment';
