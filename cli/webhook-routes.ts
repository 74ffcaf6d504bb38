/**
 * `npm run local -- --webhook ...` (repeatable): `URL` (or `default=URL`) is
 * the default route, for every severity not named; `SEVERITY=URL` routes only
 * that severity
 * (`contract/notification-routing.ts`, the stack's routing table, and
 * `docs/notifications.md`).
 */
import { DEFAULT_ROUTE, type RoutingTable, routeKeyOf, SEVERITIES } from '../contract/index.ts';

/** A `--webhook` value the twin cannot route (the CLI shows its message as a usage error). */
export class WebhookRouteError extends Error {
  override readonly name = 'WebhookRouteError';
}

const isHttpUrl = (text: string) => URL.canParse(text) && /^https?:$/.test(new URL(text).protocol);

/** The routing table of the `--webhook` values, in order; a bad value, or a route given twice, is a one-line error. */
export function webhookRoutes(values: readonly string[]): RoutingTable<string> {
  const table: { -readonly [K in keyof RoutingTable<string>]: string } = {};
  for (const value of values) {
    const split = value.indexOf('=');
    const named = split > 0 ? value.slice(0, split) : undefined;
    const routeKey = named === undefined ? undefined : routeKeyOf(named);
    const key = routeKey ?? DEFAULT_ROUTE;
    const url = routeKey === undefined ? value : value.slice(split + 1);
    if (!isHttpUrl(url)) {
      throw new WebhookRouteError(
        `--webhook must be an http(s) URL, or SEVERITY=URL with SEVERITY one of ${SEVERITIES.join(', ')}; got "${value}"`,
      );
    }
    if (table[key] !== undefined) {
      throw new WebhookRouteError(
        key === DEFAULT_ROUTE
          ? `--webhook: more than one URL for the severities not named ("${table[key]}", "${url}")`
          : `--webhook: ${key} routed twice`,
      );
    }
    table[key] = url;
  }
  return table;
}
