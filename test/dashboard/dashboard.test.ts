/**
 * The dashboard in a real headless Chromium, loaded from a running twin (in
 * memory): the page and the operator API on the twin's own origin, over the
 * twin's tables, fed by readings published over MQTT as devices publish them.
 * What it shows (the alarm list first, the paged printer list, a printer),
 * acting on alarms one at a time and several at once, by mouse and by
 * keyboard alone, the profile editor, live updates without reload,
 * accessibility (axe-core) and a phone's width (390 px) beside 1280 px.
 *
 * One twin serves the whole file. Each test that changes an alarm does it on
 * a printer of its own, so what every test starts from holds whatever ran
 * before it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlarmState, HistoryItem, ProfileInput } from '../../contract/index.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { publishReadings, reading } from '../support/twin.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** The dashboard promises changes on screen within 2 s of being readable through the API. */
const LIVE_MS = 2_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The widths every view is checked at: a laptop and a phone. */
const WIDTHS = [1280, 390] as const;

/** An id of the longest length, with separators and a long run without any. */
const LONG_ID = `campus-north/building-7/floor-3/room-312/${'X'.repeat(87)}`;
/** An id that has to wrap on a phone: it may only wrap between its parts. */
const WRAP_ID = 'site-berlin/floor-3/laserjet-m607-0042';

/**
 * The fleet: original-form profiles, and what each printer reported.
 * `events`: how many times it just went out of bounds for a whole window and
 * came back; `ends`: `active` when its last two readings are out of bounds,
 * `quiet` when it never reported, `silent` when it reported and then went
 * quiet past its SilenceSeconds, `disabled` when its alarm was disabled.
 */
const FLEET: readonly {
  id: string;
  lower: number;
  upper: number;
  events: number;
  ends?: 'active' | 'quiet' | 'silent' | 'disabled';
}[] = [
  { id: 'Printer1', lower: 20, upper: 80, events: 0, ends: 'active' },
  { id: 'Printer2', lower: 10, upper: 60, events: 0 },
  { id: 'Printer3', lower: 20, upper: 80, events: 0 },
  { id: 'Printer4', lower: 0, upper: 100, events: 2 },
  { id: 'Printer5', lower: 15, upper: 75, events: 0 },
  { id: 'Printer6', lower: 30, upper: 90, events: 0, ends: 'active' },
  { id: 'Printer7', lower: 40, upper: 70, events: 1 },
  { id: 'Printer8', lower: 20, upper: 80, events: 0, ends: 'quiet' },
  { id: 'Printer9', lower: 20, upper: 80, events: 0, ends: 'silent' },
  { id: 'Printer10', lower: 20, upper: 80, events: 0, ends: 'disabled' },
  { id: 'Printer11', lower: 20, upper: 80, events: 0, ends: 'active' },
  { id: 'Printer12', lower: 20, upper: 80, events: 0, ends: 'active' },
  { id: 'Printer13', lower: 20, upper: 80, events: 0 },
  { id: 'Printer14', lower: 20, upper: 80, events: 0 },
  { id: LONG_ID, lower: 20, upper: 80, events: 0, ends: 'active' },
  { id: WRAP_ID, lower: 20, upper: 80, events: 0, ends: 'active' },
];
const ACKNOWLEDGED_AT_START = { id: 'Printer6', note: 'toner low, cartridge ordered' };
/** NORMAL printers beside the fleet, so that the printer list has more than one page. */
const EXTRA_PRINTERS = 40;
/** Readings a minute apart (61 s, so that each one lands in its own slot of the 32-slot ring of recent values). */
const READING_EVERY_MS = 61_000;
const HISTORY_READINGS = 16;

const profile = ({ id, lower, upper, ends }: (typeof FLEET)[number]): ProfileInput => ({
  PrinterId: id,
  Thresholds: { Lower: lower, Upper: upper },
  Window: 2,
  ...(ends === 'silent' ? { SilenceSeconds: 60 } : {}),
});

/**
 * What a printer reported, as its device stamps it: a reading a minute over
 * the last quarter of an hour, swinging slowly inside the middle of its band;
 * then what just happened, a second apart up to `now` (events are counted
 * when they arrive): each event as two readings above the band and one back
 * inside, which clears the alarm, and for `active` two more above it.
 */
