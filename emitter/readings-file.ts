/**
 * Loading a replay file: a JSON array of readings, or JSON Lines (one reading
 * per line). Every reading is validated with the detector's own
 * {@link parseReading} before anything is sent, so a file the emitter accepts
 * is a file the Lambda accepts.
 */
import { readFile } from 'node:fs/promises';
import type { ReadingPayload } from '../contract/index.ts';
import { parseReading } from '../lambda/core/reading.ts';
import { ReadingsFileError } from './errors.ts';

/** Where one top-level element of a JSON array starts and ends (end exclusive). */
interface Span {
  readonly start: number;
  readonly end: number;
}

/** Thrown by the array scanner at the offending offset; turned into a {@link ReadingsFileError}. */
class SyntaxAt extends Error {
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/** Maps an offset in the text to its 1-based line number. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
}

function skipWhitespace(text: string, pos: number): number {
  while (pos < text.length && WHITESPACE.has(text[pos] ?? '')) pos++;
  return pos;
}

/** Index just past the string literal that starts at `pos` (an opening quote). */
function skipString(text: string, pos: number): number {
  for (let i = pos + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '"') return i + 1;
    else if (c === '\n') throw new SyntaxAt(i, 'unterminated string');
  }
  throw new SyntaxAt(pos, 'unterminated string');
}

/**
 * Index just past the JSON value starting at `pos`. Only finds the value's
 * extent (strings, balanced brackets); `JSON.parse` judges its content.
 */
function skipValue(text: string, pos: number): number {
  const first = text[pos];
  if (first === '"') return skipString(text, pos);
  if (first === '{' || first === '[') {
    const open: { char: string; offset: number }[] = [];
    for (let i = pos; i < text.length; i++) {
      const c = text[i];
      if (c === '"') {
        i = skipString(text, i) - 1;
      } else if (c === '{' || c === '[') {
        open.push({ char: c, offset: i });
      } else if (c === '}' || c === ']') {
        const top = open.pop();
        if (!top || (top.char === '{') !== (c === '}')) throw new SyntaxAt(i, `unexpected '${c}'`);
        if (open.length === 0) return i + 1;
      }
    }
    throw new SyntaxAt(open.at(-1)?.offset ?? pos, `'${open.at(-1)?.char ?? first}' is never closed`);
  }
  let end = pos;
  while (end < text.length && !WHITESPACE.has(text[end] ?? '') && !',]}'.includes(text[end] ?? '')) end++;
  if (end === pos) throw new SyntaxAt(pos, pos >= text.length ? 'unexpected end of file' : `expected a value, got '${text[pos]}'`);
  return end;
}

/** The top-level elements of a JSON array text (whose first non-space character is `[`). */
function splitArray(text: string): Span[] {
  const spans: Span[] = [];
  let pos = skipWhitespace(text, 0) + 1;
  for (;;) {
    pos = skipWhitespace(text, pos);
    if (pos >= text.length) throw new SyntaxAt(text.length, "unexpected end of file: the array is never closed with ']'");
    if (text[pos] === ']' && spans.length === 0) {
      pos++;
      break;
    }
    const start = pos;
    pos = skipValue(text, pos);
    spans.push({ start, end: pos });
    pos = skipWhitespace(text, pos);
    if (text[pos] === ',') {
      pos = skipWhitespace(text, pos + 1);
      if (text[pos] === ']') throw new SyntaxAt(pos, "trailing comma before ']'");
      continue;
    }
    if (text[pos] === ']') {
      pos++;
      break;
    }
    throw new SyntaxAt(
      Math.min(pos, text.length),
      pos >= text.length ? "unexpected end of file: expected ',' or ']'" : "expected ',' or ']' after a reading",
    );
  }
  pos = skipWhitespace(text, pos);
  if (pos < text.length) throw new SyntaxAt(pos, "unexpected content after the array's closing ']'");
  return spans;
}

/** `JSON.parse` of one element, or the offset (within the element, when V8 says) and reason of its syntax error. */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false; offset: number; reason: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    const detail = message.replace(/\s*in JSON at position \d+.*$/, '').replace(/, ".*" is not valid JSON$/, '');
    return { ok: false, offset: position ? Number(position[1]) : 0, reason: `not valid JSON (${detail})` };
  }
}

/** The payload as the file has it, once the detector's own validation accepts it (and so describes it). */
function validate(file: string, line: number, payload: unknown): ReadingPayload {
  const parsed = parseReading(payload);
  if (!parsed.ok) throw new ReadingsFileError(file, line, parsed.reason);
  return payload as ReadingPayload;
}

function loadArray(file: string, text: string): ReadingPayload[] {
  const lineAt = lineIndex(text);
  let spans: Span[];
  try {
    spans = splitArray(text);
  } catch (error) {
    if (error instanceof SyntaxAt) {
      // An error at the end of the file belongs to its last line with content, not to a trailing newline.
      const offset = Math.min(error.offset, Math.max(0, text.trimEnd().length - 1));
      throw new ReadingsFileError(file, lineAt(offset), `not valid JSON (${error.reason})`);
    }
    throw error;
  }
  return spans.map(({ start, end }) => {
    const parsed = parseJson(text.slice(start, end));
    if (!parsed.ok) throw new ReadingsFileError(file, lineAt(start + parsed.offset), parsed.reason);
    return validate(file, lineAt(start), parsed.value);
  });
}

function loadJsonLines(file: string, text: string): ReadingPayload[] {
  const readings: ReadingPayload[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const parsed = parseJson(line);
    if (!parsed.ok) throw new ReadingsFileError(file, index + 1, parsed.reason);
    readings.push(validate(file, index + 1, parsed.value));
  });
  return readings;
}

/**
 * Reads and validates a replay file: a JSON array (first non-space character
 * `[`) or JSON Lines. Returns the payloads exactly as the file has them.
 *
 * @throws {ReadingsFileError} `file:line: reason` for the first unreadable or
 * invalid reading (the line where that reading starts, or where the JSON
 * syntax error is), or when the file has no readings; `file: reason` when the
 * file cannot be read at all.
 */
export async function loadReadingsFile(path: string): Promise<ReadingPayload[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : `cannot read the file (${code ?? (error as Error).message})`;
    throw new ReadingsFileError(path, undefined, reason, { cause: error });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const readings = text.trimStart().startsWith('[') ? loadArray(path, text) : loadJsonLines(path, text);
  if (readings.length === 0) throw new ReadingsFileError(path, 1, 'the file has no readings');
  return readings;
}

/** How many readings and distinct printers a validated list holds. */
export function describeReadings(readings: readonly ReadingPayload[]): { readings: number; printers: number } {
  const printers = new Set<string>();
  for (const reading of readings) printers.add(reading.PrinterId);
  return { readings: readings.length, printers: printers.size };
}
