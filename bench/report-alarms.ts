/** The alarms section's targets and tables (`docs/performance.md`), from `alarms.json`. */
import type { AlarmsResult, ReadingRow } from './alarms.ts';
import type { CallFigures } from './alarms-fleet.ts';
import { ITEM_PARTS, VARIETY_SLACK } from './alarms-state.ts';
import { fmt } from './stats.ts';
import { EVERY_OPTION, type TargetCheck } from './targets.ts';

export type { AlarmsResult } from './alarms.ts';

type AlarmsCheck = TargetCheck;

const range = (values: readonly number[]) => {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return { min, max, text: min === max ? max.toFixed(3) : `${min.toFixed(3)}–${max.toFixed(3)}` };
};

const units = (u: { table: number; indexes: number; history: number }) =>
  `${u.table} + ${u.indexes} + ${u.history} = **${fmt(u.table + u.indexes + u.history, 2)}**`;

const commands = (byCommand: Record<string, number>) =>
  Object.entries(byCommand)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');

/** Why the extended fleet's requests per reading are what they are, from its breakdown (`rows`: both forms). */
function perReadingWhy(rows: readonly ReadingRow[], over: number): string {
  const extended = rows.filter((row) => row.form === 'extended');
  const worst = extended.reduce((a, b) => (b.requestsPerReadingWithRead > a.requestsPerReadingWithRead ? b : a));
  const original = rows.find((row) => row.form === 'original' && row.fleetSize === worst.fleetSize);
  const updates = (worst.requestsPerReadingByCommand['UpdateItem'] ?? 0) + (worst.requestsPerReadingByCommand['TransactWriteItems'] ?? 0);
  const reads = (worst.requestsPerReadingByCommand['GetItem'] ?? 0) + (worst.requestsPerReadingByCommand['BatchGetItem'] ?? 0);
  return (
    `at ${fmt(worst.fleetSize)} printers a reading costs ${updates.toFixed(3)} UpdateItem on the profile (one guarded write: mode memory, adaptive statistics, ` +
    `alarm and silence deadline ride on it), ${(worst.historyWritesPerReading?.apart ?? worst.requestsPerReadingByTable.history).toFixed(3)} requests writing the history table apart ` +
    `from the profile's write (${commands(worst.requestsPerReadingByCommand)}; one per write that counted anomaly events (${worst.eventsPerReading.toFixed(4)} per reading) ` +
    `or alarm transitions (${worst.transitionsPerReading.toFixed(4)}))` +
    (reads > 0 ? `, ${reads.toFixed(4)} reads of the fleet defaults (every 30 s)` : '') +
    ` and ${(worst.readsPerPrinter / over).toFixed(3)} for the container's read of the printer (1 per ${over} readings): ${worst.requestsPerReadingWithRead.toFixed(3)}. ` +
    `Once the container has read the printer it is ${worst.requestsPerReading.toFixed(3)}. The original-form profiles, history on too: ` +
    `${original?.requestsPerReadingWithRead.toFixed(3) ?? '?'} (${original?.requestsPerReading.toFixed(3) ?? '?'} once read)`
  );
}

const stateFigure = (row: AlarmsResult['state']['rows'][number]) =>
  `${row.mode} ${row.at.map((s) => fmt(s.bytes)).join(' → ')} B, largest ${fmt(Math.max(row.largestMiddle.bytes, row.largestLast.bytes))} B`;

