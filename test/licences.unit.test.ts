/**
 * The project's licence (Apache-2.0, `LICENSE`) and the licences of what it
 * depends on, read from the lockfile: nothing that ships (a production
 * dependency, anything in a Lambda bundle) may be copyleft only; development
 * tools are listed apart (the IAM evaluator the twin uses is AGPL-3.0, see
 * docs/design.md "What the twin proves about the cloud").
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface LockedPackage {
  readonly license?: string;
  readonly dev?: boolean;
  readonly devOptional?: boolean;
}
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, LockedPackage> };
const packages = Object.entries(lock.packages).filter(([path]) => path !== '');
const COPYLEFT = /^(A|L)?GPL|^SSPL|^EUPL|^OSL|^CDDL|^EPL|^MPL/;

/** A licence expression ships when one of its alternatives is not copyleft (`MIT OR GPL-3.0` may be taken as MIT). */
function permissiveChoice(expression: string): boolean {
  return expression
    .replace(/[()]/g, '')
    .split(/\s+OR\s+/)
    .some((alternative) => alternative.split(/\s+AND\s+/).every((id) => !COPYLEFT.test(id.trim())));
}

const byLicence = (entries: typeof packages) => {
  const counts: Record<string, number> = {};
  for (const [, pkg] of entries) counts[pkg.license ?? 'unknown'] = (counts[pkg.license ?? 'unknown'] ?? 0) + 1;
  return counts;
};

describe('licences', () => {
  it('the project is Apache-2.0', () => {
    expect(JSON.parse(readFileSync('package.json', 'utf8')).license).toBe('Apache-2.0');
    expect(readFileSync('LICENSE', 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
  });

  it('the expression check tells a copyleft-only licence from a choice', () => {
    expect(permissiveChoice('MIT')).toBe(true);
    expect(permissiveChoice('(MIT OR GPL-3.0-or-later)')).toBe(true);
    expect(permissiveChoice('AGPL-3.0-or-later')).toBe(false);
    expect(permissiveChoice('MIT AND GPL-2.0')).toBe(false);
  });

  it('nothing that ships is copyleft only; development tools are listed apart', () => {
    const shipped = packages.filter(([, pkg]) => !pkg.dev && !pkg.devOptional);
    const development = packages.filter(([, pkg]) => pkg.dev || pkg.devOptional);
    console.log(`licences of what ships (${shipped.length} packages): ${JSON.stringify(byLicence(shipped))}`);
    console.log(`licences of development tools (${development.length} packages): ${JSON.stringify(byLicence(development))}`);
    expect(shipped.filter(([, pkg]) => pkg.license === undefined || !permissiveChoice(pkg.license)).map(([path]) => path)).toEqual([]);
    // The IAM evaluator is development-only, never a production dependency.
    const evaluator = lock.packages['node_modules/@cloud-copilot/iam-simulate'];
    expect(evaluator?.dev).toBe(true);
  });
});
