/**
 * The stack's side of routing notifications by severity
 * (`contract/notification-routing.ts`, `docs/notifications.md`): the `notify`
 * routing table (a prop, or context as JSON), whose destinations are an
 * email address and/or an HTTPS endpoint, read and checked, and each
 * endpoint's subscription with its filter policy on the `Severity` attribute.
 */
import { SubscriptionFilter } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, UrlSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { ITopicSubscription } from 'aws-cdk-lib/aws-sns';
import { isRecord } from '../common/guards.ts';
import { type FilterPolicy, ROUTE_KEYS, type RouteKey, type RoutingTable, routeKeyOf, routesOf } from '../contract/index.ts';

/** Where one route's notifications go: an email address, an HTTPS endpoint, or both. */
export interface NotificationDestination {
  /** Receives each notification of the route as an email (AWS sends a confirmation message first). */
  readonly email?: string;
  /** An `https://` endpoint SNS POSTs each notification to (it must confirm the subscription). */
  readonly url?: string;
}

/** A destination per severity (`critical`, `major`, `minor`, `warning`), and `default` for the severities not named. */
export type NotificationRouting = RoutingTable<NotificationDestination>;

/** A `notify` table the stack cannot deploy; its message is one line naming what is wrong. */
export class NotificationRoutingError extends Error {
  override readonly name = 'NotificationRoutingError';
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The `notify` table from a prop or a context value (an object, or its JSON
 * text as `cdk deploy -c notify='{"critical": {"email": "..."}}'` gives it).
 */
export function readNotificationRouting(value: unknown): NotificationRouting {
  let table = value;
  if (typeof value === 'string') {
    try {
      table = JSON.parse(value) as unknown;
    } catch {
      throw new NotificationRoutingError(`notify must be a JSON object, got "${value}"`);
    }
  }
  if (!isRecord(table)) throw new NotificationRoutingError(`notify must be an object of ${ROUTE_KEYS.join(', ')}`);
  const routing: { -readonly [K in RouteKey]?: NotificationDestination } = {};
  for (const [name, destination] of Object.entries(table)) {
    const key = routeKeyOf(name);
    if (key === undefined) throw new NotificationRoutingError(`notify.${name}: not a route, use one of ${ROUTE_KEYS.join(', ')}`);
    if (!isRecord(destination)) throw new NotificationRoutingError(`notify.${name} must be an object with email and/or url`);
    const { email, url, ...rest } = destination;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) throw new NotificationRoutingError(`notify.${name}.${unknown[0]}: unknown, use email and/or url`);
    if (email === undefined && url === undefined) throw new NotificationRoutingError(`notify.${name} needs an email or a url`);
    if (email !== undefined && !(typeof email === 'string' && EMAIL.test(email))) {
      throw new NotificationRoutingError(`notify.${name}.email must be an email address, got ${JSON.stringify(email)}`);
    }
    if (url !== undefined && !(typeof url === 'string' && URL.canParse(url) && new URL(url).protocol === 'https:')) {
      throw new NotificationRoutingError(`notify.${name}.url must be an https:// URL, got ${JSON.stringify(url)}`);
    }
    routing[key] = { ...(email !== undefined ? { email } : {}), ...(url !== undefined ? { url } : {}) };
  }
  return routing;
}

/** One subscription: its endpoint and the filter policy that routes it. */
export interface RoutedSubscription {
  readonly subscription: ITopicSubscription;
  /** For acknowledgments' reasons: which kind of endpoint. */
  readonly protocol: 'email' | 'https';
}

/** The subscriptions of a table: one per endpoint, filtered on `Severity` as `routesOf` decides. */
export function routedSubscriptions(routing: NotificationRouting): RoutedSubscription[] {
  type Endpoint = { readonly protocol: 'email' | 'https'; readonly address: string };
  const endpoints = (d: NotificationDestination): Endpoint[] => [
    ...(d.email !== undefined ? [{ protocol: 'email' as const, address: d.email }] : []),
    ...(d.url !== undefined ? [{ protocol: 'https' as const, address: d.url }] : []),
  ];
  return routesOf(routing, endpoints, (e) => `${e.protocol}:${e.address}`).map(({ endpoint, filterPolicy }) => {
    const options = filterPolicy === undefined ? {} : { filterPolicy: subscriptionFilters(filterPolicy) };
    const subscription =
      endpoint.protocol === 'email' ? new EmailSubscription(endpoint.address, options) : new UrlSubscription(endpoint.address, options);
    return { subscription, protocol: endpoint.protocol };
  });
}

/** A filter policy as CDK takes it (each key's conditions, rendered as they are). */
function subscriptionFilters(policy: FilterPolicy): Record<string, SubscriptionFilter> {
  return Object.fromEntries(Object.entries(policy).map(([name, conditions]) => [name, new SubscriptionFilter([...conditions])]));
}