function history({ id, lower, upper, events, ends }: (typeof FLEET)[number], now: number): object[] {
  if (ends === 'quiet') return [];
  const mid = (lower + upper) / 2;
  const swing = (upper - lower) / 5;
  const phase = id.length + Number(id.replace(/\D/g, '').slice(0, 3) || 0);
  const calm = (i: number) => Number((mid + swing * Math.sin(i / 3 + phase) + (i % 3) - 1).toFixed(2));
  const past = Array.from({ length: HISTORY_READINGS }, (_, i) =>
    reading(id, calm(i), { timestamp: now - (HISTORY_READINGS - i) * READING_EVERY_MS }),
  );
  const latest = [
    ...Array.from({ length: events }, () => [upper + 7, upper + 11, calm(HISTORY_READINGS)]).flat(),
    ...(ends === 'active' ? [upper + 6, upper + 12] : []),
  ];
  return [...past, ...latest.map((value, i) => reading(id, value, { timestamp: now - (latest.length - i) * 1_000 }))];
}

/** Two readings above a printer's upper threshold, a second apart and ending now: a whole window, so one event. */
function outOfBounds(id: string): object[] {
  const { upper } = FLEET.find((p) => p.id === id)!;
  const now = Date.now();
  return [reading(id, upper + 5, { timestamp: now - 1_000 }), reading(id, upper + 9, { timestamp: now })];
}

/** Publishes readings over MQTT and waits until the twin has handled them: from then on the API answers with them. */
async function publish(readings: readonly object[]): Promise<void> {
  await publishReadings(twin.mqttUrl, readings);
  await twin.waitForIdle();
}

const alarmOf = async (id: string): Promise<AlarmState | undefined> => (await twin.fleet.printer(id))?.alarm.State;

async function lastTransition(id: string): Promise<HistoryItem | undefined> {
  const page = await twin.fleet.history(id, { limit: 10 });
  return page !== undefined && 'items' in page ? page.items.find((item) => item.Type === 'transition') : undefined;
}

let browser: Browser;
let twin: Twin;
let origin: string;
let page: Page;
let offsite: string[];
let pageErrors: string[];

async function openPage(width = 1280, height = 900, path = '/', timezoneId?: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height }, ...(timezoneId ? { timezoneId } : {}) });
  const opened = await context.newPage();
  opened.on('request', (request) => {
    if (!request.url().startsWith(`${origin}/`) && !request.url().startsWith('data:')) offsite.push(request.url());
  });
  opened.on('pageerror', (error) => pageErrors.push(error.message));
  // The API's refusals are answers the page shows; any other failed load, and any error logged (a CSP violation), is a fault.
  opened.on('response', (response) => {
    if (response.status() >= 400 && !new URL(response.url()).pathname.startsWith('/api/'))
      pageErrors.push(`${response.status()} ${response.url()}`);
  });
  opened.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
  });
  await opened.goto(`${origin}${path}`);
  await (path === '/' ? alarmRow(opened, 'Printer1') : opened.locator('#connection', { hasText: 'Updated' })).waitFor();
  return opened;
}

/** A row of the alarm list or the printer list, by its printer. */
const alarmRow = (p: Page, id: string) => p.locator('#alarm-list tbody tr').filter({ has: p.getByRole('link', { name: id, exact: true }) });
const printerRow = (p: Page, id: string) => p.locator('#printers tbody tr').filter({ has: p.getByRole('link', { name: id, exact: true }) });
const message = (p: Page) => p.locator('#message');

/** Retries `read` until its answer passes the matcher that follows, for up to 5 s (the page polls once a second). */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 5_000 });

/** Waits (up to `timeout`) until `locator` shows `text`. */
async function shows(locator: Locator, text: string | RegExp, timeout = 5_000): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ timeout });
  expect(await locator.first().textContent()).toMatch(text);
}

/** A table as the page shows it: each row's cells' rendered text, top to bottom. */
const cellsOf = (table: Locator) =>
  table
    .locator('tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) => [...(tr as unknown as { cells: { innerText: string }[] }).cells].map((cell) => cell.innerText.trim())),
    );

/** Opens a printer's page from the address, as a link does. */
async function openPrinter(p: Page, id: string): Promise<void> {
  await p.evaluate(
    (hash) => {
      (globalThis as unknown as { location: { hash: string } }).location.hash = hash;
    },
    `#printer=${encodeURIComponent(id)}`,
  );
  await shows(p.locator('#printer-title'), `Printer ${id}`);
  await p.locator('#values-chart canvas').waitFor();
}