export function alarmsTargets(r: AlarmsResult): AlarmsCheck[] {
  const checks: AlarmsCheck[] = [];
  const extended = r.perReading.rows.filter((row) => row.form === 'extended');
  const original = r.perReading.rows.filter((row) => row.form === 'original');
  if (extended.length > 0) {
    const over = r.perReading.readsAmortisedOver;
    const limit = EVERY_OPTION.baseline + EVERY_OPTION.firstReadShare(over);
    const ours = range(extended.map((row) => row.requestsPerReadingWithRead));
    const oursRead = range(extended.map((row) => row.requestsPerReading));
    const theirs = range(original.map((row) => row.requestsPerReadingWithRead));
    const met = ours.max <= limit;
    checks.push({
      target:
        `Every detection and alarm option on (fleet defaults, history, notifications): DynamoDB requests per reading <= ${EVERY_OPTION.baseline.toFixed(2)} + ` +
        `the container's first read of a printer spread over its readings (1/${over}: <= ${limit.toFixed(3)})`,
      measured:
        `${ours.text} at ${extended.map((row) => fmt(row.fleetSize)).join(' / ')} printers, profiles and history tables, the container's read of each printer ` +
        `spread over ${over} readings as the per-reading section counts it (${oursRead.text} once read); original-form profiles, same run: ${theirs.text}`,
      met,
      ...(met ? {} : { why: perReadingWhy(r.perReading.rows, over) }),
    });
    const counted = r.perReading.rows.every((row) => row.historyWritesPerReading !== undefined);
    const apart = range(r.perReading.rows.map((row) => row.historyWritesPerReading?.apart ?? Number.NaN));
    const together = range(r.perReading.rows.map((row) => row.historyWritesPerReading?.withProfile ?? Number.NaN));
    checks.push({
      target: "A write that records history does it in the profile write's request",
      measured: counted
        ? `requests writing history apart from the profile: ${apart.text} per reading; in the profile's request: ${together.text} per reading (every fleet size, both forms)`
        : 'not measured (alarms.json predates the count: rerun `--only alarms`)',
      met: counted ? apart.max === 0 : undefined,
      ...(counted && apart.max > 0
        ? {
            why:
              `the detector writes history with a request of its own (${commands(extended[extended.length - 1]!.requestsPerReadingByCommand)} per reading at ` +
              `${fmt(extended[extended.length - 1]!.fleetSize)} printers): the events table is a second table, so its items ride on the profile's write only in a transaction`,
          }
        : {}),
    });
  }
  if (r.state.rows.length > 0) {
    checks.push({
      target: 'Profile item stays bounded whatever the number of readings (every window mode, every alarm option)',
      measured: `${r.state.rows.map(stateFigure).join('; ')} (after ${r.state.rows[0]?.at.map((s) => fmt(s.readings)).join(' / ')} readings)`,
      met: r.state.rows.every((row) => row.bounded),
    });
  }
  const rows = r.fleet.rows;
  if (rows.length > 1) {
    const first = rows[0]!;
    const last = rows[rows.length - 1]!;
    const same = (pick: (row: (typeof rows)[number]) => CallFigures) => rows.every((row) => pick(row).requests === pick(first).requests);
    const sizes = `${fmt(first.fleetSize)} and ${fmt(last.fleetSize)}`;
    checks.push({
      target: `Clock sweep, ${r.fleet.duePrinters} printers due: the same requests at ${sizes} printers`,
      measured:
        `${rows.map((row) => row.sweep.requests).join(' / ')} requests (${commands(last.sweep.byCommand)}); ${first.sweep.ms} → ${last.sweep.ms} ms; ` +
        `a sweep with nothing due: ${rows.map((row) => row.idleSweep.requests).join(' / ')}`,
      met: same((row) => row.sweep) && same((row) => row.idleSweep),
    });
    checks.push({
      target: `Ranked route (top 10) and active-alarm listing (${r.fleet.activeAlarms} active): the same requests at ${sizes} printers`,
      measured:
        `ranked ${rows.map((row) => row.ranked.requests).join(' / ')} (${commands(last.ranked.byCommand)}), ${first.ranked.ms} → ${last.ranked.ms} ms; ` +
        `alarms ${rows.map((row) => row.alarms.requests).join(' / ')} (${commands(last.alarms.byCommand)}), ${first.alarms.ms} → ${last.alarms.ms} ms`,
      met: same((row) => row.ranked) && same((row) => row.alarms),
    });
  }
  return checks;
}

