/**
 * Positions in a Kinesis shard. A printer's records all go to one shard
 * (partition key: PrinterId), in order; the item keeps the sequence number of
 * the last record applied, so that records Lambda delivers again (after a
 * partial batch failure, or a retry) are recognised and skipped. Pure.
 */

/** Orders two Kinesis sequence numbers (decimal strings of up to 128 digits, no leading zeros). */
export function compareSequenceNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether the record at `sequence` comes after the last one applied (`last`), so it is new to the printer. */
export function isAfter(sequence: string, last: string | undefined): boolean {
  return last === undefined || compareSequenceNumbers(sequence, last) > 0;
}
