/**
 * The twin's notification routing reads the message attributes of the SNS
 * `Publish`, as a subscription filter policy does, never the message itself:
 * a notification without the attributes goes only where no filter applies.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmTransitionPayload } from '../../contract/index.ts';
import { LocalNotifications } from '../../twin/notifications.ts';

const transition: AlarmTransitionPayload = {
  PrinterId: 'P1',
  From: 'NORMAL',
  To: 'ACTIVE',
  Cause: 'threshold',
  Severity: 'critical',
  By: 'detector',
  Note: null,
  At: '2026-12-07T08:00:00.000Z',
};
// Nothing listens there: a POST fails at once, tried once, and logged.
const CRITICAL = 'http://127.0.0.1:9/critical';
const OTHER = 'http://127.0.0.1:9/other';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function routed(webhook: ConstructorParameters<typeof LocalNotifications>[0]['webhook'], attributes: Record<string, string>) {
  dir = mkdtempSync(join(tmpdir(), 'twin-notifications-'));
  const file = join(dir, 'notifications.jsonl');
  const notifications = new LocalNotifications({ file, webhookAttempts: 1, log: () => {}, ...(webhook ? { webhook } : {}) });
  notifications.onNotify({ topicArn: 'arn', subject: 's', message: JSON.stringify(transition), attributes });
  await notifications.close();
  return JSON.parse(readFileSync(file, 'utf8').trim()) as { Webhooks?: string[] };
}

describe('routing on the twin', () => {
  const table = { critical: CRITICAL, default: OTHER };

  it('follows the Severity attribute, not the message', async () => {
    expect((await routed(table, { Severity: 'critical' })).Webhooks).toEqual([CRITICAL]);
    expect((await routed(table, { Severity: 'minor' })).Webhooks).toEqual([OTHER]);
  });

  it('sends a notification without the attribute nowhere filtered, and everywhere with one URL for all', async () => {
    expect((await routed(table, {})).Webhooks).toEqual([]);
    expect((await routed(OTHER, {})).Webhooks).toEqual([OTHER]);
    expect(await routed(undefined, {})).not.toHaveProperty('Webhooks');
  });
});
