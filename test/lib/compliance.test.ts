/**
 * The synthesized templates, in the default deployment and in every optional
 * mode, against the AWS Control Tower proactive controls (CDK policy
 * validation with the bundled cfn-guard rules) and cfn-lint: no finding
 * but the ones accepted below, each with its reason, as the cdk-nag
 * acknowledgments have theirs.
 */
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, type IPolicyValidationPluginBeta1, Validations } from 'aws-cdk-lib';
import type { CfnPermission } from 'aws-cdk-lib/aws-lambda';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { PrinterAnomalyStack } from '../../lib/stack.ts';
import { CFN_LINT_ACCEPTED, GUARD_ACCEPTED, GUARD_ACKNOWLEDGED_IN_PLACE } from '../../lib/compliance.ts';
import { cdkJsonContext, PROJECT_ROOT } from '../support/cdk-app.ts';
import { soakCases } from '../support/soak.ts';

/** The default deployment and each optional mode (`cdk deploy -c KEY=VALUE`). */
const MODES: readonly [string, Record<string, unknown>][] = [
  ['the default deployment', {}],
  // Options that change separate resources are checked together: each one's resources are in this template.
  [
    'alarmEmail, notify (email and HTTPS subscriptions by severity), detectorConcurrency, destroyTable, historyDays and deviceIdentity=thing at once',
    {
      alarmEmail: 'ops@example.com',
      notify: JSON.stringify({ critical: { url: 'https://pager.example.com/hook' }, default: { email: 'alarms@example.com' } }),
      detectorConcurrency: 10,
      destroyTable: 'true',
      historyDays: 30,
      deviceIdentity: 'thing',
    },
  ],
  [
    'alarmTopicArn (your own alarm topic, no operations topic)',
    { alarmTopicArn: ['arn', 'aws', 'sns', 'eu-west-1', '0'.repeat(12), 'ops'].join(':') },
  ],
  ['ingest=stream (readings through an on-demand Kinesis stream)', { ingest: 'stream' }],
  [
    'ingest=stream with streamShards=2 and deviceIdentity=thing (a provisioned stream)',
    { ingest: 'stream', streamShards: 2, deviceIdentity: 'thing' },
  ],
];

