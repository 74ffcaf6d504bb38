/**
 * The operator API described as OpenAPI 3.1, served at `GET /api/openapi.json`.
 * A test reads the app's router and checks that this lists exactly its routes
 * and methods, so the two cannot drift apart.
 */
import { ALARM_LISTING_ORDER, MAX_BULK_PRINTERS } from '../../contract/index.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const nullable = (type: string) => ({ type: [type, 'null'] });

function json(description: string, schema: object) {
  return { description, content: { 'application/json': { schema } } };
}

const ERRORS = {
  400: json('Bad input: a malformed id, query or body, or a value the validator refuses', ref('Error')),
  404: json('Unknown printer', ref('Error')),
  409: json('The action does not apply to the alarm now', ref('Error')),
  413: json('The body is over the size limit (16 KB by default)', ref('Error')),
  415: json('The body is not sent as application/json', ref('Error')),
  500: json('Internal error (details only in the log)', ref('Error')),
} as const;

type ErrorCode = keyof typeof ERRORS;
const errors = (...codes: ErrorCode[]) => Object.fromEntries(codes.map((code) => [code, ERRORS[code]]));

const param = (name: string, where: 'path' | 'query', description: string, schema: object) => ({
  name,
  in: where,
  required: where === 'path',
  description,
  schema,
});

const TIME = { type: 'string', description: 'epoch milliseconds, or ISO-8601 (a date, or a date-time with its zone)' };
const PARAM = {
  id: param('id', 'path', 'PrinterId, URL-encoded: 1 to 128 characters, no control characters', { type: 'string', minLength: 1 }),
  limit: (fallback: number, maximum = 100) =>
    param('limit', 'query', `page size (default ${fallback})`, { type: 'integer', minimum: 1, maximum }),
  cursor: param('cursor', 'query', 'the `next` of the previous page', { type: 'string' }),
  since: param('since', 'query', 'oldest time, inclusive', TIME),
  until: param('until', 'query', 'newest time, inclusive', TIME),
};

const SEVERITY = { enum: ['critical', 'major', 'minor', 'warning'] };
const STATE = { enum: ['NORMAL', 'ACTIVE', 'ACKNOWLEDGED', 'LATCHED', 'SNOOZE_DISABLED', 'DISABLED'] };
const CAUSE = { enum: ['threshold', 'silent', 'clear', 'acknowledge', 'snooze', 'disable', 'enable', 'reset', 'snooze-expired'] };
const object = (properties: Record<string, object>, required: string[] = Object.keys(properties)) => ({
  type: 'object',
  properties,
  required,
});
const BAND = object({ Lower: { type: 'number' }, Upper: { type: 'number' }, Severity: SEVERITY, Adaptive: ref('Adaptive') }, []);
const THRESHOLDS = {
  oneOf: [object({ Lower: { type: 'number' }, Upper: { type: 'number' } }), { type: 'object', additionalProperties: BAND }],
};
const PROFILE_PROPERTIES: Record<string, object> = {
  PrinterId: { type: 'string', description: 'optional in a body; must match the path' },
  Thresholds: THRESHOLDS,
  Window: { type: 'integer', minimum: 1 },
  Mode: { enum: ['consecutive', 'm-of-n', 'duration'] },
  Of: { type: 'integer', minimum: 1 },
  DurationSeconds: { type: 'integer', minimum: 1 },
  Adaptive: ref('Adaptive'),
  Severity: ref('Severity'),
  Clear: THRESHOLDS,
  ClearAfter: { type: 'integer', minimum: 1 },
  Latch: { type: 'boolean' },
  SilenceSeconds: { type: 'integer', minimum: 60 },
  RenotifyMinutes: { type: 'integer', minimum: 5 },
  NotifyMinIntervalSeconds: { type: 'integer', minimum: 1 },
  Enrol: { type: 'boolean', description: 'fleet defaults (PrinterId *) only' },
};