/** The page's globals, typed just enough for the checks run in it (the project compiles without DOM types). */
interface PageGlobals {
  readonly document: {
    readonly activeElement: {
      readonly id: string;
      readonly tagName: string;
      readonly textContent: string | null;
      getAttribute(name: string): string | null;
    } | null;
    readonly body: { readonly innerText: string };
    getElementById(id: string): ChartElement | null;
  };
  notReloaded?: boolean;
}

/** A chart's element, with the uPlot instance it draws with (`dashboard/charts.js`). */
interface ChartElement {
  readonly plot?: { readonly scales: Record<string, { readonly min: number; readonly max: number }> };
}

/** A chart's scale as drawn, in the chart's units (seconds for time). */
const scaleOf = (p: Page, chart: string, scale: string) =>
  p.evaluate(
    ([id, name]) => {
      const s = (globalThis as unknown as PageGlobals).document.getElementById(id!)?.plot?.scales[name!];
      return s ? { min: s.min, max: s.max } : null;
    },
    [chart, scale],
  );

/** What has the keyboard focus, in the page. */
const focused = () => {
  const active = (globalThis as unknown as PageGlobals).document.activeElement;
  return {
    id: active?.id ?? '',
    tag: active?.tagName ?? '',
    text: active?.textContent ?? '',
    label: active?.getAttribute('aria-label') ?? '',
  };
};

/** Presses Tab until the focus is on the element with this id, or this tag and text. */
async function tabTo(p: Page, target: { id?: string; tag?: string; text?: string; label?: string }, presses = 60): Promise<void> {
  for (let i = 0; i < presses; i += 1) {
    await p.keyboard.press('Tab');
    const now = await p.evaluate(focused);
    if (Object.entries(target).every(([key, value]) => now[key as keyof typeof now] === value)) return;
  }
  throw new Error(`focus did not reach ${JSON.stringify(target)} within ${presses} Tab presses`);
}

