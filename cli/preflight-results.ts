/** How `npm run preflight` and `npm run deploy` print the checks: one line per check, one per finding. */
import type { CheckResult } from './preflight-checks.ts';

/** Prints each check and its findings; returns how many findings there were. */
export function printResults(results: readonly CheckResult[], write: (line: string) => void): number {
  let findings = 0;
  for (const result of results) {
    write(`preflight: ${result.check}: ${result.findings.length === 0 ? 'ok' : `${result.findings.length} finding(s)`} (${result.detail})`);
    for (const finding of result.findings) write(`preflight: ${result.check}: ${finding}`);
    findings += result.findings.length;
  }
  return findings;
}
