/**
 * The dashboard in a real headless Chromium, loaded from a running twin (in
 * memory): the page and the operator API on the twin's own origin, over the
 * twin's tables, fed by readings published over MQTT as devices publish them.
 * What it shows, acting on an alarm by mouse and by keyboard alone, live
 * updates without reload, refusals, accessibility (axe-core) and a phone's
 * width. With UPDATE_SCREENSHOTS=1 it also writes screenshots of both views
 * to `docs/`.
 *
 * One twin serves the whole file. Each test that changes an alarm does it on
 * a printer of its own, so what every test starts from holds whatever ran
 * before it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlarmState, HistoryItem, ProfileInput } from '../../contract/index.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { publishReadings, reading } from '../support/twin.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const UPDATE_SCREENSHOTS = process.env['UPDATE_SCREENSHOTS'] === '1';
const docs = (file: string) => fileURLToPath(new URL(`../../docs/${file}`, import.meta.url));
/** The dashboard promises changes on screen within 2 s of being readable through the API. */
const LIVE_MS = 2_000;

/**
 * The fleet: original-form profiles, and what each printer reported.
 * `events`: how many times it just went out of bounds for a whole window and
 * came back; `ends`: `active` when its last two readings are out of bounds,
 * `quiet` when it never reported.
 */
const FLEET: readonly { id: string; lower: number; upper: number; events: number; ends?: 'active' | 'quiet' }[] = [
  { id: 'Printer1', lower: 20, upper: 80, events: 0, ends: 'active' },
  { id: 'Printer2', lower: 10, upper: 60, events: 0 },
  { id: 'Printer3', lower: 20, upper: 80, events: 0 },
  { id: 'Printer4', lower: 0, upper: 100, events: 2 },
  { id: 'Printer5', lower: 15, upper: 75, events: 0 },
  { id: 'Printer6', lower: 30, upper: 90, events: 0, ends: 'active' },
  { id: 'Printer7', lower: 40, upper: 70, events: 1 },
  { id: 'Printer8', lower: 20, upper: 80, events: 0, ends: 'quiet' },
];
const ACKNOWLEDGED_AT_START = { id: 'Printer6', note: 'toner low, cartridge ordered' };
/** Printers the tests below change: every other one stays as the fleet was set up. */
const CHANGED_BY_TESTS = new Set(['Printer2', 'Printer3', 'Printer4', 'Printer5']);
/** Readings a minute apart (61 s, so that each one lands in its own slot of the 32-slot ring of recent values). */
const READING_EVERY_MS = 61_000;
const HISTORY_READINGS = 16;

const profile = ({ id, lower, upper }: (typeof FLEET)[number]): ProfileInput => ({
  PrinterId: id,
  Thresholds: { Lower: lower, Upper: upper },
  Window: 2,
});

/**
 * What a printer reported, as its device stamps it: a reading a minute over
 * the last quarter of an hour, swinging slowly inside its band; then what
 * just happened, a second apart up to `now` (events are counted when they
 * arrive, so the charts agree only for readings sent as they are made): each
 * event as two readings above the band and one back inside, which clears the
 * alarm, and for `active` two more above it.
 */
function history({ id, lower, upper, events, ends }: (typeof FLEET)[number], now: number): object[] {
  if (ends === 'quiet') return [];
  const mid = (lower + upper) / 2;
  const swing = (upper - lower) / 5;
  const phase = Number(id.replace(/\D/g, ''));
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

async function openPage(width = 1280, height = 900): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height } });
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
  await opened.goto(`${origin}/`);
  await row(opened, 'Printer1').waitFor();
  return opened;
}

const row = (p: Page, id: string) => p.locator('#printers tbody tr').filter({ has: p.getByRole('link', { name: id, exact: true }) });
const stateOf = (p: Page, id: string) => row(p, id).locator('td.state');
const message = (p: Page) => p.getByRole('status');

/** Waits (up to `timeout`) until `locator` shows `text`. */
async function shows(locator: Locator, text: string | RegExp, timeout = 5_000): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor({ timeout });
  expect(await locator.first().textContent()).toMatch(text);
}

/** The table as the page shows it: each row's printer, alarm state and events, top to bottom. */
async function tableRows(p: Page): Promise<{ id: string; state: string; events: number }[]> {
  const rows = await p
    .locator('#printers tbody tr')
    .evaluateAll((trs) =>
      trs.map((tr) => [...(tr as unknown as { cells: { textContent: string | null }[] }).cells].map((cell) => cell.textContent ?? '')),
    );
  return rows.map(([id = '', state = '', , events = '']) => ({ id, state, events: Number(events) }));
}

