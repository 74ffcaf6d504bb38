/**
 * The bench's fleet and its readings, from the one generator
 * (`emitter/generate.ts`): deterministic (seeded), so that both designs and
 * every run see exactly the same readings. The fleet is the sample profiles
 * (`data/printer_profiles.json`), then derived ones. The readings come
 * round-robin (reading j of every printer before reading j+1 of any) from a
 * healthy fleet: an anomaly starts with a small chance per reading
 * ({@link ANOMALY_RATE}), so events are rare; the bench reports the resulting
 * event rate because the handler's work depends on it. The events the
 * backend must count are computed by the detector itself (`emitter/expected.ts`).
 */
import { readFileSync } from 'node:fs';
import { BatchWriteItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ATTR, type ProfileInput } from '../contract/index.ts';
import { expectedVerdicts } from '../emitter/expected.ts';
import { fleetProfiles, generateReadings, type GeneratedReading } from '../emitter/generate.ts';
import { parseProfiles } from '../lambda/core/profile-input.ts';

const PROFILES_FILE = new URL('../data/printer_profiles.json', import.meta.url);

/**
 * Chance per reading of normal operation that a printer's anomaly starts:
 * about 1.3 % of readings complete a window (an event), about 20 % are out of
 * bounds (each costs the handler the same single UpdateItem as one in bounds).
 */
export const ANOMALY_RATE = 0.04;

/** Epoch ms of the first reading. */
const START_TIME = Date.UTC(2026, 10, 21, 10, 0, 0);

/** The project's sample profiles, validated as `npm run seed` validates them. */
export function sampleProfiles(): ProfileInput[] {
  return parseProfiles(JSON.parse(readFileSync(PROFILES_FILE, 'utf8')));
}

/** The item the original `aws dynamodb put-item` command writes for a profile. */
export function profileItem(p: ProfileInput): Record<string, AttributeValue> {
  return {
    [ATTR.printerId]: { S: p.PrinterId },
    [ATTR.thresholds]: { M: { [ATTR.lower]: { N: String(p.Thresholds.Lower) }, [ATTR.upper]: { N: String(p.Thresholds.Upper) } } },
    [ATTR.window]: { N: String(p.Window) },
    [ATTR.outOfBoundsCount]: { N: '0' },
    [ATTR.eventCount]: { N: '0' },
  };
}

export interface Workload {
  readonly profiles: readonly ProfileInput[];
  /** Interleaved round-robin: reading j of printer i is `readings[j * profiles.length + i]`, with seq j + 1. */
  readonly readings: readonly GeneratedReading[];
  /** Anomaly events the detector produces for all of `readings`. */
  readonly expectedEvents: number;
  /** Expected events within the first `n` readings. */
  expectedEventsWithin(n: number): number;
  /** Index of the reading that causes each event, keyed `PrinterId#events` (the event's new EventCount). */
  readonly eventCauses: ReadonlyMap<string, number>;
}

/** Key of an anomaly event in {@link Workload.eventCauses}. */
export const eventKey = (printerId: string, events: number) => `${printerId}#${events}`;

/** `perPrinter` readings for each of `printers` printers (seeded: the fleet's derived profiles too). */
export function generateWorkload(printers: number, perPrinter: number, seed: number): Workload {
  const profiles = fleetProfiles(sampleProfiles(), printers, seed);
  const readings = generateReadings({
    profiles,
    readings: printers * perPrinter,
    seed,
    order: 'round-robin',
    anomalyRate: ANOMALY_RATE,
    startTime: START_TIME,
  });
  /** Cumulative event count after each reading. */
  const eventsAfter = new Array<number>(readings.length).fill(0);
  const eventCauses = new Map<string, number>();
  for (const { index, reading, verdict } of expectedVerdicts(profiles, readings)) {
    if (verdict.applied && verdict.event) {
      eventsAfter[index] = 1;
      eventCauses.set(eventKey(reading.PrinterId, verdict.next.eventCount), index);
    }
  }
  for (let i = 1; i < eventsAfter.length; i += 1) eventsAfter[i]! += eventsAfter[i - 1]!;
  return {
    profiles,
    readings,
    expectedEvents: eventCauses.size,
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
