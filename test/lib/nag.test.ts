/**
 * cdk-nag (v3) AwsSolutions and Serverless packs on the stack: no unsuppressed
 * error or warning, every acknowledgment carries a written reason, and no
 * acknowledgment is stale (each still silences a real finding). The one
 * acknowledgment of a Control Tower control (cfn-guard) is checked with the
 * other compliance findings, in compliance.test.ts.
 */
import { App, Validations, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks, type NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PrinterAnomalyStack } from '../../lib/stack.ts';
import { buildStack, cdkJsonContext } from '../support/cdk-app.ts';

const packs = (): NagPack[] => [new AwsSolutionsChecks(), new ServerlessChecks()];

const findings = (report: PolicyValidationPluginReport) =>
  report.violations.flatMap((v) =>
    v.violatingResources.map((r) => ({ severity: v.severity, rule: v.ruleName, path: r.constructPath ?? '' })),
  );

/** Every acknowledgment recorded in the tree: construct path, rule id, reason. */
function acknowledgments(root: IConstruct): { path: string; id: string; reason: unknown }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** Acknowledgments of a Control Tower control, not of a cdk-nag rule. */
const GUARD_ACKNOWLEDGMENT = /^cdk-validator-cfnguard::/;

/** The cdk-nag acknowledgments of `stack`. */
const nagAcknowledgments = (stack: IConstruct) => acknowledgments(stack).filter((a) => !GUARD_ACKNOWLEDGMENT.test(a.id));

/** The acknowledgments of `stack` as `path rule`, the stack's name left off. */
const acknowledged = (stack: IConstruct) => nagAcknowledgments(stack).map((a) => `${a.path.replace(/^PrinterAnomaly\//, '')} ${a.id}`);

/** What the packs report on `stack` with every acknowledgment ignored. */
function rawFindings(stack: IConstruct) {
  return packs().flatMap((pack) => {
    // `isAcknowledged` is the packs' (TypeScript-private) hook for acknowledgments in cdk-nag 3.x.
    const hooked = pack as unknown as { isAcknowledged?: unknown };
    expect(typeof hooked.isAcknowledged, 'cdk-nag internals changed: update this test').toBe('function');
    hooked.isAcknowledged = () => false;
    return findings(pack.validateScope(stack));
  });
}

/** The alarm topics' pattern (one topic per printer), granted to each function that delivers alarm transitions. */
const ALARM_TOPICS_IAM5 = 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:topic/anom/alarm/*]';

/** The same for each of the stack's functions: the pinned runtime, no function DLQ, no tracing. */
const functionAcknowledgments = (path: string) =>
  ['AwsSolutions-L1', 'Serverless-LambdaLatestVersion', 'Serverless-LambdaDLQ', 'Serverless-LambdaTracing'].map((id) => `${path} ${id}`);

/** The same in every mode (direct and stream ingest give their function's acknowledgments their own reasons). */
const EXPECTED_ACKNOWLEDGMENTS = [
  'DeadLetters/Queue AwsSolutions-SQS3',
  'DeadLetters/Queue Serverless-SQSRedrivePolicy',
  'Sweep/DeadLetters/Queue AwsSolutions-SQS3',
  'Sweep/DeadLetters/Queue Serverless-SQSRedrivePolicy',
  ...functionAcknowledgments('Detector/Function'),
  ...functionAcknowledgments('Sweep/Function'),
  ...functionAcknowledgments('OperatorApi/Function'),
  `Detector/Role ${ALARM_TOPICS_IAM5}`,
  `Sweep/Role ${ALARM_TOPICS_IAM5}`,
  `OperatorApi/Role ${ALARM_TOPICS_IAM5}`,
  'IotEndpoint/Lookup AwsSolutions-IAM5[Resource::*]',
  'AWS679f53fac002430cb0da5b7982bd2287 AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
  'AWS679f53fac002430cb0da5b7982bd2287 Serverless-LambdaDLQ',
  'AWS679f53fac002430cb0da5b7982bd2287 Serverless-LambdaTracing',
].sort();

/** A routing table with both kinds of endpoint (docs/notifications.md). */
const ROUTED = {
  critical: { email: 'oncall@example.com', url: 'https://pager.example.com/hook' },
  default: { email: 'team@example.com' },
};

// The construct trees the packs check (not synthesized, their bundles not built: the packs read resources only).
const defaultStack = buildStack();
const streamIngest = buildStack({ ingest: 'stream' });
const MODES = [
  ['the default deployment', defaultStack],
  ['ingest=stream', streamIngest],
] as const;

/** Each acknowledgment in `stack` silences a finding the packs really report, at its path or below it. */
function expectEveryAcknowledgmentSilencesAFinding(stack: IConstruct): void {
  const raw = rawFindings(stack);
  for (const ack of nagAcknowledgments(stack)) {
    const silenced = raw.filter((f) => f.rule === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)));
    expect(silenced.length, `${ack.id} at ${ack.path} silences nothing`).toBeGreaterThan(0);
  }
}

