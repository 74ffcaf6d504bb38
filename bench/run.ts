/**
 * `npm run bench`: the benchmarks behind `docs/performance.md`.
 * Writes JSON per section to `bench/results/`, then `summary.md` and
 * `fleet.svg` there and `docs/performance.md`, from every JSON present. Never
 * part of `npm test`; never calls AWS.
 */
import './env.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { alarmsBench } from './alarms.ts';
import { historyWriteBench } from './history-write.ts';
import { bundleBench } from './bundle.ts';
import { fleetChart } from './chart.ts';
import { startDynamoDbProcess } from './dynamodb.ts';
import { e2eBench } from './e2e.ts';
import { batchedE2eBench } from './e2e-batched.ts';
import { ingestBench } from './ingest.ts';
import { describeMachine, machineInfo } from './machine.ts';
import { log } from './output.ts';
import { LARGE_FLEET, perReadingBench } from './per-reading.ts';
import { fmt } from './stats.ts';
import { rankingBench } from './ranking.ts';
import { checkTargets, readResults, summaryMarkdown, type RunContext } from './report.ts';
import { performancePage } from './report-page.ts';

const SECTIONS = ['per-reading', 'ingest', 'e2e', 'e2e-batched', 'ranking', 'alarms', 'history-write', 'bundle'] as const;
type Section = (typeof SECTIONS)[number];

const HELP = `Usage: npm run bench -- [options]

The benchmarks behind docs/performance.md, against the embedded DynamoDB, broker and twin.

Options:
  --quick                 short run (smaller fleets, one run each); results go to .local/bench/results-quick/
  --runs N                runs per figure; every figure is their median (default 3, quick 1)
  --large-runs N          runs at fleets of 10,000 printers or more, ~4 minutes each (default: --runs)
  --only LIST             comma-separated sections: ${SECTIONS.join(', ')} (default: all)
  --fleet-sizes LIST      fleet sizes of the per-reading and alarms sections (default 10,100,1000,10000)
  --readings-per-printer N  readings per printer in the per-reading section (default 30)
  --out DIR               results folder (default bench/results)
  --report-only           run nothing: only rebuild summary.md, fleet.svg and the performance page from the JSON
                          in the results folder (the page is docs/performance.md for bench/results, else
                          performance.md in --out)
  -h, --help              this help
`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      'large-runs': { type: 'string' },
      only: { type: 'string' },
      'fleet-sizes': { type: 'string' },
      'readings-per-printer': { type: 'string' },
      out: { type: 'string' },
      'report-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const quick = values.quick ?? false;
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : [...SECTIONS];
  const unknown = only.find((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown) throw new UsageError(`unknown section "${unknown}" (sections: ${SECTIONS.join(', ')})`);
  const fleetSizes = values['fleet-sizes']
    ? values['fleet-sizes'].split(',').map((s) => positiveInt('fleet-sizes', s.trim(), 0))
    : quick
      ? [10, 100, 1000]
      : [10, 100, 1000, 10_000];
  return {
    help: values.help ?? false,
    reportOnly: values['report-only'] ?? false,
    quick,
    sections: new Set(only as Section[]),
    runs: positiveInt('runs', values.runs, quick ? 1 : 3),
    largeRuns: positiveInt('large-runs', values['large-runs'], positiveInt('runs', values.runs, quick ? 1 : 3)),
    fleetSizes,
    readingsPerPrinter: positiveInt('readings-per-printer', values['readings-per-printer'], quick ? 10 : 30),
    out: resolve(values.out ?? (quick ? '.local/bench/results-quick' : 'bench/results')),
  };
}

