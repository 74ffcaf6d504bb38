/**
 * Reading a stored profile item (already converted to plain JS values) into
 * the detector's state. Pure. A profile that breaks the profile rules (`docs/design.md`, "Data formats")
 * is a configuration error for that printer, reported with a one-line reason.
 */
import { ATTR } from '../../contract/index.ts';
import type { PrinterState } from './detector.ts';
import { isRecord } from '../../common/guards.ts';

/** A printer as stored: detector state plus the bookkeeping the handler needs. */
export interface StoredPrinter {
  readonly state: PrinterState;
  /** Anomaly events whose publish failed, not yet published (JSON, as stored). */
  readonly pendingEvents: readonly string[];
  /** The events the latest event-counting write recorded (JSON, as published): one, or a batch's. */
  readonly lastEvents: readonly string[];
  /** Invocation id of the reading that produced the latest event. */
  readonly lastEventRequestId?: string;
}

export type ParsedProfile = { readonly ok: true; readonly printer: StoredPrinter } | { readonly ok: false; readonly reason: string };

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Validates a profile item; never throws. */
export function parseProfile(item: Record<string, unknown>): ParsedProfile {
  const printerId = item[ATTR.printerId];
  if (typeof printerId !== 'string') return { ok: false, reason: 'PrinterId is not a string' };

  const thresholds = item[ATTR.thresholds];
  if (!isRecord(thresholds)) return { ok: false, reason: 'Thresholds is missing or not a map' };
  const lower = thresholds[ATTR.lower];
  const upper = thresholds[ATTR.upper];
  if (typeof lower !== 'number' || !Number.isFinite(lower)) return { ok: false, reason: 'Thresholds.Lower is missing or not a number' };
  if (typeof upper !== 'number' || !Number.isFinite(upper)) return { ok: false, reason: 'Thresholds.Upper is missing or not a number' };
  if (lower > upper) return { ok: false, reason: `Thresholds.Lower (${lower}) is above Thresholds.Upper (${upper})` };

  const window = item[ATTR.window];
  if (typeof window !== 'number' || !Number.isSafeInteger(window) || window < 1) {
    return { ok: false, reason: `Window must be an integer >= 1, got ${JSON.stringify(window) ?? 'nothing'}` };
  }

  const outOfBoundsCount = item[ATTR.outOfBoundsCount] ?? 0;
  if (!isCount(outOfBoundsCount)) return { ok: false, reason: 'OutOfBoundsCount must be a non-negative integer' };
  const eventCount = item[ATTR.eventCount] ?? 0;
  if (!isCount(eventCount)) return { ok: false, reason: 'EventCount must be a non-negative integer' };

  const lastSeq = item[ATTR.lastSeq];
  const lastTimestamp = item[ATTR.lastTimestamp];
  const lastStreamSequence = item[ATTR.lastStreamSequence];
  const pendingEvents = item[ATTR.pendingEvents];
  const lastEventRequestId = item[ATTR.lastEventRequestId];
  const lastEvent = item[ATTR.lastEvent];

  const state: PrinterState = {
    printerId,
    lower,
    upper,
    window,
    outOfBoundsCount,
    eventCount,
    ...(typeof lastSeq === 'number' ? { lastSeq } : {}),
    ...(typeof lastTimestamp === 'number' ? { lastTimestamp } : {}),
    ...(typeof lastStreamSequence === 'string' ? { lastStreamSequence } : {}),
  };
  return {
    ok: true,
    printer: {
      state,
      pendingEvents: pendingEvents instanceof Set ? [...pendingEvents].filter((e): e is string => typeof e === 'string') : [],
      lastEvents: typeof lastEvent === 'string' ? recordedEvents(lastEvent) : [],
      ...(typeof lastEventRequestId === 'string' ? { lastEventRequestId } : {}),
    },
  };
}

/**
 * `LastEvent` holds one event's JSON, or a JSON array of a batch's events:
 * either way, the events' JSON one by one (as published).
 */
function recordedEvents(lastEvent: string): string[] {
  if (!lastEvent.startsWith('[')) return [lastEvent];
  try {
    const events = JSON.parse(lastEvent) as unknown;
    return Array.isArray(events) ? events.map((event) => JSON.stringify(event)) : [lastEvent];
  } catch {
    return [lastEvent];
  }
}
