/**
 * What the alarm tests on the twin share: a device that publishes readings
 * with its own increasing `seq` per printer, a watcher of everything the
 * broker carries under `anom/` (with a barrier that proves every earlier
 * message has arrived), and readers of a printer's history and
 * notifications. Whether a transition is notified is written here from the
 * product's rules, apart from the product's own code.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { AlarmNotification, AlarmTransitionPayload, AnomalyEvent, HistoryItem } from '../../contract/index.ts';
import { withTimeout } from '../../common/async.ts';
import { replay } from '../../emitter/replay.ts';
import { subscribeTopic, type TopicSubscription } from '../../emitter/subscriber.ts';
import type { Twin } from '../../twin/twin.ts';
import { publishReadings } from './twin.ts';

/** How long any single wait in these tests may take before it fails. */
export const WAIT_MS = 30_000;

/**
 * Publishes readings as one device per printer does: over MQTT, QoS 1, each
 * with the printer's next `seq`. It must be the only publisher to its twin:
 * it waits for the twin to have handled as many messages as it sent.
 */
export class Device {
  private readonly seqs = new Map<string, number>();
  private sent = 0;

  constructor(private readonly twin: Twin) {}

  /**
   * Publishes one reading per value (a number is `data.value`, an object is
   * `data`) and resolves once the twin has handled every message sent so far.
   */
  async send(printerId: string, ...values: readonly (number | Readonly<Record<string, number>>)[]): Promise<void> {
    const readings = values.map((value) => {
      const seq = (this.seqs.get(printerId) ?? 0) + 1;
      this.seqs.set(printerId, seq);
      return { PrinterId: printerId, data: typeof value === 'number' ? { value } : value, seq };
    });
    await publishReadings(this.twin.mqttUrl, readings);
    this.sent += readings.length;
    await this.twin.waitUntilProcessed(this.sent, { timeoutMs: WAIT_MS });
    await this.twin.waitForIdle({ timeoutMs: WAIT_MS });
  }

  /**
   * Publishes the readings as one batched message (each `data.value`, or `data`, with its `timestamp`, epoch ms) and
   * resolves once the twin has handled it.
   */
  async sendBatch(
    printerId: string,
    readings: readonly (({ readonly value: number } | { readonly data: Readonly<Record<string, number>> }) & {
      readonly timestamp: number;
    })[],
  ): Promise<void> {
    const elements = readings.map((reading) => {
      const seq = (this.seqs.get(printerId) ?? 0) + 1;
      this.seqs.set(printerId, seq);
      return { data: 'data' in reading ? reading.data : { value: reading.value }, seq, timestamp: reading.timestamp };
    });
    const summary = await replay([{ PrinterId: printerId, readings: elements }], { endpoint: this.twin.mqttUrl, qos: 1 });
    if (summary.acked !== 1) throw new Error(`the batch of ${elements.length} readings was not acknowledged`);
    this.sent += 1;
    await this.twin.waitUntilProcessed(this.sent, { timeoutMs: WAIT_MS });
    await this.twin.waitForIdle({ timeoutMs: WAIT_MS });
  }
}

/** Everything published under `anom/` on the twin's broker, as a subscriber receives it. */
export interface BrokerWatch {
  /** Transitions published on `anom/alarm/<printerId>`, in arrival order. */
  transitions(printerId: string): AlarmTransitionPayload[];
  /** Anomaly events of the printer published on `anom/pred`, in arrival order. */
  events(printerId: string): AnomalyEvent[];
  /** Topics of every alarm message received for the printer (to check none went elsewhere). */
  alarmTopics(printerId: string): string[];
  /**
   * Resolves once the twin is idle and every message the broker took before
   * now has reached the subscriber: a marker published after them arrives
   * after them on the same connection.
   */
  settle(): Promise<void>;
  close(): Promise<void>;
}

const BARRIER_TOPIC = 'anom/test-barrier';

