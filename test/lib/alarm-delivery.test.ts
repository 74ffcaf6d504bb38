/**
 * Where alarm transitions go besides their MQTT topics, as every function
 * that moves alarms (the detector, the sweep, the operator API) is wired to
 * it: the notifications topic (its own rotated key, TLS only, an optional
 * email subscription), the one environment the three functions share, and
 * the delivery grants, each scoped to its resource.
 */
import { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { NotificationRoutingError, readNotificationRouting } from '../../lib/notification-routes.ts';
import { PrinterAnomalyStack } from '../../lib/stack.ts';
import {
  actionsOf,
  allStatements,
  builtTemplate,
  onlyResource,
  refTo,
  resourcesOf,
  statementsOfRole,
  sharedSynth,
  withSynthesizedStack,
} from '../support/cdk-app.ts';
import { arnOf, FUNCTIONS, HISTORY, keyIdOf, NOTIFICATIONS_TOPIC, OPERATIONS_TOPIC, roleIdOf, deliveryStatements } from './stack-parts.ts';

const { template } = await sharedSynth();

const notificationsTopic = () => refTo(template, 'AWS::SNS::Topic', NOTIFICATIONS_TOPIC);

describe('notifications topic', () => {
  it('is a topic of its own, apart from the operations topic', () => {
    template.resourceCountIs('AWS::SNS::Topic', 2);
    expect(notificationsTopic()).not.toEqual(refTo(template, 'AWS::SNS::Topic', OPERATIONS_TOPIC));
  });

  it('is encrypted with its own customer-managed key, rotated yearly', () => {
    const keyId = keyIdOf(template, NOTIFICATIONS_TOPIC);
    expect(keyId).not.toBe(keyIdOf(template, OPERATIONS_TOPIC));
    expect(template.toJSON()['Resources'][keyId]).toMatchObject({
      Type: 'AWS::KMS::Key',
      Properties: { EnableKeyRotation: true, Description: expect.stringContaining('notifications') },
    });
  });

  it('lets no principal delegate the key with a grant, and gives no AWS service the key (only the functions use it)', () => {
    const keyPolicy = template.toJSON()['Resources'][keyIdOf(template, NOTIFICATIONS_TOPIC)]['Properties']['KeyPolicy'];
    expect(keyPolicy.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Sid: 'GrantsOnlyForAwsServices',
          Effect: 'Deny',
          Action: 'kms:CreateGrant',
          Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
        }),
      ]),
    );
    expect(keyPolicy.Statement.filter((st: { Principal?: { Service?: unknown } }) => st.Principal?.Service !== undefined)).toEqual([]);
  });

  it('refuses requests without TLS', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [notificationsTopic()],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  it('has no subscription by default, and subscribes the address given as context notificationEmail to every notification', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    withSynthesizedStack({ context: { notificationEmail: 'alarms@example.com' } }, (synth) => {
      synth.template.resourceCountIs('AWS::SNS::Subscription', 1);
      synth.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'alarms@example.com',
        TopicArn: refTo(synth.template, 'AWS::SNS::Topic', NOTIFICATIONS_TOPIC),
        FilterPolicy: Match.absent(),
      });
    });
  });
});