async function seriousViolations(p: Page): Promise<string[]> {
  await p.evaluate(AXE_SOURCE);
  const results = await p.evaluate(() => (globalThis as unknown as { axe: { run(): Promise<AxeResults> } }).axe.run());
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

interface AxeResults {
  violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
}

/** Elements that reach past the window's right edge (none: the page does not scroll sideways). */
const overflowing = (p: Page) =>
  p.evaluate(() => {
    const g = globalThis as unknown as {
      innerWidth: number;
      document: {
        querySelectorAll(s: string): { getBoundingClientRect(): { right: number }; tagName: string; id: string; className: string }[];
      };
    };
    return [...g.document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > g.innerWidth)
      .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`);
  });

/** Opens a page at each width, runs `check` on it and closes it. */
async function atEachWidth(check: (p: Page, width: number) => Promise<void>, path = '/'): Promise<void> {
  for (const width of WIDTHS) {
    const opened = await openPage(width, 900, path);
    try {
      await check(opened, width);
    } finally {
      await opened.context().close();
    }
  }
}

beforeAll(async () => {
  [browser, twin] = await Promise.all([
    chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
    startTwin({ sweepSeconds: 0, logFile: false }),
  ]);
  origin = new URL(twin.httpUrl).origin;
  const extra = Array.from({ length: EXTRA_PRINTERS }, (_, i) => ({
    PrinterId: `Extra${String(i).padStart(3, '0')}`,
    Thresholds: { Lower: 0, Upper: 10 },
    Window: 2,
  }));
  await twin.seed([...FLEET.map(profile), ...extra]);
  const now = Date.now();
  await publish(FLEET.flatMap((printer) => history(printer, now)));
  // Printer9 goes quiet: the clock, two minutes on, finds it silent past its 60 s.
  await twin.sweep(new Date(now + 2 * MINUTE));
  expect(await twin.fleet.act('Printer10', { action: 'disable', by: 'local' })).toMatchObject({ ok: true });
  const acknowledged = await twin.fleet.act(ACKNOWLEDGED_AT_START.id, {
    action: 'acknowledge',
    note: ACKNOWLEDGED_AT_START.note,
    by: 'local',
  });
  expect(acknowledged).toMatchObject({ ok: true, alarm: { State: 'ACKNOWLEDGED' } });
  // The fleet is as described, before any page loads it.
  const alarms = await twin.fleet.alarms();
  expect(Object.fromEntries(alarms.map((p) => [p.PrinterId, [p.Alarm.State, p.Alarm.Cause]]))).toEqual({
    Printer1: ['ACTIVE', 'threshold'],
    Printer6: ['ACKNOWLEDGED', 'acknowledge'],
    Printer9: ['ACTIVE', 'silent'],
    Printer10: ['DISABLED', 'disable'],
    Printer11: ['ACTIVE', 'threshold'],
    Printer12: ['ACTIVE', 'threshold'],
    [LONG_ID]: ['ACTIVE', 'threshold'],
    [WRAP_ID]: ['ACTIVE', 'threshold'],
  });
  expect(twin.deadLetters()).toEqual([]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await twin?.close();
});

beforeEach(async () => {
  offsite = [];
  pageErrors = [];
  page = await openPage();
});

afterEach(async () => {
  await page?.context().close();
  expect(offsite).toEqual([]);
  expect(pageErrors).toEqual([]);
});

/** The format of every time on the page (`dashboard/time.js`): today's clock, or a date and time; then its age. */
const TIME_TEXT = /^(\d\d:\d\d:\d\d|\d{1,2} [A-Z][a-z]{2}( \d{4})? \d\d:\d\d), (just now|\d+ (s|min|h|d) ago|in \d+ (s|min|h|d))$/;

/** Every `<time>` on the page: its text and title. */
const times = (p: Page) =>
  p
    .locator('time:visible')
    .evaluateAll((list) => list.map((t) => ({ text: t.textContent ?? '', title: (t as unknown as { title: string }).title })));

describe('the alarm list, what the dashboard opens on', () => {
  it('lists only the alarms that are not NORMAL, most urgent first, with state, severity, cause, age, owner and snooze end', async () => {
    const until = Date.now() + 30 * MINUTE;
    expect(await twin.fleet.act('Printer5', { action: 'snooze', until, by: 'local' })).toMatchObject({ ok: true });
    await alarmRow(page, 'Printer5').waitFor();
    const alarms = await twin.fleet.alarms();
    const rows = await cellsOf(page.locator('#alarm-list'));
    expect(rows.map((cells) => cells[1])).toEqual(alarms.map((p) => p.PrinterId));
    const byId = new Map(rows.map((cells) => [cells[1], cells]));
    expect(byId.get('Printer1')?.slice(2, 5)).toEqual(['ACTIVE', 'major', 'threshold']);
    expect(byId.get('Printer9')?.slice(2, 5)).toEqual(['ACTIVE', 'major', 'silent']);
    expect(byId.get('Printer10')?.slice(2, 5)).toEqual(['DISABLED', 'none', 'disable']);
    expect(byId.get('Printer6')?.[6]).toBe(
      (alarms.find((p) => p.PrinterId === 'Printer6')?.Alarm as { By?: string } | undefined)?.By ?? '—',
    );
    expect(byId.get('Printer5')?.[7]).toMatch(/^snoozed until \d\d:\d\d \(in (29|30) min\)$/);
    expect(byId.get('Printer1')?.[5]).toMatch(TIME_TEXT);
    expect(byId.has('Printer8')).toBe(false);
    await page.getByRole('link', { name: 'Printers', exact: true }).click();
    await page.locator('#printers tbody tr').first().waitFor();
    expect(await page.getByRole('link', { name: 'Printers', exact: true }).getAttribute('aria-current')).toBe('page');
  });

  it('acknowledges several alarms with one note, by keyboard alone, and lists each result with refusals and their reason', async () => {
    for (const id of ['Printer11', 'Printer12', ACKNOWLEDGED_AT_START.id]) {
      await tabTo(page, { label: `Select ${id}` });
      await page.keyboard.press('Space');
    }
    await shows(page.locator('#selected-count'), '3 selected');
    await tabTo(page, { id: 'bulk-note' }, 80);
    await page.keyboard.type('line 2 maintenance');
    await tabTo(page, { tag: 'BUTTON', text: 'Acknowledge selected' });
    await page.keyboard.press('Enter');
    await shows(page.locator('#bulk-message'), 'Acknowledge: 2 of 3 done.');
    expect(await page.locator('#bulk-results li').allTextContents()).toEqual([
      'Printer11: done, now ACKNOWLEDGED',
      'Printer12: done, now ACKNOWLEDGED',
      'Printer6: refused, alarm is ACKNOWLEDGED; acknowledge applies to ACTIVE or LATCHED',
    ]);
    for (const id of ['Printer11', 'Printer12']) {
      expect(await lastTransition(id)).toMatchObject({ From: 'ACTIVE', To: 'ACKNOWLEDGED', By: 'local', Note: 'line 2 maintenance' });
      await shows(alarmRow(page, id).locator('td.owner'), 'local');
    }
    expect(await alarmOf(ACKNOWLEDGED_AT_START.id)).toBe('ACKNOWLEDGED');

    // Then both snoozed with the mouse: each gets its snooze end.
    for (const id of ['Printer11', 'Printer12']) await page.getByLabel(`Select ${id}`).check();
    await page.getByRole('button', { name: 'Snooze selected' }).click();
    await shows(page.locator('#bulk-message'), 'Snooze: 2 of 2 done.');
    for (const id of ['Printer11', 'Printer12']) {
      expect(await alarmOf(id)).toBe('SNOOZE_DISABLED');
      await shows(alarmRow(page, id).locator('td.until'), /^snoozed until \d\d:\d\d \(in (29|30) min\)$/);
    }
  });

  it('shows a new alarm within 2 s, without reloading the page', async () => {
    await page.evaluate(() => {
      (globalThis as unknown as PageGlobals).notReloaded = true;
    });
    expect(await alarmRow(page, 'Printer2').count()).toBe(0);
    await publish(outOfBounds('Printer2'));
    // From here the API answers ACTIVE: the page has 2 s to show it.
    expect(await alarmOf('Printer2')).toBe('ACTIVE');
    await shows(alarmRow(page, 'Printer2').locator('td.state'), 'ACTIVE', LIVE_MS);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).notReloaded)).toBe(true);
  });

  it('wraps printer ids only between their parts, and a 128-character id does not widen the page', async () => {
    expect(LONG_ID).toHaveLength(128);
    await atEachWidth(async (p, width) => {
      await alarmRow(p, LONG_ID).waitFor();
      await alarmRow(p, WRAP_ID).waitFor();
      expect(await overflowing(p)).toEqual([]);
      // Each part of the id between two break points is on one line (one client rect), however the cell wraps.
      const split = await alarmRow(p, WRAP_ID)
        .locator('a')
        .evaluate((a) => {
          const doc = (
            globalThis as unknown as {
              document: { createRange(): { selectNodeContents(n: unknown): void; getClientRects(): { length: number } } };
            }
          ).document;
          const texts = [...(a as unknown as { childNodes: { nodeType: number; textContent: string }[] }).childNodes].filter(
            (n) => n.nodeType === 3,
          );
          return texts.map((node) => {
            const range = doc.createRange();
            range.selectNodeContents(node);
            return [node.textContent, range.getClientRects().length] as const;
          });
        });
      expect(split.map(([text]) => text).join('')).toBe(WRAP_ID);
      expect(
        split.filter(([, lines]) => lines !== 1),
        `at ${width} px`,
      ).toEqual([]);
      const height = await alarmRow(p, WRAP_ID)
        .locator('a')
        .evaluate((a) => (a as unknown as { getClientRects(): { length: number } }).getClientRects().length);
      if (width === 390) expect(height, 'the id wraps on a phone').toBeGreaterThan(1);
      // A phone folds severity, cause and owner into the state cell.
      if (width === 390) {
        const state = await alarmRow(p, ACKNOWLEDGED_AT_START.id).locator('td.state').innerText();
        expect(state.replace(/\s+/g, ' ')).toBe('ACKNOWLEDGED major · acknowledge · by local');
      }
      await openPrinter(p, LONG_ID);
      expect(await overflowing(p)).toEqual([]);
    });
  });

  it("writes every time one way, in the browser's zone, with its age, and the exact time in a title", async () => {
    const tokyo = await openPage(1280, 900, '/', 'Asia/Tokyo');
    try {
      for (const view of ['#alarms', `#printer=Printer1`]) {
        await tokyo.evaluate((hash) => {
          (globalThis as unknown as { location: { hash: string } }).location.hash = hash;
        }, view);
        await tokyo.locator('time:visible').first().waitFor();
        if (view !== '#alarms') await tokyo.locator('#history li').first().waitFor();
        const shown = await times(tokyo);
        expect(shown.length).toBeGreaterThan(0);
        for (const { text, title } of shown) {
          expect(text).toMatch(TIME_TEXT);
          const clock = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
          expect(text).toContain(clock.format(Date.parse(title)));
          expect(new Date(title).toISOString()).toBe(title);
        }
        // Nothing else on the page is a raw time: no epoch milliseconds, no ISO text.
        const text = await tokyo.evaluate(() => (globalThis as unknown as PageGlobals).document.body.innerText);
        expect(text).not.toMatch(/\b\d{13}\b/);
        expect(text).not.toMatch(/\d{4}-\d\d-\d\dT\d\d/);
      }
    } finally {
      await tokyo.context().close();
    }
  });

  it('charts the fleet events over the chosen range, 1 h, 24 h or 7 d, whatever the events span', async () => {
    await page.locator('#fleet-chart canvas').waitFor();
    for (const [choice, span] of [
      ['24h', 24 * HOUR],
      ['1h', HOUR],
      ['7d', 7 * 24 * HOUR],
    ] as const) {
      await page.getByLabel('Time range').selectOption(choice);
      await eventually(async () => {
        const x = await scaleOf(page, 'fleet-chart', 'x');
        return x === null ? null : [Math.abs(x.max * 1000 - Date.now()) < MINUTE, Math.abs(x.max - x.min - span / 1000) < 60];
      }).toEqual([true, true]);
    }
  });
});

