/**
 * Security hygiene of the repository: no secret or account id is
 * committed, and the files that hold them are ignored by git.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' });
const tracked = git('ls-files', '-z', '--cached', '--others', '--exclude-standard')
  .split('\0')
  .filter((f) => f && !f.endsWith('package-lock.json'));

const SECRET_PATTERNS: [string, RegExp][] = [
  ['an AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['a private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['an account id in an ARN', /arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:\d{12}:/],
  ['an account-specific IoT endpoint', /\b[a-z0-9]{14}-ats\.iot\.[a-z0-9-]+\.amazonaws\.com\b/],
];

describe('repository hygiene', () => {
  it.each(SECRET_PATTERNS)('no tracked file holds %s', (_what, pattern) => {
    const offenders = tracked.filter((file) => {
      try {
        return pattern.test(readFileSync(file, 'utf8'));
      } catch {
        return false; // deleted in the work tree
      }
    });
    expect(offenders).toEqual([]);
  });

  it.each([
    'certs/device/private.pem.key',
    'certs/x/device.pem.crt',
    'cdk-outputs.json',
    '.local/state/detector.log',
    'cdk.out/manifest.json',
    'reports/mutation/mutation.json',
    '.stryker-tmp/sandbox-1/package.json',
  ])('%s is ignored by git', (path) => {
    expect(git('check-ignore', '--no-index', path).trim()).toBe(path);
  });
});