describe('notifications routed by severity (context notify)', () => {
  /** Every subscription of the notifications topic: protocol, endpoint, filter policy (null: none). */
  const subscriptionsOf = (t: Template) =>
    Object.values(t.findResources('AWS::SNS::Subscription')).map(({ Properties: p }) => {
      expect(p['TopicArn']).toEqual(refTo(t, 'AWS::SNS::Topic', NOTIFICATIONS_TOPIC));
      return { protocol: p['Protocol'], endpoint: p['Endpoint'], filterPolicy: p['FilterPolicy'] ?? null };
    });
  const byEndpoint = (a: { endpoint: string }, b: { endpoint: string }) => a.endpoint.localeCompare(b.endpoint);

  const ROUTING = {
    critical: { email: 'oncall@example.com', url: 'https://pager.example.com/hook' },
    minor: { url: 'https://chat.example.com/hook' },
    warning: { url: 'https://chat.example.com/hook' },
    default: { email: 'team@example.com' },
  };
  const EXPECTED = [
    { protocol: 'email', endpoint: 'oncall@example.com', filterPolicy: { Severity: ['critical'] } },
    { protocol: 'https', endpoint: 'https://pager.example.com/hook', filterPolicy: { Severity: ['critical'] } },
    { protocol: 'https', endpoint: 'https://chat.example.com/hook', filterPolicy: { Severity: ['minor', 'warning'] } },
    {
      protocol: 'email',
      endpoint: 'team@example.com',
      filterPolicy: { Severity: [{ 'anything-but': ['critical', 'minor', 'warning'] }] },
    },
  ].sort(byEndpoint);

  it('subscribes each endpoint once, filtered on the Severity attribute exactly as configured (JSON context or prop)', () => {
    expect(subscriptionsOf(builtTemplate({ notify: JSON.stringify(ROUTING) })).sort(byEndpoint)).toEqual(EXPECTED);
    expect(subscriptionsOf(builtTemplate({}, { notify: ROUTING })).sort(byEndpoint)).toEqual(EXPECTED);
  });

  it('gives a default that takes every severity no filter, and routes unnamed severities nowhere without a default', () => {
    const both = builtTemplate({ notify: { critical: { email: 'ops@example.com' }, default: { email: 'ops@example.com' } } });
    const noDefault = builtTemplate({ notify: { warning: { email: 'chat@example.com' } } });
    expect(subscriptionsOf(both)).toEqual([{ protocol: 'email', endpoint: 'ops@example.com', filterPolicy: null }]);
    expect(subscriptionsOf(noDefault)).toEqual([
      { protocol: 'email', endpoint: 'chat@example.com', filterPolicy: { Severity: ['warning'] } },
    ]);
  });

  it.each([
    [{ urgent: { email: 'a@example.com' } }, /notify\.urgent: not a route, use one of critical, major, minor, warning, default/],
    [{ critical: { url: 'http://plain.example.com/hook' } }, /notify\.critical\.url must be an https:\/\/ URL/],
    [{ critical: { email: 'not-an-address' } }, /notify\.critical\.email must be an email address/],
    [{ critical: {} }, /notify\.critical needs an email or a url/],
    [{ critical: { email: 'a@example.com', topic: 'my-other-topic' } }, /notify\.critical\.topic: unknown/],
    ['{critical', /notify must be a JSON object/],
  ])('refuses notify %j with one line', (notify, message) => {
    expect(() => readNotificationRouting(notify)).toThrow(NotificationRoutingError);
    expect(() => readNotificationRouting(notify)).toThrow(message);
  });

  it('refuses notify together with notificationEmail, before anything is built', () => {
    const app = new App({ context: { notificationEmail: 'a@example.com', notify: { critical: { email: 'b@example.com' } } } });
    expect(() => new PrinterAnomalyStack(app, 'Both')).toThrow(NotificationRoutingError);
  });
});

describe('the functions that move alarms', () => {
  const environmentOf = (fn: unknown) =>
    onlyResource(template, 'AWS::Lambda::Function', fn).resource.Properties!['Environment']['Variables'] as Record<string, unknown>;

  it('read one and the same environment: the tables, the history days, the notifications topic, the IoT endpoint', () => {
    const detector = environmentOf(FUNCTIONS.detector);
    expect(detector).toMatchObject({
      EVENTS_TABLE_NAME: refTo(template, 'AWS::DynamoDB::Table', HISTORY),
      HISTORY_DAYS: '90',
      NOTIFICATIONS_TOPIC_ARN: notificationsTopic(),
    });
    expect(environmentOf(FUNCTIONS.sweep)).toEqual(detector);
    expect(environmentOf(FUNCTIONS.api)).toEqual(detector);
  });

  it.each(Object.entries(FUNCTIONS))('%s: publishes events and alarm transitions, records history, notifies; nothing more', (_name, fn) => {
    const statements = statementsOfRole(template, roleIdOf(template, fn));
    expect(statements).toEqual(expect.arrayContaining([...deliveryStatements(template)]));
    const publish = statements.find((s) => s.actions.join() === 'iot:Publish')!;
    expect(publish.resources).toHaveLength(2);
  });

  it('no principal may publish to SNS but on the notifications topic, nor use a KMS key but its key', () => {
    const sns = allStatements(template).filter(({ statement }) => actionsOf(statement).some((a) => a.startsWith('sns:')));
    expect(sns).toHaveLength(3);
    for (const { statement } of sns) {
      expect(actionsOf(statement)).toEqual(['sns:Publish']);
      expect(resourcesOf(statement)).toEqual([notificationsTopic()]);
    }
    const kms = allStatements(template).filter(({ statement }) => actionsOf(statement).some((a) => a.startsWith('kms:')));
    expect(kms).toHaveLength(3);
    for (const { statement } of kms) expect(resourcesOf(statement)).toEqual([arnOf(keyIdOf(template, NOTIFICATIONS_TOPIC))]);
  });
});
