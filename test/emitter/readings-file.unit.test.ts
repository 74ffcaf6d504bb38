/**
 * The emitter's readings file: JSON array or JSON Lines, every reading
 * validated with the detector's own rules, `file:line: reason` on the first
 * bad one.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ReadingsFileError } from '../../emitter/errors.ts';
import { describeReadings, loadReadingsFile } from '../../emitter/readings-file.ts';
import { removeTempDirs, tempFile } from '../support/emitter.ts';

afterAll(removeTempDirs);

const good = (id: string, value: number) => JSON.stringify({ PrinterId: id, data: { value } });

describe('loadReadingsFile', () => {
  it("returns a JSON array's payloads exactly as the file has them", async () => {
    const payloads = [
      { PrinterId: 'Printer1', data: { value: 85.5, unit: 'C' }, timestamp: '2026-11-21T10:00:00Z', note: 'kept' },
      { PrinterId: 'Printer2', data: { value: -3 }, seq: 4 },
    ];
    const file = tempFile('readings.json', `  ${JSON.stringify(payloads, null, 2)}\n`);
    expect(await loadReadingsFile(file)).toEqual(payloads);
  });

  it('reads JSON Lines, skipping blank lines', async () => {
    const file = tempFile('readings.jsonl', `${good('A', 1)}\n\n${good('B', 2)}\r\n${good('A', 3)}\n`);
    const readings = await loadReadingsFile(file);
    expect(readings).toEqual([
      { PrinterId: 'A', data: { value: 1 } },
      { PrinterId: 'B', data: { value: 2 } },
      { PrinterId: 'A', data: { value: 3 } },
    ]);
    expect(describeReadings(readings)).toEqual({ readings: 3, printers: 2 });
  });

  it.each([
    ['not JSON', 'readings.json', 'hello\n', 1, /^not valid JSON/],
    [
      'a string value, on the line where its reading starts',
      'r.json',
      `[\n${good('A', 1)},\n{"PrinterId": "A",\n  "data": {"value": "99"}}\n]\n`,
      3,
      /^data\.value must be a number, got string$/,
    ],
    [
      '1e999 (Infinity)',
      'r.json',
      `[\n${good('A', 1)},\n{"PrinterId": "A", "data": {"value": 1e999}}\n]`,
      3,
      /^data\.value must be finite$/,
    ],
    ['a missing PrinterId', 'r.json', `[\n${good('A', 1)},\n{"data": {"value": 5}}\n]`, 3, /^PrinterId must be a string$/],
    [
      'a bad JSON Lines line',
      'r.jsonl',
      `${good('A', 1)}\n${good('A', 2)}\n{"PrinterId": "A", "data": {}}\n${good('A', 4)}\n`,
      3,
      /^data\.value must be a number, got nothing$/,
    ],
    ['a JSON Lines line that is not JSON', 'r.jsonl', `${good('A', 1)}\n{"PrinterId": "A",\n`, 2, /^not valid JSON/],
    [
      'a syntax error inside a reading, at its line',
      'r.json',
      `[\n${good('A', 1)},\n{"PrinterId": "A",\n "data": {"value" 2}}\n]`,
      4,
      /^not valid JSON/,
    ],
    ['a missing comma between readings', 'r.json', `[\n${good('A', 1)}\n${good('A', 2)}\n]`, 3, /^not valid JSON \(expected ',' or '\]'/],
    ['a trailing comma', 'r.json', `[\n${good('A', 1)},\n]`, 3, /^not valid JSON \(trailing comma/],
    ['an array never closed', 'r.json', `[\n${good('A', 1)},\n${good('A', 2)}\n\n`, 3, /^not valid JSON \(unexpected end of file/],
    ['a non-object reading', 'r.json', `[\n${good('A', 1)},\n 42\n]`, 3, /^payload must be a JSON object/],
    ['an empty array', 'r.json', '[ ]\n', 1, /^the file has no readings$/],
  ])('rejects %s with file:line: reason', async (_case, name, text, line, reason) => {
    const file = tempFile(name, text);
    const error = await loadReadingsFile(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReadingsFileError);
    const { message, line: reported, reason: reportedReason } = error as ReadingsFileError;
    expect(reported).toBe(line);
    expect(reportedReason).toMatch(reason);
    expect(message).toBe(`${file}:${line}: ${reportedReason}`);
  });

  it('names a missing file, without a line number (no line is at fault)', async () => {
    const error = await loadReadingsFile('/nonexistent/readings.json').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReadingsFileError);
    expect(error).toMatchObject({ message: '/nonexistent/readings.json: no such file', line: undefined, reason: 'no such file' });
  });
});
