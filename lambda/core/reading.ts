/**
 * Validation of what printers publish (`docs/design.md`, "Data formats"):
 * a single reading or a batched message of one printer's readings. Pure: the
 * payload as the IoT rule hands it over (an object, or raw text/bytes) -> the
 * readings, or a one-line reason. A reading keeps all its metrics, valid or
 * not: which ones matter depends on the printer's profile, so the detector
 * decides (`detector.ts`).
 */
import { isRecord } from '../../common/guards.ts';
import {
  MAX_BATCH_BYTES,
  MAX_BATCH_READINGS,
  MAX_METRIC_NAME_LENGTH,
  MAX_PAYLOAD_BYTES,
  MAX_PRINTER_ID_LENGTH,
  SENDER_FIELD,
  isStorableNumber,
  unstorableReason,
} from '../../contract/index.ts';
import type { Reading } from './types.ts';

export type ParsedReading =
  | {
      readonly ok: true;
      readonly reading: Reading;
      /** The sending connection's client id, when the rule added it (device identity mode `thing`). */
      readonly sender?: string;
    }
  | { readonly ok: false; readonly reason: string; readonly printerId?: string };

/** A batched message's element that is skipped, with its place (0-based) and reason. */
export interface InvalidElement {
  readonly index: number;
  readonly reason: string;
}

/**
 * What a message holds: one printer's readings in order (one for a single
 * reading, a batch's valid ones otherwise) and a batch's skipped elements.
 */
export type ParsedMessage =
  | {
      readonly ok: true;
      readonly kind: 'single' | 'batch';
      readonly printerId: string;
      readonly readings: readonly Reading[];
      readonly invalid: readonly InvalidElement[];
      readonly sender?: string;
    }
  | { readonly ok: false; readonly reason: string; readonly printerId?: string };

// C0 and C1 control characters, DEL included.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: ids must not hold them.
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

type Failure = { readonly ok: false; readonly reason: string; readonly printerId?: string };

function invalid(reason: string, printerId?: string): Failure {
  return printerId === undefined ? { ok: false, reason } : { ok: false, reason, printerId };
}

function own(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

const overLimit = (size: number, limit: number, what: string) => `${what} is ${size} bytes, over the ${limit}-byte limit`;

/** Decodes a payload of at most `limit` bytes (as received, or as JSON for an object the rule parsed). */
function decode(payload: unknown, limit: number): { ok: true; value: unknown; size: number } | Failure {
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
    let size: number;
    try {
      size = Buffer.byteLength(JSON.stringify(payload) ?? '');
    } catch (error) {
      // JSON.stringify recurses: a payload nested tens of thousands deep overflows the stack.
      return invalid(error instanceof RangeError ? 'payload is nested too deeply' : 'payload is not serialisable JSON');
    }
    return size > limit ? invalid(overLimit(size, limit, 'payload')) : { ok: true, value: payload, size };
  }
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > limit) return invalid(overLimit(size, limit, 'payload'));
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text), size };
  } catch {
    return invalid('payload is not JSON');
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
    return isStorableNumber(value) && value >= 0 ? value : undefined;
  }
  if (typeof value === 'string' && ISO_8601.test(value)) {
    const ms = Date.parse(value);
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}

/** Why a metric name is unusable, or undefined when it is fine. */
function metricNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'data has a metric with an empty name';
  if (name.length > MAX_METRIC_NAME_LENGTH) {
    return `data has a metric name of ${name.length} characters, over ${MAX_METRIC_NAME_LENGTH}`;
  }
  if (CONTROL_CHARACTERS.test(name)) return 'data has a metric name with control characters';
  return undefined;
}

/** Why a metric's value is unusable, or undefined when it is a number DynamoDB can store (`isStorableNumber`). */
function metricValueProblem(name: string, value: unknown): string | undefined {
  if (typeof value !== 'number') {
    return `data.${name} must be a number, got ${value === null ? 'null' : value === undefined ? 'nothing' : typeof value}`;
  }
  return unstorableReason(`data.${name}`, value);
}

/**
 * The metrics of `data`: the finite ones, and the others with their reasons
 * (the detector decides whether an invalid one matters: only a monitored one
 * does). Built with `Object.fromEntries` so that a metric called `__proto__`
 * is an ordinary key.
 */
function readMetrics(data: Record<string, unknown>): { metrics: Record<string, number>; invalidMetrics: Record<string, string> } {
  const metrics: [string, number][] = [];
  const invalidMetrics: [string, string][] = [];
  for (const [name, value] of Object.entries(data)) {
    const problem = metricNameProblem(name) ?? metricValueProblem(name, value);
    if (problem === undefined) metrics.push([name, value as number]);
    else invalidMetrics.push([name, problem]);
  }
  return { metrics: Object.fromEntries(metrics), invalidMetrics: Object.fromEntries(invalidMetrics) };
}