/** The listing's order: alarms first (ACTIVE, then ACKNOWLEDGED, ...), then NORMAL printers by events, most first. */
const LISTED = ['ACTIVE', 'LATCHED', 'ACKNOWLEDGED', 'SNOOZE DISABLED', 'DISABLED', 'NORMAL'];
function inListingOrder(rows: readonly { id: string; state: string; events: number }[]): boolean {
  return rows.every((b, i) => {
    const a = rows[i - 1];
    if (a === undefined) return true;
    const byState = LISTED.indexOf(a.state) - LISTED.indexOf(b.state);
    if (byState !== 0) return byState < 0;
    if (a.state === 'NORMAL' && a.events !== b.events) return a.events > b.events;
    return a.id < b.id;
  });
}

/** The page's globals, typed just enough for the checks run in it (the project compiles without DOM types). */
interface PageGlobals {
  readonly document: {
    readonly activeElement: { readonly id: string; readonly tagName: string; readonly textContent: string | null } | null;
    readonly documentElement: { readonly scrollWidth: number; readonly clientWidth: number };
    readonly body: { readonly scrollWidth: number };
  };
  readonly innerWidth: number;
  notReloaded?: boolean;
}

/** What has the keyboard focus, in the page. */
const focused = () => {
  const active = (globalThis as unknown as PageGlobals).document.activeElement;
  return { id: active?.id ?? '', tag: active?.tagName ?? '', text: active?.textContent ?? '' };
};

