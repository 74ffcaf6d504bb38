/**
 * cdk-nag (v3) AwsSolutions and Serverless packs on the stack: no unsuppressed
 * error or warning, every acknowledgment carries a written reason, and no
 * acknowledgment is stale (each still silences a real finding).
 */
import { App, Validations, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks, type NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrinterAnomalyStack } from '../../lib/stack.ts';
import { cdkJsonContext, synthesizeStack, type SynthesizedStack } from '../support/cdk-app.ts';

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

/** The acknowledgments of `stack` as `path rule`, the stack's name left off. */
const acknowledged = (stack: IConstruct) => acknowledgments(stack).map((a) => `${a.path.replace(/^PrinterAnomaly\//, '')} ${a.id}`);

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

/** The same in every mode (direct and stream ingest give their function's acknowledgments their own reasons). */
const EXPECTED_ACKNOWLEDGMENTS = [
  'DeadLetters/Queue AwsSolutions-SQS3',
  'DeadLetters/Queue Serverless-SQSRedrivePolicy',
  'Detector/Function AwsSolutions-L1',
  'Detector/Function Serverless-LambdaLatestVersion',
  'Detector/Function Serverless-LambdaDLQ',
  'Detector/Function Serverless-LambdaTracing',
  'IotEndpoint/Lookup AwsSolutions-IAM5[Resource::*]',
  'AWS679f53fac002430cb0da5b7982bd2287 AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
  'AWS679f53fac002430cb0da5b7982bd2287 Serverless-LambdaDLQ',
  'AWS679f53fac002430cb0da5b7982bd2287 Serverless-LambdaTracing',
].sort();

let synthesized: SynthesizedStack;
let streamIngest: SynthesizedStack;
beforeAll(() => {
  synthesized = synthesizeStack();
  streamIngest = synthesizeStack({ context: { ingest: 'stream' } });
});
afterAll(() => {
  synthesized?.dispose();
  streamIngest?.dispose();
});
const MODES = [
  ['the default deployment', () => synthesized],
  ['ingest=stream', () => streamIngest],
] as const;

describe('cdk-nag', () => {
  it.each([
    ['AwsSolutions', 0],
    ['Serverless', 1],
  ] as const)('the %s pack finds no unacknowledged error or warning', (_name, index) => {
    const pack = packs()[index]!;
    expect(findings(pack.validateScope(synthesized.stack))).toEqual([]);
  });

  it('finds nothing unacknowledged with stream ingest (ingest=stream)', () => {
    for (const pack of packs()) expect(findings(pack.validateScope(streamIngest.stack))).toEqual([]);
  });

  it.each([
    ['deviceIdentity=thing', { deviceIdentity: 'thing' }],
    ['alarmTopicArn', { alarmTopicArn: ['arn', 'aws', 'sns', 'eu-west-1', '0'.repeat(12), 'ops'].join(':') }],
    ['ingest=stream with streamShards=2 and deviceIdentity=thing', { ingest: 'stream', streamShards: 2, deviceIdentity: 'thing' }],
  ])('finds nothing unacknowledged in the optional mode %s either', (_mode, context) => {
    const synth = synthesizeStack({ context });
    try {
      for (const pack of packs()) expect(findings(pack.validateScope(synth.stack))).toEqual([]);
    } finally {
      synth.dispose();
    }
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

  it.each(MODES)('gives every acknowledgment a written reason (%s)', (_mode, synth) => {
    const acks = acknowledgments(synth().stack);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(typeof ack.reason, `${ack.id} at ${ack.path}`).toBe('string');
      expect((ack.reason as string).trim().length, `${ack.id} at ${ack.path} needs a real reason`).toBeGreaterThanOrEqual(40);
    }
  });

  it.each(MODES)('acknowledges only these findings (a new one must be reviewed here) (%s)', (_mode, synth) => {
    expect(acknowledged(synth().stack).sort()).toEqual(EXPECTED_ACKNOWLEDGMENTS);
  });

  it('gives the stream-ingest detector its own reasons where its invocation differs', () => {
    const reasonOf = (stack: IConstruct, id: string) =>
      acknowledgments(stack).find((a) => a.id === id && a.path === 'PrinterAnomaly/Detector/Function')?.reason;
    expect(reasonOf(streamIngest.stack, 'Serverless-LambdaDLQ')).toMatch(/event source mapping/);
    expect(reasonOf(streamIngest.stack, 'Serverless-LambdaDLQ')).not.toBe(reasonOf(synthesized.stack, 'Serverless-LambdaDLQ'));
  });

  it.each(MODES)('has no stale acknowledgment: each one silences a finding the packs really report (%s)', (_mode, synth) => {
    const raw = rawFindings(synth().stack);
    for (const ack of acknowledgments(synth().stack)) {
      const silenced = raw.filter((f) => f.rule === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)));
      expect(silenced.length, `${ack.id} at ${ack.path} silences nothing`).toBeGreaterThan(0);
    }
  });
});
