/**
 * Delivering alarm transitions on the twin when something fails the first
 * time: an HTTP fault proxy sits between the function (detector and sweep)
 * and each service it delivers to, the IoT Data Plane (`anom/alarm/...`
 * publishes), DynamoDB (history writes) and SNS (notifications), and fails
 * one chosen request. After recovery every transition is published and
 * notified at least once and recorded exactly once; none is lost. Also: a
 * failing webhook is retried without holding the detector up, and the sweep
 * reads only the printers that are due.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AlarmTransitionPayload, ENV, type ProfileInput } from '../../contract/index.ts';
import { withTimeout } from '../../common/async.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import {
  type BrokerWatch,
  Device,
  historyEvents,
  historyOf,
  historyTransitions,
  ms,
  notifiable,
  notificationsInFile,
  notificationsOf,
  WAIT_MS,
  watchBroker,
} from '../support/alarms.ts';
import { type FaultProxy, type ProxiedRequest, startFaultProxy } from '../support/fault-proxy.ts';
import { startWebhook, type Webhook } from '../support/webhook.ts';

type Service = 'iot' | 'dynamodb' | 'sns';

/** One armed fault: the next `times` requests to `service` that `matches` are answered with `error`. */
interface Fault {
  readonly service: Service;
  readonly matches: (request: ProxiedRequest) => boolean;
  times: number;
  readonly error: { status: number; type: string };
  hits: number;
}

const faults: Fault[] = [];
function arm(service: Service, matches: (request: ProxiedRequest) => boolean, error: { status: number; type: string }, times = 1): Fault {
  const fault: Fault = { service, matches, times, error, hits: 0 };
  faults.push(fault);
  return fault;
}
const decide = (service: Service) => (request: ProxiedRequest) => {
  const fault = faults.find((f) => f.service === service && f.times > 0 && f.matches(request));
  if (fault === undefined) return undefined;
  fault.times -= 1;
  fault.hits += 1;
  return fault.error;
};

// Errors the SDKs do not retry themselves, so that the product's own delivery has to recover.
const FORBIDDEN = { status: 403, type: 'ForbiddenException' };
const ACCESS_DENIED = { status: 400, type: 'AccessDeniedException' };
const AUTHORIZATION_ERROR = { status: 403, type: 'AuthorizationError' };

/** An `anom/alarm/<printerId>` publish. */
const alarmPublish = (printerId: string) => (r: ProxiedRequest) =>
  r.method === 'POST' && decodeURIComponent(r.path.split('?')[0] ?? '').endsWith(`/topics/anom/alarm/${printerId}`);
/** A history write of one of the printer's transitions: in the write that counted it (a transaction), or after it. */
const transitionRecord = (printerId: string) => (r: ProxiedRequest) =>
  (r.body.includes(`"RequestItems":{"${twin.eventsTableName}"`) ||
    (r.body.includes('"TransactItems"') && r.body.includes(`"TableName":"${twin.eventsTableName}"`))) &&
  r.body.includes(`"PrinterId":{"S":"${printerId}"}`) &&
  r.body.includes('"Type":{"S":"transition"}');
/** Keeping a printer's undelivered entries pending on its item. */
const pendingWrite = (printerId: string) => (r: ProxiedRequest) =>
  r.body.includes('ADD #pending') && r.body.includes(`"PrinterId":{"S":"${printerId}"}`);
/** An SNS Publish of one of the printer's notifications. */
const notification = (printerId: string) => (r: ProxiedRequest) =>
  r.method === 'POST' &&
  r.path.split('?')[0] === '/' &&
  decodeURIComponent(r.body.replace(/\+/g, ' ')).includes(`"PrinterId":"${printerId}"`);