const SCHEMAS = {
  Error: {
    ...object(
      {
        error: { type: 'string', description: 'one line' },
        fields: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'a refused profile only: the reasons per attribute (one line each), where a reason is about one',
        },
      },
      ['error'],
    ),
    additionalProperties: false,
  },
  AlarmState: STATE,
  Severity: SEVERITY,
  Alarm: object(
    {
      State: ref('AlarmState'),
      Severity: { oneOf: [ref('Severity'), { type: 'null' }] },
      Cause: { oneOf: [CAUSE, { type: 'null' }] },
      Since: { ...nullable('string'), format: 'date-time' },
      Until: { type: 'string', format: 'date-time', description: 'when a snooze ends; present only while SNOOZE_DISABLED by a snooze' },
      By: {
        type: 'string',
        description: "who acknowledged, snoozed or disabled it (the caller's IAM ARN; local on the twin); present only while so held",
      },
      Note: { type: 'string', description: "that operator's note, when one was given" },
    },
    ['State', 'Severity', 'Cause', 'Since'],
  ),
  PrinterSummary: object({
    PrinterId: { type: 'string' },
    EventCount: { type: 'integer' },
    OutOfBoundsCount: { type: 'integer' },
    LastValue: nullable('number'),
    LastSeenAt: { ...nullable('string'), format: 'date-time' },
    Alarm: ref('Alarm'),
  }),
  Adaptive: object({ Sigma: { type: 'number' }, Alpha: { type: 'number' }, Warmup: { type: 'integer' } }, ['Sigma']),
  // Nothing is required: an attribute the printer leaves out is taken from the fleet defaults (PrinterId *).
  Profile: { ...object(PROFILE_PROPERTIES, []), description: 'judged with the fleet defaults merged in, as the detector runs it' },
  ProfilePatch: {
    ...object(
      Object.fromEntries(Object.entries(PROFILE_PROPERTIES).map(([name, schema]) => [name, { oneOf: [schema, { type: 'null' }] }])),
      [],
    ),
    description: 'a JSON merge patch of the profile: an attribute set to null is removed, one left out is kept',
  },
  PrinterDetail: object({
    profile: ref('Profile'),
    effective: { ...ref('Profile'), description: 'the profile with the fleet defaults (*) filled in, as the detector runs it' },
    state: { type: 'object', description: 'counters and bookkeeping: EventCount, OutOfBoundsCount, LastValue, LastSeenAt, ...' },
    alarm: ref('Alarm'),
    recent: {
      type: 'array',
      description: 'recent values of the main metric, oldest first',
      items: { type: 'array', prefixItems: [{ type: 'number', description: 'epoch ms' }, { type: 'number' }], minItems: 2, maxItems: 2 },
    },
  }),
  AlarmAction: {
    ...object(
      {
        action: { enum: ['acknowledge', 'snooze', 'disable', 'enable', 'reset'] },
        note: { type: 'string', maxLength: 1000 },
        until: {
          type: 'string',
          format: 'date-time',
          description: 'snooze only (required there): ISO-8601 with a time zone (not epoch milliseconds), in the future',
        },
      },
      ['action'],
    ),
    additionalProperties: false,
  },
  BulkAction: {
    ...object(
      {
        printers: {
          type: 'array',
          items: { type: 'string', minLength: 1, maxLength: 128 },
          minItems: 1,
          maxItems: MAX_BULK_PRINTERS,
          uniqueItems: true,
          description: 'the alarms to act on, each in its own transition, in this order',
        },
        action: { enum: ['acknowledge', 'snooze', 'disable', 'enable', 'reset'] },
        note: { type: 'string', maxLength: 1000 },
        until: { type: 'string', format: 'date-time', description: 'snooze only (required there), as for one alarm' },
      },
      ['printers', 'action'],
    ),
    additionalProperties: false,
  },
  BulkResults: object({
    results: {
      type: 'array',
      description: "one per printer, in the request's order: the new alarm (status 200), or why this alarm was refused",
      items: {
        oneOf: [
          object({ PrinterId: { type: 'string' }, status: { const: 200 }, alarm: ref('Alarm') }),
          object({ PrinterId: { type: 'string' }, status: { enum: [400, 404, 409] }, error: { type: 'string', description: 'one line' } }),
        ],
      },
    },
  }),
  EventCounts: object({
    buckets: {
      type: 'array',
      items: object({
        start: { type: 'string', format: 'date-time' },
        events: { type: 'integer', minimum: 0 },
        transitions: { type: 'integer', minimum: 0 },
      }),
    },
  }),
  Preview: object({
    values: {
      type: 'array',
      description: 'the values judged, oldest first',
      items: { type: 'array', prefixItems: [{ type: 'number', description: 'epoch ms' }, { type: 'number' }], minItems: 2, maxItems: 2 },
    },
    current: ref('PreviewRun'),
    proposed: ref('PreviewRun'),
  }),
  PreviewRun: object({
    flags: { type: 'array', items: { type: 'boolean' }, description: 'per value: out of bounds (a value it cannot judge: false)' },
    events: { type: 'integer', description: 'anomaly events raised on these values, from fresh counters' },
  }),
  HistoryItem: {
    oneOf: [
      object(
        {
          Type: { const: 'event' },
          PrinterId: { type: 'string' },
          events: { type: 'integer' },
          value: { type: 'number' },
          window: { type: 'integer' },
          thresholds: THRESHOLDS,
          at: { type: 'string', format: 'date-time' },
          metrics: { type: 'object', additionalProperties: { type: 'number' } },
          severity: ref('Severity'),
        },
        ['Type', 'PrinterId', 'events', 'at'],
      ),
      object({
        Type: { const: 'transition' },
        PrinterId: { type: 'string' },
        From: ref('AlarmState'),
        To: ref('AlarmState'),
        Cause: CAUSE,
        Severity: { oneOf: [ref('Severity'), { type: 'null' }] },
        By: { type: 'string' },
        Note: nullable('string'),
        At: { type: 'string', format: 'date-time' },
      }),
    ],
    discriminator: { propertyName: 'Type' },
  },
  Printers: object({ printers: { type: 'array', items: ref('PrinterSummary') } }),
  PrinterPage: object({ printers: { type: 'array', items: ref('PrinterSummary') }, next: nullable('string') }),
  HistoryPage: object({ items: { type: 'array', items: ref('HistoryItem') }, next: nullable('string') }),
};

