/**
 * An independent model of SNS subscription filter policies on message
 * attributes, for the subset notification routing uses (exact strings and
 * `anything-but`), written from SNS's documentation, apart from
 * `contract/notification-routing.ts`.
 */
import { type FilterPolicy, NOTIFICATION_ATTRIBUTE, SEVERITIES } from '../../contract/index.ts';

/** Values attributes take in these tests: the severities and a few others. */
export const VALUES = [...SEVERITIES, 'threshold', 'ACTIVE', 'none'];
export const NAMES = [NOTIFICATION_ATTRIBUTE.severity, NOTIFICATION_ATTRIBUTE.cause, NOTIFICATION_ATTRIBUTE.state];

/**
 * SNS's rule, read from its documentation as sets: a key accepts the union of
 * its conditions' value sets (an exact value: that value; `anything-but`: every
 * value not listed); a message passes when each key names one of its
 * attributes and that attribute's value is in the key's set.
 */
export function snsModel(policy: FilterPolicy | undefined, attributes: Readonly<Record<string, string>>): boolean {
  if (policy === undefined) return true;
  for (const name of Object.keys(policy)) {
    const accepted = new Set<string>();
    for (const condition of policy[name]!) {
      const values = typeof condition === 'string' ? [condition] : VALUES.filter((v) => !condition['anything-but'].includes(v));
      for (const v of values) accepted.add(v);
    }
    if (!(name in attributes) || !accepted.has(attributes[name]!)) return false;
  }
  return true;
}
