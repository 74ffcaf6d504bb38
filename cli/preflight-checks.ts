/**
 * The checks that need no AWS account, run before every deploy
 * (`npm run preflight`, `npm run deploy`): the stack synthesized in the chosen
 * mode, the Control Tower proactive controls (cfn-guard) and cdk-nag as
 * validation plugins of that synthesis, cfn-lint on its template, each
 * Lambda bundle's size, and the IAM coverage of the twin (every path allowed
 * by the deployed roles, no grant unused without a reason). The accepted
 * findings are the ones `lib/compliance.ts` lists with their reasons.
 */
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeviceIdentityMode, IngestMode } from '../contract/index.ts';
import { CFN_LINT_ACCEPTED, GUARD_ACCEPTED } from '../lib/compliance.ts';
import { PrinterAnomalyStack } from '../lib/stack.ts';
import { IAM_SCENARIO_PROFILES, IAM_SCENARIO_THINGS, iamCoverage } from './iam-scenario.ts';
import { startTwin } from '../twin/twin.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Each Lambda bundle's limit, as the project sets it. */
export const MAX_BUNDLE_BYTES = 250 * 1024;

/** One check's outcome: what it looked at, and one line per finding. */
export interface CheckResult {
  readonly check: 'synth' | 'cdk-nag' | 'control-tower' | 'cfn-lint' | 'bundles' | 'iam';
  readonly detail: string;
  readonly findings: readonly string[];
}

type Violation = { ruleName?: string; description: string; violatingConstructs: { constructPath: string }[] };
type Report = { pluginReports: { pluginName?: string; summary?: { pluginName?: string }; violations: Violation[] }[] };

/** The stack synthesized as `cdk synth` would with `context` (`-c KEY=VALUE`), validated by the guard rules and cdk-nag. */
function synthesize(context: Record<string, unknown>, outdir: string): { results: CheckResult[]; template?: string } {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:enable-asset-metadata': true, ...context } });
  Validations.of(app).addPlugins(
    new CfnGuardValidator({ disabledRules: Object.keys(GUARD_ACCEPTED) }),
    new AwsSolutionsChecks(),
    new ServerlessChecks(),
  );
  try {
    new PrinterAnomalyStack(app, 'PrinterAnomaly');
  } catch (error) {
    return { results: [{ check: 'synth', detail: 'the stack', findings: [(error as Error).message.split('\n')[0]!] }] };
  }
  const quiet = console.error;
  console.error = () => {};
  let synthError: string | undefined;
  try {
    app.synth();
  } catch (error) {
    synthError = (error as Error).message.split('\n')[0];
  } finally {
    console.error = quiet;
  }
  const reportFile = join(outdir, 'validation-report.json');
  const report: Report = existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, 'utf8')) as Report) : { pluginReports: [] };
  const guard: string[] = [];
  const nag: string[] = [];
  for (const plugin of report.pluginReports) {
    const name = plugin.pluginName ?? plugin.summary?.pluginName ?? '';
    for (const v of plugin.violations) {
      for (const c of v.violatingConstructs) {
        const rule = /\[(CT\.[A-Z0-9.]+)\]/.exec(v.description)?.[1] ?? v.ruleName ?? 'finding';
        (name.includes('cfnguard') ? guard : nag).push(`${rule} at ${c.constructPath}: ${v.description.split('\n')[0]}`);
      }
    }
  }
  const template = join(outdir, 'PrinterAnomaly.template.json');
  const synthFindings = synthError !== undefined && guard.length + nag.length === 0 ? [synthError] : [];
  return {
    results: [
      { check: 'synth', detail: 'the stack in the chosen mode', findings: synthFindings },
      { check: 'control-tower', detail: 'Control Tower proactive controls (cfn-guard)', findings: guard },
      { check: 'cdk-nag', detail: 'AwsSolutions and Serverless packs', findings: nag },
    ],
    ...(existsSync(template) ? { template } : {}),
  };
}

