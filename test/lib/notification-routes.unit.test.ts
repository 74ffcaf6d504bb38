/**
 * The stack's subscriptions for any routing table, as CloudFormation receives
 * them: evaluated with an independent model of SNS filtering, each severity
 * reaches exactly the endpoints the table routes it to, and each endpoint is
 * subscribed once. (The full stack's template, with its exact policies, is in
 * alarm-delivery.test.ts; this builds only a topic, so it runs many tables.)
 */
import { Stack } from 'aws-cdk-lib';
import { CfnSubscription, Topic } from 'aws-cdk-lib/aws-sns';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FilterPolicy, ROUTE_KEYS, SEVERITIES, type Severity } from '../../contract/index.ts';
import { type NotificationRouting, readNotificationRouting, routedSubscriptions } from '../../lib/notification-routes.ts';
import { snsModel } from '../support/sns-filter-model.ts';

const EMAILS = ['oncall@example.com', 'team@example.com'];
const URLS = ['https://pager.example.com/hook', 'https://chat.example.com/hook'];
const destination = fc
  .record({ email: fc.constantFrom(...EMAILS), url: fc.constantFrom(...URLS) }, { requiredKeys: [] })
  .filter((d) => d.email !== undefined || d.url !== undefined);
const routing = fc.record(Object.fromEntries(ROUTE_KEYS.map((key) => [key, destination])), {
  requiredKeys: [],
}) as fc.Arbitrary<NotificationRouting>;

/** The table's meaning: a named severity goes to its destination's endpoints, any other to default's. */
function endpointsFor(table: NotificationRouting, severity: Severity): string[] {
  const d = table[severity] ?? table.default;
  return d === undefined ? [] : [d.email, d.url].filter((e): e is string => e !== undefined);
}

/** The subscriptions CloudFormation would create on a topic for `table`. */
function subscriptions(table: NotificationRouting): { endpoint: string; filterPolicy: FilterPolicy | undefined }[] {
  const stack = new Stack();
  const topic = new Topic(stack, 'Topic');
  for (const { subscription } of routedSubscriptions(table)) topic.addSubscription(subscription);
  // The subscriptions' CloudFormation properties, resolved as synthesis renders them (without writing an assembly).
  return stack.node
    .findAll()
    .filter((c): c is CfnSubscription => c instanceof CfnSubscription)
    .map((c) => ({
      endpoint: stack.resolve(c.endpoint) as string,
      filterPolicy: stack.resolve(c.filterPolicy) as FilterPolicy | undefined,
    }));
}

describe('the stack subscriptions of a routing table', () => {
  it('deliver each severity exactly where the table routes it, each endpoint subscribed once', () => {
    fc.assert(
      fc.property(routing, (table) => {
        const subs = subscriptions(table);
        expect(new Set(subs.map((s) => s.endpoint)).size).toBe(subs.length);
        for (const severity of SEVERITIES) {
          const reached = subs.filter((s) => snsModel(s.filterPolicy, { Severity: severity, Cause: 'threshold', State: 'ACTIVE' }));
          expect(reached.map((s) => s.endpoint).sort(), severity).toEqual(endpointsFor(table, severity).sort());
        }
      }),
      { numRuns: 200 },
    );
  });

  it('are read back from their JSON context text unchanged', () => {
    fc.assert(
      fc.property(routing, (table) => {
        expect(readNotificationRouting(JSON.stringify(table))).toEqual(table);
      }),
    );
  });
});