const PATHS = {
  '/api/health': {
    get: { summary: 'Whether the API answers', responses: { 200: json('Up', object({ ok: { const: true } })), ...errors(500) } },
  },
  '/api/openapi.json': {
    get: { summary: 'This document', responses: { 200: json('The OpenAPI 3.1 document', { type: 'object' }), ...errors(500) } },
  },
  '/api/printers/ranked': {
    get: {
      summary: 'Printers by EventCount descending, then PrinterId: one query, flat in fleet size',
      parameters: [PARAM.limit(10)],
      responses: { 200: json('The ranking', ref('Printers')), ...errors(400, 500) },
    },
  },
  '/api/printers': {
    get: {
      summary:
        'Every printer, a page at a time; with search, only printers whose PrinterId contains it (case-insensitive). ' +
        'A search page reads at most 2,000 printers, so it may hold fewer than limit (even none) and still have a next page',
      parameters: [
        PARAM.cursor,
        PARAM.limit(100),
        param('search', 'query', 'a piece of PrinterId, any case', { type: 'string', minLength: 1, maxLength: 128 }),
      ],
      responses: { 200: json('One page', ref('PrinterPage')), ...errors(400, 500) },
    },
  },
  '/api/alarms': {
    get: {
      summary: 'Alarms not NORMAL (or in one state): ACTIVE, LATCHED, ACKNOWLEDGED, SNOOZE_DISABLED, DISABLED, then PrinterId',
      parameters: [
        param('state', 'query', 'only this state (not NORMAL: every printer not listed is NORMAL)', { enum: [...ALARM_LISTING_ORDER] }),
        { ...PARAM.cursor, description: 'the `next` of the previous page (with the same state)' },
        {
          ...PARAM.limit(100, 500),
          description: 'page size (default 100 once paging: without limit and cursor, every alarm in one answer)',
        },
      ],
      responses: { 200: json('The alarms (next is null without limit and cursor)', ref('PrinterPage')), ...errors(400, 500) },
    },
  },
  '/api/alarms/actions': {
    post: {
      summary:
        'Acts on several alarms at once, with one note: each alarm gets its own transition (its own guarded write), and a ' +
        'refusal is reported per alarm; 400 for a bad body (nothing changed)',
      requestBody: { required: true, content: { 'application/json': { schema: ref('BulkAction') } } },
      responses: { 200: json('One result per printer', ref('BulkResults')), ...errors(400, 413, 415, 500) },
    },
  },
  '/api/printers/{id}': {
    get: {
      summary: "A printer's profile, counters, alarm and recent values (id * reads the fleet defaults)",
      parameters: [PARAM.id],
      responses: { 200: json('The printer', ref('PrinterDetail')), ...errors(400, 404, 500) },
    },
    put: {
      summary:
        "Replaces a printer's user attributes: a rule attribute the body leaves out is removed (use PATCH to change some). " +
        'The profile is judged with the fleet defaults merged in, as the detector runs it; counters, bookkeeping and alarm ' +
        'are kept (id * writes the fleet defaults)',
      parameters: [PARAM.id],
      requestBody: { required: true, content: { 'application/json': { schema: ref('Profile') } } },
      responses: {
        200: json('Replaced: the new profile', ref('Profile')),
        201: json('Created: the new profile', ref('Profile')),
        ...errors(400, 413, 415, 500),
      },
    },
    patch: {
      summary:
        'Changes only the attributes the body names (a JSON merge patch: null removes one); the others, counters, bookkeeping ' +
        'and alarm are kept. The profile it leaves is judged with the fleet defaults merged in (id * patches the fleet defaults)',
      parameters: [PARAM.id],
      requestBody: { required: true, content: { 'application/json': { schema: ref('ProfilePatch') } } },
      responses: {
        200: json('Changed: the whole profile now stored', ref('Profile')),
        201: json('Created: the new profile', ref('Profile')),
        ...errors(400, 413, 415, 500),
      },
    },
  },
  '/api/printers/{id}/preview': {
    post: {
      summary:
        "What a profile (as for PUT) would have done on the printer's recent values, beside its stored profile: each run by " +
        'the detector from fresh counters, in order; nothing is written. The values are those of GET /api/printers/{id} ' +
        '(recent: the main metric, value unless the stored profile watches other metrics only)',
      parameters: [
        PARAM.id,
        param('n', 'query', 'only the last n recent values (default: all kept)', { type: 'integer', minimum: 1, maximum: 100 }),
      ],
      requestBody: { required: true, content: { 'application/json': { schema: ref('Profile') } } },
      responses: {
        200: json('Both runs', ref('Preview')),
        ...errors(400, 404, 413, 415, 500),
        409: json('The stored profile has an error: there is nothing to compare with', ref('Error')),
      },
    },
  },
  '/api/printers/{id}/alarm': {
    post: {
      summary: "Acts on a printer's alarm",
      parameters: [PARAM.id],
      requestBody: { required: true, content: { 'application/json': { schema: ref('AlarmAction') } } },
      responses: { 200: json('The new alarm', ref('Alarm')), ...errors(400, 404, 409, 413, 415, 500) },
    },
  },
  '/api/printers/{id}/history': {
    get: {
      summary: "A printer's anomaly events and alarm transitions, newest first",
      parameters: [PARAM.id, PARAM.since, PARAM.until, PARAM.limit(50), PARAM.cursor],
      responses: { 200: json('One page', ref('HistoryPage')), ...errors(400, 404, 500) },
    },
  },
  '/api/events/counts': {
    get: {
      summary:
        'Anomaly events and alarm transitions of the whole fleet counted per equal span of [since, until] (for a chart): ' +
        'one query of the fleet-wide index over the range, keys only',
      parameters: [
        { ...PARAM.since, description: 'oldest time, inclusive (default: until less 24 h)' },
        { ...PARAM.until, description: 'newest time, inclusive (default: now)' },
        param('buckets', 'query', 'how many equal spans (default 24)', { type: 'integer', minimum: 1, maximum: 500 }),
      ],
      responses: { 200: json('The spans, oldest first', ref('EventCounts')), ...errors(400, 500) },
    },
  },
  '/api/events': {
    get: {
      summary: 'Anomaly events and alarm transitions of the whole fleet, newest first',
      parameters: [PARAM.since, PARAM.until, PARAM.limit(50), PARAM.cursor],
      responses: { 200: json('One page', ref('HistoryPage')), ...errors(400, 500) },
    },
  },
};

/** The OpenAPI 3.1 document of the operator API (a fresh copy each call). */
export function openApiDocument() {
  return structuredClone({
    openapi: '3.1.0',
    info: {
      title: 'printer-anomaly operator API',
      version: '1.0.0',
      description:
        'Ranking, alarms, profiles and history of the printer fleet. Errors are {"error": "<one line>"}. ' +
        'In the cloud every request is signed with SigV4 (service execute-api); the local twin answers on 127.0.0.1 without auth.',
    },
    servers: [{ url: '/' }],
    security: [{ sigv4: [] }],
    paths: PATHS,
    components: {
      schemas: SCHEMAS,
      securitySchemes: {
        sigv4: { type: 'apiKey', name: 'Authorization', in: 'header', 'x-amazon-apigateway-authtype': 'awsSigv4' },
      },
    },
  });
}
