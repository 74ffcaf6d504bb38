/** The per-reading section's targets (`docs/performance.md`), from `per-reading.json`. */
import type { PerReadingResult } from './per-reading.ts';
import { fmt } from './stats.ts';
import { HANDLER_CPU, REQUESTS_PER_READING, type TargetCheck } from './targets.ts';

export function perReadingTargets(p: PerReadingResult): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const rows = p.rows;
  const values = rows.map((row) => row.ours.requestsPerReading);
  const max = Math.max(...values);
  const min = Math.min(...values);
  const { max: limit, flatWithin } = REQUESTS_PER_READING;
  checks.push({
    target: `DynamoDB requests per reading <= ${limit}, flat from 10 to 10,000 printers`,
    measured:
      `${min.toFixed(3)}–${max.toFixed(3)} at ${rows.map((row) => fmt(row.fleetSize)).join(' / ')} printers` +
      `${Math.max(...rows.map((row) => row.fleetSize)) < 10_000 ? ' (10,000 not in this run)' : ''} (original: 3.000, plus a Scan reading every item)`,
    met: max <= limit && max - min <= flatWithin * min,
    ...(max > limit
      ? {
          why:
            `one UpdateItem per reading plus one GetItem per printer per container: 1 + 1/${p.readingsPerPrinter} readings per printer = ` +
            `${(1 + 1 / p.readingsPerPrinter).toFixed(3)}; the target needs at least ${Math.ceil(1 / (limit - 1))} readings per printer per container`,
        }
      : {}),
  });

  const at = rows.find((row) => row.fleetSize === HANDLER_CPU.fleetSize);
  const bare = at?.bareUpdate;
  const cpuTarget = `Handler CPU per reading at ${fmt(HANDLER_CPU.fleetSize)} printers <= ${HANDLER_CPU.maxRatio}x a bare SDK UpdateItem (same client, same run; the embedded DynamoDB's CPU not counted)`;
  if (at && bare && at.ratio.cpuVsBareUpdate !== null) {
    const ours = at.ours.cpuMsPerReading.handler;
    // From the medians, not the rounded ratio in the JSON, so that 1.504x does not pass as 1.5x.
    const ratio = ours / bare.cpuMsPerReading.handler;
    checks.push({
      target: cpuTarget,
      measured:
        `${fmt(ratio, 2)}x (${ours} vs ${bare.cpuMsPerReading.handler} ms of the bench process per reading; ` +
        `dynalite's own process: ${at.ours.cpuMsPerReading.dynamoDb ?? '?'} vs ${bare.cpuMsPerReading.dynamoDb ?? '?'} ms)`,
      met: ratio <= HANDLER_CPU.maxRatio,
      ...(ratio > HANDLER_CPU.maxRatio
        ? {
            why:
              `the handler adds ${fmt(ours - bare.cpuMsPerReading.handler, 3)} ms per reading to the bare call's ${bare.cpuMsPerReading.handler} ms ` +
              `(${at.ours.requestsPerReading.toFixed(3)} requests per reading against 1; the detector, its logs and metrics, ` +
              `${fmt(at.ours.logBytesPerReading)} bytes of log per reading, and the anomaly events published to the in-process IoT Data endpoint, ` +
              `${(at.ours.eventsPerReading * 100).toFixed(1)}% of readings, whose server side is counted too)`,
          }
        : {}),
    });
  } else {
    checks.push({
      target: cpuTarget,
      measured: `not measured (no ${fmt(HANDLER_CPU.fleetSize)}-printer row with the bare UpdateItem)`,
      met: undefined,
    });
  }

  if (at) {
    checks.push({
      target: `Single readings: throughput against the original pattern at ${fmt(at.fleetSize)} printers (reported; the 20x target is for batches)`,
      measured:
        `${fmt(at.ratio.readingsPerSecond, 1)}x (${fmt(at.ours.readingsPerSecond)} vs ${fmt(at.original.readingsPerSecond, 1)} readings/s; ` +
        `runs ${at.ratio.readingsPerSecondRange[0]}–${at.ratio.readingsPerSecondRange[1]}x; CPU per reading, both processes: ${at.ratio.cpuPerReading ?? '?'}x)` +
        (bare ? `; a bare UpdateItem loop in the same run: ${fmt(bare.readingsPerSecond)}/s` : ''),
      met: undefined,
      reported: true,
    });
  }
  return checks;
}
