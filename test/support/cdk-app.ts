/**
 * The CDK app as `cdk synth` builds it (same stack, same `cdk.json` context
 * and feature flags), for the infrastructure tests, plus helpers to follow
 * references in a synthesized template without hard-coding logical ids.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { PrinterAnomalyStack, type PrinterAnomalyStackProps } from '../../lib/stack.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The context `cdk.json` passes to the app (feature flags and defaults). */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

export interface SynthesizedStack {
  readonly app: App;
  readonly stack: PrinterAnomalyStack;
  readonly template: Template;
  /** The cloud assembly directory (removed by `dispose`). */
  readonly outdir: string;
  dispose(): void;
}

type SynthOptions = { context?: Record<string, unknown>; props?: PrinterAnomalyStackProps };

/** The app and stack as `cdk synth` builds them, synthesized into `outdir`. */
function synthesizeInto(outdir: string, options: SynthOptions): Omit<SynthesizedStack, 'dispose'> {
  const app = new App({
    outdir,
    // As the CLI does: record each asset's path in the resource metadata.
    context: { ...cdkJsonContext(), 'aws:cdk:enable-asset-metadata': true, ...options.context },
  });
  const stack = new PrinterAnomalyStack(app, 'PrinterAnomaly', options.props);
  const template = Template.fromStack(stack);
  return { app, stack, template, outdir };
}

/**
 * Builds and synthesizes the stack (bundling the detector with esbuild). The
 * assembly is written under `cdk.out/` (git-ignored) so that the bundle's
 * external `@aws-sdk/*` imports resolve from the project's node_modules, as
 * they resolve from the runtime's in Lambda. For a test of its own
 * configuration, or one that needs the construct tree; `sharedSynth` for the
 * template of a configuration other test files read too.
 */
export function synthesizeStack(options: SynthOptions = {}): SynthesizedStack {
  const parent = join(PROJECT_ROOT, 'cdk.out');
  mkdirSync(parent, { recursive: true });
  const outdir = mkdtempSync(join(parent, 'test-'));
  const dispose = () => rmSync(outdir, { recursive: true, force: true });
  try {
    return { ...synthesizeInto(outdir, options), dispose };
  } catch (error) {
    // A configuration the stack refuses leaves no assembly folder behind.
    dispose();
    throw error;
  }
}

/**
 * The stack's construct tree as `cdk synth` builds it, not synthesized and its
 * Lambdas not bundled: for checks of the tree (cdk-nag's packs), which read
 * the resources and never the bundles' contents.
 */
export function buildStack(context: Record<string, unknown> = {}, props?: PrinterAnomalyStackProps): PrinterAnomalyStack {
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...context } });
  return new PrinterAnomalyStack(app, 'PrinterAnomaly', props);
}

/** The template of the stack built (not bundled) with `context` and `props`: for checks of resources only. */
export const builtTemplate = (context: Record<string, unknown> = {}, props?: PrinterAnomalyStackProps): Template =>
  Template.fromStack(buildStack(context, props));

/** Runs `check` on the stack synthesized with `options`, then removes its assembly folder. */
export function withSynthesizedStack(options: SynthOptions, check: (synth: SynthesizedStack) => void): void {
  const synth = synthesizeStack(options);
  try {
    check(synth);
  } finally {
    synth.dispose();
  }
}

/** A synthesized template and its cloud assembly folder (bundles included), shared: read it, never change it. */
export interface SharedSynth {
  readonly template: Template;
  readonly outdir: string;
}

const shared = new Map<string, Promise<SharedSynth>>();

/**
 * The stack synthesized with `context`, once per test run for every test file
 * that asks: the first file to ask synthesizes it into this run's folder
 * (`synth-cache-setup.ts`, removed when the run ends) and the others read the
 * template it wrote, waiting for it (a file-system event) if it is still being
 * written. Outside vitest's integration project, synthesized once per process.
 */
export function sharedSynth(context: Record<string, unknown> = {}): Promise<SharedSynth> {
  const key = createHash('sha256').update(JSON.stringify(context)).digest('hex').slice(0, 16);
  let found = shared.get(key);
  if (found === undefined) {
    found = loadOrSynthesize(key, context);
    shared.set(key, found);
  }
  return found;
}

