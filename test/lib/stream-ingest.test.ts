/**
 * Stream ingest (`cdk deploy -c ingest=stream`), asserted on the synthesized
 * template by property, as test/lib/stack.test.ts does for the default
 * deployment: the encrypted stream, the rule's Kinesis action and its role,
 * the detector reading the stream through an event source mapping, their
 * permissions, the alarms and the dashboard row.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  ALARM_TOPIC_PREFIX,
  DEFAULT_HISTORY_DAYS,
  METRICS_NAMESPACE,
  PREDICTION_TOPIC,
  RULE_SQL,
  RULE_SQL_VERSION,
  ruleSql,
  SERVICE_NAME,
} from '../../contract/index.ts';
import {
  actionsOf,
  allStatements,
  getAttOf,
  onlyResource,
  refTo,
  referencedId,
  resourcesOf,
  stackArn,
  statementsOfRole,
  sharedSynth,
  synthesizeStack,
  withSynthesizedStack,
} from '../support/cdk-app.ts';
import {
  arnOf,
  DETECTOR,
  HISTORY,
  NOTIFICATIONS_TOPIC,
  OPERATIONS_TOPIC,
  PROFILES,
  readingsQueueId,
  ref,
  deliveryStatements,
} from './stack-parts.ts';
const STREAM_READ_ACTIONS = [
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:ListShards',
];

const { template } = await sharedSynth({ ingest: 'stream' });

const stream = () => getAttOf(template, 'AWS::Kinesis::Stream', 'Arn');
const detectorRoleId = () => referencedId(onlyResource(template, 'AWS::Lambda::Function', DETECTOR).resource.Properties!['Role'])!;

describe('reading stream', () => {
  it('is encrypted with the AWS-managed key, on demand, keeping records 24 hours', () => {
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      RetentionPeriodHours: 24,
      ShardCount: Match.absent(),
    });
  });

  it('is deleted with the stack (it holds only records in flight)', () => {
    template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  it('is provisioned with the shard count given as context streamShards, or as the streamShards prop', () => {
    for (const options of [
      { context: { ingest: 'stream', streamShards: '2' } },
      { props: { ingest: 'stream' as const, streamShards: 3 } },
    ]) {
      withSynthesizedStack(options, (synth) => {
        synth.template.hasResourceProperties('AWS::Kinesis::Stream', {
          StreamModeDetails: { StreamMode: 'PROVISIONED' },
          ShardCount: 'context' in options ? 2 : 3,
          StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
          RetentionPeriodHours: 24,
        });
      });
    }
  });
});

describe('IoT topic rule (stream ingest)', () => {
  it('puts each message on the stream keyed by its PrinterId, with the shared SQL and the same error action', () => {
    const rule = onlyResource(template, 'AWS::IoT::TopicRule').resource.Properties!['TopicRulePayload'];
    expect(rule).toMatchObject({ Sql: RULE_SQL, AwsIotSqlVersion: RULE_SQL_VERSION, RuleDisabled: false });
    expect(rule.Actions).toEqual([
      {
        Kinesis: {
          StreamName: refTo(template, 'AWS::Kinesis::Stream'),
          // biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT substitution template, resolved by the rules engine.
          PartitionKey: '${PrinterId}',
          RoleArn: expect.anything(),
        },
      },
    ]);
    expect(rule.ErrorAction).toEqual({
      Sqs: { QueueUrl: ref(readingsQueueId(template)), RoleArn: expect.anything(), UseBase64: false },
    });
    expect(referencedId(rule.Actions[0].Kinesis.RoleArn)).not.toBe(referencedId(rule.ErrorAction.Sqs.RoleArn));
  });

  it('acts through a role that IoT in this account may assume and that may only kinesis:PutRecord on this stream', () => {
    const rule = onlyResource(template, 'AWS::IoT::TopicRule').resource.Properties!['TopicRulePayload'];
    const roleId = referencedId(rule.Actions[0].Kinesis.RoleArn)!;
    expect(template.toJSON()['Resources'][roleId]['Properties']['AssumeRolePolicyDocument']['Statement']).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'iot.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    expect(statementsOfRole(template, roleId)).toEqual([{ actions: ['kinesis:PutRecord'], resources: [stream()] }]);
  });

  it('invokes no function: there is no invoke permission for IoT', () => {
    const forIot = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (p) => p.Properties.Principal === 'iot.amazonaws.com',
    );
    expect(forIot).toEqual([]);
  });

  it('keeps the device identity mode: with deviceIdentity=thing the rule adds the sender', () => {
    withSynthesizedStack({ context: { ingest: 'stream', deviceIdentity: 'thing' } }, (synth) => {
      synth.template.hasResourceProperties('AWS::IoT::TopicRule', {
        TopicRulePayload: Match.objectLike({ Sql: ruleSql('thing'), Actions: [{ Kinesis: Match.anyValue() }] }),
      });
      synth.template.hasResourceProperties('AWS::Lambda::Function', {
        ...DETECTOR,
        Environment: { Variables: Match.objectLike({ DEVICE_IDENTITY: 'thing' }) },
      });
      const gateways = allStatements(synth.template).find(({ statement }) => statement.Sid === 'DescribeGatewayThings');
      expect(gateways?.statement).toMatchObject({ Action: 'iot:DescribeThing', Resource: stackArn('iot', 'thing/*') });
    });
  });
});

describe('detector reading the stream', () => {
  it('is the one detector function, with the detector settings, environment and its own log group', () => {
    // The detector, the sweep, the operator API and the endpoint lookup's provider.
    template.resourceCountIs('AWS::Lambda::Function', 4);
    const { resource } = onlyResource(template, 'AWS::Lambda::Function', DETECTOR);
    expect(resource.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 10,
      ReservedConcurrentExecutions: 100,
      Environment: {
        Variables: {
          PROFILES_TABLE_NAME: refTo(template, 'AWS::DynamoDB::Table', PROFILES),
          EVENTS_TABLE_NAME: refTo(template, 'AWS::DynamoDB::Table', HISTORY),
          HISTORY_DAYS: String(DEFAULT_HISTORY_DAYS),
          NOTIFICATIONS_TOPIC_ARN: refTo(template, 'AWS::SNS::Topic', NOTIFICATIONS_TOPIC),
          PREDICTION_TOPIC,
          IOT_DATA_ENDPOINT: { 'Fn::Join': ['', ['https://', getAttOf(template, 'Custom::AWS', 'endpointAddress')]] },
          POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          POWERTOOLS_LOG_LEVEL: 'INFO',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    expect(resource.Metadata).toMatchObject({ 'aws:asset:is-bundled': true });
    const logGroupId = referencedId(resource.Properties!['LoggingConfig']['LogGroup'])!;
    expect(template.toJSON()['Resources'][logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
  });

  it('has no asynchronous invocation config: the mapping owns retries and failures', () => {
    const fn = refTo(template, 'AWS::Lambda::Function', DETECTOR);
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig'));
    expect(configs.filter((c) => JSON.stringify(c.Properties.FunctionName) === JSON.stringify(fn))).toEqual([]);
  });

  it('reads the stream through one mapping: batches of 500 within 1 s, from the trim horizon, in order per shard', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: refTo(template, 'AWS::Lambda::Function', DETECTOR),
      EventSourceArn: stream(),
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 1,
      ParallelizationFactor: 1,
    });
  });

  it('retries what failed (reported per record, or bisected) 10 times within an hour, then sends it to the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: arnOf(readingsQueueId(template)) } },
    });
  });
});

describe('IAM (stream ingest)', () => {
  it('gives the detector exactly: its profile calls, delivery (topics, history, notifications), its logs, this stream, the DLQ', () => {
    const role = template.toJSON()['Resources'][detectorRoleId()];
    expect(role['Properties']['ManagedPolicyArns']).toBeUndefined();
    expect(role['Properties']['Policies']).toBeUndefined();
    const logGroupId = referencedId(
      onlyResource(template, 'AWS::Lambda::Function', DETECTOR).resource.Properties!['LoggingConfig']['LogGroup'],
    );
    const statements = statementsOfRole(template, detectorRoleId());
    expect(statements).toHaveLength(8);
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [getAttOf(template, 'AWS::DynamoDB::Table', 'Arn', PROFILES)],
        },
        ...deliveryStatements(template),
        { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [{ 'Fn::GetAtt': [logGroupId, 'Arn'] }] },
        { actions: STREAM_READ_ACTIONS, resources: [stream()] },
        { actions: ['sqs:SendMessage'], resources: [arnOf(readingsQueueId(template))] },
      ]),
    );
  });

  it('lets only the detector read the stream, and only the rule write to it', () => {
    const kinesis = allStatements(template).filter(({ statement }) => actionsOf(statement).some((a) => a.startsWith('kinesis:')));
    expect(kinesis).toHaveLength(2);
    const ruleRole = referencedId(
      onlyResource(template, 'AWS::IoT::TopicRule').resource.Properties!['TopicRulePayload']['Actions'][0].Kinesis.RoleArn,
    );
    expect(kinesis.map(({ roles, statement }) => [roles, [...actionsOf(statement)].sort()])).toEqual(
      expect.arrayContaining([
        [[detectorRoleId()], STREAM_READ_ACTIONS],
        [[ruleRole], ['kinesis:PutRecord']],
      ]),
    );
  });

  it('has no wildcard action or resource anywhere, but iot:DescribeEndpoint and iot:Publish on the alarm topics', () => {
    const alarmTopics = JSON.stringify(stackArn('iot', `topic/${ALARM_TOPIC_PREFIX}*`));
    const offenders = allStatements(template)
      .filter(({ statement }) => statement.Effect === 'Allow')
      .filter(
        ({ statement }) =>
          actionsOf(statement).some((a) => a.includes('*')) || resourcesOf(statement).some((r) => JSON.stringify(r).includes('*')),
      )
      .filter(({ statement }) => !(actionsOf(statement).join() === 'iot:DescribeEndpoint' && statement.Resource === '*'))
      .filter(
        ({ statement }) =>
          !(
            actionsOf(statement).join() === 'iot:Publish' &&
            resourcesOf(statement).every((r) => JSON.stringify(r) === alarmTopics || !JSON.stringify(r).includes('*'))
          ),
      );
    expect(offenders).toEqual([]);
  });
});

describe('monitoring (stream ingest)', () => {
  it('alarms when the detector lags more than 60 s behind the stream (IteratorAge), and on its errors and throttles', () => {
    const fn = refTo(template, 'AWS::Lambda::Function', DETECTOR);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Dimensions: [{ Name: 'FunctionName', Value: fn }],
      Threshold: 60_000,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    for (const metricName of ['Errors', 'Throttles']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [{ Name: 'FunctionName', Value: fn }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('sends every alarm, when it fires and when it recovers, to the operations topic', () => {
    const topic = refTo(template, 'AWS::SNS::Topic', OPERATIONS_TOPIC);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(13); // the direct ingest's 12 and the iterator age
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topic]);
      expect(alarm.Properties.OKActions).toEqual([topic]);
    }
  });

  it("adds the stream's records, lag and throttling to the dashboard", () => {
    const body = JSON.stringify(onlyResource(template, 'AWS::CloudWatch::Dashboard').resource.Properties!['DashboardBody']);
    for (const metric of [
      'IncomingRecords',
      'GetRecords.Records',
      'GetRecords.IteratorAgeMilliseconds',
      'WriteProvisionedThroughputExceeded',
      'ReadProvisionedThroughputExceeded',
    ]) {
      expect(body).toContain(`[\\"AWS/Kinesis\\",\\"${metric}\\"`);
    }
    expect(body).toContain('[\\"AWS/Lambda\\",\\"IteratorAge\\"');
  });
});

describe('choosing the mode', () => {
  it('refuses an unknown ingest mode, and streamShards outside stream ingest or not a positive integer, with a one-line reason', () => {
    const build = (context: Record<string, unknown>) => () => synthesizeStack({ context });
    expect(build({ ingest: 'firehose' })).toThrow('ingest must be one of direct, stream, got "firehose"');
    expect(build({ streamShards: 2 })).toThrow('streamShards applies to ingest=stream only, got ingest=direct');
    expect(build({ ingest: 'stream', streamShards: 'two' })).toThrow('streamShards must be a positive integer, got "two"');
    expect(build({ ingest: 'stream', streamShards: 0 })).toThrow('streamShards must be a positive integer, got "0"');
  });

  it('takes the mode from the ingest prop too', () => {
    withSynthesizedStack({ props: { ingest: 'stream' } }, (synth) => {
      synth.template.resourceCountIs('AWS::Kinesis::Stream', 1);
      synth.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    });
  });
});
