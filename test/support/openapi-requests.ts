/**
 * Requests generated from the operator API's own OpenAPI document
 * (`lambda/api/openapi.ts`): per route and method, its path and query
 * parameters and its body drawn from their schemas as valid, boundary or
 * invalid values (wrong types, numbers DynamoDB cannot store, forged cursors,
 * ids over 128 characters). What the API must answer is checked by the test.
 */
import fc from 'fast-check';
import { isStorableNumber } from '../../contract/index.ts';
import { extremeNumber } from './invalid-payloads.ts';

type Schema = Record<string, unknown>;
type Mode = 'valid' | 'boundary' | 'invalid';

export interface GeneratedRequest {
  readonly method: string;
  /** The OpenAPI path it was made for, e.g. `/api/printers/{id}`. */
  readonly route: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** The routes and methods a document lists, with what each takes and may answer. */
export interface Operation {
  readonly route: string;
  readonly method: string;
  readonly parameters: readonly { name: string; in: 'path' | 'query'; schema: Schema }[];
  readonly body?: Schema;
  /** Status codes the document lists for it. */
  readonly statuses: readonly number[];
}

// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON of many shapes.
export function operations(doc: any): Operation[] {
  const out: Operation[] = [];
  for (const [route, methods] of Object.entries(doc.paths as Record<string, Record<string, Schema>>)) {
    for (const [method, op] of Object.entries(methods)) {
      const body = (op['requestBody'] as { content?: Record<string, { schema: Schema }> } | undefined)?.content?.['application/json']
        ?.schema;
      out.push({
        route,
        method: method.toUpperCase(),
        parameters: (op['parameters'] as Operation['parameters'] | undefined) ?? [],
        ...(body ? { body } : {}),
        statuses: Object.keys(op['responses'] as Schema).map(Number),
      });
    }
  }
  return out;
}

/** Ids of printers the fuzzer's fleet holds, and the other cursors it saw: drawn from for realistic requests. */
export interface Known {
  readonly ids: readonly string[];
  readonly cursors: readonly string[];
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null').toString('base64url');

/** Cursors the API never issued: key-shaped with wrong types or values, other JSON, or not base64 JSON at all. */
const forgedCursor = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map(b64),
  fc
    .record(
      {
        PrinterId: fc.oneof(fc.string(), fc.integer(), fc.constant('')),
        Key: fc.oneof(fc.string(), fc.double()),
        Feed: fc.string(),
        FeedKey: fc.string(),
      },
      { requiredKeys: [] },
    )
    .map(b64),
  fc.string({ maxLength: 60 }),
  fc.string({ minLength: 2000, maxLength: 2100 }),
);

/** `{Thresholds: {Lower, Upper}, Window}` in order, the bounds anywhere in the double range (storable or not). */
const nearlyValidProfile = fc
  .tuple(
    fc.oneof(fc.integer({ min: -100, max: 100 }), extremeNumber),
    fc.oneof(fc.integer({ min: -100, max: 100 }), extremeNumber),
    fc.integer({ min: 1, max: 5 }),
  )
  .map(([a, b, Window]) => ({ Thresholds: { Lower: Math.min(a, b), Upper: Math.max(a, b) }, Window }));

/** A value for `schema` (resolved against `doc`), as valid, boundary or invalid as `mode` asks. */
// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON of many shapes.
export function valueFor(doc: any, schema: Schema, mode: Mode, depth = 0): fc.Arbitrary<unknown> {
  const ref = schema['$ref'];
  if (typeof ref === 'string') return valueFor(doc, doc.components.schemas[ref.split('/').pop()!], mode, depth);
  const wrong = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.integer(), { maxLength: 2 }),
    extremeNumber,
  );
  if (mode === 'invalid' && depth > 0) return fc.oneof(wrong, valueFor(doc, schema, 'boundary', depth));
  if (Array.isArray(schema['oneOf'])) return fc.oneof(...(schema['oneOf'] as Schema[]).map((s) => valueFor(doc, s, mode, depth)));
  if (Array.isArray(schema['enum']))
    return mode === 'valid'
      ? fc.constantFrom(...(schema['enum'] as unknown[]))
      : fc.oneof(fc.constantFrom(...(schema['enum'] as unknown[])), wrong);
  if ('const' in schema) return fc.constant(schema['const']);
  const type = Array.isArray(schema['type']) ? (schema['type'] as string[])[0] : (schema['type'] as string | undefined);
  switch (type) {
    case 'integer': {
      const min = (schema['minimum'] as number | undefined) ?? 0;
      const max = (schema['maximum'] as number | undefined) ?? min + 10_000;
      if (mode === 'valid') return fc.integer({ min, max: Math.min(max, min + 100) });
      return fc.oneof(
        fc.constantFrom(min, max, min - 1, max + 1, Number.MAX_SAFE_INTEGER, 2 ** 53 + 1, 1.5, -1),
        mode === 'invalid' ? wrong : fc.integer(),
      );
    }
    case 'number':
      return mode === 'valid'
        ? fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter(isStorableNumber))
        : fc.oneof(extremeNumber, mode === 'invalid' ? wrong : extremeNumber);
    case 'boolean':
      return mode === 'valid' ? fc.boolean() : fc.oneof(fc.boolean(), wrong);
    case 'array': {
      const items = (schema['items'] ?? {}) as Schema;
      const minLength = (schema['minItems'] as number | undefined) ?? 0;
      const maxLength = (schema['maxItems'] as number | undefined) ?? 5;
      const valid = fc.array(valueFor(doc, items, 'valid', depth + 1), { minLength, maxLength: Math.min(maxLength, minLength + 5) });
      if (mode === 'valid') return valid;
      return fc.oneof(
        valid,
        fc.constant([]),
        fc.array(valueFor(doc, items, mode, depth + 1), { minLength: maxLength + 1, maxLength: maxLength + 2 }),
        valid.filter((a) => a.length > 0).map((a) => [...a, a[0]]),
        mode === 'invalid' ? wrong : valid,
      );
    }
    case 'string': {
      const length = schema['maxLength'] as number | undefined;
      if (mode === 'valid')
        return fc.string({ minLength: (schema['minLength'] as number | undefined) ?? 0, maxLength: Math.min(length ?? 30, 30) });
      return fc.oneof(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.constantFrom('', '\u0000', '💥'.repeat(70), 'x'.repeat((length ?? 128) + 1)),
        mode === 'invalid' ? wrong : fc.string(),
      );
    }
    case 'object': {
      const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
      const names = Object.keys(properties);
      if (depth > 3 || (names.length === 0 && schema['additionalProperties'] === undefined))
        return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
      const required = ((schema['required'] as string[] | undefined) ?? []).filter((n) => names.includes(n));
      const recordOf = (m: Mode) =>
        fc.record(Object.fromEntries(names.map((name) => [name, valueFor(doc, properties[name]!, m, depth + 1)])), {
          requiredKeys: m === 'valid' ? required : [],
        });
      // Boundary: a valid object with one field at its boundary, so the boundary is what gets judged.
      const record =
        mode === 'boundary' && names.length > 0
          ? fc
              .tuple(recordOf('valid'), fc.constantFrom(...names))
              .chain(([valid, name]) => valueFor(doc, properties[name]!, 'boundary', depth + 1).map((v) => ({ ...valid, [name]: v })))
          : recordOf(mode);
      const extra = schema['additionalProperties'];
      if (typeof extra === 'object' && extra !== null) {
        const map = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), valueFor(doc, extra as Schema, mode, depth + 1), {
          minKeys: 1,
          maxKeys: 3,
        });
        return names.length === 0 ? map : fc.oneof(record, map);
      }
      return mode === 'invalid'
        ? fc.oneof(
            record,
            record.map((r) => ({ ...r, Unknown: 1 })),
            wrong,
          )
        : record;
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** A path id: a known printer, the fleet defaults, or valid, boundary and invalid ids (128 and 129 characters, control characters). */
function idFor(known: Known): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...known.ids),
    fc.constantFrom('*', 'x'.repeat(128), 'x'.repeat(129), 'é'.repeat(128), 'Ghost', 'a/b', '..', '%', ' ', 'P\n1', '\u0000'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 130 }),
  );
}

