/**
 * `npm run preflight`: the checks that need no AWS account, as `npm run
 * deploy` runs them first (cli/preflight-checks.ts). One line per check, one
 * per finding; exit 1 when any check finds something.
 */
import { TWIN_ENV } from '../twin/locate.ts';
import { contextOf, preflight } from './preflight-checks.ts';
import { printResults } from './preflight-results.ts';
import { runCli } from './kit.ts';

const spec = {
  usage: 'npm run preflight -- [-c KEY=VALUE ...]',
  summary:
    'Synthesizes the stack in the mode the -c options give (as cdk deploy takes them), then checks it without an AWS ' +
    'account: the Control Tower proactive controls and cdk-nag on the synthesis, cfn-lint on the template, each Lambda ' +
    'bundle under 250 KB, and IAM on the local twin (every path allowed by the deployed roles, no grant unused without ' +
    `a reason). What only a real account proves is in docs/deploy.md, "2. Deploy": the check passes, the deploy may still fail there. The IAM check starts a twin of its own, so no running twin (${TWIN_ENV}) is used.`,
  options: { context: { type: 'string', short: 'c', multiple: true } },
  help: { context: 'KEY=VALUE: a stack option, as for cdk deploy (e.g. -c ingest=stream); repeatable' },
} as const;

await runCli(spec, async (values) => {
  const context = contextOf((values.context ?? []).flatMap((pair) => ['-c', pair]));
  const findings = printResults(await preflight(context), (line) => process.stdout.write(`${line}\n`));
  return findings === 0 ? 0 : 1;
});
