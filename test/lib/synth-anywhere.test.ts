/**
 * The CDK app synthesizes whatever folder it is run from: the twin
 * synthesizes the stack's template (twin/cloud-template.ts) in the process of
 * a CLI, whose working folder may be anywhere (test/cli/local.test.ts runs
 * `npm run local` in a temporary one). Without the repository's lock file
 * named, NodejsFunction looks for one from the working folder up and fails.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCliProcess } from '../support/twin.ts';

const dir = mkdtempSync(join(tmpdir(), 'synth-anywhere-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('bin/app.ts synthesizes the stack from a folder outside the repository', async () => {
  const outdir = join(dir, 'cdk.out');
  const result = await runCliProcess('bin/app.ts', [], {
    cwd: dir,
    // As the CDK CLI runs the app, with bundling skipped (the template does not depend on the bundles).
    env: { CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }) },
  });
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  expect(existsSync(join(outdir, 'PrinterAnomaly.template.json'))).toBe(true);
}, 120_000);
