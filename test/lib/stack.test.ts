/**
 * The stack's contract, asserted on the synthesized template by property
 * (`hasResourceProperties`, `Match`, `Capture`), never by logical id or snapshot:
 * references between resources are followed by resource type and properties.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StackOutputs } from '../../cli/kit.ts';
import {
  ALARM_TOPIC_PREFIX,
  DEFAULT_HISTORY_DAYS,
  DETECT_TOPIC,
  METRIC,
  METRICS_NAMESPACE,
  PREDICTION_TOPIC,
  PROFILES_TABLE,
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
  type Statement,
  stackArn,
  type SharedSynth,
  sharedSynth,
  synthesizeStack,
  withSynthesizedStack,
  type SynthesizedStack,
} from '../support/cdk-app.ts';
import {
  arnOf,
  DETECTOR,
  HISTORY,
  idOf,
  keyIdOf,
  NOTIFICATIONS_TOPIC,
  OPERATIONS_TOPIC,
  PROFILES,
  readingsQueueId,
  ref,
  sweepQueueId,
  expectTlsOnlyQueue,
} from './stack-parts.ts';

const { template } = await sharedSynth();

describe('IoT topic rule', () => {
  it('runs the shared rule SQL with the shared SQL version and invokes the detector', () => {
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      TopicRulePayload: Match.objectLike({
        Sql: RULE_SQL,
        AwsIotSqlVersion: RULE_SQL_VERSION,
        RuleDisabled: false,
        Actions: [{ Lambda: { FunctionArn: getAttOf(template, 'AWS::Lambda::Function', 'Arn', DETECTOR) } }],
      }),
    });
    expect(RULE_SQL).toBe(`SELECT * FROM '${DETECT_TOPIC}'`);
  });

  it('has an error action that sends failed readings to the dead-letter queue through a role allowed only that', () => {
    // The readings' queue is the detector's on-failure destination too, and not the sweep's queue.
    const queueId = readingsQueueId(template);
    expect(queueId).not.toBe(sweepQueueId(template));
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: refTo(template, 'AWS::Lambda::Function', DETECTOR),
      DestinationConfig: { OnFailure: { Destination: arnOf(queueId) } },
    });
    const rule = onlyResource(template, 'AWS::IoT::TopicRule').resource;
    const errorAction = rule.Properties!['TopicRulePayload']['ErrorAction'];
    expect(errorAction).toEqual({ Sqs: { QueueUrl: ref(queueId), RoleArn: expect.anything(), UseBase64: false } });

    const roleId = referencedId(errorAction.Sqs.RoleArn)!;
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'iot.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
    const statements = allStatements(template).filter((s) => s.roles.includes(roleId));
    expect(statements.map((s) => s.statement)).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(queueId) }),
    ]);
  });

  it('is direct ingest by default: no stream, no event source mapping, no stream permission', () => {
    template.resourceCountIs('AWS::Kinesis::Stream', 0);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 0);
    const rule = onlyResource(template, 'AWS::IoT::TopicRule').resource;
    expect(Object.keys(rule.Properties!['TopicRulePayload']['Actions'][0])).toEqual(['Lambda']);
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('kinesis:');
  });

  it('lets only this rule, from this account, invoke the detector', () => {
    const detectorPermissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (p) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify(getAttOf(template, 'AWS::Lambda::Function', 'Arn', DETECTOR)),
    );
    expect(detectorPermissions).toHaveLength(1);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'iot.amazonaws.com',
      FunctionName: getAttOf(template, 'AWS::Lambda::Function', 'Arn', DETECTOR),
      SourceArn: getAttOf(template, 'AWS::IoT::TopicRule', 'Arn'),
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
  });
});

describe('detector function', () => {
  it('is the esbuild-bundled handler on nodejs22.x, arm64, with chosen memory and timeout', () => {
    const { resource } = onlyResource(template, 'AWS::Lambda::Function', DETECTOR);
    expect(resource.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 10,
    });
    expect(resource.Metadata).toMatchObject({ 'aws:asset:is-bundled': true });
    expect(resource.Properties!['TracingConfig']).toBeUndefined();
  });

  it('gets its configuration from the shared env names, the endpoint from the custom resource as an https URL', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      ...DETECTOR,
      Environment: {
        Variables: {
          PROFILES_TABLE_NAME: refTo(template, 'AWS::DynamoDB::Table', PROFILES),
          PREDICTION_TOPIC: PREDICTION_TOPIC,
          IOT_DATA_ENDPOINT: {
            'Fn::Join': ['', ['https://', getAttOf(template, 'Custom::AWS', 'endpointAddress')]],
          },
          EVENTS_TABLE_NAME: refTo(template, 'AWS::DynamoDB::Table', HISTORY),
          HISTORY_DAYS: String(DEFAULT_HISTORY_DAYS),
          NOTIFICATIONS_TOPIC_ARN: refTo(template, 'AWS::SNS::Topic', NOTIFICATIONS_TOPIC),
          POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          POWERTOOLS_LOG_LEVEL: 'INFO',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
  });

  it('looks the endpoint up with iot:DescribeEndpoint for iot:Data-ATS', () => {
    const { resource } = onlyResource(template, 'Custom::AWS');
    for (const event of ['Create', 'Update']) {
      const call = JSON.parse(resource.Properties![event] as string) as Record<string, unknown>;
      expect(call).toMatchObject({ service: 'Iot', action: 'describeEndpoint', parameters: { endpointType: 'iot:Data-ATS' } });
    }
  });

  it('logs to its own log group with a retention', () => {
    const logGroup = onlyResource(template, 'AWS::Lambda::Function', DETECTOR).resource.Properties!['LoggingConfig']['LogGroup'];
    const id = referencedId(logGroup)!;
    expect(template.toJSON()['Resources'][id]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
  });

  it('retries a failed async invocation twice within an hour, then sends it to the encrypted dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: refTo(template, 'AWS::Lambda::Function', DETECTOR),
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: arnOf(readingsQueueId(template)) } },
    });
  });
});

describe('dead-letter queue', () => {
  it('is encrypted at rest and keeps messages 14 days', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
  });

  it('refuses requests without TLS', () => {
    expectTlsOnlyQueue(template, readingsQueueId(template));
  });
});

describe('profiles table', () => {
  const { partitionKey, rankIndex } = PROFILES_TABLE;

  it('is keyed by PrinterId, on demand, with point-in-time recovery and the original name', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      ...PROFILES,
      KeySchema: [{ AttributeName: partitionKey.name, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      AttributeDefinitions: Match.arrayWith([{ AttributeName: partitionKey.name, AttributeType: partitionKey.type }]),
    });
  });

  it('has the ranking index from the shared schema, projecting only what the ranking reads', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      ...PROFILES,
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: rankIndex.partitionKey.name, AttributeType: rankIndex.partitionKey.type },
        { AttributeName: rankIndex.sortKey.name, AttributeType: rankIndex.sortKey.type },
      ]),
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: rankIndex.indexName,
          KeySchema: [
            { AttributeName: rankIndex.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: rankIndex.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...rankIndex.projectedAttributes] },
        },
      ]),
    });
  });

  it('is retained when the stack is deleted, by default', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike(PROFILES),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('is deleted with the stack with -c destroyTable=true, and can be renamed with -c tableName=...', () => {
    withSynthesizedStack({ context: { destroyTable: 'true', tableName: 'OtherProfiles' } }, (other) => {
      other.template.hasResource('AWS::DynamoDB::Table', {
        DeletionPolicy: 'Delete',
        UpdateReplacePolicy: 'Delete',
        Properties: Match.objectLike({ TableName: 'OtherProfiles' }),
      });
    });
  });
});

describe('IAM', () => {
  /** The one deliberate exception: DescribeEndpoint has no resource-level permissions. */
  const isDescribeEndpoint = (s: Statement) => actionsOf(s).length === 1 && actionsOf(s)[0] === 'iot:DescribeEndpoint';
  /** The alarm topics: one per printer, and printers are data, so a pattern under their prefix. */
  const alarmTopics = stackArn('iot', `topic/${ALARM_TOPIC_PREFIX}*`);
  const isAlarmTopicPattern = (r: unknown) => JSON.stringify(r) === JSON.stringify(alarmTopics);

  it('has no wildcard action or resource anywhere, but iot:DescribeEndpoint and iot:Publish on the alarm topics', () => {
    const statements = allStatements(template);
    expect(statements.length).toBeGreaterThan(0);
    const offenders = statements
      .filter(({ statement }) => statement.Effect === 'Allow')
      .filter(
        ({ statement }) =>
          actionsOf(statement).some((a) => a.includes('*')) || resourcesOf(statement).some((r) => JSON.stringify(r).includes('*')),
      )
      .filter(({ statement }) => !(isDescribeEndpoint(statement) && statement.Resource === '*'))
      .filter(
        ({ statement }) =>
          !(
            actionsOf(statement).join() === 'iot:Publish' &&
            resourcesOf(statement).every((r) => isAlarmTopicPattern(r) || !JSON.stringify(r).includes('*'))
          ),
      );
    expect(offenders).toEqual([]);
    const patterns = allStatements(template).filter(({ statement }) => resourcesOf(statement).some(isAlarmTopicPattern));
    expect(patterns).toHaveLength(3); // the detector, the sweep, the operator API
  });

  it('gives the detector exactly: its profile calls, Publish on anom/pred and the alarm topics, history, notifications, its logs, the DLQ', () => {
    const fn = onlyResource(template, 'AWS::Lambda::Function', DETECTOR).resource;
    const roleId = referencedId(fn.Properties!['Role'])!;
    const logGroupId = referencedId(fn.Properties!['LoggingConfig']['LogGroup'])!;
    const role = template.toJSON()['Resources'][roleId];
    expect(role['Properties']['ManagedPolicyArns']).toBeUndefined();
    expect(role['Properties']['Policies']).toBeUndefined();

    const statements = allStatements(template)
      .filter((s) => s.roles.includes(roleId))
      .map(({ statement }) => ({ actions: [...actionsOf(statement)].sort(), resources: resourcesOf(statement) }));
    expect(statements).toHaveLength(7);
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [getAttOf(template, 'AWS::DynamoDB::Table', 'Arn', PROFILES)],
        },
        { actions: ['iot:Publish'], resources: expect.arrayContaining([stackArn('iot', `topic/${PREDICTION_TOPIC}`), alarmTopics]) },
        {
          actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'],
          resources: [getAttOf(template, 'AWS::DynamoDB::Table', 'Arn', HISTORY)],
        },
        { actions: ['sns:Publish'], resources: [refTo(template, 'AWS::SNS::Topic', NOTIFICATIONS_TOPIC)] },
        { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [arnOf(keyIdOf(template, NOTIFICATIONS_TOPIC))] },
        { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [{ 'Fn::GetAtt': [logGroupId, 'Arn'] }] },
        { actions: ['sqs:SendMessage'], resources: [arnOf(readingsQueueId(template))] },
      ]),
    );
    const publish = statements.find((s) => s.actions.join() === 'iot:Publish')!;
    expect(publish.resources).toHaveLength(2);
  });

  it('scopes the endpoint lookup to iot:DescribeEndpoint alone', () => {
    const lookupStatements = allStatements(template).filter(({ statement }) => isDescribeEndpoint(statement));
    expect(lookupStatements).toHaveLength(1);
    const fn = onlyResource(template, 'AWS::Lambda::Function', DETECTOR).resource;
    expect(lookupStatements[0]!.roles).not.toContain(referencedId(fn.Properties!['Role']));
  });
});

