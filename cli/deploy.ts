/**
 * `npm run deploy`: the preflight checks first (cli/preflight-checks.ts);
 * only when they all pass, `cdk deploy --outputs-file cdk-outputs.json` with
 * the same arguments, so that the CLIs find the deployed stack afterwards.
 */
import { TWIN_ENV } from '../twin/locate.ts';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CliError, runCli } from './kit.ts';
import { contextOf, preflight } from './preflight-checks.ts';
import { printResults } from './preflight-results.ts';

const CDK = fileURLToPath(new URL('../node_modules/.bin/cdk', import.meta.url));

const spec = {
  usage: 'npm run deploy -- [-c KEY=VALUE ...] [cdk deploy options]',
  summary:
    'Runs npm run preflight for the mode the -c options give and stops with one line per finding when any check fails; ' +
    `otherwise runs cdk deploy --outputs-file cdk-outputs.json with the same arguments. The IAM check starts a twin of its own, so no running twin (${TWIN_ENV}) is used.`,
  options: {},
  help: {},
  allowPositionals: true,
} as const;

const args = process.argv.slice(2);
await runCli(
  spec,
  async () => {
    let context: Record<string, string>;
    try {
      context = contextOf(args);
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    const findings = printResults(await preflight(context), (line) => process.stdout.write(`${line}\n`));
    if (findings > 0) throw new CliError(`${findings} preflight finding(s): nothing deployed`);
    const run = spawnSync(CDK, ['deploy', '--outputs-file', 'cdk-outputs.json', ...args], { stdio: 'inherit' });
    return run.status ?? 1;
  },
  args.filter((arg) => arg === '--help' || arg === '-h'),
);
