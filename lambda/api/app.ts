/**
 * The operator API: one Hono app over {@link FleetOperations}, served by the
 * stack's HTTP API (IAM-authorized, through the Lambda adapter) and by the
 * twin on 127.0.0.1 alike. Every answer is JSON, every error exactly
 * `{"error": "<one line>"}`; no stack trace ever reaches a client. The routes
 * and their shapes are listed in `openapi.ts`, which the app also serves.
 */
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  ALARM_LISTING_ORDER,
  MAX_BULK_PRINTERS,
  MAX_PRINTER_ID_LENGTH,
  type AlarmActionName,
  type AlarmState,
} from '../../contract/index.ts';
import type { AlarmActionRequest, FleetOperations, Page, Refusal } from './operations.ts';
import { openApiDocument } from './openapi.ts';

export interface ApiOptions {
  /** Who acts on an alarm: the caller's IAM ARN in the cloud, `local` on the twin. */
  readonly by: (c: Context) => string;
  /** Largest accepted request body, in bytes (default {@link DEFAULT_MAX_BODY_BYTES}). */
  readonly maxBodyBytes?: number;
  /** Fields added to `GET /api/health` beside `ok` (the twin adds its message counters there). */
  readonly health?: () => Readonly<Record<string, unknown>> | Promise<Readonly<Record<string, unknown>>>;
}

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

/** `limit` bounds and defaults of the listings (the alarm list's pages may be longer: an operator reads it whole). */
export const LIMITS = { max: 100, ranked: 10, list: 100, history: 50, alarms: 100, alarmsMax: 500, buckets: 24, bucketsMax: 500 } as const;

const DAY_MS = 86_400_000;

export const ALARM_ACTIONS: readonly AlarmActionName[] = ['acknowledge', 'snooze', 'disable', 'enable', 'reset'];

/** The id of the fleet defaults: a profile one may read and write, with no alarm and no history of its own. */
const FLEET_DEFAULTS_ID = '*';
// C0 and C1 control characters, DEL included: printer ids never hold them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
const EPOCH_MS = /^\d{1,15}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const ISO_TIME_WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;

/** A client's mistake: answered with its status and `{"error": message}`. */
function refuse(status: ContentfulStatusCode, message: string): never {
  throw new HTTPException(status, { message });
}

/** A refused profile: also answered with the validator's reasons per attribute, `{"error", "fields"}`. */
class FieldsRefusal extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    message: string,
    readonly fields: Readonly<Record<string, string>>,
  ) {
    super(status, { message });
  }
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
const oneLineFields = (fields: Readonly<Record<string, string>>) =>
  Object.fromEntries(Object.entries(fields).map(([name, reason]) => [name, oneLine(reason)]));

function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && (value as { ok?: unknown }).ok === false;
}

/** The value of an operation, or its refusal thrown as the HTTP error it names. */
function accepted<T>(result: T | Refusal): T {
  if (isRefusal(result) && result.fields !== undefined) throw new FieldsRefusal(result.status, result.reason, result.fields);
  if (isRefusal(result)) refuse(result.status, result.reason);
  return result;
}

/** A path's printer id, already URL-decoded by the router, checked as readings check theirs. */
function printerId(c: Context, { defaults }: { defaults: 'allowed' | 'refused' }): string {
  return checkedId(c.req.param('id') ?? '', defaults);
}

function checkedId(id: string, defaults: 'allowed' | 'refused'): string {
  if (id.length === 0) refuse(400, 'printer id must not be empty');
  if (id.length > MAX_PRINTER_ID_LENGTH) refuse(400, `printer id is ${id.length} characters, over ${MAX_PRINTER_ID_LENGTH}`);
  if (CONTROL_CHARACTERS.test(id)) refuse(400, 'printer id must not contain control characters');
  if (id === FLEET_DEFAULTS_ID && defaults === 'refused')
    refuse(400, 'printer id * holds the fleet defaults: it has no alarm and no history');
  return id;
}

function limitQuery(c: Context, fallback: number, max: number = LIMITS.max): number {
  const text = c.req.query('limit');
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d{1,4}$/.test(text) || n < 1 || n > max) refuse(400, `limit must be a whole number from 1 to ${max}, got "${text}"`);
  return n;
}

/** `search`: a piece of PrinterId, 1 to 128 characters, no control characters. */
function searchQuery(c: Context): string | undefined {
  const search = c.req.query('search');
  if (search === undefined) return undefined;
  if (search.length === 0 || search.length > MAX_PRINTER_ID_LENGTH || CONTROL_CHARACTERS.test(search)) {
    refuse(400, `search must be 1 to ${MAX_PRINTER_ID_LENGTH} characters of a PrinterId, without control characters`);
  }
  return search;
}