/** A query value as text: the schema's value, or a cursor (issued, forged or garbage). */
// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON of many shapes.
function queryValue(doc: any, name: string, schema: Schema, mode: Mode, known: Known): fc.Arbitrary<string> {
  if (name === 'cursor') return known.cursors.length > 0 ? fc.oneof(fc.constantFrom(...known.cursors), forgedCursor) : forgedCursor;
  if (name === 'since' || name === 'until') {
    return fc.oneof(
      fc.integer({ min: 0, max: 4_102_444_800_000 }).map(String),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom('2026-01-01', '2026-01-01T00:00:00', '1e400', '-1', '8.64e15', '8640000000000001', 'yesterday', ''),
      extremeNumber.map(String),
    );
  }
  return valueFor(doc, schema, mode).map((v) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? '')));
}

/** Requests for `op`: its parameters and body as `mode` asks, sometimes a body that is not JSON or not labelled so. */
// biome-ignore lint/suspicious/noExplicitAny: the document is plain JSON of many shapes.
export function requestFor(doc: any, op: Operation, known: Known): fc.Arbitrary<GeneratedRequest> {
  return fc.constantFrom<Mode>('valid', 'boundary', 'invalid').chain((mode) => {
    const query = op.parameters.filter((p) => p.in === 'query');
    const queryArb = fc.record(Object.fromEntries(query.map((p) => [p.name, queryValue(doc, p.name, p.schema, mode, known)])), {
      requiredKeys: [],
    });
    const body = op.body
      ? fc.oneof(
          { weight: 8, arbitrary: valueFor(doc, op.body, mode).map((v) => ({ text: JSON.stringify(v) ?? 'null', json: true })) },
          { weight: 1, arbitrary: fc.string({ maxLength: 50 }).map((text) => ({ text, json: true })) },
          // The schema cannot say Lower <= Upper or which attributes go together: a profile valid but for its numbers' size.
          ...(op.route === '/api/printers/{id}'
            ? [{ weight: 4, arbitrary: nearlyValidProfile.map((v) => ({ text: JSON.stringify(v), json: true })) }]
            : []),
          { weight: 1, arbitrary: fc.constantFrom({ text: '{}', json: false }, { text: 'x'.repeat(17_000), json: true }) },
        )
      : fc.constant(undefined);
    return fc.record({ id: idFor(known), query: queryArb, body }).map(({ id, query: q, body: b }) => {
      const search = new URLSearchParams(q as Record<string, string>).toString();
      const path = op.route.replace('{id}', encodeURIComponent(id)) + (search ? `?${search}` : '');
      return {
        method: op.method,
        route: op.route,
        path,
        headers: (b === undefined ? {} : { 'content-type': b.json ? 'application/json' : 'text/plain' }) as Record<string, string>,
        ...(b === undefined ? {} : { body: b.text }),
      };
    });
  });
}
