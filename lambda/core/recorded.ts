/**
 * What a printer's item records of its latest writes of readings: the tags
 * of their request ids and the outbox entries they counted
 * (`docs/design.md`, "Guarantees"). Pure.
 */
import { requestTag } from './request-tag.ts';
import type { StoredPrinter } from './types.ts';

/** Whether the item records a write of this request id: a redelivery of an invocation whose write went through. */
export function wroteBefore(printer: StoredPrinter, requestId: string): boolean {
  const tag = requestTag(requestId);
  return Object.hasOwn(printer.state.recorded ?? {}, tag) || printer.state.requests?.includes(tag) === true;
}

/** The entries the printer's latest write counted, as recorded (none when it counted none). */
export function latestEntries(printer: StoredPrinter): readonly string[] {
  const latest = printer.state.requests?.at(-1);
  const recorded = printer.state.recorded ?? {};
  if (latest !== undefined) return recorded[latest] ?? [];
  // An item written before request ids were listed: its one recorded write is the latest that recorded any.
  return Object.values(recorded)[0] ?? [];
}