describe('a printer', () => {
  it('acknowledges an alarm with a note and shows ACKNOWLEDGED', async () => {
    await publish(outOfBounds('Printer3'));
    expect(await alarmOf('Printer3')).toBe('ACTIVE');
    await page.getByRole('link', { name: 'Printer3', exact: true }).click();
    await shows(page.locator('#printer-title'), 'Printer Printer3');
    await shows(page.locator('#alarm-state'), 'ACTIVE');
    await page.getByLabel('Note (optional)').fill('paper jam, on my way');
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await shows(message(page), 'Acknowledged Printer3: the alarm is ACKNOWLEDGED.');
    await shows(page.locator('#alarm-state'), 'ACKNOWLEDGED');
    await shows(page.locator('#history li').first(), /ACTIVE → ACKNOWLEDGED \(acknowledge, major\) by local: “paper jam, on my way”/);
    expect(await alarmOf('Printer3')).toBe('ACKNOWLEDGED');
    expect(await lastTransition('Printer3')).toMatchObject({ To: 'ACKNOWLEDGED', By: 'local', Note: 'paper jam, on my way' });
    expect(await page.locator('#state dt:text-is("EventCount") + dd').textContent()).toBe('1');
  });

  it('offers only the actions that can succeed in the alarm state', async () => {
    const expected: Record<string, string[]> = {
      Printer1: ['Acknowledge', 'Snooze', 'Disable', 'Reset'],
      Printer6: ['Snooze', 'Disable', 'Reset'],
      Printer10: ['Enable', 'Reset'],
      Printer8: ['Snooze', 'Disable'],
    };
    for (const [id, buttons] of Object.entries(expected)) {
      await openPrinter(page, id);
      await page.locator('#alarm-state').filter({ hasText: /\w/ }).waitFor();
      await eventually(() => page.locator('#actions button:visible').allTextContents()).toEqual(buttons);
      expect(await page.locator('#snooze-for').isVisible()).toBe(buttons.includes('Snooze'));
    }
  });

  it('says which metric the value chart plots, and its y range holds the band, so the threshold lines show', async () => {
    // Printer14's values swing in the middle of its band, 20 to 80: a range fitted to them alone leaves both lines out.
    await openPrinter(page, 'Printer14');
    await shows(page.locator('#values-title'), 'Recent values of value');
    expect(await page.locator('#values-chart').getAttribute('aria-label')).toMatch(
      /^value: \d+ recent values, the last [\d.]+; band 20 to 80$/,
    );
    const detail = await twin.fleet.printer('Printer14');
    const values = detail!.recent.map(([, v]) => v);
    expect(Math.min(...values)).toBeGreaterThan(30);
    expect(Math.max(...values)).toBeLessThan(70);
    const y = await scaleOf(page, 'values-chart', 'y');
    expect(y!.min).toBeLessThan(20);
    expect(y!.max).toBeGreaterThan(80);
  });

  it("charts the printer's events and lists its history over the chosen range", async () => {
    const sinceAsked: number[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.endsWith('/history')) sinceAsked.push(Date.parse(url.searchParams.get('since') ?? ''));
    });
    await openPrinter(page, 'Printer4');
    await page.getByLabel('Time range').selectOption('1h');
    await eventually(async () => {
      const x = await scaleOf(page, 'events-chart', 'x');
      return x === null ? null : Math.round((x.max - x.min) / 60);
    }).toBe(60);
    await eventually(() => Math.abs(Date.now() - HOUR - (sinceAsked.at(-1) ?? 0)) < MINUTE).toBe(true);
    await shows(page.locator('#history li').last(), /Anomaly event 1/);
  });

  it('acknowledges by keyboard alone', async () => {
    await publish(outOfBounds('Printer4'));
    await shows(alarmRow(page, 'Printer4').locator('td.state'), 'ACTIVE');
    await tabTo(page, { tag: 'A', text: 'Printer4' });
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.activeElement?.id === 'printer-title');
    await shows(page.locator('#alarm-state'), 'ACTIVE');
    await tabTo(page, { id: 'note' });
    await page.keyboard.type('checked by keyboard');
    await tabTo(page, { tag: 'BUTTON', text: 'Acknowledge' });
    await page.keyboard.press('Enter');
    await shows(message(page), 'Acknowledged Printer4: the alarm is ACKNOWLEDGED.');
    await shows(page.locator('#alarm-state'), 'ACKNOWLEDGED');
    expect(await lastTransition('Printer4')).toMatchObject({ To: 'ACKNOWLEDGED', By: 'local', Note: 'checked by keyboard' });
    // The button is gone (acknowledging again cannot succeed): the focus waits on the note, not lost on the page.
    await eventually(() => page.evaluate(focused)).toMatchObject({ id: 'note' });
  });
});

