/**
 * Validation of a reading payload (`docs/design.md`, "Data formats"). Pure: the payload as the
 * IoT rule hands it over (an object, or raw text/bytes) -> a reading or a
 * one-line reason.
 */
import { MAX_PAYLOAD_BYTES, MAX_PRINTER_ID_LENGTH } from '../../contract/index.ts';
import type { Reading } from './detector.ts';
import { isRecord } from '../../common/guards.ts';

export type ParsedReading =
  | { readonly ok: true; readonly reading: Reading }
  | { readonly ok: false; readonly reason: string; readonly printerId?: string };

// C0 and C1 control characters, DEL included.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: ids must not hold them.
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function invalid(reason: string, printerId?: string): ParsedReading {
  return printerId === undefined ? { ok: false, reason } : { ok: false, reason, printerId };
}

function own(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

function decode(payload: unknown): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
    let size: number;
    try {
      size = Buffer.byteLength(JSON.stringify(payload) ?? '');
    } catch {
      return { ok: false, reason: 'payload is not serialisable JSON' };
    }
    return size > MAX_PAYLOAD_BYTES
      ? { ok: false, reason: `payload is ${size} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit` }
      : { ok: true, value: payload };
  }
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_PAYLOAD_BYTES) {
    return { ok: false, reason: `payload is ${size} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit` };
  }
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
}

/** Reads a printer id the way the reading gives it, or a reason it is unusable. */
export function checkPrinterId(value: unknown): { ok: true; id: string } | { ok: false; reason: string } {
  if (typeof value !== 'string') return { ok: false, reason: 'PrinterId must be a string' };
  if (value.length === 0) return { ok: false, reason: 'PrinterId must not be empty' };
  if (value.length > MAX_PRINTER_ID_LENGTH) {
    return { ok: false, reason: `PrinterId is ${value.length} characters, over ${MAX_PRINTER_ID_LENGTH}` };
  }
  if (CONTROL_CHARACTERS.test(value)) return { ok: false, reason: 'PrinterId contains control characters' };
  return { ok: true, id: value };
}

function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? value : undefined;
  }
  if (typeof value === 'string' && ISO_8601.test(value)) {
    const ms = Date.parse(value);
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}

/** Validates one reading payload. Never throws. */
export function parseReading(payload: unknown): ParsedReading {
  const decoded = decode(payload);
  if (!decoded.ok) return invalid(decoded.reason);
  const body = decoded.value;
  if (!isRecord(body))
    return invalid(`payload must be a JSON object, got ${Array.isArray(body) ? 'an array' : body === null ? 'null' : typeof body}`);

  const rawId = own(body, 'PrinterId');
  const id = checkPrinterId(rawId);
  if (!id.ok) return invalid(id.reason);
  const printerId = id.id;

  const data = own(body, 'data');
  if (!isRecord(data)) return invalid('data must be an object with a numeric value', printerId);
  const value = own(data, 'value');
  if (typeof value !== 'number') {
    return invalid(
      `data.value must be a number, got ${value === null ? 'null' : value === undefined ? 'nothing' : typeof value}`,
      printerId,
    );
  }
  if (!Number.isFinite(value)) return invalid('data.value must be finite', printerId);

  let seq: number | undefined;
  if (Object.hasOwn(body, 'seq')) {
    const rawSeq = body['seq'];
    if (typeof rawSeq !== 'number' || !Number.isSafeInteger(rawSeq) || rawSeq < 0) {
      return invalid('seq must be a non-negative integer', printerId);
    }
    seq = rawSeq;
  }

  let timestamp: number | undefined;
  if (Object.hasOwn(body, 'timestamp')) {
    timestamp = parseTimestamp(body['timestamp']);
    if (timestamp === undefined) {
      return invalid('timestamp must be epoch milliseconds or an ISO-8601 string', printerId);
    }
  }

  return {
    ok: true,
    reading: {
      printerId,
      value,
      ...(seq !== undefined ? { seq } : {}),
      ...(timestamp !== undefined ? { timestamp } : {}),
    },
  };
}
