/**
 * Alarm notifications through SNS: the subject names printer, state, cause
 * and severity; the message is the transition's JSON, and a re-notification
 * carries its number in the `Renotify` message attribute, and a write's one
 * notification standing for several transitions their count in `Folded`. The client module is
 * loaded on the first notification (alarms are rare next to readings), which
 * keeps it out of the cold start. The twin serves the same API through an
 * endpoint override (it appends to a file and calls a webhook).
 */
import type { SNSClient, SNSClientConfig } from '@aws-sdk/client-sns';
import type { AlarmNotification } from '../../contract/index.ts';
import type { Notifier } from '../ports.ts';

/** The message attribute a re-notification's number travels in. */
export const RENOTIFY_ATTRIBUTE = 'Renotify';
/** The message attribute that says how many earlier transitions of the same write a notification stands for. */
export const FOLDED_ATTRIBUTE = 'Folded';

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
    const numbers: [string, number | undefined][] = [
      [RENOTIFY_ATTRIBUTE, notification.Renotify],
      [FOLDED_ATTRIBUTE, notification.Folded],
    ];
    const attributes = numbers.flatMap(([name, value]) =>
      value === undefined ? [] : [[name, { DataType: 'Number', StringValue: String(value) }] as const],
    );
    await client.send(
      new Publish({
        TopicArn: this.topicArn,
        Subject: snsSubject(notification.Subject),
        Message: JSON.stringify(notification.Message),
        ...(attributes.length > 0 ? { MessageAttributes: Object.fromEntries(attributes) } : {}),
      }),
    );
  }
}