describe('the printer list', () => {
  it('shows one page of printers at a time, with next and previous pages', async () => {
    await openPageTo('#printers');
    const first = (await cellsOf(page.locator('#printers'))).map((cells) => cells[0]);
    expect(first).toHaveLength(25);
    await page.getByRole('button', { name: 'Next page' }).click();
    await eventually(async () => (await cellsOf(page.locator('#printers')))[0]?.[0]).not.toBe(first[0]);
    const second = (await cellsOf(page.locator('#printers'))).map((cells) => cells[0]);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    expect(first.length + second.length).toBeGreaterThanOrEqual(FLEET.length + EXTRA_PRINTERS - 25);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await eventually(async () => (await cellsOf(page.locator('#printers'))).map((cells) => cells[0])).toEqual(first);
    // NORMAL printers show neither severity nor cause.
    const normal = (await cellsOf(page.locator('#printers'))).find((cells) => cells[1] === 'NORMAL');
    expect(normal?.slice(2, 4)).toEqual(['none', '—']);
  });
  it('searches the fleet on the server, by keyboard', async () => {
    await openPageTo('#printers');
    await tabTo(page, { id: 'search' });
    await page.keyboard.type('printer1');
    const expected = FLEET.map((p) => p.id).filter((id) => id.toLowerCase().includes('printer1'));
    await eventually(async () => (await cellsOf(page.locator('#printers'))).map((cells) => cells[0]).sort()).toEqual(expected.sort());
    await printerRow(page, 'Printer10').waitFor();
  });
});

