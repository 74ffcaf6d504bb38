/**
 * Alarm notifications through SNS: the subject names printer, state, cause
 * and severity; the message is the transition's JSON; the message attributes
 * carry severity, cause and state (subscriptions filter on them), a
 * re-notification's number in `Renotify`, and a write's one notification
 * standing for several transitions their count in `Folded`. The client module is
 * loaded on the first notification (alarms are rare next to readings), which
 * keeps it out of the cold start. The twin serves the same API through an
 * endpoint override (it appends to a file and calls a webhook).
 */
import type { SNSClient, SNSClientConfig } from '@aws-sdk/client-sns';
import { type AlarmNotification, NOTIFICATION_ATTRIBUTE } from '../../contract/index.ts';
import type { Notifier } from '../ports.ts';

type MessageAttributes = Record<string, { DataType: 'String' | 'Number'; StringValue: string }>;

/**
 * A notification's message attributes: `Severity`, `Cause` and `State` (the
 * state it moved to), which subscription filter policies route on
 * (`contract/notification-routing.ts`), and the `Renotify` and `Folded`
 * numbers when it has them.
 */
export function notificationAttributes(notification: AlarmNotification): MessageAttributes {
  const { Severity, Cause, To } = notification.Message;
  const strings: [string, string | null][] = [
    [NOTIFICATION_ATTRIBUTE.severity, Severity],
    [NOTIFICATION_ATTRIBUTE.cause, Cause],
    [NOTIFICATION_ATTRIBUTE.state, To],
  ];
  const numbers: [string, number | undefined][] = [
    [NOTIFICATION_ATTRIBUTE.renotify, notification.Renotify],
    [NOTIFICATION_ATTRIBUTE.folded, notification.Folded],
  ];
  return Object.fromEntries([
    ...strings.flatMap(([name, value]) => (value === null ? [] : [[name, { DataType: 'String', StringValue: value }] as const])),
    ...numbers.flatMap(([name, value]) =>
      value === undefined ? [] : [[name, { DataType: 'Number', StringValue: String(value) }] as const],
    ),
  ]);
}

/** SNS subjects are at most 100 printable ASCII characters. */
function snsSubject(subject: string): string {
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= 100 ? ascii : `${ascii.slice(0, 97)}...`;
}

export class SnsNotifier implements Notifier {
  private client: Promise<{ client: SNSClient; Publish: typeof import('@aws-sdk/client-sns').PublishCommand }> | undefined;

  constructor(
    private readonly topicArn: string,
    private readonly clientConfig: SNSClientConfig = {},
  ) {}

  private load() {
    this.client ??= import('@aws-sdk/client-sns').then(
      ({ SNSClient, PublishCommand }) => ({
        client: new SNSClient({ cacheMiddleware: true, ...this.clientConfig }),
        Publish: PublishCommand,
      }),
      (error: unknown) => {
        this.client = undefined; // a later notification tries again
        throw error;
      },
    );
    return this.client;
  }

  async notify(notification: AlarmNotification): Promise<void> {
    const { client, Publish } = await this.load();
    await client.send(
      new Publish({
        TopicArn: this.topicArn,
        Subject: snsSubject(notification.Subject),
        Message: JSON.stringify(notification.Message),
        MessageAttributes: notificationAttributes(notification),
      }),
    );
  }
}
