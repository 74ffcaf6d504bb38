/**
 * The short tag a printer's item keeps of a request id (`RecentRequests`,
 * `RequestEntries`: `docs/design.md`, "Guarantees"): 64-bit FNV-1a of its
 * UTF-8 bytes in base 36, 13 characters, a third of a Lambda request id, so
 * that the list costs the item a third of the bytes (write units are billed
 * per KB of item). Two of a printer's latest requests sharing a tag is a
 * chance of about 1 in 10^17 per reading. Pure.
 */
const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = (1n << 64n) - 1n;
const encoder = new TextEncoder();

export function requestTag(requestId: string): string {
  let hash = OFFSET;
  for (const byte of encoder.encode(requestId)) hash = ((hash ^ BigInt(byte)) * PRIME) & MASK;
  return hash.toString(36).padStart(13, '0');
}
