/**
 * Routing notifications by severity on the twin, end to end: readings raise
 * a critical, a warning and a major alarm; the twin's webhooks (real HTTP
 * servers) are routed as the stack's subscriptions are
 * (`contract/notification-routing.ts`): each notification reaches only the
 * webhook routed for its severity, an unnamed severity reaches the default
 * one, `notifications.jsonl` names where each went, and a failing webhook is
 * retried. The routes are evaluated on the message attributes the function
 * published, so this also proves they are there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ProfileInput, Severity } from '../../contract/index.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { Device, notificationLines, notificationsOf, WAIT_MS } from '../support/alarms.ts';
import { startWebhook, type Webhook } from '../support/webhook.ts';

let dir: string;
let twin: Twin;
let device: Device;
const hooks: Record<'critical' | 'warning' | 'other', Webhook> = {} as never;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'twin-routing-'));
  hooks.critical = await startWebhook('/critical');
  hooks.warning = await startWebhook('/warning');
  hooks.other = await startWebhook('/other');
  twin = await startTwin({
    stateDir: join(dir, 'state'),
    logFile: false,
    sweepSeconds: 0,
    webhook: { critical: hooks.critical.url, warning: hooks.warning.url, default: hooks.other.url },
  });
  device = new Device(twin);
});

afterAll(async () => {
  await twin?.close();
  for (const hook of Object.values(hooks)) await hook.close();
  rmSync(dir, { recursive: true, force: true });
});

const profile = (PrinterId: string, Severity: Severity): ProfileInput => ({
  PrinterId,
  Thresholds: { Lower: 20, Upper: 80 },
  Window: 1,
  Severity,
});

/** What `hook` answered 204 to, as `printer: From->To`. */
const received = (hook: Webhook, status = 204) =>
  hook.posts
    .filter((p) => p.status === status)
    .map((p) => `${p.notification.Message.PrinterId}: ${p.notification.Message.From}->${p.notification.Message.To}`);

describe('webhooks routed by severity', () => {
  it('each notification reaches only the webhook routed for its severity; an unnamed severity, the default one', async () => {
    await twin.seed([profile('Crit1', 'critical'), profile('Warn1', 'warning'), profile('Major1', 'major')]);
    for (const id of ['Crit1', 'Warn1', 'Major1']) await device.send(id, 95, 50);

    const expected = {
      critical: ['Crit1: NORMAL->ACTIVE', 'Crit1: ACTIVE->NORMAL'],
      warning: ['Warn1: NORMAL->ACTIVE', 'Warn1: ACTIVE->NORMAL'],
      other: ['Major1: NORMAL->ACTIVE', 'Major1: ACTIVE->NORMAL'],
    };
    // The file says where each went (written before any POST), so nothing else is on its way.
    const file = join(dir, 'state', 'notifications.jsonl');
    await vi.waitFor(
      () => {
        for (const [id, hook] of [
          ['Crit1', hooks.critical],
          ['Warn1', hooks.warning],
          ['Major1', hooks.other],
        ] as const) {
          const lines = notificationLines(file, id);
          expect(lines).toHaveLength(2);
          for (const line of lines) expect(line.Webhooks).toEqual([hook.url]);
        }
      },
      { timeout: WAIT_MS },
    );
    await vi.waitFor(
      () => {
        for (const [name, hook] of Object.entries(hooks))
          expect(received(hook).sort(), name).toEqual(expected[name as keyof typeof expected].sort());
      },
      { timeout: WAIT_MS },
    );
    // Exactly the notifications the twin sent, unchanged.
    expect(hooks.critical.posts.map((p) => p.notification)).toEqual(notificationsOf(twin, 'Crit1'));
  });

  it('a failing webhook is retried, and the others are not held up', async () => {
    await twin.seed([profile('Warn2', 'warning'), profile('Crit2', 'critical')]);
    hooks.warning.failNext();
    await device.send('Warn2', 95);
    await device.send('Crit2', 95);
    await vi.waitFor(() => expect(received(hooks.critical)).toContain('Crit2: NORMAL->ACTIVE'), { timeout: WAIT_MS });
    await vi.waitFor(() => expect(received(hooks.warning)).toContain('Warn2: NORMAL->ACTIVE'), { timeout: WAIT_MS });
    expect(received(hooks.warning, 500)).toEqual(['Warn2: NORMAL->ACTIVE']);
    expect(received(hooks.other).filter((r) => r.startsWith('Warn2') || r.startsWith('Crit2'))).toEqual([]);
  });
});
