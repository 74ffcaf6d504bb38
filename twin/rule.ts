/**
 * The local twin's topic rule engine: the part of AWS IoT SQL the stack's rules
 * use, and nothing more. The SQL is the shared `ruleSql(mode)`: `SELECT * FROM
 * 'topic'`, or in device identity mode `SELECT *, clientid() AS x FROM 'topic'
 * WHERE isUndefined(x)`. Anything this module cannot evaluate exactly as AWS
 * IoT does is rejected when the twin starts, so that the twin and the cloud
 * can never silently diverge. Extend this module (and its tests) before giving
 * the rule another clause or projection.
 */
import { RULE_SQL_VERSION } from '../contract/index.ts';

/** The rule SQL (or its version) is something the twin does not evaluate. */
export class RuleSqlError extends Error {
  override readonly name = 'RuleSqlError';
}

/** A parsed topic rule the twin can evaluate. */
export interface TopicRule {
  /** The SQL as written. */
  readonly sql: string;
  readonly sqlVersion: string;
  /** The FROM clause: an MQTT topic filter (`+` and `#` wildcards). */
  readonly topicFilter: string;
  /** `SELECT *, clientid() AS <name> ... WHERE isUndefined(<name>)`: the field the sender's client id is added as. */
  readonly clientIdAs?: string;
}

/** SQL versions whose `SELECT * FROM` semantics the twin reproduces. */
export const SUPPORTED_SQL_VERSIONS: readonly string[] = ['2016-03-23'];

const SELECT_ALL = /^\s*SELECT\s+\*\s+FROM\s+'([^']*)'\s*$/i;
const SELECT_ALL_WITH_CLIENT_ID =
  /^\s*SELECT\s+\*\s*,\s*clientid\(\)\s+AS\s+([A-Za-z_][A-Za-z0-9_]*)\s+FROM\s+'([^']*)'\s+WHERE\s+isUndefined\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/i;

/** Checks an MQTT topic filter; returns a reason when it is not a valid one. */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter.length === 0) return 'the topic filter is empty';
  if (Buffer.byteLength(filter) > 256) return 'the topic filter is over 256 bytes';
  if (filter.includes('\u0000')) return 'the topic filter contains a NUL character';
  const levels = filter.split('/');
  for (const [index, level] of levels.entries()) {
    if (level.includes('#') && (level !== '#' || index !== levels.length - 1)) {
      return '"#" must be a whole level and the last one';
    }
    if (level.includes('+') && level !== '+') return '"+" must be a whole level';
  }
  return undefined;
}

/**
 * Parses a topic rule's SQL. Supports exactly `SELECT * FROM 'topic/filter'`
 * (keywords in any case); throws {@link RuleSqlError} for anything else.
 */
export function parseRuleSql(sql: string, sqlVersion: string = RULE_SQL_VERSION): TopicRule {
  if (!SUPPORTED_SQL_VERSIONS.includes(sqlVersion)) {
    throw new RuleSqlError(`the local twin evaluates rules of SQL version ${SUPPORTED_SQL_VERSIONS.join(', ')} only, not "${sqlVersion}"`);
  }
  const plain = SELECT_ALL.exec(sql);
  const withClientId = SELECT_ALL_WITH_CLIENT_ID.exec(sql);
  if (!plain && !(withClientId && withClientId[1] === withClientId[3])) {
    throw new RuleSqlError(
      `the local twin evaluates only "SELECT * FROM 'topic/filter'" and "SELECT *, clientid() AS x FROM 'topic/filter' WHERE isUndefined(x)", ` +
        `not "${sql}": extend twin/rule.ts before changing the rule`,
    );
  }
  const topicFilter = (plain ? plain[1] : withClientId?.[2]) ?? '';
  const problem = topicFilterProblem(topicFilter);
  if (problem) throw new RuleSqlError(`rule "${sql}": ${problem}`);
  return { sql, sqlVersion, topicFilter, ...(withClientId?.[1] ? { clientIdAs: withClientId[1] } : {}) };
}

/**
 * Whether a topic matches an MQTT topic filter. As in MQTT 3.1.1 (4.7.2),
 * wildcards at the first level do not match topics starting with `$`.
 */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i += 1) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * An event as JSON text, as AWS hands it on (bytes, parsed only by the
 * function's runtime). The twin keeps a message's text for every hop that
 * would otherwise serialise the parsed value again (to a worker thread, to
 * the stream, to the dead-letter file): a payload nested tens of thousands
 * deep parses fine but overflows the stack when serialised or cloned.
 */
export class JsonEvent {
  constructor(readonly json: string) {}
}

/** What the rule hands to its Lambda action for one message (the event, and its JSON text), or why it cannot. */
export type RuleEvaluation =
  | { readonly matched: false }
  | { readonly matched: true; readonly ok: true; readonly event: unknown; readonly json: string }
  | { readonly matched: true; readonly ok: false; readonly reason: string };

/**
 * Evaluates the rule on one message from the client `clientId` (undefined for
 * a message the broker itself published). `SELECT *` on a JSON payload gives
 * the payload itself; with `clientid() AS x`, the object gains `x` (nothing
 * when there is no client id, as AWS IoT leaves out an Undefined), and
 * `WHERE isUndefined(x)` skips a payload that carries `x` itself. A payload
 * that is not JSON is binary to AWS IoT, and the Lambda action does not accept
 * binary payloads: the action fails and the function is not invoked.
 */
export function evaluateRule(rule: TopicRule, topic: string, payload: Uint8Array, clientId?: string): RuleEvaluation {
  if (!topicMatches(rule.topicFilter, topic)) return { matched: false };
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  try {
    const event = JSON.parse(text) as unknown;
    const field = rule.clientIdAs;
    if (field === undefined || typeof event !== 'object' || event === null || Array.isArray(event)) {
      return { matched: true, ok: true, event, json: text };
    }
    if (Object.hasOwn(event, field)) return { matched: false };
    if (clientId === undefined) return { matched: true, ok: true, event, json: text };
    // The object's text with the field added before its closing brace (no re-serialising: see JsonEvent).
    const added = `${JSON.stringify(field)}:${JSON.stringify(clientId)}`;
    const body = text.slice(0, text.lastIndexOf('}'));
    const json = `${body}${Object.keys(event).length === 0 ? '' : ','}${added}}`;
    return { matched: true, ok: true, event: { ...event, [field]: clientId }, json };
  } catch {
    return {
      matched: true,
      ok: false,
      reason: 'the payload is not JSON; the Lambda action does not accept binary payloads, so the function is not invoked',
    };
  }
}
