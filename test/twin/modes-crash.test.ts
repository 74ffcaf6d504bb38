/**
 * A crash of the twin with a fleet in every detection mode
 * (`test/support/mode-fleet.ts`), as `crash.test.ts` does it for the original
 * profiles: `npm run local` is killed with SIGKILL mid-replay and a twin is
 * restarted on its state directory.
 *
 * - Every printer's counts are exactly the model's after the readings up to
 *   its `LastSeq`: m-of-n windows, duration runs and adaptive statistics are
 *   written whole with the counters, never half.
 * - A replay of the same data with seq completes it exactly once, enrolled
 *   printers included, and every event the model counts has been published.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PREDICTION_TOPIC } from '../../contract/index.ts';
import { replay } from '../../emitter/replay.ts';
import { subscribeTopic, type TopicSubscription } from '../../emitter/subscriber.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { eventKey, expectFor, makeModeFleet, printerCounts, validReadings } from '../support/mode-fleet.ts';
import { historyEvents, historyOf } from '../support/alarms.ts';
import { allItems, replayUntilKilled, startLocalTwin } from '../support/twin.ts';

const fleet = makeModeFleet({ perKind: 2, readingsPerPrinter: 20, seed: 54 });
/** Events the twin publishes (awaited) before the rest of the readings is replayed and it is killed. */
const KILL_AFTER_EVENTS = 6;
/** Execution environments of the twin (its default concurrency): invocations in flight when it is killed. */
const ENVIRONMENTS = 4;
const dir = mkdtempSync(join(tmpdir(), 'twin-modes-crash-'));
const stateDir = join(dir, 'state');
const profilesFile = join(dir, 'profiles.json');
writeFileSync(profilesFile, JSON.stringify(fleet.seed));

let child: ChildProcess | undefined;
let twin: Twin | undefined;
const subscriptions: TopicSubscription[] = [];
afterAll(async () => {
  child?.kill('SIGKILL');
  for (const s of subscriptions) await s.close().catch(() => undefined);
  await twin?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the twin killed with SIGKILL mid-replay and restarted on its state directory, every mode', () => {
  it('keeps every printer at the model after a prefix of its readings, and a replay with seq completes it exactly once', async () => {
    const local = await startLocalTwin(['--sweep-seconds', '0', '--state-dir', stateDir, '--profiles', profilesFile]);
    child = local.child;
    // Killed mid-replay, whatever the machine's speed: a first part of the readings is applied and some of its
    // events published (awaited), then the rest is replayed and the twin is killed at its first acknowledgement,
    // with publishes in flight; its broker dies with it (a short timeout for the goodbye).
    const endpoint = local.mqttUrl;
    const before = await subscribeTopic(endpoint, PREDICTION_TOPIC, { timeoutMs: 1_000 });
    subscriptions.push(before);
    const split = Math.floor(fleet.readings.length * 0.6);
    const part = await replay(fleet.readings.slice(0, split), { endpoint, qos: 1, rate: 120, publishTimeoutMs: 10_000 });
    expect(part).toMatchObject({ acked: split, failed: 0 });
    await before.waitFor(KILL_AFTER_EVENTS, 60_000);
    const { summary: first, exitCode } = await replayUntilKilled(child, fleet.readings.slice(split), { endpoint: endpoint, rate: 120 });
    expect(exitCode).toBeNull(); // killed by a signal
    child = undefined;
    expect(first.interrupted).toBe(true);

    twin = await startTwin({ stateDir, logFile: false, sweepSeconds: 0 });
    const items = await allItems(twin.dynamoDb, twin.tableName);
    const lastSeq = (id: string) => Number(items.find((item) => item['PrinterId'] === id)?.['LastSeq'] ?? 0);
    const prefix = fleet.readings.filter((r) => r.seq <= lastSeq(r.PrinterId));
    expect(prefix.length).toBeGreaterThan(0);
    expect(prefix.length).toBeLessThan(fleet.readings.length);
    // Intact: each printer is the model after the readings it applied; an enrolled printer the crash left without any is zero.
    const atCrash = printerCounts(items);
    const model = expectFor(fleet, prefix, { everyPrinter: true }).printers;
    for (const id of fleet.kinds.keys()) expect(atCrash[id] ?? { outOfBoundsCount: 0, eventCount: 0 }, id).toEqual(model[id]);

    const after = await subscribeTopic(twin.mqttUrl, PREDICTION_TOPIC);
    subscriptions.push(after);
    const second = await replay(fleet.readings, { endpoint: twin.mqttUrl, qos: 1 });
    expect(second).toMatchObject({ acked: fleet.readings.length, failed: 0 });
    await twin.waitUntilProcessed(fleet.readings.length, { timeoutMs: 120_000 });
    const stats = twin.stats();
    expect(stats.outcomes.duplicate + stats.outcomes.late).toBe(validReadings(fleet, prefix).length);
    expect(stats.deadLettered).toBe(0);
    expect(printerCounts(await allItems(twin.dynamoDb, twin.tableName))).toEqual(fleet.expected.printers);

    // Events: each one the model counts, published before the crash or after the restart.
    const eventsAfterCrash = fleet.expected.events.filter((e) => e.events > (atCrash[e.PrinterId]?.eventCount ?? 0));
    await after.waitFor(eventsAfterCrash.length, 30_000);
    const received = [...before.messages, ...after.messages].map((m) => JSON.parse(m.payload) as { PrinterId: string; events: number });
    const byKey = new Map(fleet.expected.events.map((e) => [eventKey(e), e]));
    for (const event of received) expect(event).toMatchObject(byKey.get(eventKey(event))!);
    const missing = fleet.expected.events.filter((e) => !received.some((r) => eventKey(r) === eventKey(e)));
    // The twin's invocation queue dies with it: an event counted by a write the kill interrupted before its
    // publish is not published by the replay, whose copies of that reading are duplicates. At most the latest
    // event of a printer per execution environment; none of them stays pending.
    expect(missing.length).toBeLessThanOrEqual(ENVIRONMENTS);
    for (const e of missing) expect(e.events, eventKey(e)).toBe(atCrash[e.PrinterId]?.eventCount);

    // History: recorded in the same request as the state change, so every event the model counts is there
    // exactly once, the ones whose publish the kill interrupted included.
    const recorded = new Map<string, number>();
    for (const id of fleet.kinds.keys()) {
      for (const event of historyEvents(await historyOf(twin, id))) recorded.set(eventKey(event), (recorded.get(eventKey(event)) ?? 0) + 1);
    }
    expect([...recorded.keys()].sort()).toEqual(fleet.expected.events.map(eventKey).sort());
    expect([...recorded.values()].filter((n) => n !== 1)).toEqual([]);
  });
});