/** Synthesizes the app as `cdk synth` does, with `plugins` validating it; `run` gets the assembly folder. */
function withSynth<T>(context: Record<string, unknown>, plugins: IPolicyValidationPluginBeta1[], run: (app: App, outdir: string) => T): T {
  mkdirSync(join(PROJECT_ROOT, 'cdk.out'), { recursive: true });
  const outdir = mkdtempSync(join(PROJECT_ROOT, 'cdk.out', 'compliance-'));
  try {
    const app = new App({ outdir, context: { ...cdkJsonContext(), ...context } });
    if (plugins.length > 0) Validations.of(app).addPlugins(...plugins);
    new PrinterAnomalyStack(app, 'PrinterAnomaly');
    return run(app, outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

interface Findings {
  /** Control Tower findings: `CT.RULE construct/path`. */
  readonly guard: string[];
  /** cfn-lint's parseable output; empty when clean. */
  readonly lint: string;
  /** Control Tower findings acknowledged on their resource: `CT.RULE construct/path`. */
  readonly suppressed: string[];
}

/** One synthesis checked by both tools: the guard rules as a validation plugin, then cfn-lint on the same template. */
function findings(context: Record<string, unknown>, accepted: { guard: string[]; lint: string[] }): Findings {
  return withSynth(context, [new CfnGuardValidator({ disabledRules: accepted.guard })], (app, outdir) => {
    // Synthesis throws on a finding, except when an acknowledgment in the tree (an in-place one below) has
    // made CDK recompute the plugin's success: the report file is the record either way.
    const reportFile = join(outdir, 'validation-report.json');
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      app.synth();
    } catch (error) {
      if (!existsSync(reportFile)) throw error;
    } finally {
      quiet.mockRestore();
    }
    type Violation = { description: string; violatingConstructs: { constructPath: string }[] };
    const report = existsSync(reportFile)
      ? (JSON.parse(readFileSync(reportFile, 'utf8')) as {
          pluginReports: { violations: Violation[]; suppressedViolations?: Violation[] }[];
        })
      : { pluginReports: [] };
    const named = (violations: Violation[]) =>
      violations.flatMap((v) => v.violatingConstructs.map((c) => `${/\[(CT\.[A-Z0-9.]+)\]/.exec(v.description)?.[1]} ${c.constructPath}`));
    const guard = report.pluginReports.flatMap((r) => named(r.violations));
    const suppressed = report.pluginReports.flatMap((r) => named(r.suppressedViolations ?? []));
    const template = join(outdir, 'PrinterAnomaly.template.json');
    const ignore = accepted.lint.length > 0 ? ['--ignore-checks', ...accepted.lint] : [];
    const run = spawnSync('cfn-lint', ['--format', 'parseable', ...ignore, '--', template], { encoding: 'utf8' });
    if (run.error) throw new Error(`cfn-lint could not run (it comes with the machine's Python): ${run.error.message}`);
    return { guard, lint: `${run.stdout}${run.stderr}`.trim(), suppressed };
  });
}

const ACCEPTED = { guard: Object.keys(GUARD_ACCEPTED), lint: Object.keys(CFN_LINT_ACCEPTED) };

// A representative in `npm test` (the default deployment); every mode under `npm run soak`: each check is a synthesis,
// cfn-guard and a cfn-lint run of tens of seconds on a 2-core machine.
describe.each(soakCases(MODES))('%s', (_mode, context) => {
  it('passes the Control Tower proactive controls and cfn-lint, but for the accepted findings', () => {
    const found = findings(context, ACCEPTED);
    expect({ guard: found.guard, lint: found.lint }).toEqual({ guard: [], lint: '' });
    expect(found.suppressed).toEqual(GUARD_ACKNOWLEDGED_IN_PLACE.map(([control, , path]) => `${control} ${path}`));
  });
});

describe('accepted findings', () => {
  it('each has a written reason', () => {
    for (const reason of [...Object.values(GUARD_ACCEPTED), ...Object.values(CFN_LINT_ACCEPTED)]) {
      expect(reason.length).toBeGreaterThan(60);
    }
  });

  it('are still found without the acceptance (no stale entry)', () => {
    const found = findings({}, { guard: [], lint: [] });
    const rules = found.guard.map((v) => v.split(' ')[0]!.toLowerCase().replace(/\./g, '-'));
    expect(new Set(rules)).toEqual(new Set(Object.keys(GUARD_ACCEPTED)));
    for (const check of Object.keys(CFN_LINT_ACCEPTED)) expect(found.lint).toContain(check);
  });

  it('on a resource, only where the control cannot read a scoped permission: the API invoke permission, limited by SourceArn', () => {
    const app = new App({ context: cdkJsonContext() });
    const stack = new PrinterAnomalyStack(app, 'PrinterAnomaly');
    const inPlace = stack.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata
          .filter((e) => e.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .flatMap((e) => Object.entries(e.data as Record<string, string>).map(([id, reason]) => ({ id, path: c.node.path, reason }))),
      )
      .filter((a) => a.id.startsWith('cdk-validator-cfnguard::'));
    expect(inPlace.map((a) => `${a.id} ${a.path}`)).toEqual(
      GUARD_ACKNOWLEDGED_IN_PLACE.map(([, rule, path]) => `cdk-validator-cfnguard::${rule} ${path}`),
    );
    for (const { reason } of inPlace) expect(reason.length).toBeGreaterThan(60);
    // Not public: API Gateway only, from this API's one route, which the control cannot tell from an Fn::Join.
    const permission = stack.node.findAll().find((c) => c.node.path === inPlace[0]!.path) as CfnPermission;
    const resolved = stack.resolve({ principal: permission.principal, sourceArn: permission.sourceArn }) as {
      principal: string;
      sourceArn: { 'Fn::Join': [string, unknown[]] };
    };
    expect(resolved.principal).toBe('apigateway.amazonaws.com');
    const arnParts = resolved.sourceArn['Fn::Join'][1];
    expect(arnParts).toContainEqual({ Ref: 'AWS::AccountId' });
    expect(arnParts.at(-1)).toBe('/*/*/api/{proxy+}');
  });

  it('cfn-lint is the one this machine ships', () => {
    expect(execFileSync('cfn-lint', ['--version'], { encoding: 'utf8' })).toMatch(/^cfn-lint \d+\./);
  });
});
