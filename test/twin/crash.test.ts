/**
 * A crash of the twin (`docs/guarantees.md`, G16): the twin is killed with SIGKILL in the middle
 * of a replay and restarted on the same state directory.
 *
 * - The stored state is intact: every printer's counts are exactly the
 *   model's after the readings up to its `LastSeq`, nothing half-applied.
 * - What the killed twin had acknowledged but not yet processed is lost (its
 *   queue is in memory, standing in for Lambda's durable event queue);
 *   replaying the same data with `seq` recovers it exactly once. (That the
 *   emitter reconnects and resends is `faults.test.ts`'s broker test.)
 */
import { originalModelProfile, originalValue } from '../support/profiles.ts';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replay } from '../../emitter/replay.ts';
import { waitForTwinIdle } from '../../twin/discovery.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { historyEvents, historyOf } from '../support/alarms.ts';
import { allItems, replayUntilKilled, startLocalTwin } from '../support/twin.ts';
import { countsOf, makeFleet } from '../support/fleet.ts';
import { runModel, type ModelProfile } from '../support/model.ts';

const fleet = makeFleet(30, 3_000, 21);
const dir = mkdtempSync(join(tmpdir(), 'twin-crash-'));
const stateDir = join(dir, 'state');
const profilesFile = join(dir, 'profiles.json');
writeFileSync(profilesFile, JSON.stringify(fleet.profiles));

let child: ChildProcess | undefined;
let twin: Twin | undefined;
afterAll(async () => {
  child?.kill('SIGKILL');
  await twin?.close();
  rmSync(dir, { recursive: true, force: true });
});

function modelAfter(lastSeq: Record<string, number>) {
  const profiles: Record<string, ModelProfile> = {};
  for (const p of fleet.profiles) profiles[p.PrinterId] = originalModelProfile(p);
  const applied = fleet.readings.filter((r) => r.seq <= (lastSeq[r.PrinterId] ?? 0));
  return runModel(
    profiles,
    applied.map((r) => ({ printerId: r.PrinterId, value: originalValue(r), seq: r.seq })),
  ).printers;
}

describe('the twin killed with SIGKILL mid-replay and restarted on its state directory', () => {
  it('keeps its state intact, and a replay with seq completes it exactly once', async () => {
    const local = await startLocalTwin(['--state-dir', stateDir, '--profiles', profilesFile]);
    child = local.child;

    // Killed mid-replay, whatever the machine's speed: a first part of the readings is applied (the twin
    // idle), then the rest is replayed and the twin is killed at its first acknowledgement, with invocations
    // under way; the emitter stops when the twin dies.
    const split = Math.floor(fleet.readings.length / 3);
    const part = await replay(fleet.readings.slice(0, split), { endpoint: local.mqttUrl, qos: 1 });
    expect(part).toMatchObject({ acked: split, failed: 0 });
    expect((await waitForTwinIdle(local.httpUrl, { timeoutMs: 120_000 })).idle).toBe(true);
    const { summary: first, exitCode } = await replayUntilKilled(child, fleet.readings.slice(split), {
      endpoint: local.mqttUrl,
      rate: 1_000,
    });
    expect(exitCode).toBeNull(); // killed by a signal
    child = undefined;
    expect(first.interrupted).toBe(true);

    twin = await startTwin({ stateDir, logFile: false });
    // Intact: each printer is exactly the model after the readings it applied, in order.
    const items = await allItems(twin.dynamoDb, twin.tableName);
    expect(items).toHaveLength(fleet.profiles.length);
    const lastSeq = Object.fromEntries(items.map((item) => [String(item['PrinterId']), Number(item['LastSeq'] ?? 0)]));
    const applied = Object.values(lastSeq).reduce((a, b) => a + b, 0);
    expect(applied).toBeGreaterThanOrEqual(split);
    expect(applied).toBeLessThan(fleet.readings.length);
    expect(countsOf(items)).toEqual(modelAfter(lastSeq));

    // Recovery: the same data again; seq makes it exactly-once.
    const second = await replay(fleet.readings, { endpoint: twin.mqttUrl, qos: 1 });
    expect(second).toMatchObject({ acked: fleet.readings.length, failed: 0 });
    await twin.waitUntilProcessed(fleet.readings.length, { timeoutMs: 120_000 });
    const stats = twin.stats();
    expect(stats.outcomes.duplicate + stats.outcomes.late).toBe(applied);
    const final = await allItems(twin.dynamoDb, twin.tableName);
    expect(countsOf(final)).toEqual(fleet.expected.printers);
    // History: each event a printer counted, recorded exactly once (one item per EventCount, none missing).
    for (const item of final) {
      const events = historyEvents(await historyOf(twin, String(item['PrinterId']))).map((e) => e.events);
      expect(events, String(item['PrinterId'])).toEqual(Array.from({ length: Number(item['EventCount'] ?? 0) }, (_, i) => i + 1));
    }
  });
});
