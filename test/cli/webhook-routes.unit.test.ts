/**
 * `npm run local -- --webhook [SEVERITY=]URL` (repeatable) read into the
 * routing table the twin applies: any table written as flags reads back the
 * same; a bad value or a route given twice is a one-line error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROUTE_KEYS, type RoutingTable } from '../../contract/index.ts';
import { WebhookRouteError, webhookRoutes } from '../../cli/webhook-routes.ts';

const url = fc.webUrl({ withQueryParameters: true }).filter((u) => u.startsWith('http'));
const table: fc.Arbitrary<RoutingTable<string>> = fc.record(Object.fromEntries(ROUTE_KEYS.map((key) => [key, url])), {
  requiredKeys: [],
}) as fc.Arbitrary<RoutingTable<string>>;

describe('--webhook values', () => {
  it('read back any routing table, a plain URL being the default route', () => {
    fc.assert(
      fc.property(
        fc.tuple(table, fc.boolean()).chain(([t, plainDefault]) => {
          const flags = Object.entries(t).map(([key, u]) => (key === 'default' && plainDefault ? u! : `${key}=${u}`));
          return fc.tuple(fc.constant(t), fc.shuffledSubarray(flags, { minLength: flags.length }));
        }),
        ([t, flags]) => {
          expect(webhookRoutes(flags)).toEqual(t);
        },
      ),
    );
  });

  it('keep a URL with = in its query as one URL', () => {
    expect(webhookRoutes(['http://127.0.0.1:9/hook?critical=1', 'warning=http://127.0.0.1:9/w?a=b'])).toEqual({
      default: 'http://127.0.0.1:9/hook?critical=1',
      warning: 'http://127.0.0.1:9/w?a=b',
    });
  });

  it.each([
    [['ftp://example.com/x'], /must be an http\(s\) URL, or SEVERITY=URL with SEVERITY one of critical, major, minor, warning; got "ftp/],
    [['urgent=http://127.0.0.1/x'], /got "urgent=http/],
    [['critical=not a url'], /got "critical=not a url"/],
    [['http://a.test/1', 'http://a.test/2'], /more than one URL for the severities not named/],
    [['critical=http://a.test/1', 'critical=http://a.test/2'], /critical routed twice/],
  ])('refuse %j', (values, message) => {
    expect(() => webhookRoutes(values)).toThrow(WebhookRouteError);
    expect(() => webhookRoutes(values)).toThrow(message);
  });
});