describe('device policy', () => {
  it('allows exactly: connect as its own thing, publish readings, subscribe to and receive events', () => {
    template.resourceCountIs('AWS::IoT::Policy', 1);
    template.hasResourceProperties('AWS::IoT::Policy', {
      PolicyDocument: Match.exact({
        Version: '2012-10-17',
        Statement: [
          // biome-ignore lint/suspicious/noTemplateCurlyInString: an IoT policy variable, resolved by AWS IoT at connect time.
          { Effect: 'Allow', Action: 'iot:Connect', Resource: stackArn('iot', 'client/${iot:Connection.Thing.ThingName}') },
          { Effect: 'Allow', Action: 'iot:Publish', Resource: stackArn('iot', `topic/${DETECT_TOPIC}`) },
          { Effect: 'Allow', Action: 'iot:Subscribe', Resource: stackArn('iot', `topicfilter/${PREDICTION_TOPIC}`) },
          { Effect: 'Allow', Action: 'iot:Receive', Resource: stackArn('iot', `topic/${PREDICTION_TOPIC}`) },
        ],
      }),
    });
  });
});

describe('monitoring', () => {
  const firstOccurrence = {
    Threshold: 1,
    EvaluationPeriods: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
  };

  it('alarms on detector errors and throttles', () => {
    const fn = refTo(template, 'AWS::Lambda::Function', DETECTOR);
    for (const metricName of ['Errors', 'Throttles']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...firstOccurrence,
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [{ Name: 'FunctionName', Value: fn }],
      });
    }
  });

  it('alarms as soon as a reading lands in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...firstOccurrence,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [readingsQueueId(template), 'QueueName'] } }],
    });
  });

  it("alarms on the topic rule's action failures and error action failures", () => {
    const rule = refTo(template, 'AWS::IoT::TopicRule');
    for (const metricName of ['Failure', 'ErrorActionFailure']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...firstOccurrence,
        Namespace: 'AWS/IoT',
        MetricName: metricName,
        Dimensions: [{ Name: 'RuleName', Value: rule }],
      });
    }
  });

  it("alarms on the detector's profile configuration errors and event publish failures (EMF)", () => {
    for (const metricName of [METRIC.configurationErrors, METRIC.publishFailures]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...firstOccurrence,
        Namespace: METRICS_NAMESPACE,
        MetricName: metricName,
        Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
      });
    }
    template.resourceCountIs('AWS::CloudWatch::Alarm', 12); // 7 for the detector, 5 for the sweep, notifications and API
  });

  it('has a dashboard with readings, out-of-bounds, anomaly events, invalid readings, duration and errors', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: { 'Fn::Join': ['', ['PrinterAnomaly-', { Ref: 'AWS::Region' }]] },
    });
    const body = JSON.stringify(onlyResource(template, 'AWS::CloudWatch::Dashboard').resource.Properties!['DashboardBody']);
    // The body is a JSON string joined with tokens: look for the metric arrays it renders.
    const emf = (name: string) => `[\\"${METRICS_NAMESPACE}\\",\\"${name}\\",\\"service\\",\\"${SERVICE_NAME}\\"`;
    for (const name of [METRIC.readings, METRIC.outOfBounds, METRIC.anomalyEvents, METRIC.invalidReadings]) {
      expect(body).toContain(emf(name));
    }
    expect(body).toContain('[\\"AWS/Lambda\\",\\"Duration\\"');
    expect(body).toContain('[\\"AWS/Lambda\\",\\"Errors\\"');
    expect(body).toContain('[\\"AWS/IoT\\",\\"Failure\\"');
    expect(body).toContain('[\\"AWS/SQS\\",\\"ApproximateNumberOfMessagesVisible\\"');
  });
});