function cfnLint(template: string): CheckResult {
  const ignore = ['--ignore-checks', ...Object.keys(CFN_LINT_ACCEPTED)];
  const run = spawnSync('cfn-lint', ['--format', 'parseable', ...ignore, '--', template], { encoding: 'utf8' });
  if (run.error) return { check: 'cfn-lint', detail: 'the template', findings: [`cfn-lint could not run: ${run.error.message}`] };
  const lines = `${run.stdout}${run.stderr}`.split('\n').filter((line) => line.trim() !== '');
  return { check: 'cfn-lint', detail: 'the template', findings: lines.map((line) => line.replace(`${template}:`, '')) };
}

function bundles(outdir: string, template: string): CheckResult {
  const resources = (
    JSON.parse(readFileSync(template, 'utf8')) as { Resources: Record<string, { Type: string; Metadata?: Record<string, string> }> }
  ).Resources;
  const findings: string[] = [];
  const sizes: string[] = [];
  for (const [id, resource] of Object.entries(resources)) {
    const asset = resource.Type === 'AWS::Lambda::Function' ? resource.Metadata?.['aws:asset:path'] : undefined;
    const dir = asset === undefined ? undefined : join(outdir, asset);
    if (dir === undefined || !existsSync(dir)) continue;
    const code = readdirSync(dir).filter((file) => /\.(m?js)$/.test(file));
    const bytes = code.reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
    sizes.push(`${id.replace(/[0-9A-F]{8}$/, '')} ${Math.round(bytes / 1024)} KB`);
    if (bytes > MAX_BUNDLE_BYTES) findings.push(`${id}: ${bytes} bytes, over the ${MAX_BUNDLE_BYTES}-byte limit`);
  }
  return { check: 'bundles', detail: sizes.join(', '), findings };
}

async function iam(ingest: IngestMode, deviceIdentity: DeviceIdentityMode): Promise<CheckResult> {
  const lines: string[] = [];
  const twin = await startTwin({
    ingest,
    deviceIdentity,
    things: IAM_SCENARIO_THINGS,
    profiles: IAM_SCENARIO_PROFILES,
    logFile: false,
    discoveryFile: false,
    sweepSeconds: 0,
    retryDelaysMs: [10, 10],
    onLog: (line) => lines.push(line),
  });
  try {
    const coverage = await iamCoverage(twin, lines);
    return {
      check: 'iam',
      detail: `every path on the twin (${ingest} ingest, device identity ${deviceIdentity}): ${coverage.grants} grants, ${coverage.unused} unused with a reason`,
      findings: [
        ...coverage.denied,
        ...coverage.failedRoutes,
        ...coverage.unexplained.map((grant) => `unused grant without a reason: ${grant}`),
      ],
    };
  } finally {
    await twin.close();
  }
}

/** Runs every check for the deploy mode `context` gives; the results in order. */
export async function preflight(context: Record<string, unknown>): Promise<CheckResult[]> {
  mkdirSync(join(ROOT, 'cdk.out'), { recursive: true });
  const outdir = join(ROOT, 'cdk.out', `preflight-${process.pid}`);
  try {
    const { results, template } = synthesize(context, outdir);
    if (template !== undefined) results.push(cfnLint(template), bundles(outdir, template));
    if (results.every((result) => result.check !== 'synth' || result.findings.length === 0)) {
      const ingest = (context['ingest'] ?? 'direct') as IngestMode;
      const deviceIdentity = (context['deviceIdentity'] ?? 'any') as DeviceIdentityMode;
      results.push(await iam(ingest, deviceIdentity));
    }
    return results;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** `-c KEY=VALUE` pairs (as `cdk deploy` takes them) as a context object. */
export function contextOf(args: readonly string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const pair = arg === '-c' || arg === '--context' ? args[++i] : /^--context=(.*)$/.exec(arg)?.[1];
    if (pair === undefined) continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`-c takes KEY=VALUE, got "${pair}"`);
    context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return context;
}
