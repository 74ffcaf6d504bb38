/**
 * The bench's fleet and its readings: deterministic (seeded), so that both
 * designs and every run see exactly the same readings.
 *
 * Each printer follows a two-state process: normally its value stays inside
 * its thresholds (with rare single-reading spikes); now and then it enters a
 * fault and stays above its upper threshold for a while (mean ten readings).
 * Anomaly events are therefore rare, as they are in a healthy fleet; the bench
 * reports the resulting event rate because the handler's request count
 * depends on it.
 */
import { readFileSync } from 'node:fs';
import { BatchWriteItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** A printer profile as the original `put-item` commands write it. */
export interface BenchProfile {
  readonly PrinterId: string;
  readonly lower: number;
  readonly upper: number;
  readonly window: number;
}

/** A reading payload as printers publish it on `anom/detect` (SPEC section 1). */
export interface BenchReading {
  readonly PrinterId: string;
  readonly data: { readonly value: number };
  readonly timestamp: number;
  readonly seq: number;
}

export interface WorkloadOptions {
  /** Chance per reading that a healthy printer enters a fault. @default 0.01 */
  readonly faultRate?: number;
  /** Chance per reading that a faulty printer recovers. @default 0.1 */
  readonly recoveryRate?: number;
  /** Chance per reading of a single out-of-bounds spike. @default 0.01 */
  readonly spikeRate?: number;
  /** @default 1 */
  readonly seed?: number;
}

interface Template {
  readonly lower: number;
  readonly upper: number;
  readonly window: number;
}

const PROFILES_FILE = new URL('../data/printer_profiles.json', import.meta.url);

/** The project's sample profiles: the fleet cycles through their thresholds and windows. */
function templates(): Template[] {
  const raw = JSON.parse(readFileSync(PROFILES_FILE, 'utf8')) as {
    Thresholds: { Lower: number; Upper: number };
    Window: number;
  }[];
  return raw.map((p) => ({ lower: p.Thresholds.Lower, upper: p.Thresholds.Upper, window: p.Window }));
}

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `Printer1` .. `PrinterN`, cycling through the sample profiles. */
export function fleetProfiles(size: number): BenchProfile[] {
  const t = templates();
  return Array.from({ length: size }, (_, i) => {
    const { lower, upper, window } = t[i % t.length]!;
    return { PrinterId: `Printer${i + 1}`, lower, upper, window };
  });
}

/** The item the original `aws dynamodb put-item` command writes for a profile. */
export function profileItem(p: BenchProfile): Record<string, AttributeValue> {
  return {
    PrinterId: { S: p.PrinterId },
    Thresholds: { M: { Lower: { N: String(p.lower) }, Upper: { N: String(p.upper) } } },
    Window: { N: String(p.window) },
    OutOfBoundsCount: { N: '0' },
    EventCount: { N: '0' },
  };
}

export interface Workload {
  /** Interleaved round-robin: reading j of every printer before reading j+1 of any. */
  readonly readings: BenchReading[];
  /** Anomaly events the original semantics produce for all of `readings`. */
  readonly expectedEvents: number;
  /** Expected events within the first `n` readings. */
  expectedEventsWithin(n: number): number;
  /** Index of the reading that causes each event, keyed `PrinterId#events` (the event's new EventCount). */
  readonly eventCauses: ReadonlyMap<string, number>;
}

/** Key of an anomaly event in {@link Workload.eventCauses}. */
export const eventKey = (printerId: string, events: number) => `${printerId}#${events}`;

/** The profiles as the twin and the profiles file take them. */
export function profileInputs(profiles: readonly BenchProfile[]) {
  return profiles.map((p) => ({ PrinterId: p.PrinterId, Thresholds: { Lower: p.lower, Upper: p.upper }, Window: p.window }));
}

/** `perPrinter` readings for every printer, with seq 1.. and timestamps 1 s apart. */
export function generateWorkload(profiles: readonly BenchProfile[], perPrinter: number, options: WorkloadOptions = {}): Workload {
  const faultRate = options.faultRate ?? 0.01;
  const recoveryRate = options.recoveryRate ?? 0.1;
  const spikeRate = options.spikeRate ?? 0.01;
  const random = prng(options.seed ?? 1);
  const base = Date.UTC(2026, 10, 21, 10, 0, 0);
  const faulty = new Array<boolean>(profiles.length).fill(false);
  const oob = new Array<number>(profiles.length).fill(0);
  const readings: BenchReading[] = [];
  /** Cumulative event count after each reading. */
  const eventsAfter: number[] = [];
  const eventCounts = new Array<number>(profiles.length).fill(0);
  const eventCauses = new Map<string, number>();
  let events = 0;
  for (let j = 0; j < perPrinter; j += 1) {
    for (let i = 0; i < profiles.length; i += 1) {
      const p = profiles[i]!;
      const span = p.upper - p.lower;
      faulty[i] = faulty[i] ? random() >= recoveryRate : random() < faultRate;
      const spike = !faulty[i] && random() < spikeRate;
      const value = faulty[i] || spike ? p.upper + span * (0.05 + 0.3 * random()) : p.lower + span * (0.1 + 0.8 * random());
      const rounded = Math.round(value * 100) / 100;
      readings.push({ PrinterId: p.PrinterId, data: { value: rounded }, timestamp: base + j * 1000 + i, seq: j + 1 });
      // The original semantics (SPEC section 2), to check what each design counted.
      const out = rounded < p.lower || rounded > p.upper;
      oob[i] = out ? oob[i]! + 1 : 0;
      if (oob[i]! >= p.window) {
        events += 1;
        oob[i] = 0;
        eventCounts[i] = eventCounts[i]! + 1;
        eventCauses.set(eventKey(p.PrinterId, eventCounts[i]!), readings.length - 1);
      }
      eventsAfter.push(events);
    }
  }
  return {
    readings,
    expectedEvents: events,
    expectedEventsWithin: (n) => (n <= 0 ? 0 : eventsAfter[Math.min(n, eventsAfter.length) - 1]!),
    eventCauses,
  };
}

/**
 * Writes items with BatchWriteItem (25 per request, `concurrency` requests in
 * flight), resending unprocessed items. Returns the seconds it took.
 */
export async function batchWrite(
  client: DynamoDBClient,
  tableName: string,
  items: readonly Record<string, AttributeValue>[],
  concurrency = 8,
): Promise<number> {
  const started = performance.now();
  const batches: Record<string, AttributeValue>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let next = 0;
  async function worker(): Promise<void> {
    while (next < batches.length) {
      let pending = batches[next++]!.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > 20) throw new Error(`BatchWriteItem left ${pending.length} items unprocessed`);
        const { UnprocessedItems } = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
        pending = (UnprocessedItems?.[tableName] ?? []) as typeof pending;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (performance.now() - started) / 1000;
}
