/**
 * The CloudFormation template `cdk synth` produces for one deploy mode, as the
 * twin reads it to enforce what the cloud enforces (`iam.ts`): the roles, the
 * policies and the resource policies of the deployed stack, never a copy.
 *
 * Synthesis skips asset bundling (policies do not depend on bundle contents)
 * and is cached in a git-ignored, content-addressed file
 * (`.local/templates/<hash>.json`), keyed by the stack's sources, `cdk.json`
 * and the CDK version, and written atomically, so that concurrent twins and
 * test processes synthesize a mode once and never see a half-written file.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeviceIdentityMode, IngestMode } from '../contract/index.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CACHE_DIR = join(ROOT, '.local', 'templates');
/** The stack's construct id, as `bin/app.ts` names it. */
export const STACK_ID = 'PrinterAnomaly';

/** A deploy mode with a template of its own. */
export interface DeployMode {
  readonly ingest: IngestMode;
  readonly deviceIdentity: DeviceIdentityMode;
}

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are free-form JSON.
export type CfnResource = { readonly Type: string; readonly Properties?: Record<string, any> };

/** A synthesized template, with each resource's construct path (below the stack) to find the parts by. */
export interface CloudTemplate {
  readonly mode: DeployMode;
  readonly resources: Readonly<Record<string, CfnResource>>;
  /** Construct path below the stack (`Detector/Function/Resource`) -> logical id. */
  readonly paths: Readonly<Record<string, string>>;
}

/** The logical id of the resource at `path` (below the stack), or an error naming it. */
export function logicalIdAt(template: CloudTemplate, path: string): string {
  const id = template.paths[path];
  if (id === undefined) throw new Error(`the ${template.mode.ingest} template has no resource at ${path}`);
  return id;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
}

/** What the template depends on: the stack's sources, what they import, `cdk.json` and the CDK version. */
function sourceHash(mode: DeployMode): string {
  const hash = createHash('sha256').update(JSON.stringify(mode));
  for (const folder of ['lib', 'contract', 'bin']) {
    for (const file of filesUnder(join(ROOT, folder))) hash.update(file.slice(ROOT.length)).update(readFileSync(file));
  }
  hash.update(readFileSync(join(ROOT, 'cdk.json')));
  const cdk = join(ROOT, 'node_modules', 'aws-cdk-lib', 'package.json');
  if (existsSync(cdk)) hash.update((JSON.parse(readFileSync(cdk, 'utf8')) as { version: string }).version);
  return hash.digest('hex').slice(0, 16);
}

async function synthesize(mode: DeployMode): Promise<CloudTemplate> {
  // Loaded only on a cache miss: the CDK is large, and a cached template needs none of it.
  const [{ App, CfnResource, Stack }, { PrinterAnomalyStack }] = await Promise.all([import('aws-cdk-lib'), import('../lib/stack.ts')]);
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const outdir = join(CACHE_DIR, `.assembly-${randomUUID()}`);
  const app = new App({
    outdir,
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ingest: mode.ingest, deviceIdentity: mode.deviceIdentity },
  });
  const stack = new PrinterAnomalyStack(app, STACK_ID);
  const paths: Record<string, string> = {};
  for (const construct of stack.node.findAll()) {
    if (construct instanceof CfnResource)
      paths[construct.node.path.slice(STACK_ID.length + 1)] = Stack.of(construct).getLogicalId(construct);
  }
  const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, CfnResource> };
  await rm(outdir, { recursive: true, force: true });
  return { mode, resources: template.Resources, paths };
}

/** The template of `mode`: from the cache when the sources have not changed, else synthesized and cached. */
export async function cloudTemplate(mode: DeployMode): Promise<CloudTemplate> {
  const file = join(CACHE_DIR, `${mode.ingest}-${mode.deviceIdentity}-${sourceHash(mode)}.json`);
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as CloudTemplate;
  const template = await synthesize(mode);
  await mkdir(CACHE_DIR, { recursive: true });
  const staging = `${file}.${randomUUID()}`;
  await writeFile(staging, JSON.stringify(template));
  await rename(staging, file);
  return template;
}