export async function watchBroker(twin: Twin): Promise<BrokerWatch> {
  const received: { topic: string; payload: string }[] = [];
  const barriers = new Map<string, () => void>();
  let subscription: TopicSubscription | undefined;
  subscription = await subscribeTopic(twin.mqttUrl, 'anom/#', {
    onMessage: (message) => {
      received.push(message);
      if (message.topic === BARRIER_TOPIC) barriers.get(message.payload)?.();
    },
  });
  let markers = 0;
  const parsed = <T>(topic: (t: string) => boolean) =>
    received.filter((m) => topic(m.topic)).map((m) => JSON.parse(m.payload) as T & { PrinterId: string });
  return {
    transitions: (printerId) => parsed<AlarmTransitionPayload>((t) => t === `anom/alarm/${printerId}`),
    events: (printerId) => parsed<AnomalyEvent>((t) => t === 'anom/pred').filter((e) => e.PrinterId === printerId),
    alarmTopics: (printerId) =>
      received
        .filter((m) => m.topic.startsWith('anom/alarm/') && (JSON.parse(m.payload) as { PrinterId?: string }).PrinterId === printerId)
        .map((m) => m.topic),
    settle: async () => {
      await twin.waitForIdle({ timeoutMs: WAIT_MS });
      markers += 1;
      const marker = String(markers);
      const arrived = new Promise<void>((resolve) => barriers.set(marker, resolve));
      await new Promise<void>((resolve, reject) =>
        twin.broker.publish(
          { cmd: 'publish', topic: BARRIER_TOPIC, payload: Buffer.from(marker), qos: 1, retain: false, dup: false },
          (error) => (error ? reject(error) : resolve()),
        ),
      );
      await withTimeout(arrived, WAIT_MS, `the barrier message ${marker} on ${BARRIER_TOPIC}`);
      barriers.delete(marker);
    },
    close: async () => {
      await subscription?.close();
      subscription = undefined;
    },
  };
}

/** A printer's whole history through the operator's operations, oldest first (pages of `pageSize`). */
export async function historyOf(twin: Twin, printerId: string, pageSize = 100): Promise<HistoryItem[]> {
  const items: HistoryItem[] = [];
  let cursor: string | undefined;
  do {
    const page = await twin.fleet.history(printerId, { limit: pageSize, ...(cursor ? { cursor } : {}) });
    if (page === undefined || !('items' in page)) throw new Error(`no history for ${printerId}: ${JSON.stringify(page)}`);
    items.push(...page.items);
    cursor = page.next ?? undefined;
  } while (cursor);
  return items.reverse();
}

/** The transitions in a history, without `Type`: exactly the published payloads. */
export function historyTransitions(items: readonly HistoryItem[]): AlarmTransitionPayload[] {
  return items.flatMap((item) => {
    if (item.Type !== 'transition') return [];
    const { Type: _type, ...payload } = item;
    return [payload];
  });
}

/** The anomaly events in a history, without `Type`. */
export function historyEvents(items: readonly HistoryItem[]): AnomalyEvent[] {
  return items.flatMap((item) => {
    if (item.Type !== 'event') return [];
    const { Type: _type, ...event } = item;
    return [event];
  });
}

/** The twin's notifications of a printer, in order. */
export function notificationsOf(twin: Twin, printerId: string): AlarmNotification[] {
  return twin.notifications().filter((n) => n.Message.PrinterId === printerId);
}

/** A `notifications.jsonl` line: the notification, and the webhooks it was routed to when the twin has any. */
export type NotificationLine = AlarmNotification & { readonly Webhooks?: readonly string[] };

/** The lines of a printer in a `notifications.jsonl` file. */
export function notificationLines(file: string, printerId: string): NotificationLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as NotificationLine)
    .filter((n) => n.Message.PrinterId === printerId);
}

/** The notifications of a printer in a `notifications.jsonl` file (without the webhooks they went to). */
export function notificationsInFile(file: string, printerId: string): AlarmNotification[] {
  return notificationLines(file, printerId).map(({ Webhooks: _webhooks, ...notification }) => notification);
}

/**
 * Whether a transition is notified, as the product's rules say: an
 * activation by threshold or silence, an escalation, a latch, and a clear
 * from ACTIVE or ACKNOWLEDGED back to NORMAL; never an operator's action or a
 * snooze expiry.
 */
export function notifiable(t: AlarmTransitionPayload): boolean {
  if (t.From === 'NORMAL' && t.To === 'ACTIVE') return t.Cause === 'threshold' || t.Cause === 'silent';
  if (t.From === t.To) return t.Cause === 'threshold';
  if (t.To === 'LATCHED') return true;
  return t.To === 'NORMAL' && t.Cause === 'clear' && (t.From === 'ACTIVE' || t.From === 'ACKNOWLEDGED');
}

/** The epoch ms of an ISO time, failing loudly on anything else. */
export function ms(iso: string | null | undefined): number {
  const at = Date.parse(iso ?? '');
  if (!Number.isFinite(at)) throw new Error(`not a time: ${iso}`);
  return at;
}
