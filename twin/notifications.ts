/**
 * Where the twin's alarm notifications go, in place of the SNS topic: each is
 * appended to `<state-dir>/notifications.jsonl` (kept in memory too), and
 * POSTed as JSON to the webhooks whose route takes it. The routes are the
 * stack's (`contract/notification-routing.ts`): a webhook per severity and a
 * default one, each taking the notifications whose message attributes, as the
 * function published them, match its filter policy, as SNS subscriptions do.
 * The file's line names the webhooks (`Webhooks`) when any is set. A failing
 * webhook is retried with backoff in the background and never holds up the
 * function: the notification is acknowledged once it is in the file.
 */
import {
  type AlarmNotification,
  type AlarmTransitionPayload,
  matchesFilterPolicy,
  type Route,
  type RoutingTable,
  routesOf,
} from '../contract/index.ts';
import { sleep } from '../common/async.ts';
import type { SnsPublish } from './iot-data-server.ts';
import { LineFile } from './line-file.ts';

export interface LocalNotificationsOptions {
  /** JSON Lines file. @default none (memory only) */
  readonly file?: string;
  /** A webhook for every notification, or one per severity (and `default` for the others). */
  readonly webhook?: string | RoutingTable<string>;
  /** Webhook attempts per notification. @default 5 */
  readonly webhookAttempts?: number;
  /** Wait before webhook retry 1, 2, ... (then the last again). @default [200, 1000, 5000] */
  readonly webhookDelaysMs?: readonly number[];
  readonly log: (line: string) => void;
}

export class LocalNotifications {
  private readonly received: AlarmNotification[] = [];
  private readonly file: LineFile | undefined;
  private readonly deliveries = new Set<Promise<void>>();
  private readonly routes: readonly Route<string>[];

  constructor(private readonly options: LocalNotificationsOptions) {
    this.file = options.file === undefined ? undefined : new LineFile(options.file);
    const table = typeof options.webhook === 'string' ? { default: options.webhook } : (options.webhook ?? {});
    this.routes = routesOf(table, (url) => [url]);
  }

  /** The notifications so far, in order. */
  list(): readonly AlarmNotification[] {
    return this.received;
  }

  /** Takes one SNS `Publish`: kept, written, and handed to the webhook. */
  readonly onNotify = (publish: SnsPublish): void => {
    const notification: AlarmNotification = {
      Subject: publish.subject ?? '',
      Message: JSON.parse(publish.message) as AlarmTransitionPayload,
      ...(publish.renotify !== undefined ? { Renotify: publish.renotify } : {}),
      ...(publish.folded !== undefined ? { Folded: publish.folded } : {}),
    };
    this.received.push(notification);
    const webhooks = this.routes.filter((route) => matchesFilterPolicy(route.filterPolicy, publish.attributes)).map((r) => r.endpoint);
    this.file?.write(JSON.stringify(this.routes.length === 0 ? notification : { ...notification, Webhooks: webhooks }));
    for (const url of webhooks) {
      const delivery = this.post(url, notification).finally(() => this.deliveries.delete(delivery));
      this.deliveries.add(delivery);
    }
  };

  private async post(url: string, notification: AlarmNotification): Promise<void> {
    const attempts = this.options.webhookAttempts ?? 5;
    const delays = this.options.webhookDelaysMs ?? [200, 1000, 5000];
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(notification),
          signal: AbortSignal.timeout(5000),
        });
        if (response.ok) return;
        throw new Error(`HTTP ${response.status}`);
      } catch (error) {
        const last = attempt === attempts;
        this.options.log(
          JSON.stringify({
            level: last ? 'ERROR' : 'WARN',
            message: last ? 'webhook notification dropped after its retries' : 'webhook notification failed; retrying',
            webhook: url,
            subject: notification.Subject,
            attempt,
            error: (error as Error).message,
          }),
        );
        if (last) return;
        await sleep(delays[Math.min(attempt - 1, delays.length - 1)] ?? 1000);
      }
    }
  }

  /** Waits for webhook deliveries in progress (or gives up on them after `timeoutMs`), then closes the file. */
  async close(timeoutMs = 2000): Promise<void> {
    await Promise.race([Promise.all(this.deliveries), sleep(timeoutMs)]);
    await this.file?.flush();
    await this.file?.close();
  }

  flush(): Promise<void> {
    return this.file?.flush() ?? Promise.resolve();
  }
}
