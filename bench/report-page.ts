/** `docs/performance.md` from the results present: what the README's table of docs pages links to. */
import { describeMachine } from './machine.ts';
import { ingestTable } from './report-ingest.ts';
import { checkTargets, type Results, rerun, whyLines } from './report.ts';
import { fmt } from './stats.ts';
import { type TargetCheck, verdict } from './targets.ts';

/** Each target as a list item, so that no line of the page is a table row wider than a terminal. */
function targetList(checks: readonly TargetCheck[]): string[] {
  return checks.flatMap((c) => [`- ${c.target}: ${verdict(c)}`, `  - measured: ${c.measured}`]);
}

/**
 * `docs/performance.md`, written by every run from the JSON results present
 * (links relative to `docs/`). The README's table of docs pages points at it.
 */
export function performancePage(r: Results): string {
  const out: string[] = [
    '# Performance',
    '',
    '<!-- Written by `npm run bench` from `bench/results/*.json` (`npm run bench -- --report-only` rewrites it); do not edit. -->',
    '',
  ];
  if (r.perReading) {
    const machine = r.perReading.context.machine;
    out.push(
      `Measured by \`npm run bench\` on ${describeMachine(machine)}, against the embedded DynamoDB (medians of several runs;`,
      'full results and method in [bench/results/summary.md](../bench/results/summary.md)). Per reading, this design makes one guarded',
      'write (plus one GetItem per printer per container); the original made a GetItem, an UpdateItem and a Scan of the whole table.',
      '',
      'Per reading, against fleet size; each cell is ours / the original:',
      '',
      '| printers | DynamoDB requests per reading | items read per reading | readings/s | throughput ratio |',
      '|---:|---:|---:|---:|---:|',
      ...r.perReading.rows.map(
        (row) =>
          `| ${fmt(row.fleetSize)} | ${row.ours.requestsPerReading.toFixed(3)} / ${row.original.requestsPerReading.toFixed(3)} | ${row.ours.itemsReadPerReading.toFixed(3)} / ${fmt(row.original.itemsReadPerReading)} | ` +
          `${fmt(row.ours.readingsPerSecond)} / ${fmt(row.original.readingsPerSecond, 1)} | ${fmt(row.ratio.readingsPerSecond, 1)}x |`,
      ),
      '',
      '![DynamoDB requests per reading and readings per second against fleet size](../bench/results/fleet.svg)',
      '',
    );
  }
  if (r.ingest)
    out.push(
      'The three ingest paths, side by side at the same fleet (batches of 10; stream batches of up to 500 records):',
      '',
      ...ingestTable(r.ingest),
      '',
    );
  const checks = checkTargets(r);
  const runs = Object.entries(r)
    .filter(([, v]) => v !== undefined)
    .map(([name, v]) => `${name} ${v!.context.machine.date.slice(0, 10)} (load ${v!.context.loadAverage.start.toFixed(1)})`);
  out.push(
    '## Targets',
    '',
    `Sections are rerun one at a time (\`--only\`); when each ran, with the 1-minute load average on 2 cores: ${runs.join(', ')}.`,
    '',
    ...targetList(checks),
    '',
    ...whyLines(checks),
  );
  out.push('## Rerun', '', ...rerun(), '', 'What one million readings cost on AWS, for both designs: [cost.md](cost.md).', '');
  return out.join('\n');
}
