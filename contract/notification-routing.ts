/**
 * Routing alarm notifications by severity: one routing table, read the same
 * way by the stack (one SNS subscription per destination, with a filter
 * policy on the `Severity` message attribute) and by the twin (one webhook per
 * destination, which gets a notification when the same filter policy matches
 * the attributes the function published it with). `docs/notifications.md`
 * shows both.
 *
 * A table names a destination per severity, and `default` for the severities
 * it does not name. A severity named goes only where it is routed; without a
 * `default`, severities not named go nowhere.
 */
import type { Severity } from './wire.ts';

/** Alarm severities, highest first. */
export const SEVERITIES: readonly Severity[] = ['critical', 'major', 'minor', 'warning'];

/** The SNS message attributes a notification is published with (filter policies read them). */
export const NOTIFICATION_ATTRIBUTE = {
  /** The transition's `Severity` (a String; every notified transition has one). */
  severity: 'Severity',
  /** The transition's `Cause` (a String). */
  cause: 'Cause',
  /** The state the alarm moved to, the transition's `To` (a String). */
  state: 'State',
  /** A re-notification's number (a Number). */
  renotify: 'Renotify',
  /** How many earlier transitions of the same write a notification stands for (a Number). */
  folded: 'Folded',
} as const;

/** The route for the severities a table does not name. */
export const DEFAULT_ROUTE = 'default';
export type RouteKey = Severity | typeof DEFAULT_ROUTE;
/** Every key a routing table may have, in the order routes are listed. */
export const ROUTE_KEYS: readonly RouteKey[] = [...SEVERITIES, DEFAULT_ROUTE];

/** A destination per severity, and `default` for the others. */
export type RoutingTable<D> = { readonly [K in RouteKey]?: D };

/** One condition of a filter policy: the exact value, or any value but these. */
export type FilterCondition = string | { readonly 'anything-but': readonly string[] };
/** An SNS subscription filter policy on message attributes (the subset routing uses): every key must match one of its conditions. */
export type FilterPolicy = Readonly<Record<string, readonly FilterCondition[]>>;

/** Where a destination's notifications go, and which of them. */
export interface Route<E> {
  readonly endpoint: E;
  /** The table's keys that lead here, in `ROUTE_KEYS` order. */
  readonly keys: readonly RouteKey[];
  /** The filter policy of its subscription; undefined: every notification. */
  readonly filterPolicy: FilterPolicy | undefined;
}

/** A table key, or undefined for anything else. */
export function routeKeyOf(name: string): RouteKey | undefined {
  return ROUTE_KEYS.find((key) => key === name);
}

/**
 * The routes of a table: one per endpoint (`endpoints` lists a destination's,
 * `id` tells two apart), since a topic holds one subscription per endpoint. An
 * endpoint reached by named severities takes exactly those; the `default`
 * endpoint takes any severity but those routed elsewhere. An endpoint that
 * takes every severity has no filter policy: it gets every notification.
 */
export function routesOf<D, E>(
  table: RoutingTable<D>,
  endpoints: (destination: D) => readonly E[],
  id: (endpoint: E) => string = String,
): Route<E>[] {
  const byId = new Map<string, { endpoint: E; keys: RouteKey[] }>();
  for (const key of ROUTE_KEYS) {
    const destination = table[key];
    if (destination === undefined) continue;
    for (const endpoint of endpoints(destination)) {
      const found = byId.get(id(endpoint)) ?? { endpoint, keys: [] };
      if (!found.keys.includes(key)) found.keys.push(key);
      byId.set(id(endpoint), found);
    }
  }
  const named = SEVERITIES.filter((severity) => table[severity] !== undefined);
  return [...byId.values()].map(({ endpoint, keys }) => {
    const mine = keys.filter((key): key is Severity => key !== DEFAULT_ROUTE);
    const elsewhere = named.filter((severity) => !mine.includes(severity));
    const takesAll = keys.includes(DEFAULT_ROUTE) ? elsewhere.length === 0 : mine.length === SEVERITIES.length;
    if (takesAll) return { endpoint, keys, filterPolicy: undefined };
    const conditions: FilterCondition[] = keys.includes(DEFAULT_ROUTE) ? [{ 'anything-but': elsewhere }] : mine;
    return { endpoint, keys, filterPolicy: { [NOTIFICATION_ATTRIBUTE.severity]: conditions } };
  });
}

/**
 * Whether SNS delivers a message with these (string) attributes to a
 * subscription with this filter policy: every key of the policy is an
 * attribute of the message whose value meets one of the key's conditions. No
 * policy: every message.
 */
export function matchesFilterPolicy(policy: FilterPolicy | undefined, attributes: Readonly<Record<string, string>>): boolean {
  if (policy === undefined) return true;
  return Object.entries(policy).every(([name, conditions]) => {
    if (!Object.hasOwn(attributes, name)) return false;
    const value = attributes[name];
    return conditions.some((condition) =>
      typeof condition === 'string' ? condition === value : !condition['anything-but'].includes(value as string),
    );
  });
}
