/**
 * What every CLI of the project shares: typed options with `--help`, one-line
 * errors (never a stack trace for a user error), exit codes, and reading the
 * deployed stack's outputs from `cdk-outputs.json`.
 *
 * Import this module first in a CLI: it also silences the AWS SDK's Node
 * version notice, which is noise for a command-line user.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { OUTPUTS_FILE, type StackOutputs } from '../contract/index.ts';
import type { TwinRecord } from '../twin/discovery.ts';
import { locateTwin, TWIN_ENV_HELP, TwinChoiceError } from '../twin/locate.ts';

export type { StackOutputs };

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

/** A mistake in what the user typed or gave: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure the user should read as one line (unreachable endpoint, missing file...): exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface CliSpec<O extends Options> {
  /** e.g. `npm run ranked -- [options]` */
  readonly usage: string;
  /** One paragraph on what the command does. */
  readonly summary: string;
  readonly options: O;
  /** One line per option, shown by `--help`. */
  readonly help: Readonly<Record<keyof O & string, string>>;
  readonly allowPositionals?: boolean;
  /**
   * Other spellings of an option, accepted but not listed in `--help` (e.g.
   * `endpoint-url`, as the AWS CLI spells `endpoint`).
   */
  readonly aliases?: Readonly<Record<string, keyof O & string>>;
  /** Shown under the summary by `--help`: for CLIs that reach the twin or AWS, {@link TARGET_RULE}. */
  readonly targetRule?: string;
}

/**
 * Where every CLI that talks to the backend goes, stated once (shown by each
 * one's `--help`): the local twin, unless the deployed stack's outputs or an
 * explicit AWS target say otherwise.
 */
export const TARGET_RULE =
  'Target: the local twin (npm run local) by default. The deployed stack instead when cdk-outputs.json ' +
  '(written by npm run deploy) is in the current folder, or when --region names an AWS region. ' +
  '--endpoint always wins.';

/** `npm run ranked` from `npm run ranked -- [options]`, `npm start` from `npm start [-- ...]`. */
export function commandName(usage: string): string {
  return usage.split(/\s+(?=\[|-)/)[0] ?? usage;
}

/**
 * Rewrites aliases to their option, and joins a string option with a value
 * that starts with `-` and a digit (`--count -5` becomes `--count=-5`), so that
 * a negative number reaches the option's own range check instead of being
 * taken for an unknown flag.
 */
export function normalizeArgv<O extends Options>(argv: readonly string[], spec: Pick<CliSpec<O>, 'options' | 'aliases'>): string[] {
  const byShort = new Map(Object.entries(spec.options).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    let token = argv[i]!;
    let name: string | undefined;
    if (token.startsWith('--')) {
      const [flag, ...rest] = token.slice(2).split('=');
      const canonical = (flag !== undefined && spec.aliases?.[flag]) || flag;
      token = rest.length > 0 ? `--${canonical}=${rest.join('=')}` : `--${canonical}`;
      name = rest.length > 0 ? undefined : canonical;
    } else if (/^-[a-zA-Z]$/.test(token)) {
      name = byShort.get(token.slice(1));
      if (name !== undefined) token = `--${name}`;
    }
    const next = argv[i + 1];
    if (name !== undefined && spec.options[name]?.type === 'string' && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`${token}=${next}`);
      i += 1;
    } else {
      out.push(token);
    }
  }
  return out;
}

/** A closed stdout (`npm start | head -3`) ends the command quietly with exit code 0, as Unix tools do. */
function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0);
      throw error;
    });
  }
}

function helpText<O extends Options>(spec: CliSpec<O>): string {
  const rows = Object.entries(spec.options).map(([name, option]) => {
    const flag = `--${name}${option.short ? `, -${option.short}` : ''}${option.type === 'string' ? ' VALUE' : ''}`;
    return `  ${flag.padEnd(28)} ${spec.help[name] ?? ''}`;
  });
  const target = spec.targetRule ? ['', spec.targetRule] : [];
  return [
    `Usage: ${spec.usage}`,
    '',
    spec.summary,
    ...target,
    '',
    'Options:',
    ...rows,
    `  ${'--help, -h'.padEnd(28)} show this help`,
    '',
    TWIN_ENV_HELP,
  ].join('\n');
}

/** What a CLI's `main` resolves with: an exit code, or nothing for 0. */
// biome-ignore lint/suspicious/noConfusingVoidType: `main` may end without returning, which is exit code 0.
type ExitCode = number | void;

/**
 * Parses `argv` and runs `main`, mapping errors to one-line messages and exit
 * codes: 0 success, 1 failure, 2 usage error. `main` may return an exit code.
 */
export async function runCli<O extends Options>(
  spec: CliSpec<O>,
  main: (
    values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: boolean }>>['values'],
    positionals: string[],
  ) => Promise<ExitCode>,
  argv: string[] = process.argv.slice(2),
): Promise<never> {
  const name = commandName(spec.usage);
  exitQuietlyOnClosedPipe();
  let code: number;
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write(`${helpText(spec)}\n`);
      await flushStdio();
      process.exit(0);
    }
    let parsed: ReturnType<typeof parseArgs<{ options: O; allowPositionals: boolean }>>;
    try {
      parsed = parseArgs({
        args: normalizeArgv(argv, spec),
        options: spec.options,
        allowPositionals: spec.allowPositionals ?? false,
        strict: true,
      });
    } catch (error) {
      throw new UsageError(`${(error as Error).message.split('\n')[0]} (see --help)`);
    }
    code = (await main(parsed.values, parsed.positionals)) ?? 0;
  } catch (error) {
    const err = error as Error;
    if (err instanceof UsageError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      code = 2;
    } else {
      process.stderr.write(`${name}: ${err instanceof CliError ? err.message : `${err.name}: ${err.message}`.split('\n')[0]}\n`);
      if (process.env['DEBUG'] && !(err instanceof CliError)) process.stderr.write(`${err.stack}\n`);
      code = 1;
    }
  }
  await flushStdio();
  process.exit(code);
}

/** Waits until stdout and stderr have written everything: `process.exit` would cut piped output short. */
async function flushStdio(): Promise<void> {
  await Promise.all(
    [process.stdout, process.stderr].map(
      (stream) =>
        new Promise<void>((resolve) => (stream.writableNeedDrain ? stream.once('drain', resolve) : stream.write('', () => resolve()))),
    ),
  );
}

/** Reads a whole number option, or throws a {@link UsageError} naming it. */
export function intOption(name: string, value: string | undefined, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/**
 * The running twin the CLIs use by default (`twin/locate.ts`), or undefined
 * when none runs; an ambiguous or wrong choice is a one-line {@link CliError}.
 */
export function localTwin(): TwinRecord | undefined {
  try {
    return locateTwin();
  } catch (error) {
    if (error instanceof TwinChoiceError) throw new CliError(error.message);
    throw error;
  }
}

/**
 * The first stack's outputs in `cdk-outputs.json` (or `file`), or undefined
 * when there is no such file: CLIs then fall back to flags and defaults.
 */
export function readStackOutputs(file: string = resolve(process.cwd(), OUTPUTS_FILE)): StackOutputs | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new CliError(`${file} does not hold stack outputs`);
  const [first] = Object.values(parsed as Record<string, unknown>);
  return (first ?? {}) as StackOutputs;
}
