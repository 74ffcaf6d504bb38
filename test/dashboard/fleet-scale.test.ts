/**
 * The dashboard over a large fleet, on a twin (in memory): the operator
 * opens the alarm list (the few alarms, not the fleet), the printer list reads
 * one page of 25 at a time from the API, and a search finds one printer among
 * them all on the server. Nobody scrolls the fleet: the page never holds more
 * than one page of it. At 1280 and 390 px, by keyboard. `npm test` seeds
 * 2,000 printers (seeding is most of the time), `npm run soak` 10,000; the
 * API's paging at 10,000 is in test/lambda/api/fleet-scale.test.ts.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileInput } from '../../contract/index.ts';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { soakSize } from '../support/soak.ts';
import { publishReadings, reading } from '../support/twin.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const FLEET_SIZE = soakSize(2_000, 10_000);
const PAGE_SIZE = 25;
const idOf = (i: number) => `Printer${String(i).padStart(5, '0')}`;
/** The printers with an alarm: two readings above the band each. */
const ALARMED = [idOf(42), idOf(FLEET_SIZE - 223)];

let browser: Browser;
let twin: Twin;
let origin: string;

const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 15_000 });
const ids = (p: Page, table: string) => p.locator(`${table} tbody tr td.id`).allTextContents();

async function open(width: number): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  return page;
}

beforeAll(async () => {
  [browser, twin] = await Promise.all([
    chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
    startTwin({ sweepSeconds: 0, logFile: false }),
  ]);
  origin = new URL(twin.httpUrl).origin;
  const profiles: ProfileInput[] = Array.from({ length: FLEET_SIZE }, (_, i) => ({
    PrinterId: idOf(i),
    Thresholds: { Lower: 0, Upper: 100 },
    Window: 2,
  }));
  expect(await twin.seed(profiles)).toBe(FLEET_SIZE);
  const now = Date.now();
  await publishReadings(
    twin.mqttUrl,
    ALARMED.flatMap((id) => [reading(id, 150, { timestamp: now - 1_000 }), reading(id, 160, { timestamp: now })]),
  );
  await twin.waitForIdle();
  expect((await twin.fleet.alarms()).map((p) => p.PrinterId)).toEqual(ALARMED);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await twin?.close();
});

describe(`the dashboard at ${FLEET_SIZE.toLocaleString('en')} printers`, () => {
  for (const width of [1280, 390]) {
    it(`opens on the ${ALARMED.length} alarms, pages the fleet 25 at a time and finds one printer by search, at ${width} px`, async () => {
      const page = await open(width);
      try {
        await eventually(() => ids(page, '#alarm-list')).toEqual(ALARMED);

        await page.getByRole('link', { name: 'Printers', exact: true }).focus();
        await page.keyboard.press('Enter');
        await eventually(() => page.locator('#printers tbody tr').count()).toBe(PAGE_SIZE);
        await eventually(() => page.locator('#page-label').textContent()).toBe('Printers 1 to 25 (more on the next page)');
        const first = await ids(page, '#printers');
        await page.getByRole('button', { name: 'Next page' }).focus();
        await page.keyboard.press('Enter');
        await eventually(() => page.locator('#page-label').textContent()).toBe('Printers 26 to 50 (more on the next page)');
        const second = await ids(page, '#printers');
        expect(second).toHaveLength(PAGE_SIZE);
        expect(second.filter((id) => first.includes(id))).toEqual([]);

        await page.getByLabel('Search PrinterId').focus();
        // The last ten printers (e.g. Printer01990 to Printer01999), wherever the table keeps them: the page reads on until it has them all.
        await page.keyboard.type(
          idOf(FLEET_SIZE - 1)
            .slice(0, -1)
            .toLowerCase(),
        );
        await eventually(async () => (await ids(page, '#printers')).sort()).toEqual(
          Array.from({ length: 10 }, (_, i) => idOf(FLEET_SIZE - 10 + i)),
        );
        expect(await page.locator('#page-label').textContent()).toBe('Printers 1 to 10');
        await page.keyboard.type('9');
        await eventually(() => ids(page, '#printers')).toEqual([idOf(FLEET_SIZE - 1)]);
        // The page never held more than one page of the fleet.
        expect(await page.locator('#printers tbody tr').count()).toBeLessThanOrEqual(PAGE_SIZE);
      } finally {
        await page.context().close();
      }
    });
  }
});