describe('operations: alarms reach someone, and a flood is bounded', () => {
  it('sends every alarm, when it fires and when it recovers, to the operations topic', () => {
    const topic = refTo(template, 'AWS::SNS::Topic', OPERATIONS_TOPIC);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBe(12);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topic]);
      expect(alarm.Properties.OKActions).toEqual([topic]);
    }
  });

  it('encrypts the operations topic with a rotated key that CloudWatch may use, and refuses requests without TLS', () => {
    const keyId = keyIdOf(template, OPERATIONS_TOPIC);
    expect(keyId).not.toBe(keyIdOf(template, NOTIFICATIONS_TOPIC));
    template.hasResourceProperties('AWS::SNS::Topic', { ...OPERATIONS_TOPIC, KmsMasterKeyId: arnOf(keyId) });
    expect(template.toJSON()['Resources'][keyId]).toMatchObject({ Type: 'AWS::KMS::Key' });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('operations'),
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Effect: 'Allow',
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [refTo(template, 'AWS::SNS::Topic', OPERATIONS_TOPIC)],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('subscribes the email address given as context alarmEmail', () => {
    withSynthesizedStack({ context: { alarmEmail: 'ops@example.com' } }, (synth) => {
      synth.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'ops@example.com',
        TopicArn: refTo(synth.template, 'AWS::SNS::Topic', OPERATIONS_TOPIC),
      });
    });
  });

  it('notifies a topic the user brings (context alarmTopicArn) instead, and creates none', () => {
    // Built from parts: the repository hygiene test refuses anything that looks like a real account's ARN.
    const arn = ['arn', 'aws', 'sns', 'eu-west-1', '0'.repeat(12), 'ops'].join(':');
    withSynthesizedStack({ context: { alarmTopicArn: arn } }, (synth) => {
      // Only the alarm notifications topic, which is not for the stack's own alarms.
      synth.template.resourceCountIs('AWS::SNS::Topic', 1);
      idOf(synth.template, 'AWS::SNS::Topic', NOTIFICATIONS_TOPIC);
      for (const alarm of Object.values(synth.template.findResources('AWS::CloudWatch::Alarm'))) {
        expect(alarm.Properties.AlarmActions).toEqual([arn]);
        expect(alarm.Properties.OKActions).toEqual([arn]);
      }
    });
  });

  it('caps the detector with a reserved concurrency (default 100, context detectorConcurrency overrides)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { ...DETECTOR, ReservedConcurrentExecutions: 100 });
    withSynthesizedStack({ context: { detectorConcurrency: 20 } }, (synth) => {
      synth.template.hasResourceProperties('AWS::Lambda::Function', { ...DETECTOR, ReservedConcurrentExecutions: 20 });
    });
  });
});

