/**
 * The clock in the cloud (`lib/sweep.ts`), asserted on the synthesized
 * template by property: the sweep function, the schedule that runs it every
 * minute with its scheduled time, the retries at both levels and the
 * dead-letter queue they end in, and the sweep's least-privilege grants.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PROFILES_TABLE, SWEEP_FUNCTION } from '../../contract/index.ts';
import { allStatements, getAttOf, onlyResource, refTo, referencedId, stackArn, statementsOfRole, sharedSynth } from '../support/cdk-app.ts';
import {
  arnOf,
  idOf,
  logGroupIdOf,
  PROFILES,
  readingsQueueId,
  roleIdOf,
  SWEEP,
  sweepQueueId,
  expectTlsOnlyQueue,
  deliveryStatements,
} from './stack-parts.ts';

const { template } = await sharedSynth();

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are free-form JSON.
const schedule = (): Record<string, any> => onlyResource(template, 'AWS::Scheduler::Schedule').resource.Properties!;

describe('sweep function', () => {
  it('is the esbuild-bundled sweep handler on nodejs22.x, arm64, with its own settings', () => {
    const { resource } = onlyResource(template, 'AWS::Lambda::Function', SWEEP);
    expect(resource.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: SWEEP_FUNCTION.memorySizeMb,
      Timeout: SWEEP_FUNCTION.timeoutSeconds,
    });
    expect(resource.Metadata).toMatchObject({ 'aws:asset:is-bundled': true });
    expect(resource.Properties!['TracingConfig']).toBeUndefined();
    // Inside the schedule's minute: a sweep ends before the next one is due.
    expect(SWEEP_FUNCTION.timeoutSeconds).toBeLessThan(60);
  });

  it('runs one sweep at a time (reserved concurrency 1)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { ...SWEEP, ReservedConcurrentExecutions: 1 });
  });

  it('logs to its own log group with a retention', () => {
    expect(template.toJSON()['Resources'][logGroupIdOf(template, SWEEP)]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
    });
  });

  it('retries a sweep that threw twice within ten minutes, then sends it to the sweep dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: refTo(template, 'AWS::Lambda::Function', SWEEP),
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 600,
      DestinationConfig: { OnFailure: { Destination: arnOf(sweepQueueId(template)) } },
    });
  });
});

describe('schedule', () => {
  it('is the only schedule, enabled, every minute, on time (no flexible window)', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    expect(schedule()).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
    });
  });

  it('invokes the sweep function with the scheduled time as its input', () => {
    const target = schedule()['Target'];
    expect(target['Arn']).toEqual(getAttOf(template, 'AWS::Lambda::Function', 'Arn', SWEEP));
    expect(JSON.parse(target['Input'] as string)).toEqual({ time: '<aws.scheduler.scheduled-time>' });
  });

  it('retries an invocation twice within ten minutes, then sends it to the sweep dead-letter queue', () => {
    const target = schedule()['Target'];
    expect(target['RetryPolicy']).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 });
    expect(target['DeadLetterConfig']).toEqual({ Arn: arnOf(sweepQueueId(template)) });
  });

  it('acts through a role only Scheduler, for this account, may assume, allowed to invoke the sweep and send to its queue only', () => {
    const roleId = referencedId(schedule()['Target']['RoleArn'])!;
    const role = template.toJSON()['Resources'][roleId];
    expect(role['Properties']['AssumeRolePolicyDocument']['Statement']).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        // Only for schedules of this account's default group.
        Condition: {
          StringEquals: {
            'aws:SourceAccount': { Ref: 'AWS::AccountId' },
            'aws:SourceArn': stackArn('scheduler', 'schedule-group/default'),
          },
        },
      },
    ]);
    // The function itself, not `<function ARN>:*` (its versions and aliases): the schedule invokes none of them.
    expect(statementsOfRole(template, roleId)).toEqual(
      expect.arrayContaining([
        { actions: ['lambda:InvokeFunction'], resources: [getAttOf(template, 'AWS::Lambda::Function', 'Arn', SWEEP)] },
        { actions: ['sqs:SendMessage'], resources: [arnOf(sweepQueueId(template))] },
      ]),
    );
    expect(statementsOfRole(template, roleId)).toHaveLength(2);
  });
});

describe('sweep dead-letter queue', () => {
  it('is its own queue, not the readings', () => {
    expect(sweepQueueId(template)).not.toBe(readingsQueueId(template));
  });

  it('is encrypted at rest, keeps messages 14 days and refuses requests without TLS', () => {
    const id = sweepQueueId(template);
    expect(template.toJSON()['Resources'][id]['Properties']).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    expectTlsOnlyQueue(template, id);
  });
});

describe('IAM (sweep)', () => {
  it('gives the sweep exactly: Query on the deadline index, GetItem/UpdateItem, delivery, its logs, its queue', () => {
    const roleId = roleIdOf(template, SWEEP);
    const role = template.toJSON()['Resources'][roleId];
    expect(role['Properties']['ManagedPolicyArns']).toBeUndefined();
    const profiles = getAttOf(template, 'AWS::DynamoDB::Table', 'Arn', PROFILES);
    const statements = statementsOfRole(template, roleId);
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          actions: ['dynamodb:Query'],
          resources: [{ 'Fn::Join': ['', [profiles, `/index/${PROFILES_TABLE.deadlineIndex.indexName}`]] }],
        },
        { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [profiles] },
        ...deliveryStatements(template),
        { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [arnOf(logGroupIdOf(template, SWEEP))] },
        { actions: ['sqs:SendMessage'], resources: [arnOf(sweepQueueId(template))] },
      ]),
    );
    expect(statements).toHaveLength(8);
  });

  it('never scans: no role may dynamodb:Scan but the operator API (its full listing)', () => {
    const scanners = allStatements(template).filter(({ statement }) => JSON.stringify(statement.Action).includes('dynamodb:Scan'));
    expect(scanners.flatMap((s) => s.roles)).toEqual([
      idOf(template, 'AWS::IAM::Role', { Description: Match.stringLikeRegexp('operator API') }),
    ]);
  });
});