async function loadOrSynthesize(key: string, context: Record<string, unknown>): Promise<SharedSynth> {
  const dir = inject('synthCacheDir') as string | undefined;
  if (dir === undefined) {
    const own = synthesizeStack({ context });
    process.once('exit', own.dispose);
    return own;
  }
  const outdir = join(dir, key);
  const done = `${outdir}.template.json`;
  const failed = `${outdir}.failed`;
  try {
    // Whoever creates the folder synthesizes; mkdir is atomic, so one file per configuration does.
    mkdirSync(outdir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    await fileIn(dir, [done, failed]);
    if (existsSync(failed)) throw new Error(`the shared synthesis failed in another test file: ${readFileSync(failed, 'utf8')}`);
    return { template: Template.fromJSON(JSON.parse(readFileSync(done, 'utf8'))), outdir };
  }
  try {
    const { template } = synthesizeInto(outdir, { context });
    writeFileSync(`${done}.staging`, JSON.stringify(template.toJSON()));
    renameSync(`${done}.staging`, done);
    return { template, outdir };
  } catch (error) {
    writeFileSync(failed, String(error));
    throw error;
  }
}

/** Resolves when one of `files` (in `dir`) exists. */
function fileIn(dir: string, files: readonly string[]): Promise<void> {
  return new Promise((resolve) => {
    const watcher = watch(dir, () => check());
    const check = () => {
      if (!files.some((file) => existsSync(file))) return;
      watcher.close();
      resolve();
    };
    check();
  });
}

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are free-form JSON, read by the assertions as such.
type Resources = Record<string, { Type: string; Properties?: Record<string, any>; Metadata?: Record<string, unknown> }>;

/** The logical id a `Ref` or `Fn::GetAtt` points at, or undefined. */
export function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v['Ref'] === 'string') return v['Ref'];
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** The one resource of `type` matching `props` (fails unless exactly one matches). */
export function onlyResource(template: Template, type: string, props?: unknown): { id: string; resource: Resources[string] } {
  const found = Object.entries(template.findResources(type, props ? { Properties: props } : undefined) as Resources);
  if (found.length !== 1) throw new Error(`expected exactly one ${type}${props ? ' matching' : ''}, found ${found.length}`);
  const [id, resource] = found[0]!;
  return { id, resource };
}

/** `{ Ref: id }` for the one resource of `type` matching `props`. */
export function refTo(template: Template, type: string, props?: unknown): { Ref: string } {
  return { Ref: onlyResource(template, type, props).id };
}

/** `{ Fn::GetAtt: [id, attribute] }` for the one resource of `type` matching `props`. */
export function getAttOf(template: Template, type: string, attribute: string, props?: unknown): { 'Fn::GetAtt': [string, string] } {
  return { 'Fn::GetAtt': [onlyResource(template, type, props).id, attribute] };
}

/** An IAM policy statement as synthesized. */
export type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Sid?: string; Condition?: unknown };
export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
export const resourcesOf = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/** Every identity-policy statement in the stack, with the logical ids of the roles it is attached to. */
export function allStatements(t: Template): { roles: string[]; statement: Statement }[] {
  const out: { roles: string[]; statement: Statement }[] = [];
  for (const policy of Object.values(t.findResources('AWS::IAM::Policy'))) {
    const roles = (policy['Properties']['Roles'] as unknown[]).map((r) => referencedId(r)!);
    for (const statement of policy['Properties']['PolicyDocument']['Statement'] as Statement[]) out.push({ roles, statement });
  }
  for (const [id, role] of Object.entries(t.findResources('AWS::IAM::Role'))) {
    for (const inline of (role['Properties']['Policies'] ?? []) as { PolicyDocument: { Statement: Statement[] } }[]) {
      for (const statement of inline.PolicyDocument.Statement) out.push({ roles: [id], statement });
    }
  }
  return out;
}

/** The statements attached to one role, each as its sorted actions and its resources. */
export function statementsOfRole(t: Template, roleId: string): { actions: string[]; resources: unknown[] }[] {
  return allStatements(t)
    .filter((s) => s.roles.includes(roleId))
    .map(({ statement }) => ({ actions: [...actionsOf(statement)].sort(), resources: resourcesOf(statement) }));
}

/** An ARN in this stack's partition, region and account, as CDK renders `formatArn`. */
export function stackArn(service: string, resource: string) {
  return {
    'Fn::Join': [
      '',
      ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${resource}`],
    ],
  };
}