/** A time as epoch ms: given as epoch milliseconds or ISO-8601 (a date, or a date-time with its zone). */
export function parseTime(name: string, text: string): number {
  if (ISO_TIME_WITHOUT_ZONE.test(text)) refuse(400, `${name} needs a time zone (e.g. ${text}Z), got "${text}"`);
  const ms = EPOCH_MS.test(text) ? Number(text) : ISO_DATE.test(text) || ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(ms) || Number.isNaN(new Date(ms).getTime())) {
    refuse(400, `${name} must be epoch milliseconds or an ISO-8601 time, got "${text}"`);
  }
  return ms;
}

function timeQuery(c: Context, name: 'since' | 'until'): number | undefined {
  const text = c.req.query(name);
  return text === undefined ? undefined : parseTime(name, text);
}

function cursorQuery(c: Context): string | undefined {
  const cursor = c.req.query('cursor');
  if (cursor === undefined) return undefined;
  if (cursor.length === 0 || cursor.length > 2048 || CONTROL_CHARACTERS.test(cursor)) refuse(400, 'cursor is not one this API gave');
  return cursor;
}

/**
 * The request's JSON body. A body must say it is JSON: a browser sends a
 * cross-site form or `text/plain` post without asking first, but never one
 * labelled `application/json`, so this also keeps other web pages from acting
 * through a user's browser on the unauthenticated local API.
 */