describe('cdk-nag', () => {
  it.each([
    ['AwsSolutions', 0],
    ['Serverless', 1],
  ] as const)('the %s pack finds no unacknowledged error or warning', (_name, index) => {
    const pack = packs()[index]!;
    expect(findings(pack.validateScope(defaultStack))).toEqual([]);
  });

  it('finds nothing unacknowledged with stream ingest (ingest=stream)', () => {
    for (const pack of packs()) expect(findings(pack.validateScope(streamIngest))).toEqual([]);
  });

  it.each([
    ['deviceIdentity=thing', { deviceIdentity: 'thing' }],
    ['alarmTopicArn', { alarmTopicArn: ['arn', 'aws', 'sns', 'eu-west-1', '0'.repeat(12), 'ops'].join(':') }],
    ['ingest=stream with streamShards=2 and deviceIdentity=thing', { ingest: 'stream', streamShards: 2, deviceIdentity: 'thing' }],
    [
      'notificationEmail and alarmEmail (email subscriptions), historyDays, eventsTableName',
      { notificationEmail: 'alarms@example.com', alarmEmail: 'ops@example.com', historyDays: 30, eventsTableName: 'OtherEvents' },
    ],
    ['notify (email and HTTPS subscriptions routed by severity)', { notify: JSON.stringify(ROUTED) }],
  ])('finds nothing unacknowledged in the optional mode %s either', (_mode, context) => {
    const stack = buildStack(context);
    for (const pack of packs()) expect(findings(pack.validateScope(stack))).toEqual([]);
  });

  it('passes when registered the v3 way, as validation plugins that run during synthesis', () => {
    const app = new App({ context: cdkJsonContext() });
    new PrinterAnomalyStack(app, 'PrinterAnomaly');
    Validations.of(app).addPlugins(...packs());
    try {
      // Synthesis throws `ValidationFailed` (and prints each finding) when a pack reports a violation.
      expect(() => app.synth()).not.toThrow();
    } finally {
      rmSync(app.outdir, { recursive: true, force: true });
    }
  });

  it.each(MODES)('gives every acknowledgment a written reason (%s)', (_mode, stack) => {
    const acks = acknowledgments(stack);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(typeof ack.reason, `${ack.id} at ${ack.path}`).toBe('string');
      expect((ack.reason as string).trim().length, `${ack.id} at ${ack.path} needs a real reason`).toBeGreaterThanOrEqual(40);
    }
  });

  it.each(MODES)('acknowledges only these findings (a new one must be reviewed here) (%s)', (_mode, stack) => {
    expect(acknowledged(stack).sort()).toEqual(EXPECTED_ACKNOWLEDGMENTS);
  });

  it('gives the stream-ingest detector its own reasons where its invocation differs', () => {
    const reasonOf = (stack: IConstruct, id: string) =>
      acknowledgments(stack).find((a) => a.id === id && a.path === 'PrinterAnomaly/Detector/Function')?.reason;
    expect(reasonOf(streamIngest, 'Serverless-LambdaDLQ')).toMatch(/event source mapping/);
    expect(reasonOf(streamIngest, 'Serverless-LambdaDLQ')).not.toBe(reasonOf(defaultStack, 'Serverless-LambdaDLQ'));
  });

  it('acknowledges, with email subscriptions, only their missing redrive policy, and each acknowledgment silences a finding', () => {
    const stack = buildStack({ notificationEmail: 'alarms@example.com', alarmEmail: 'ops@example.com' });
    expect(acknowledged(stack).filter((a) => !EXPECTED_ACKNOWLEDGMENTS.includes(a))).toEqual([
      'Notifications/Topic/alarms@example.com Serverless-SNSRedrivePolicy',
      'Operations/Topic/ops@example.com Serverless-SNSRedrivePolicy',
    ]);
    expectEveryAcknowledgmentSilencesAFinding(stack);
  });

  it("acknowledges, with notifications routed by severity, only each subscription's missing redrive policy, each silencing a finding", () => {
    const stack = buildStack({ notify: JSON.stringify(ROUTED) });
    expect(
      acknowledged(stack)
        .filter((a) => !EXPECTED_ACKNOWLEDGMENTS.includes(a))
        .sort(),
    ).toEqual(
      [
        'Notifications/Topic/oncall@example.com Serverless-SNSRedrivePolicy',
        'Notifications/Topic/https:----pager.example.com--hook Serverless-SNSRedrivePolicy',
        'Notifications/Topic/team@example.com Serverless-SNSRedrivePolicy',
      ].sort(),
    );
    expectEveryAcknowledgmentSilencesAFinding(stack);
  });

  it.each(MODES)('has no stale acknowledgment: each one silences a finding the packs really report (%s)', (_mode, stack) => {
    expectEveryAcknowledgmentSilencesAFinding(stack);
  });
});