describe('device identity mode thing (context deviceIdentity=thing)', () => {
  let synth: SynthesizedStack;
  beforeAll(() => {
    synth = synthesizeStack({ context: { deviceIdentity: 'thing' } });
  });
  afterAll(() => synth.dispose());

  it("has the rule add the sender's client id, and refuse a payload that claims one", () => {
    synth.template.hasResourceProperties('AWS::IoT::TopicRule', {
      TopicRulePayload: Match.objectLike({ Sql: ruleSql('thing'), AwsIotSqlVersion: RULE_SQL_VERSION }),
    });
    expect(ruleSql('thing')).toBe(`SELECT *, clientid() AS senderClientId FROM '${DETECT_TOPIC}' WHERE isUndefined(senderClientId)`);
  });

  it('tells the function the mode and lets it describe things (gateways), and nothing else more', () => {
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      ...DETECTOR,
      Environment: { Variables: Match.objectLike({ DEVICE_IDENTITY: 'thing' }) },
    });
    const statements = Object.values(synth.template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Sid?: string; Action: unknown; Resource: unknown }[],
    );
    expect(statements.find((st) => st.Sid === 'DescribeGatewayThings')).toMatchObject({
      Action: 'iot:DescribeThing',
      Resource: stackArn('iot', 'thing/*'),
    });
  });

  it('is off by default: the plain rule, no mode variable, no registry permission', () => {
    template.hasResourceProperties('AWS::IoT::TopicRule', { TopicRulePayload: Match.objectLike({ Sql: RULE_SQL }) });
    const fn = onlyResource(template, 'AWS::Lambda::Function', DETECTOR).resource;
    expect(fn.Properties!['Environment']['Variables']['DEVICE_IDENTITY']).toBeUndefined();
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('iot:DescribeThing');
  });

  it('refuses an unknown mode with a one-line reason', () => {
    expect(() => synthesizeStack({ context: { deviceIdentity: 'certificate' } })).toThrow(
      'deviceIdentity must be one of any, thing, got "certificate"',
    );
  });
});

