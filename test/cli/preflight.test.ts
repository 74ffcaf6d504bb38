/**
 * `npm run preflight` and the check `npm run deploy` runs first: every check
 * named on its own line and passing in a deploy mode with a template of its
 * own, and a deploy stopped, with one line per finding, when a check fails.
 */
import { describe, expect, it } from 'vitest';
import { runCliProcess } from '../support/twin.ts';

describe('npm run preflight', () => {
  it('passes in stream ingest with device identity: synth, Control Tower, cdk-nag, cfn-lint, bundles, IAM', async () => {
    const { code, stdout, stderr } = await runCliProcess('cli/preflight.ts', ['-c', 'ingest=stream', '-c', 'deviceIdentity=thing']);
    expect(stderr.split('\n').filter((line) => line.startsWith('preflight:'))).toEqual([]);
    const checks = stdout.split('\n').filter((line) => line.startsWith('preflight: '));
    expect(checks.map((line) => line.split(':')[1]!.trim())).toEqual(['synth', 'control-tower', 'cdk-nag', 'cfn-lint', 'bundles', 'iam']);
    for (const line of checks) expect(line).toMatch(/^preflight: [a-z-]+: ok \(/);
    expect(checks.at(-1)).toContain('stream ingest, device identity thing');
    expect(code).toBe(0);
  });

  it('a mode the stack refuses is one finding, and the deploy stops before cdk runs', async () => {
    const preflight = await runCliProcess('cli/preflight.ts', ['-c', 'ingest=kafka']);
    expect(preflight.code).toBe(1);
    expect(preflight.stdout).toMatch(/^preflight: synth: ingest must be one of direct, stream, got "kafka"$/m);
    const deploy = await runCliProcess('cli/deploy.ts', ['-c', 'ingest=kafka']);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr.trim()).toBe('npm run deploy: 1 preflight finding(s): nothing deployed');
    expect(deploy.stdout).not.toMatch(/cdk|CloudFormation|Deploying/i);
  });

  it('a -c option that is not KEY=VALUE is refused in one line', async () => {
    const { code, stderr } = await runCliProcess('cli/deploy.ts', ['-c', 'ingest']);
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('npm run deploy: -c takes KEY=VALUE, got "ingest"');
  });
});