async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) refuse(415, 'the body must be JSON, sent with Content-Type: application/json');
  const text = await c.req.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    refuse(400, `the body is not JSON (${oneLine((error as Error).message)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse(400, 'the body must be a JSON object');
  return value as Record<string, unknown>;
}

/** What a snooze's `until` may be, said by every refusal of it. */
const UNTIL_ACCEPTS = 'until must be an ISO-8601 time with a time zone, e.g. 2026-12-07T14:30:00Z';

/** Checks an alarm action's body: `{action, note?, until?}` and nothing else. */
export function parseAlarmAction(body: Record<string, unknown>, by: string): AlarmActionRequest {
  const unknown = Object.keys(body).filter((key) => !['action', 'note', 'until'].includes(key));
  if (unknown.length > 0) refuse(400, `unknown field ${JSON.stringify(unknown[0])}; expected action, note and until`);
  const { action, note, until } = body;
  if (typeof action !== 'string' || !(ALARM_ACTIONS as readonly string[]).includes(action)) {
    refuse(400, `action must be one of ${ALARM_ACTIONS.join(', ')}, got ${JSON.stringify(action) ?? 'nothing'}`);
  }
  if (note !== undefined && note !== null && typeof note !== 'string') refuse(400, 'note must be a string');
  if (until !== undefined && until !== null && typeof until !== 'string') refuse(400, `${UNTIL_ACCEPTS}, got ${typeof until}`);
  if (action === 'snooze' && typeof until !== 'string') refuse(400, `snooze needs until: ${UNTIL_ACCEPTS.replace(/^until must be /, '')}`);
  if (action !== 'snooze' && typeof until === 'string') refuse(400, `until is for snooze, not ${action}`);
  // A snooze end is a time of day people read back: an ISO-8601 time only (epoch milliseconds are for the query filters).
  if (typeof until === 'string' && (EPOCH_MS.test(until) || !(ISO_DATE.test(until) || ISO_TIME.test(until)))) {
    if (ISO_TIME_WITHOUT_ZONE.test(until)) refuse(400, `until needs a time zone (e.g. ${until}Z), got "${until}"`);
    refuse(400, `${UNTIL_ACCEPTS}, got "${until}"`);
  }
  return {
    action: action as AlarmActionName,
    by,
    ...(typeof note === 'string' ? { note } : {}),
    ...(typeof until === 'string' ? { until: parseTime('until', until) } : {}),
  };
}

/** A bulk action's `printers`: 1 to {@link MAX_BULK_PRINTERS} distinct printer ids, each checked as a path's. */
function parsePrinterList(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_BULK_PRINTERS) {
    refuse(400, `printers must be a list of 1 to ${MAX_BULK_PRINTERS} PrinterIds`);
  }
  const ids = value.map((id) =>
    typeof id === 'string' ? checkedId(id, 'refused') : refuse(400, 'printers must hold PrinterIds (strings)'),
  );
  const twice = ids.find((id, index) => ids.indexOf(id) !== index);
  if (twice !== undefined) refuse(400, `printer ${JSON.stringify(twice)} appears more than once in printers`);
  return ids;
}

const pageBody = <T>(key: 'printers' | 'items', page: Page<T>) => ({ [key]: page.items, next: page.next });

/** `/api/printers/:id` as a regular expression matching the same paths. */
const pathPattern = (path: string) => new RegExp(`^${path.replace(/:[A-Za-z]+/g, '[^/]+').replace(/\./g, '\\.')}$`);

/** The operator API on `operations`; `options.by` names who acts. */
export function createApi(operations: FleetOperations, options: ApiOptions): Hono {
  const app = new Hono();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  app.use('*', async (c, next) => {
    await next();
    // Answers change from one second to the next, and a dashboard polls them.
    c.header('cache-control', 'no-store');
    c.header('x-content-type-options', 'nosniff');
  });
  const limitBody = bodyLimit({
    maxSize: maxBodyBytes,
    onError: (c) => c.json({ error: `the body is over the ${maxBodyBytes}-byte limit` }, 413),
  });
  app.use('*', (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    // A host may pass a look-alike of Request (@hono/node-server without its global override), which bodyLimit cannot copy.
    const raw: Pick<Request, 'url' | 'method' | 'headers' | 'body'> = c.req.raw;
    if (!(raw instanceof Request)) {
      c.req.raw = new Request(raw.url, { method: raw.method, headers: raw.headers, body: raw.body, duplex: 'half' } as RequestInit);
    }
    return limitBody(c, next);
  });

  app.get('/api/health', async (c) => c.json({ ...(options.health ? await options.health() : {}), ok: true }));
  app.get('/api/openapi.json', (c) => c.json(openApiDocument()));

  // Registered before `/api/printers/:id`, whose pattern it also matches.
  app.get('/api/printers/ranked', async (c) => c.json({ printers: await operations.ranked(limitQuery(c, LIMITS.ranked)) }));

  app.get('/api/printers', async (c) => {
    const search = searchQuery(c);
    const cursor = cursorQuery(c);
    const limit = limitQuery(c, LIMITS.list);
    const page = accepted(await (search === undefined ? operations.list(cursor, limit) : operations.list(cursor, limit, search)));
    return c.json(pageBody('printers', page));
  });

  app.get('/api/alarms', async (c) => {
    const state = c.req.query('state');
    if (state === 'NORMAL') {
      refuse(400, 'state NORMAL is not listed here: every printer not in /api/alarms is NORMAL (all printers: /api/printers)');
    }
    if (state !== undefined && !(ALARM_LISTING_ORDER as readonly string[]).includes(state)) {
      refuse(400, `state must be one of ${ALARM_LISTING_ORDER.join(', ')}, got "${state}"`);
    }
    const cursor = cursorQuery(c);
    // Without limit and cursor, the whole list in one answer, as it always was.
    if (cursor === undefined && c.req.query('limit') === undefined) {
      return c.json({ printers: await operations.alarms(state as AlarmState | undefined), next: null });
    }
    const page = await operations.alarmPage(state as AlarmState | undefined, cursor, limitQuery(c, LIMITS.alarms, LIMITS.alarmsMax));
    return c.json(pageBody('printers', accepted(page)));
  });

  app.post('/api/alarms/actions', async (c) => {
    const body = await jsonBody(c);
    const { printers, ...rest } = body;
    const unknown = Object.keys(rest).find((key) => !['action', 'note', 'until'].includes(key));
    if (unknown !== undefined) refuse(400, `unknown field ${JSON.stringify(unknown)}; expected printers, action, note and until`);
    const ids = parsePrinterList(printers);
    const request = parseAlarmAction(rest, options.by(c));
    // One action per alarm, each its own guarded write and transition, in the request's order.
    const results = [];
    for (const id of ids) {
      const result = await operations.act(id, request);
      results.push(
        isRefusal(result)
          ? { PrinterId: id, status: result.status, error: oneLine(result.reason) }
          : { PrinterId: id, status: 200, alarm: result.alarm },
      );
    }
    return c.json({ results });
  });

  app.get('/api/printers/:id', async (c) => {
    const id = printerId(c, { defaults: 'allowed' });
    const detail = await operations.printer(id);
    if (detail === undefined) refuse(404, `no printer ${JSON.stringify(id)}`);
    return c.json({
      profile: detail.profile,
      effective: detail.effective,
      state: detail.state,
      alarm: detail.alarm,
      recent: detail.recent,
    });
  });

  app.put('/api/printers/:id', async (c) => {
    const id = printerId(c, { defaults: 'allowed' });
    const body = await jsonBody(c);
    if (body['PrinterId'] !== undefined && body['PrinterId'] !== id) {
      refuse(400, `PrinterId ${JSON.stringify(body['PrinterId'])} in the body does not match the path's ${JSON.stringify(id)}`);
    }
    const result = accepted(await operations.putProfile(id, { ...body, PrinterId: id }));
    return c.json(result.profile, result.created ? 201 : 200);
  });

  app.patch('/api/printers/:id', async (c) => {
    const id = printerId(c, { defaults: 'allowed' });
    const result = accepted(await operations.patchProfile(id, await jsonBody(c)));
    return c.json(result.profile, result.created ? 201 : 200);
  });

  app.post('/api/printers/:id/preview', async (c) => {
    const id = printerId(c, { defaults: 'refused' });
    const text = c.req.query('n');
    if (text !== undefined && (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > LIMITS.max)) {
      refuse(400, `n must be a whole number from 1 to ${LIMITS.max}, got "${text}"`);
    }
    const body = await jsonBody(c);
    if (body['PrinterId'] !== undefined && body['PrinterId'] !== id) {
      refuse(400, `PrinterId ${JSON.stringify(body['PrinterId'])} in the body does not match the path's ${JSON.stringify(id)}`);
    }
    const preview = await operations.preview(id, { ...body, PrinterId: id }, text === undefined ? undefined : Number(text));
    if (preview === undefined) refuse(404, `no printer ${JSON.stringify(id)}`);
    return c.json(accepted(preview));
  });

  app.post('/api/printers/:id/alarm', async (c) => {
    const id = printerId(c, { defaults: 'refused' });
    const request = parseAlarmAction(await jsonBody(c), options.by(c));
    return c.json(accepted(await operations.act(id, request)).alarm);
  });

  app.get('/api/printers/:id/history', async (c) => {
    const id = printerId(c, { defaults: 'refused' });
    const since = timeQuery(c, 'since');
    const until = timeQuery(c, 'until');
    if (since !== undefined && until !== undefined && since > until) refuse(400, 'since is after until');
    const cursor = cursorQuery(c);
    const query = {
      limit: limitQuery(c, LIMITS.history),
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
    };
    const page = await operations.history(id, cursor === undefined ? query : { ...query, cursor });
    if (page === undefined) refuse(404, `no printer ${JSON.stringify(id)}`);
    return c.json(pageBody('items', accepted(page)));
  });

  app.get('/api/events', async (c) => {
    const since = timeQuery(c, 'since');
    const until = timeQuery(c, 'until');
    if (since !== undefined && until !== undefined && since > until) refuse(400, 'since is after until');
    const cursor = cursorQuery(c);
    const query = {
      limit: limitQuery(c, LIMITS.history),
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
    };
    return c.json(pageBody('items', accepted(await operations.events(cursor === undefined ? query : { ...query, cursor }))));
  });

  app.get('/api/events/counts', async (c) => {
    const until = timeQuery(c, 'until') ?? Date.now();
    const since = timeQuery(c, 'since') ?? until - DAY_MS;
    if (since > until) refuse(400, 'since is after until');
    const text = c.req.query('buckets');
    if (text !== undefined && (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > LIMITS.bucketsMax)) {
      refuse(400, `buckets must be a whole number from 1 to ${LIMITS.bucketsMax}, got "${text}"`);
    }
    return c.json({ buckets: await operations.eventCounts(since, until, text === undefined ? LIMITS.buckets : Number(text)) });
  });

  const routes = app.routes.filter((route) => route.method !== 'ALL').map((route) => ({ ...route, pattern: pathPattern(route.path) }));
  app.notFound((c) => {
    // HEAD is answered wherever GET is (as HTTP has it), so it is allowed there too.
    const methods = routes.filter((route) => route.pattern.test(c.req.path)).map((route) => route.method);
    const allowed = [...new Set(methods.flatMap((method) => (method === 'GET' ? ['GET', 'HEAD'] : [method])))];
    if (allowed.length === 0) return c.json({ error: `no such route: ${c.req.method} ${c.req.path}` }, 404);
    c.header('allow', allowed.join(', '));
    return c.json({ error: `${c.req.method} is not allowed on ${c.req.path} (allowed: ${allowed.join(', ')})` }, 405);
  });
  app.onError((error, c) => {
    if (error instanceof HTTPException && error.status < 500) {
      const fields = error instanceof FieldsRefusal ? { fields: oneLineFields(error.fields) } : {};
      return c.json({ error: oneLine(error.message) || 'bad request', ...fields }, error.status as ContentfulStatusCode);
    }
    console.error('operator API: request failed', c.req.method, c.req.path, error);
    return c.json({ error: 'internal error' }, 500);
  });
  return app;
}