async function openPageTo(hash: string): Promise<void> {
  await page.evaluate((h) => {
    (globalThis as unknown as { location: { hash: string } }).location.hash = h;
  }, hash);
  if (hash === '#printers') await page.locator('#printers tbody tr').first().waitFor();
}

describe('the profile editor', () => {
  it("saves a profile, and shows the validator's reasons beside the fields it refuses, by keyboard alone", async () => {
    await openPrinter(page, 'Printer13');
    const replace = async (id: string, text: string) => {
      await tabTo(page, { id });
      await page.keyboard.press('Control+A');
      await page.keyboard.type(text);
    };
    await replace('edit-Upper', '85');
    await tabTo(page, { id: 'edit-Severity' });
    await page.keyboard.type('critical');
    await tabTo(page, { tag: 'BUTTON', text: 'Save profile' });
    await page.keyboard.press('Enter');
    await shows(page.locator('#editor-message'), 'Saved the profile of Printer13.');
    expect((await twin.fleet.printer('Printer13'))?.profile).toMatchObject({
      Thresholds: { Lower: 20, Upper: 85 },
      Severity: 'critical',
      Window: 2,
    });
    await eventually(() => page.locator('#values-chart').getAttribute('aria-label')).toMatch(/band 20 to 85$/);

    // A band upside down: the page shows the API's own refusal, and nothing is saved.
    await replace('edit-Lower', '90');
    await tabTo(page, { tag: 'BUTTON', text: 'Save profile' });
    await page.keyboard.press('Enter');
    const refusal = await page.request.put(`${origin}/api/printers/Printer13`, {
      data: { PrinterId: 'Printer13', Thresholds: { Lower: 90, Upper: 85 }, Window: 2, Severity: 'critical' },
    });
    expect(refusal.status()).toBe(400);
    // Each reason the validator gives per attribute is shown beside its field, which is marked invalid and takes the focus.
    const { fields } = (await refusal.json()) as { error: string; fields: Record<string, string> };
    expect(Object.keys(fields).length).toBeGreaterThan(0);
    await shows(page.locator('#editor-message'), `Not saved: ${Object.keys(fields).length} field(s) to correct.`);
    for (const [attribute, reason] of Object.entries(fields)) {
      await shows(page.locator(`#error-${attribute.split('.')[0]}`), reason);
    }
    expect(await page.locator('#edit-Lower').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(focused)).toMatchObject({ id: 'edit-Lower' });
    expect((await twin.fleet.printer('Printer13'))?.profile).toMatchObject({ Thresholds: { Lower: 20, Upper: 85 } });
    expect(await seriousViolations(page)).toEqual([]);
  });
  it('previews what an edited profile would have done on the recent values, on the chart, before saving', async () => {
    await openPrinter(page, 'Printer14');
    const before = (await twin.fleet.printer('Printer14'))?.profile;
    // Every recent value (30 to 70) is above 35: each would be flagged.
    await page.getByLabel('Upper', { exact: true }).fill('35');
    await page.getByRole('button', { name: 'Preview' }).click();
    await shows(
      page.locator('#editor-message'),
      /^Preview on the last \d+ values: the saved profile raised 0 event\(s\), this one would raise [1-9]\d*\.$/,
    );
    await eventually(() => page.locator('#values-chart').getAttribute('aria-label')).toMatch(
      /; band 20 to 80; proposed band 20 to 35, \d+ flagged$/,
    );
    const label = await page.locator('#values-chart').getAttribute('aria-label');
    const [, shown, flagged] = /^value: (\d+) recent values.*, (\d+) flagged$/.exec(label ?? '') ?? [];
    expect(flagged).toBe(shown);
    const y = await scaleOf(page, 'values-chart', 'y');
    expect(y!.max).toBeGreaterThan(80);
    expect(y!.min).toBeLessThan(20);
    expect((await twin.fleet.printer('Printer14'))?.profile).toEqual(before);
    await page.getByRole('button', { name: 'Drop edits' }).click();
    await eventually(() => page.locator('#values-chart').getAttribute('aria-label')).toMatch(/; band 20 to 80$/);
    expect(await page.getByLabel('Upper', { exact: true }).inputValue()).toBe('80');
  });
});

describe('accessibility and a phone', () => {
  it('has no serious or critical accessibility violations and no horizontal scrolling, in every view, at 1280 and 390 px', async () => {
    await atEachWidth(async (p, width) => {
      await alarmRow(p, 'Printer1').waitFor();
      await p.locator('#fleet-chart canvas').waitFor();
      expect(await seriousViolations(p), `alarms at ${width}`).toEqual([]);
      expect(await overflowing(p), `alarms at ${width}`).toEqual([]);
      await p.getByRole('link', { name: 'Printers', exact: true }).click();
      await p.locator('#printers tbody tr').first().waitFor();
      expect(await seriousViolations(p), `printers at ${width}`).toEqual([]);
      expect(await overflowing(p), `printers at ${width}`).toEqual([]);
      await openPrinter(p, 'Printer1');
      await p.locator('#history li').first().waitFor();
      expect(await seriousViolations(p), `printer at ${width}`).toEqual([]);
      expect(await overflowing(p), `printer at ${width}`).toEqual([]);
    });
  });
});