let dir: string;
let twin: Twin;
let watch: BrokerWatch;
let device: Device;
let webhook: Webhook;
const proxies: Partial<Record<Service, FaultProxy>> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'twin-alarm-delivery-'));
  for (const service of ['iot', 'dynamodb', 'sns'] as const) proxies[service] = await startFaultProxy(decide(service));
  webhook = await startWebhook();
  twin = await startTwin({
    stateDir: join(dir, 'state'),
    logFile: false,
    sweepSeconds: 0,
    webhook: webhook.url,
    // The function (detector and sweep) reaches each service through its proxy, as over a network that can fail.
    environment: {
      [ENV.iotDataEndpoint]: proxies.iot!.endpoint,
      [ENV.dynamoDbEndpoint]: proxies.dynamodb!.endpoint,
      [ENV.snsEndpoint]: proxies.sns!.endpoint,
    },
  });
  proxies.iot!.target = twin.iotDataEndpoint;
  proxies.sns!.target = twin.iotDataEndpoint;
  proxies.dynamodb!.target = twin.dynamoDbEndpoint;
  watch = await watchBroker(twin);
  device = new Device(twin);
});

afterAll(async () => {
  await watch?.close();
  await twin?.close();
  await webhook?.close();
  for (const proxy of Object.values(proxies)) await proxy?.close();
  rmSync(dir, { recursive: true, force: true });
});

function profile(PrinterId: string, extra: Partial<ProfileInput> = {}): ProfileInput {
  return { PrinterId, Thresholds: { Lower: 20, Upper: 80 }, Window: 1, ...extra };
}

/** The identity consumers de-duplicate a transition on. */
const identity = (t: AlarmTransitionPayload) => `${t.PrinterId}|${t.At}|${t.To}|${t.From}|${t.Cause}`;
const distinct = <T>(items: readonly T[], key: (item: T) => string) => [...new Map(items.map((i) => [key(i), i])).values()];

/** The printer's item has no entry left pending. */
async function pendingEntries(printerId: string): Promise<string[]> {
  const { Item } = await twin.dynamoDb.send(
    new GetItemCommand({ TableName: twin.tableName, Key: { PrinterId: { S: printerId } }, ConsistentRead: true }),
  );
  return Item?.['PendingEvents']?.SS ?? [];
}

/**
 * After recovery: the printer's transitions, de-duplicated, are `expected`
 * (as sets: a transition delivered late may come after a later one); each was
 * published and, when notified at all, notified at least once; each is in
 * history exactly once, and so is each anomaly event; nothing is left pending.
 */
async function expectRecovered(printerId: string, expected: readonly Partial<AlarmTransitionPayload>[], events: readonly number[]) {
  await watch.settle();
  const published = distinct(watch.transitions(printerId), identity);
  expect(published).toHaveLength(expected.length);
  expect(published).toEqual(expect.arrayContaining(expected.map((e) => expect.objectContaining({ PrinterId: printerId, ...e }))));

  const history = await historyOf(twin, printerId);
  const recorded = historyTransitions(history);
  expect(recorded.map(identity).sort()).toEqual(published.map(identity).sort());
  for (const t of published) expect(recorded.find((r) => identity(r) === identity(t))).toEqual(t);
  expect(historyEvents(history).map((e) => e.events)).toEqual(events);
  expect(distinct(watch.events(printerId), (e) => String(e.events)).map((e) => e.events)).toEqual(events);

  const notified = notificationsOf(twin, printerId).filter((n) => n.Renotify === undefined);
  expect(
    distinct(notified, (n) => identity(n.Message))
      .map((n) => identity(n.Message))
      .sort(),
  ).toEqual(published.filter(notifiable).map(identity).sort());
  await vi.waitFor(
    () => expect(notificationsInFile(join(dir, 'state', 'notifications.jsonl'), printerId)).toEqual(notificationsOf(twin, printerId)),
    { timeout: WAIT_MS },
  );
  expect(await pendingEntries(printerId)).toEqual([]);
}

