/**
 * The local twin's topic rule engine: the part of AWS IoT SQL the stack's rule
 * uses, and nothing more. The SQL is the shared {@link RULE_SQL}; anything this
 * module cannot evaluate exactly as AWS IoT does is rejected when the twin
 * starts, so that the twin and the cloud can never silently diverge. Extend
 * this module (and its tests) before giving the rule a WHERE clause or a
 * projection.
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
}

/** SQL versions whose `SELECT * FROM` semantics the twin reproduces. */
export const SUPPORTED_SQL_VERSIONS: readonly string[] = ['2016-03-23'];

const SELECT_ALL = /^\s*SELECT\s+\*\s+FROM\s+'([^']*)'\s*$/i;

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
  const match = SELECT_ALL.exec(sql);
  if (!match) {
    throw new RuleSqlError(
      `the local twin evaluates only "SELECT * FROM 'topic/filter'", not "${sql}": extend local/rule.ts before changing the rule`,
    );
  }
  const topicFilter = match[1] ?? '';
  const problem = topicFilterProblem(topicFilter);
  if (problem) throw new RuleSqlError(`rule "${sql}": ${problem}`);
  return { sql, sqlVersion, topicFilter };
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

/** What the rule hands to its Lambda action for one message, or why it cannot. */
export type RuleEvaluation =
  | { readonly matched: false }
  | { readonly matched: true; readonly ok: true; readonly event: unknown }
  | { readonly matched: true; readonly ok: false; readonly reason: string };

/**
 * Evaluates the rule on one message. `SELECT *` on a JSON payload gives the
 * payload itself. A payload that is not JSON is binary to AWS IoT, and the
 * Lambda action does not accept binary payloads: the action fails and the
 * function is not invoked.
 */
export function evaluateRule(rule: TopicRule, topic: string, payload: Uint8Array): RuleEvaluation {
  if (!topicMatches(rule.topicFilter, topic)) return { matched: false };
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  try {
    return { matched: true, ok: true, event: JSON.parse(text) as unknown };
  } catch {
    return {
      matched: true,
      ok: false,
      reason: 'the payload is not JSON; the Lambda action does not accept binary payloads, so the function is not invoked',
    };
  }
}
