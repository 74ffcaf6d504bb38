/**
 * What becomes of an IoT Events action (an alarm model's `alarmEventActions`,
 * a detector model's event actions): our alarm transitions are published on
 * `anom/alarm/<PrinterId>`, recorded in the history table and notified to
 * the stack's SNS topic (`docs/alarms.md`), so most actions have a place to
 * go, set up once for the fleet rather than per model. Pure.
 */
import { isRecord } from '../common/guards.ts';
import type { Status } from './mapping.ts';

const INSTEAD: Readonly<Record<string, { status: Status; text: string }>> = {
  sns: {
    status: 'approximate',
    text: "transitions are notified to the stack SNS topic (one topic for the fleet): subscribe this topic's subscribers to it",
  },
  iotTopicPublish: { status: 'approximate', text: "transitions are published on anom/alarm/<PrinterId> (our payload, not IoT Events')" },
  lambda: { status: 'not supported', text: 'not carried over: subscribe the function to the stack SNS topic or to anom/alarm/+' },
  sqs: { status: 'not supported', text: 'not carried over: an IoT rule on anom/alarm/+ with an SQS action gives the same feed' },
  firehose: { status: 'not supported', text: 'not carried over: an IoT rule on anom/alarm/+ with a Firehose action gives the same feed' },
  dynamoDB: { status: 'not supported', text: 'not carried over: the PrinterEvents history table records every transition' },
  dynamoDBv2: { status: 'not supported', text: 'not carried over: the PrinterEvents history table records every transition' },
  iotSiteWise: { status: 'not supported', text: 'not carried over: an IoT rule on anom/alarm/+ with a SiteWise action' },
  iotEvents: { status: 'not supported', text: 'not carried over: IoT Events is retired; read anom/alarm/+ instead' },
};

/** One line per action of a list: `sns (arn:...)`, its status and what replaces it. */
export function actionLines(actions: unknown): { name: string; status: Status; text: string }[] {
  if (!Array.isArray(actions)) return [];
  return actions.flatMap((action) => {
    if (!isRecord(action)) return [];
    return Object.entries(action).map(([name, body]) => {
      const target = isRecord(body) ? (body['targetArn'] ?? body['functionArn'] ?? body['queueUrl'] ?? body['mqttTopic']) : undefined;
      const label = typeof target === 'string' ? `${name} (${target})` : name;
      const instead = INSTEAD[name] ?? { status: 'not supported' as const, text: 'not carried over: unknown action' };
      return { name: label, ...instead };
    });
  });
}