describe('a transition counted by the detector, when its first delivery fails', () => {
  it.each<[string, Service, (id: string) => (r: ProxiedRequest) => boolean, { status: number; type: string }]>([
    ['the anom/alarm publish', 'iot', alarmPublish, FORBIDDEN],
    ['the history write', 'dynamodb', transitionRecord, ACCESS_DENIED],
    ['the SNS publish', 'sns', notification, AUTHORIZATION_ERROR],
  ])(
    '%s fails once: Lambda retries the invocation, and every transition is delivered, recorded once, notified',
    async (_what, service, request, error) => {
      const id = `Det-${service}`;
      await twin.seed([profile(id)]);
      const fault = arm(service, request(id), error);
      const before = twin.stats();
      await device.send(id, 50, 95, 50);

      expect(fault.hits).toBe(1);
      const after = twin.stats();
      expect(after.retries).toBeGreaterThan(before.retries);
      expect(after.deadLettered).toBe(before.deadLettered);
      await expectRecovered(
        id,
        [
          { From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', By: 'detector' },
          { From: 'ACTIVE', To: 'NORMAL', Cause: 'clear', By: 'detector' },
        ],
        [1],
      );
      // Delivered in order when nothing is late.
      expect(distinct(watch.transitions(id), identity).map((t) => t.To)).toEqual(['ACTIVE', 'NORMAL']);
    },
  );

  it('the invocation fails after its write, before anything was kept pending: the retry delivers what that write counted', async () => {
    const id = 'Det-crash';
    await twin.seed([profile(id)]);
    // The publish fails, and so does keeping it pending: the invocation ends with nothing pending on the item.
    const publish = arm('iot', alarmPublish(id), FORBIDDEN);
    const pending = arm('dynamodb', pendingWrite(id), ACCESS_DENIED);
    const before = twin.stats();
    await device.send(id, 95);

    expect([publish.hits, pending.hits]).toEqual([1, 1]);
    expect(twin.stats().retries).toBeGreaterThan(before.retries);
    await expectRecovered(id, [{ From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', By: 'detector' }], [1]);
  });

  it('every attempt of the invocation fails to publish: it is dead-lettered, and the next reading delivers what was kept pending', async () => {
    const id = 'Det-dead';
    await twin.seed([profile(id)]);
    const publish = arm('iot', alarmPublish(id), FORBIDDEN, 3);
    const before = twin.stats();
    await device.send(id, 95);
    expect(publish.hits).toBe(3);
    expect(twin.stats().deadLettered).toBe(before.deadLettered + 1);
    expect(await pendingEntries(id)).toHaveLength(1);

    await device.send(id, 50);
    await expectRecovered(
      id,
      [
        { From: 'NORMAL', To: 'ACTIVE', Cause: 'threshold', By: 'detector' },
        { From: 'ACTIVE', To: 'NORMAL', Cause: 'clear', By: 'detector' },
      ],
      [1],
    );
    expect(distinct(watch.transitions(id), identity).map((t) => t.To)).toEqual(['ACTIVE', 'NORMAL']);
  });
});

describe('a transition made by the clock, when its first delivery fails', () => {
  it.each<[string, Service, (id: string) => (r: ProxiedRequest) => boolean, { status: number; type: string }]>([
    ['the anom/alarm publish', 'iot', alarmPublish, FORBIDDEN],
    ['the SNS publish', 'sns', notification, AUTHORIZATION_ERROR],
  ])('%s fails once: the next sweep delivers it, while the printer stays silent', async (_what, service, request, error) => {
    const id = `Clock-${service}`;
    await twin.seed([profile(id, { SilenceSeconds: 60 })]);
    await device.send(id, 50);
    const arrival = ms((await twin.fleet.printer(id))!.state['LastSeenAt'] as string);
    const fault = arm(service, request(id), error);

    const first = await twin.sweep(new Date(arrival + 61_000));
    expect(fault.hits).toBe(1);
    expect(first.undelivered).toBeGreaterThan(0);
    // The schedule runs again a minute later; the printer has sent nothing since.
    await twin.sweep(new Date(arrival + 121_000));
    await expectRecovered(id, [{ From: 'NORMAL', To: 'ACTIVE', Cause: 'silent', By: 'clock' }], []);
  });

  it('the write recording it fails once (history is in the write): nothing moves, the sweep fails, and the next one moves and delivers it', async () => {
    const id = 'Clock-history';
    await twin.seed([profile(id, { SilenceSeconds: 60 })]);
    await device.send(id, 50);
    const arrival = ms((await twin.fleet.printer(id))!.state['LastSeenAt'] as string);
    const fault = arm('dynamodb', transitionRecord(id), ACCESS_DENIED);

    await expect(twin.sweep(new Date(arrival + 61_000))).rejects.toThrow(/could not be moved/);
    expect(fault.hits).toBe(1);
    expect((await historyOf(twin, id)).length).toBe(0);
    await twin.sweep(new Date(arrival + 121_000));
    await expectRecovered(id, [{ From: 'NORMAL', To: 'ACTIVE', Cause: 'silent', By: 'clock' }], []);
  });

  it("a delivery that failed in a sweep is delivered at the latest with the printer's next reading", async () => {
    const id = 'Clock-late';
    await twin.seed([profile(id, { SilenceSeconds: 60 })]);
    await device.send(id, 50);
    const arrival = ms((await twin.fleet.printer(id))!.state['LastSeenAt'] as string);
    const fault = arm('iot', alarmPublish(id), FORBIDDEN);
    await twin.sweep(new Date(arrival + 61_000));
    expect(fault.hits).toBe(1);

    await device.send(id, 50);
    await expectRecovered(
      id,
      [
        { From: 'NORMAL', To: 'ACTIVE', Cause: 'silent', By: 'clock' },
        { From: 'ACTIVE', To: 'NORMAL', Cause: 'clear', By: 'detector' },
      ],
      [],
    );
  });
});

describe('the webhook', () => {
  it('a POST that fails is retried, and the detector goes on meanwhile', async () => {
    const id = 'Hook1';
    await twin.seed([profile(id)]);
    const posted = (status: number) =>
      webhook.posts
        .filter((p) => p.notification.Message.PrinterId === id && p.status === status)
        .map((p) => JSON.stringify(p.notification))
        .sort();
    const sent = () => notificationsOf(twin, id).map((n) => JSON.stringify(n));
    const { held, release } = webhook.holdNext();
    await device.send(id, 95);
    const first = await withTimeout(held, WAIT_MS, 'the first webhook POST');
    expect(first).toEqual(notificationsOf(twin, id)[0]);

    // That POST is still unanswered; the detector handles the next readings, and their notifications go out.
    await device.send(id, 50, 96);
    expect(notificationsOf(twin, id).map((n) => `${n.Message.From}->${n.Message.To}`)).toEqual([
      'NORMAL->ACTIVE',
      'ACTIVE->NORMAL',
      'NORMAL->ACTIVE',
    ]);
    await vi.waitFor(() => expect(notificationsInFile(join(dir, 'state', 'notifications.jsonl'), id)).toHaveLength(3), {
      timeout: WAIT_MS,
    });
    await vi.waitFor(() => expect(posted(204)).toEqual(sent().slice(1).sort()), { timeout: WAIT_MS });
    expect(posted(500)).toEqual([]);

    // Answered with a failure: it comes again, the same, and now each notification reached the webhook once.
    release();
    await vi.waitFor(() => expect(posted(204)).toEqual(sent().sort()), { timeout: WAIT_MS });
    expect(posted(500)).toEqual([JSON.stringify(first)]);
  });
});

describe('the sweep', () => {
  it('reads only the printers that are due: 50 printers with deadlines, 3 of them passed', async () => {
    const fleet = await startTwin({ sweepSeconds: 0, logFile: false });
    try {
      const ids = Array.from({ length: 50 }, (_, i) => `Due${String(i + 1).padStart(2, '0')}`);
      await fleet.seed(ids.map((id) => profile(id)));
      const now = Date.now();
      const soon = now + 10 * 60_000;
      const later = now + 24 * 60 * 60_000;
      const due = new Set(['Due07', 'Due23', 'Due41']);
      for (const id of ids) {
        const result = await fleet.fleet.act(id, { action: 'snooze', until: due.has(id) ? soon : later, by: 'local' });
        expect(result.ok).toBe(true);
      }
      expect(await fleet.sweep(new Date(soon - 1))).toMatchObject({ due: 0, transitions: 0 });
      expect(await fleet.sweep(new Date(soon))).toEqual({ due: 3, transitions: 3, renotified: 0, failed: 0, undelivered: 0 });
      expect((await fleet.fleet.alarms('SNOOZE_DISABLED')).map((p) => p.PrinterId)).toEqual(ids.filter((id) => !due.has(id)));
      // Done with: no longer due.
      expect(await fleet.sweep(new Date(soon + 1))).toMatchObject({ due: 0 });
    } finally {
      await fleet.close();
    }
  });
});