describe('outputs', () => {
  /** Every deployment's outputs. */
  const COMMON_KEYS = [
    'TableName',
    'LogGroupName',
    'RuleName',
    'IotDataEndpoint',
    'DeadLetterQueueUrl',
    'DevicePolicyName',
    'OperationsTopicArn',
    'Region',
    'ApiUrl',
    'EventsTableName',
    'NotificationsTopicArn',
  ] as const satisfies readonly (keyof StackOutputs)[];
  /** The default deployment's: the function the rule invokes. */
  const DIRECT_KEYS = [...COMMON_KEYS, 'FunctionName'] as const satisfies readonly (keyof StackOutputs)[];
  /** Stream ingest's: the stream and the function reading it. */
  const STREAM_KEYS = [...COMMON_KEYS, 'ReadingStreamName', 'StreamFunctionName'] as const satisfies readonly (keyof StackOutputs)[];
  // Fails to compile when StackOutputs gains a key no mode outputs.
  const everyKey: [Exclude<keyof StackOutputs, (typeof DIRECT_KEYS)[number] | (typeof STREAM_KEYS)[number]>] extends [never]
    ? true
    : never = true;

  let stream: SharedSynth;
  beforeAll(async () => {
    stream = await sharedSynth({ ingest: 'stream' });
  });

  /** The outputs every mode has, as they point into template `t`. */
  const commonOutputs = (t: Template): Record<(typeof COMMON_KEYS)[number], unknown> => ({
    TableName: refTo(t, 'AWS::DynamoDB::Table', PROFILES),
    LogGroupName: {
      Ref: referencedId(onlyResource(t, 'AWS::Lambda::Function', DETECTOR).resource.Properties!['LoggingConfig']['LogGroup']),
    },
    RuleName: refTo(t, 'AWS::IoT::TopicRule'),
    IotDataEndpoint: getAttOf(t, 'Custom::AWS', 'endpointAddress'),
    DeadLetterQueueUrl: ref(readingsQueueId(t)),
    DevicePolicyName: refTo(t, 'AWS::IoT::Policy'),
    OperationsTopicArn: refTo(t, 'AWS::SNS::Topic', OPERATIONS_TOPIC),
    Region: { Ref: 'AWS::Region' },
    ApiUrl: getAttOf(t, 'AWS::ApiGatewayV2::Api', 'ApiEndpoint'),
    EventsTableName: refTo(t, 'AWS::DynamoDB::Table', HISTORY),
    NotificationsTopicArn: refTo(t, 'AWS::SNS::Topic', NOTIFICATIONS_TOPIC),
  });

  it('declares exactly the outputs the CLIs read from cdk-outputs.json, by mode (the default one unchanged)', () => {
    expect(everyKey).toBe(true);
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual([...DIRECT_KEYS].sort());
    expect(Object.keys(stream.template.findOutputs('*')).sort()).toEqual([...STREAM_KEYS].sort());
  });

  it('points each output at the right resource', () => {
    const expected: Record<(typeof DIRECT_KEYS)[number], unknown> = {
      ...commonOutputs(template),
      FunctionName: refTo(template, 'AWS::Lambda::Function', DETECTOR),
    };
    for (const [key, value] of Object.entries(expected)) template.hasOutput(key, { Value: value });
  });

  it('points the stream mode outputs at the stream, and the function names and log group at the function reading it', () => {
    const t = stream.template;
    const expected: Record<(typeof STREAM_KEYS)[number], unknown> = {
      ...commonOutputs(t),
      ReadingStreamName: refTo(t, 'AWS::Kinesis::Stream'),
      StreamFunctionName: refTo(t, 'AWS::Lambda::Function', DETECTOR),
    };
    for (const [key, value] of Object.entries(expected)) t.hasOutput(key, { Value: value });
    expect(onlyResource(t, 'AWS::Lambda::EventSourceMapping').resource.Properties!['FunctionName']).toEqual(
      refTo(t, 'AWS::Lambda::Function', DETECTOR),
    );
  });
});