/** The section in `summary.md`. */
export function alarmsSummary(r: (AlarmsResult & { readonly context: { readonly seconds: number } }) | undefined): string[] {
  if (r === undefined) return [];
  const p = r.perReading;
  const out = [
    '## Alarms: every option on',
    '',
    `Same dynalite, one run (${fmt(r.context.seconds)} s: per reading ${fmt(p.seconds)} s, item size ${fmt(r.state.seconds)} s, sweep and listings ${fmt(r.fleet.seconds)} s). ` +
      'The detector (`createHandler`) with the history table and SNS notifications (a local stub) on; every request to both tables counted.',
    `Extended fleet: six profiles in turn (metric maps with one-sided bands and band severities, consecutive / m-of-n / duration, adaptive on a band and on`,
    'the profile, Severity, Clear inside the thresholds, ClearAfter, Latch, SilenceSeconds, RenotifyMinutes) and a `*` defaults item one of them takes everything from.',
    'Original fleet: the sample profiles and derived ones, history and notifications on too.',
    `In both, each printer first sends ${p.primingReadings.min} to ${p.primingReadings.max} readings of its`,
    'generated stream (anomaly rate 0.04) in one batched message: the container reads it once and folds them into one write, leaving its state mid-stream',
    `as in a fleet that has been running. Then its next readings one by one, measured: at least ${fmt(p.readingsPerRun)} per run and ${p.minReadingsPerPrinter} per printer.`,
    `"With its read": the container's read of each printer spread over ${p.readsAmortisedOver} readings, as the per-reading section counts it. Medians of ${r.runs} run(s).`,
    '',
    '| printers | profiles | readings (per printer) | requests/reading once read | with its read | by table: profiles + history | by request | reads per printer | events / transitions / notifications per reading | readings/s |',
    '|---:|---|---:|---:|---:|---:|---|---:|---:|---:|',
    ...p.rows.map(
      (row) =>
        `| ${fmt(row.fleetSize)} | ${row.form} | ${fmt(row.readings)} (${fmt(row.readingsPerPrinter)}) | ${row.requestsPerReading.toFixed(3)} | **${row.requestsPerReadingWithRead.toFixed(3)}** | ` +
        `${row.requestsPerReadingByTable.profiles.toFixed(3)} + ${row.requestsPerReadingByTable.history.toFixed(3)} | ${commands(row.requestsPerReadingByCommand)} | ` +
        `${row.readsPerPrinter} | ${row.eventsPerReading.toFixed(4)} / ${row.transitionsPerReading.toFixed(4)} / ${row.notificationsPerReading.toFixed(4)} | ${fmt(row.readingsPerSecond)} |`,
    ),
    '',
    `Write units per reading, profiles table only (dynalite's ReturnConsumedCapacity: 1 per KB started of the larger of the item before and after; indexes not counted; ` +
      `items that have seen few readings are smaller, see the item table): ` +
      `${p.rows.map((row) => `${fmt(row.fleetSize)} ${row.form} ${row.writeUnitsPerReading}`).join(', ')}.`,
    `Checks: events published = events the detector expects for the same readings, priming included (${p.rows.map((row) => `${row.eventsPublished}/${row.eventsExpected}`).join(', ')}); ` +
      `failed invocations: ${p.rows.reduce((a, row) => a + row.failures, 0)}.`,
    '',
    `Item size (bytes as DynamoDB counts them: attribute names in UTF-8 plus values; strings UTF-8, numbers 1 + 1 per two significant digits, maps and`,
    `lists 3 + 1 per element) of one printer per mode, every alarm option on, after each of ${fmt(r.state.readingsPerPrinter)} readings (the item every write returns). Bounded: the largest item of the last third of the run`,
    `is at most ${VARIETY_SLACK * 100}% above the largest of the middle third (the size varies with the alarm's state and the outbox entries the last write left; the first third lets an m-of-n window fill).`,
    '',
    `| mode | after ${r.state.rows[0]?.at.map((s) => fmt(s.readings)).join(' / ') ?? ''} readings | largest, middle / last third | parts of the largest (${ITEM_PARTS.join(' / ')}) | write units per reading: profile + its indexes + history | bounded |`,
    '|---|---:|---:|---|---:|:---:|',
    ...r.state.rows.map((row) => {
      const big = row.largestLast.bytes > row.largestMiddle.bytes ? row.largestLast : row.largestMiddle;
      return (
        `| ${row.mode} | ${row.at.map((s) => `${fmt(s.bytes)} B (${s.alarmState})`).join(' / ')} | ${fmt(row.largestMiddle.bytes)} / ${fmt(row.largestLast.bytes)} B | ` +
        `${ITEM_PARTS.map((part) => big.parts[part]).join(' / ')} | ${units(row.writeUnitsPerReading)} | ${row.bounded ? 'yes' : 'NO'} |`
      );
    }),
    '',
    "Write units are computed with DynamoDB's rules from the item before and after each write (dynalite does not bill index writes): an index entry is put, deleted, " +
      'deleted and put again when its key changes, or rewritten when a projected attribute changes. With SilenceSeconds every reading moves the deadline ' +
      '(`DueAt`, the `ByDeadline` sort key): 2 units per reading; while the alarm is not NORMAL its `ByAlarm` entry, which projects `LastValue` and `LastSeenAt`, is rewritten too.',
    '',
    `Sweep and listings: one table grown from ${r.fleet.rows.map((row) => fmt(row.fleetSize)).join(' to ')} printers (BatchWriteItem, 25 per request), every printer with silence`,
    `armed (in the deadline index), ${r.fleet.duePrinters} due, ${r.fleet.activeAlarms} alarms active, about 30% ranked. Sweep: \`sweep()\` with the sweep function's writer, the due printers reset before each run.`,
    '',
    '| printers | load | sweep: requests | ms | idle sweep | ranked(10): requests | ms | alarms(): requests | ms |',
    '|---:|---:|---|---:|---:|---|---:|---|---:|',
    ...r.fleet.rows.map(
      (row) =>
        `| ${fmt(row.fleetSize)} | ${row.loadSeconds} s for ${fmt(row.loadedItems)} items | ${row.sweep.requests} (${commands(row.sweep.byCommand)}) | ${row.sweep.ms} | ` +
        `${row.idleSweep.requests} | ${row.ranked.requests} (${commands(row.ranked.byCommand)}) | ${row.ranked.ms} | ${row.alarms.requests} (${commands(row.alarms.byCommand)}) | ${row.alarms.ms} |`,
    ),
    '',
  ];
  return out;
}