/** Presses Tab until the focus is on the element with this id, or this tag and text. */
async function tabTo(p: Page, target: { id?: string; tag?: string; text?: string }, presses = 40): Promise<void> {
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

const noHorizontalScroll = (p: Page) =>
  p.evaluate(() => {
    const { document, innerWidth } = globalThis as unknown as PageGlobals;
    return document.documentElement.scrollWidth <= document.documentElement.clientWidth && document.body.scrollWidth <= innerWidth;
  });

beforeAll(async () => {
  [browser, twin] = await Promise.all([
    chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
    startTwin({ sweepSeconds: 0, logFile: false }),
  ]);
  origin = new URL(twin.httpUrl).origin;
  await twin.seed(FLEET.map(profile));
  const now = Date.now();
  await publish(FLEET.flatMap((printer) => history(printer, now)));
  const acknowledged = await twin.fleet.act(ACKNOWLEDGED_AT_START.id, {
    action: 'acknowledge',
    note: ACKNOWLEDGED_AT_START.note,
    by: 'local',
  });
  expect(acknowledged).toMatchObject({ ok: true, alarm: { State: 'ACKNOWLEDGED' } });
  // The fleet is as described, before any page loads it.
  const ranked = await twin.fleet.ranked(100);
  expect(Object.fromEntries(ranked.map((p) => [p.PrinterId, p.EventCount]))).toEqual(
    Object.fromEntries(FLEET.map((p) => [p.id, p.events + (p.ends === 'active' ? 1 : 0)])),
  );
  const alarms = await twin.fleet.alarms();
  expect(alarms.map((p) => [p.PrinterId, p.Alarm.State])).toEqual([
    ['Printer1', 'ACTIVE'],
    ['Printer6', 'ACKNOWLEDGED'],
  ]);
  expect(twin.deadLetters()).toEqual([]);
});

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

describe('the dashboard, served by the twin', () => {
  it('shows the fleet ranked with the alarms first, and the fleet counts', async () => {
    await shows(stateOf(page, 'Printer1'), 'ACTIVE');
    await shows(stateOf(page, ACKNOWLEDGED_AT_START.id), 'ACKNOWLEDGED');
    const rows = await tableRows(page);
    expect(rows).toHaveLength(FLEET.length);
    expect(inListingOrder(rows)).toBe(true);
    expect(rows[0]).toEqual({ id: 'Printer1', state: 'ACTIVE', events: 1 });
    expect(rows.map((r) => r.id).filter((id) => !CHANGED_BY_TESTS.has(id))).toEqual(['Printer1', 'Printer6', 'Printer7', 'Printer8']);
    expect(await row(page, 'Printer1').locator('td').nth(2).textContent()).toBe('major');
    // Printer7's alarm went ACTIVE and cleared: NORMAL shows no severity.
    expect(await row(page, 'Printer7').locator('td').nth(2).textContent()).toBe('none');
    expect(await row(page, 'Printer8').locator('td.value').textContent()).toBe('—');
    const alarms = await twin.fleet.alarms();
    const active = alarms.filter((p) => p.Alarm.State === 'ACTIVE').length;
    const acknowledged = alarms.filter((p) => p.Alarm.State === 'ACKNOWLEDGED').length;
    await shows(page.locator('#counts'), new RegExp(`Printers: ${FLEET.length}.*active: ${active}.*acknowledged: ${acknowledged}`));
    await page.locator('#fleet-chart canvas').waitFor();
    if (UPDATE_SCREENSHOTS) await page.screenshot({ path: docs('dashboard-fleet.png') });

    await page.getByLabel('Search PrinterId').fill('printer7');
    await page.locator('#printers tbody tr').nth(1).waitFor({ state: 'detached' });
    expect(await page.locator('#printers tbody tr td:first-child').allTextContents()).toEqual(['Printer7']);
  });

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
    await shows(stateOf(page, 'Printer3'), 'ACKNOWLEDGED');
    await shows(page.locator('#history li').first(), /ACTIVE → ACKNOWLEDGED \(acknowledge, major\) by local: “paper jam, on my way”/);
    expect(await alarmOf('Printer3')).toBe('ACKNOWLEDGED');
    expect(await lastTransition('Printer3')).toMatchObject({ To: 'ACKNOWLEDGED', By: 'local', Note: 'paper jam, on my way' });
    // Its recent values are charted against its thresholds, the last two above the upper one.
    await page.locator('#values-chart canvas').waitFor();
    expect(await page.locator('#values-chart').getAttribute('aria-label')).toMatch(/^\d+ recent values, the last 89; thresholds 20 to 80$/);
    expect(await page.locator('#state dt:text-is("EventCount") + dd').textContent()).toBe('1');
    if (UPDATE_SCREENSHOTS) await page.screenshot({ path: docs('dashboard-printer.png'), fullPage: true });
  });

  it('shows when a snooze ends, and neither severity nor cause for a NORMAL alarm', async () => {
    const until = Date.now() + 30 * 60_000;
    expect(await twin.fleet.act('Printer5', { action: 'snooze', until, by: 'local' })).toMatchObject({ ok: true });
    await page.getByRole('link', { name: 'Printer5', exact: true }).click();
    await shows(page.locator('#alarm-state'), 'SNOOZE DISABLED');
    await shows(page.locator('#alarm-detail'), /^snooze, since .+, snoozed until \d\d:\d\d \(in (29|30) min\)$/);
    await page.getByRole('link', { name: 'Printer7', exact: true }).click();
    await shows(page.locator('#printer-title'), 'Printer Printer7');
    await shows(page.locator('#alarm-state'), 'NORMAL');
    await shows(page.locator('#alarm-severity'), 'none');
    expect(await page.locator('#alarm-detail').textContent()).toMatch(/^since /);
  });

  it('shows a new alarm within 2 s, without reloading the page', async () => {
    await page.evaluate(() => {
      (globalThis as unknown as PageGlobals).notReloaded = true;
    });
    await shows(stateOf(page, 'Printer2'), 'NORMAL');
    await publish(outOfBounds('Printer2'));
    // From here the API answers ACTIVE: the page has 2 s to show it.
    expect(await alarmOf('Printer2')).toBe('ACTIVE');
    await shows(stateOf(page, 'Printer2'), 'ACTIVE', LIVE_MS);
    const rows = await tableRows(page);
    expect(inListingOrder(rows)).toBe(true);
    const firstNormal = rows.findIndex((r) => r.state === 'NORMAL');
    expect(rows.findIndex((r) => r.id === 'Printer2')).toBeLessThan(firstNormal);
    expect(rows.find((r) => r.id === 'Printer2')).toEqual({ id: 'Printer2', state: 'ACTIVE', events: 1 });
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).notReloaded)).toBe(true);
  });

  it("shows the API's reason when an action is refused", async () => {
    const { id } = ACKNOWLEDGED_AT_START;
    await page.getByRole('link', { name: id, exact: true }).click();
    await shows(page.locator('#alarm-state'), 'ACKNOWLEDGED');
    await shows(page.locator('#history li').first(), `“${ACKNOWLEDGED_AT_START.note}”`);
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await shows(message(page), 'Acknowledge refused: alarm is ACKNOWLEDGED; acknowledge applies to ACTIVE or LATCHED');
    await shows(page.locator('#alarm-state'), 'ACKNOWLEDGED');
    expect(await alarmOf(id)).toBe('ACKNOWLEDGED');
  });

  it('acknowledges by keyboard alone', async () => {
    await publish(outOfBounds('Printer4'));
    await shows(stateOf(page, 'Printer4'), 'ACTIVE');
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
    expect(await page.evaluate(focused)).toMatchObject({ tag: 'BUTTON', text: 'Acknowledge' });
  });

  it('has no serious or critical accessibility violations, in the fleet view and a printer view', async () => {
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'Printer1', exact: true }).click();
    await shows(page.locator('#alarm-state'), 'ACTIVE');
    await page.locator('#history li').first().waitFor();
    await page.locator('#values-chart canvas').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('fits a 390 px wide screen without horizontal scrolling', async () => {
    const phone = await openPage(390, 844);
    try {
      await shows(stateOf(phone, 'Printer1'), 'ACTIVE');
      expect(await noHorizontalScroll(phone)).toBe(true);
      await phone.getByRole('link', { name: 'Printer1', exact: true }).click();
      await phone.locator('#history li').first().waitFor();
      await phone.locator('#values-chart canvas').waitFor();
      expect(await noHorizontalScroll(phone)).toBe(true);
    } finally {
      await phone.context().close();
    }
  });
});
