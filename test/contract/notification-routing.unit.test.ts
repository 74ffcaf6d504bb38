/**
 * The routing table both the stack and the twin read
 * (`contract/notification-routing.ts`): its filter policies are evaluated
 * against an independent model of SNS filter matching (the subset routing
 * uses: exact strings and `anything-but` on message attributes), and what
 * they deliver against the table's meaning, for random tables and
 * notifications.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FilterCondition,
  type FilterPolicy,
  matchesFilterPolicy,
  NOTIFICATION_ATTRIBUTE,
  ROUTE_KEYS,
  type RoutingTable,
  routesOf,
  SEVERITIES,
  type Severity,
} from '../../contract/index.ts';
import { NAMES, snsModel, VALUES } from '../support/sns-filter-model.ts';

const condition: fc.Arbitrary<FilterCondition> = fc.oneof(
  fc.constantFrom(...VALUES),
  fc.uniqueArray(fc.constantFrom(...VALUES), { minLength: 1 }).map((list) => ({ 'anything-but': list })),
);
const policy: fc.Arbitrary<FilterPolicy | undefined> = fc.option(
  fc.dictionary(fc.constantFrom(...NAMES), fc.array(condition, { minLength: 1, maxLength: 3 }), { minKeys: 1 }),
  { nil: undefined },
);
const attributes = fc.dictionary(fc.constantFrom(...NAMES), fc.constantFrom(...VALUES));

const ENDPOINTS = ['hook-a', 'hook-b', 'hook-c', 'hook-d'];
const table: fc.Arbitrary<RoutingTable<readonly string[]>> = fc.record(
  Object.fromEntries(ROUTE_KEYS.map((key) => [key, fc.uniqueArray(fc.constantFrom(...ENDPOINTS), { minLength: 1, maxLength: 2 })])),
  { requiredKeys: [] },
) as fc.Arbitrary<RoutingTable<readonly string[]>>;

/** What the table means: a severity it names goes to its endpoints, any other to `default`'s. */
function routedTo(t: RoutingTable<readonly string[]>, severity: Severity | undefined): string[] {
  // Without a severity: only the endpoints that take every severity (their subscriptions need no filter).
  if (severity === undefined) return ENDPOINTS.filter((e) => SEVERITIES.every((s) => routedTo(t, s).includes(e)));
  return [...(t[severity] ?? t.default ?? [])];
}

/** Where a notification with these attributes goes, as SNS (the model) delivers over the table's subscriptions. */
function delivered(t: RoutingTable<readonly string[]>, attrs: Readonly<Record<string, string>>): string[] {
  return routesOf(t, (endpoints) => endpoints)
    .filter((route) => snsModel(route.filterPolicy, attrs))
    .map((route) => route.endpoint);
}

describe('filter policy matching', () => {
  it('agrees with the model of SNS for random policies and attributes', () => {
    fc.assert(
      fc.property(policy, attributes, (p, attrs) => {
        expect(matchesFilterPolicy(p, attrs)).toBe(snsModel(p, attrs));
      }),
      { numRuns: 2000 },
    );
  });

  it('an absent attribute matches no key, anything-but included', () => {
    expect(matchesFilterPolicy({ Severity: [{ 'anything-but': ['critical'] }] }, {})).toBe(false);
    expect(matchesFilterPolicy({ Severity: [{ 'anything-but': ['critical'] }] }, { Severity: 'warning' })).toBe(true);
    expect(matchesFilterPolicy({ Severity: ['critical'] }, { Severity: 'critical', Cause: 'silent' })).toBe(true);
  });
});

describe('routes of a table', () => {
  it('deliver each notification exactly where the table routes its severity, once per endpoint', () => {
    fc.assert(
      fc.property(table, fc.option(fc.constantFrom(...SEVERITIES), { nil: undefined }), attributes, (t, severity, extra) => {
        const { [NOTIFICATION_ATTRIBUTE.severity]: _dropped, ...others } = extra;
        const attrs = severity === undefined ? others : { ...others, [NOTIFICATION_ATTRIBUTE.severity]: severity };
        const got = delivered(t, attrs);
        expect(new Set(got).size).toBe(got.length);
        expect(got.sort()).toEqual(routedTo(t, severity).sort());
        // The same decision through the product's matcher (the twin's).
        const twin = routesOf(t, (e) => e).filter((r) => matchesFilterPolicy(r.filterPolicy, attrs));
        expect(twin.map((r) => r.endpoint).sort()).toEqual(got);
      }),
      { numRuns: 1000 },
    );
  });

  it('are valid SNS filter policies: one key, Severity, with a non-empty list', () => {
    fc.assert(
      fc.property(table, (t) => {
        for (const { filterPolicy } of routesOf(t, (e) => e)) {
          if (filterPolicy === undefined) continue;
          expect(Object.keys(filterPolicy)).toEqual([NOTIFICATION_ATTRIBUTE.severity]);
          const conditions = filterPolicy[NOTIFICATION_ATTRIBUTE.severity]!;
          expect(conditions.length).toBeGreaterThan(0);
          for (const c of conditions) if (typeof c !== 'string') expect(c['anything-but'].length).toBeGreaterThan(0);
        }
      }),
    );
  });

  it('name exact severities for a named endpoint, anything-but the others for the default', () => {
    const routes = routesOf({ critical: ['pager'], warning: ['chat'], minor: ['chat'], default: ['mail'] }, (e) => e);
    expect(routes).toEqual([
      { endpoint: 'pager', keys: ['critical'], filterPolicy: { Severity: ['critical'] } },
      { endpoint: 'chat', keys: ['minor', 'warning'], filterPolicy: { Severity: ['minor', 'warning'] } },
      { endpoint: 'mail', keys: ['default'], filterPolicy: { Severity: [{ 'anything-but': ['critical', 'minor', 'warning'] }] } },
    ]);
    expect(routesOf({ default: ['mail'] }, (e) => e)).toEqual([{ endpoint: 'mail', keys: ['default'], filterPolicy: undefined }]);
    expect(routesOf({ critical: ['mail'], default: ['mail'] }, (e) => e)).toEqual([
      { endpoint: 'mail', keys: ['critical', 'default'], filterPolicy: undefined },
    ]);
  });
});