/** The page the README links to is rendered from `bench/results` only; other results folders get their own copy. */
const DEFAULT_RESULTS = resolve('bench/results');
const PERFORMANCE_PAGE = resolve('docs/performance.md');

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    log(HELP);
    return;
  }
  mkdirSync(options.out, { recursive: true });
  const machine = machineInfo();
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  log(`printer-anomaly bench · ${machine.date}`);
  log(`machine: ${describeMachine(machine)}`);
  log(
    `load average: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (other processes on the machine skew absolute rates; ratios are measured side by side)`,
  );
  log(`results: ${relative(process.cwd(), options.out) || '.'}`);

  const write = (name: Section, result: object, context: RunContext) => {
    const file = join(options.out, `${name}.json`);
    writeFileSync(file, `${JSON.stringify({ ...result, context }, null, 2)}\n`);
    log(`  → ${relative(process.cwd(), file)}`);
  };
  const section = async <T extends object>(name: Section, title: string, body: () => Promise<T>) => {
    if (!options.sections.has(name)) return;
    log('');
    log(`## ${title}`);
    const started = performance.now();
    const loadStart = os.loadavg()[0]!;
    const result = await body();
    write(name, result, {
      machine,
      command,
      loadAverage: { start: loadStart, end: os.loadavg()[0]! },
      seconds: (performance.now() - started) / 1000,
    });
  };

  if (options.reportOnly) options.sections.clear();
  const needsDb = ['per-reading', 'ranking', 'ingest', 'alarms', 'history-write'].some((s) => options.sections.has(s as Section));
  const db = needsDb ? await startDynamoDbProcess() : undefined;
  try {
    await section('per-reading', 'Per-reading work against fleet size (ours vs the original pattern)', () =>
      perReadingBench({
        endpoint: db!.endpoint,
        dynamoDbPid: db!.pid,
        fleetSizes: options.fleetSizes,
        readingsPerPrinter: options.readingsPerPrinter,
        originalItemsScannedBudget: options.quick ? 100_000 : 400_000,
        runs: options.runs,
        largeRuns: options.largeRuns,
        progress: log,
      }),
    );
    await section('ingest', 'Ingest paths side by side: single readings, batches of 10, stream', () =>
      ingestBench({
        endpoint: db!.endpoint,
        fleetSize: options.quick ? 200 : 1000,
        readingsPerPrinter: 20,
        smallFleetSize: options.quick ? 25 : 50,
        runs: options.runs,
        progress: log,
      }),
    );
    await section('e2e', 'End to end on the twin', () =>
      e2eBench({
        fleetSize: options.quick ? 100 : 1000,
        readingsPerPrinter: options.quick ? 20 : 10,
        latencyReadingsPerPrinter: options.quick ? 10 : 2,
        runs: options.runs,
        rawDurationMs: options.quick ? 1500 : 3000,
        progress: log,
      }),
    );
    await section('e2e-batched', 'End to end on the twin: batches of 10 vs single readings', () =>
      batchedE2eBench({
        fleetSize: options.quick ? 100 : 500,
        readingsPerPrinter: options.quick ? 20 : 20,
        runs: options.runs,
        progress: log,
      }),
    );
    await section('ranking', 'Top-10 ranking: GSI Query vs Scan + sort', () =>
      rankingBench({
        endpoint: db!.endpoint,
        fleetSizes: options.quick ? [1000, 10_000] : [1000, 10_000, 100_000],
        runs: options.quick ? 1 : Math.max(3, options.runs),
        progress: log,
      }),
    );
    await section('alarms', 'Alarms: every option on, the sweep and the listings', () =>
      alarmsBench({
        endpoint: db!.endpoint,
        fleetSizes: options.fleetSizes,
        readingsPerRun: options.quick ? 2000 : 3000,
        minReadingsPerPrinter: 1,
        stateReadings: options.quick ? 2000 : 10_000,
        routeFleetSizes: options.quick ? [1000, 10_000] : [1000, 100_000],
        runs: options.runs,
        progress: log,
      }),
    );
    await section('history-write', 'History in the write (TransactWriteItems) vs after it (outbox), every option on', () =>
      historyWriteBench({
        endpoint: db!.endpoint,
        fleetSizes: options.quick ? [100, 1000] : [100, 1000, 10_000],
        readingsPerRun: options.quick ? 2000 : 3000,
        runs: options.runs,
        log,
      }),
    );
    await section('bundle', 'Lambda bundle: size and cold module load', () =>
      bundleBench({ spawns: options.quick ? 3 : Math.max(7, options.runs), progress: log }),
    );
  } finally {
    await db?.close();
  }

  const results = readResults(options.out);
  if (results.perReading) {
    const p = results.perReading;
    const caption = `npm run bench · ${p.context.machine.date.slice(0, 10)} · medians of ${p.runs} run(s) (${fmt(LARGE_FLEET)}+ printers: ${p.largeRuns}) · ${p.readingsPerPrinter} readings per printer · dynalite, not AWS\n${describeMachine(p.context.machine)}`;
    writeFileSync(join(options.out, 'fleet.svg'), fleetChart(p, caption));
  }
  writeFileSync(join(options.out, 'summary.md'), summaryMarkdown(results));
  const page = options.out === DEFAULT_RESULTS ? PERFORMANCE_PAGE : join(options.out, 'performance.md');
  writeFileSync(page, performancePage(results));
  log('');
  log('## Targets');
  for (const check of checkTargets(results)) {
    log(
      `  ${check.reported ? 'INFO   ' : check.met === undefined ? 'PENDING' : check.met ? 'MET    ' : 'MISSED '} ${check.target}: ${check.measured}`,
    );
  }
  log('');
  log(`summary: ${relative(process.cwd(), join(options.out, 'summary.md'))}`);
  log(`page: ${relative(process.cwd(), page)}`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(2);
  }
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
