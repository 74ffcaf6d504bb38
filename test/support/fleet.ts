/**
 * A generated fleet for load and fault tests: profiles, readings with seq,
 * and the independent model's expectation for them.
 */
import { originalModelProfile, originalValue } from './profiles.ts';
import { readFileSync } from 'node:fs';
import type { ProfileInput } from '../../contract/index.ts';
import { fleetProfiles, generateReadings, type GeneratedReading } from '../../emitter/generate.ts';
import { runModel, type ModelProfile } from './model.ts';

export interface Fleet {
  readonly profiles: ProfileInput[];
  readonly readings: GeneratedReading[];
  readonly expected: ReturnType<typeof runModel>;
}

/** `printers` printers sharing `readings` readings, deterministic for a seed. */
export function makeFleet(printers: number, readings: number, seed: number): Fleet {
  const base = JSON.parse(readFileSync(new URL('../../data/printer_profiles.json', import.meta.url), 'utf8')) as ProfileInput[];
  const profiles = fleetProfiles(base, printers, seed);
  const stream = generateReadings({ profiles, printers, readings, seed });
  const model: Record<string, ModelProfile> = {};
  for (const p of profiles) model[p.PrinterId] = originalModelProfile(p);
  const expected = runModel(
    model,
    stream.map((r) => ({ printerId: r.PrinterId, value: originalValue(r), seq: r.seq })),
  );
  return { profiles, readings: stream, expected };
}

/** Splits readings between `clients` so that each printer's readings stay on one client, in order. */
export function partitionByPrinter<T extends { PrinterId: string }>(readings: readonly T[], clients: number): T[][] {
  const groups: T[][] = Array.from({ length: clients }, () => []);
  const clientOf = new Map<string, number>();
  for (const r of readings) {
    let client = clientOf.get(r.PrinterId);
    if (client === undefined) {
      client = clientOf.size % clients;
      clientOf.set(r.PrinterId, client);
    }
    groups[client]!.push(r);
  }
  return groups;
}

/** Final counts per printer as stored, for comparison with the model. */
export function countsOf(items: readonly Record<string, unknown>[]): Record<string, { outOfBoundsCount: number; eventCount: number }> {
  const counts: Record<string, { outOfBoundsCount: number; eventCount: number }> = {};
  for (const item of items) {
    counts[String(item['PrinterId'])] = { outOfBoundsCount: Number(item['OutOfBoundsCount']), eventCount: Number(item['EventCount']) };
  }
  return counts;
}

/** Samples the process's resident memory; `stop()` returns the peak in MiB. */
export function sampleRss(intervalMs = 100) {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, intervalMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      return Math.round(peak / 2 ** 20);
    },
  };
}