/**
 * The metrics of `data`, or why it is refused before any profile is read: it
 * is not an object, or it holds no finite metric at all. With a `value` key,
 * or no key, the reason is the original one about `data.value`.
 */
function readData(data: unknown): ReturnType<typeof readMetrics> | string {
  if (!isRecord(data)) return 'data must be an object with a numeric value';
  const read = readMetrics(data);
  if (Object.keys(read.metrics).length > 0) return read;
  const keys = Object.keys(data);
  if (keys.length === 0 || keys.includes('value')) return metricValueProblem('value', own(data, 'value')) ?? 'data.value must be finite';
  return Object.values(read.invalidMetrics)[0] ?? 'data carries no numeric metric';
}

/** The fields of one reading (`data`, `seq`, `timestamp`) for `printerId`: a reading, or why not. */
function readingFields(printerId: string, body: Record<string, unknown>): { ok: true; reading: Reading } | Failure {
  const data = readData(own(body, 'data'));
  if (typeof data === 'string') return invalid(data, printerId);
  const { metrics, invalidMetrics } = data;

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
    if (timestamp === undefined) return invalid('timestamp must be epoch milliseconds or an ISO-8601 string', printerId);
  }

  return {
    ok: true,
    reading: {
      printerId,
      metrics,
      ...(Object.keys(invalidMetrics).length > 0 ? { invalidMetrics } : {}),
      ...(seq !== undefined ? { seq } : {}),
      ...(timestamp !== undefined ? { timestamp } : {}),
    },
  };
}

function senderOf(body: Record<string, unknown>): { sender?: string } {
  const sender = own(body, SENDER_FIELD);
  return typeof sender === 'string' ? { sender } : {};
}

function describe(body: unknown): string {
  return Array.isArray(body) ? 'an array' : body === null ? 'null' : typeof body;
}

/** Validates one reading payload. Never throws. */
export function parseReading(payload: unknown): ParsedReading {
  const decoded = decode(payload, MAX_PAYLOAD_BYTES);
  if (!decoded.ok) return decoded;
  return single(decoded.value);
}

function single(body: unknown): ParsedReading {
  if (!isRecord(body)) return invalid(`payload must be a JSON object, got ${describe(body)}`);
  const id = checkPrinterId(own(body, 'PrinterId'));
  if (!id.ok) return invalid(id.reason);
  const fields = readingFields(id.id, body);
  return fields.ok ? { ok: true, reading: fields.reading, ...senderOf(body) } : fields;
}

/**
 * Validates a message: a single reading (at most 8 KB) or, when it has a
 * `readings` key, one printer's batch (at most 128 KB, 1 to 500 elements,
 * applied in array order; a bad element is skipped and reported, the others
 * are kept). Never throws.
 */
export function parseMessage(payload: unknown): ParsedMessage {
  const decoded = decode(payload, MAX_BATCH_BYTES);
  if (!decoded.ok) return decoded;
  const body = decoded.value;
  if (isRecord(body) && Object.hasOwn(body, 'readings') && Object.hasOwn(body, 'data')) {
    const id = checkPrinterId(own(body, 'PrinterId'));
    return invalid('a message carries data (one reading) or readings (a batch), not both', id.ok ? id.id : undefined);
  }
  if (!isRecord(body) || !Object.hasOwn(body, 'readings')) {
    if (decoded.size > MAX_PAYLOAD_BYTES) return invalid(overLimit(decoded.size, MAX_PAYLOAD_BYTES, 'payload'));
    const parsed = single(body);
    if (!parsed.ok) return parsed;
    const { reading, ...sender } = parsed;
    return {
      ok: true,
      kind: 'single',
      printerId: reading.printerId,
      readings: [reading],
      invalid: [],
      ...(sender.sender ? { sender: sender.sender } : {}),
    };
  }
  const id = checkPrinterId(own(body, 'PrinterId'));
  if (!id.ok) return invalid(id.reason);
  const printerId = id.id;
  const elements = body['readings'];
  if (!Array.isArray(elements)) return invalid(`readings must be an array, got ${describe(elements)}`, printerId);
  if (elements.length === 0 || elements.length > MAX_BATCH_READINGS) {
    return invalid(`readings must hold 1 to ${MAX_BATCH_READINGS} elements, got ${elements.length}`, printerId);
  }
  const readings: Reading[] = [];
  const skipped: InvalidElement[] = [];
  elements.forEach((element: unknown, index) => {
    if (!isRecord(element)) {
      skipped.push({ index, reason: `readings[${index}] must be an object, got ${describe(element)}` });
      return;
    }
    if (Object.hasOwn(element, 'PrinterId')) {
      skipped.push({ index, reason: `readings[${index}] must not carry a PrinterId: the message's applies` });
      return;
    }
    const fields = readingFields(printerId, element);
    if (fields.ok) readings.push(fields.reading);
    else skipped.push({ index, reason: `readings[${index}]: ${fields.reason}` });
  });
  return { ok: true, kind: 'batch', printerId, readings, invalid: skipped, ...senderOf(body) };
}
