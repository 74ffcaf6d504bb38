import { describe, expect, it } from 'vitest';
import { commandName, normalizeArgv } from '../../cli/kit.ts';

const options = {
  top: { type: 'string', short: 'n' },
  json: { type: 'boolean' },
  endpoint: { type: 'string' },
} as const;
const spec = { options, aliases: { 'endpoint-url': 'endpoint' } as const };

describe('the CLI kit', () => {
  it('names a command by its npm words, whatever follows them', () => {
    expect(commandName('npm run ranked -- [--top N] [--json]')).toBe('npm run ranked');
    expect(commandName('npm start [-- --readings FILE --profiles FILE]')).toBe('npm start');
    expect(commandName('npm run emit -- --file FILE [options]')).toBe('npm run emit');
  });

  it('hands a negative number to its option, so the range check answers it', () => {
    expect(normalizeArgv(['--top', '-5'], spec)).toEqual(['--top=-5']);
    expect(normalizeArgv(['-n', '-5'], spec)).toEqual(['--top=-5']);
    expect(normalizeArgv(['--top', '-0.5', '--json'], spec)).toEqual(['--top=-0.5', '--json']);
    expect(normalizeArgv(['--top=-5'], spec)).toEqual(['--top=-5']);
  });

  it('leaves flags that are not numbers alone, and never joins a boolean with what follows', () => {
    expect(normalizeArgv(['--top', '--json'], spec)).toEqual(['--top', '--json']);
    expect(normalizeArgv(['--json', '-5'], spec)).toEqual(['--json', '-5']);
    expect(normalizeArgv(['--bogus', '-5'], spec)).toEqual(['--bogus', '-5']);
  });

  it('accepts an alias as its option', () => {
    expect(normalizeArgv(['--endpoint-url', 'http://x'], spec)).toEqual(['--endpoint', 'http://x']);
    expect(normalizeArgv(['--endpoint-url=http://x'], spec)).toEqual(['--endpoint=http://x']);
  });
});
