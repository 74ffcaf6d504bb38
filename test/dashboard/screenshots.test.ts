/**
 * The dashboard on the sample data (`data/printer_profiles.json` and
 * `data/printer_iot_data.json`, re-timed to end now), as the README shows
 * it at 1280 px: the alarm list, a printer with its band on the chart, and
 * the profile editor with a preview. Each view is checked before it is
 * captured; `npm run screenshots` (UPDATE_SCREENSHOTS=1) writes the pictures
 * to `docs/`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTwin, type Twin } from '../../twin/twin.ts';
import { publishReadings } from '../support/twin.ts';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const UPDATE_SCREENSHOTS = process.env['UPDATE_SCREENSHOTS'] === '1';
const repo = (file: string) => fileURLToPath(new URL(`../../${file}`, import.meta.url));

let browser: Browser;
let twin: Twin;
let page: Page;

/** Sample readings replayed: the last ones, enough for every printer's recent values and a few alarms. */
const SAMPLE_READINGS = 2_000;

/** The sample readings, their times moved so that the last one is a minute ago (the charts show the last hours). */
function sampleReadings(now: number): { PrinterId: string; timestamp: number }[] {
  const all = JSON.parse(readFileSync(repo('data/printer_iot_data.json'), 'utf8')) as { PrinterId: string; timestamp: number }[];
  const readings = all.slice(-SAMPLE_READINGS);
  const last = Math.max(...readings.map((r) => r.timestamp));
  const stretch = 3; // the sample spans minutes: spread it over a few hours' worth of chart
  return readings.map((r) => ({ ...r, timestamp: now - 60_000 - (last - r.timestamp) * stretch }));
}

beforeAll(async () => {
  [browser, twin] = await Promise.all([
    chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
    startTwin({ sweepSeconds: 0, logFile: false }),
  ]);
  await twin.seed(repo('data/printer_profiles.json'));
  await publishReadings(twin.mqttUrl, sampleReadings(Date.now()));
  await twin.waitForIdle();
  const alarmed = await twin.fleet.alarms();
  expect(alarmed.length).toBeGreaterThan(0);
  await twin.fleet.act(alarmed.at(-1)!.PrinterId, { action: 'acknowledge', note: 'toner ordered', by: 'local' });
  // An operator's morning beside it: two printers just ran hot (a whole window above the band), one is snoozed.
  const profiles = JSON.parse(readFileSync(repo('data/printer_profiles.json'), 'utf8')) as {
    PrinterId: string;
    Thresholds: { Upper: number };
    Window: number;
  }[];
  const calm = profiles.filter((p) => !alarmed.some((a) => a.PrinterId === p.PrinterId));
  const hot = calm.slice(0, 2);
  const now = Date.now();
  await publishReadings(
    twin.mqttUrl,
    hot.flatMap((p) =>
      Array.from({ length: p.Window }, (_, i) => ({
        PrinterId: p.PrinterId,
        data: { value: p.Thresholds.Upper + 5 + i },
        timestamp: now - (p.Window - i) * 1_000,
      })),
    ),
  );
  await twin.waitForIdle();
  await twin.fleet.act(calm[2]!.PrinterId, { action: 'snooze', until: now + 45 * 60_000, note: 'recalibrating', by: 'local' });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC' });
  page = await context.newPage();
  await page.goto(new URL(twin.httpUrl).origin);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await twin?.close();
});

const shoot = async (file: string) => {
  if (UPDATE_SCREENSHOTS) await page.screenshot({ path: repo(`docs/${file}`), fullPage: true });
};

describe('the dashboard on the sample data', () => {
  it('opens on the alarm list', async () => {
    await page.getByLabel('Time range').selectOption('1h');
    const alarms = await twin.fleet.alarms();
    await page
      .locator('#alarm-list tbody tr')
      .nth(alarms.length - 1)
      .waitFor();
    expect(await page.locator('#alarm-list tbody tr').count()).toBe(alarms.length);
    await page.locator('#fleet-chart canvas').waitFor();
    await shoot('screenshot-alarms.png');
  });

  it('shows a printer with its band on the chart', async () => {
    const [first] = await twin.fleet.alarms();
    await page.getByRole('link', { name: first!.PrinterId, exact: true }).click();
    await page.locator('#values-chart canvas').waitFor();
    await page.locator('#history li').first().waitFor();
    expect(await page.locator('#values-chart').getAttribute('aria-label')).toMatch(/; band -?[\d.]+ to -?[\d.]+$/);
    await shoot('screenshot-printer.png');
  });

  it('shows the profile editor with a preview', async () => {
    await page.locator('#editor').scrollIntoViewIfNeeded();
    const upper = page.getByLabel('Upper', { exact: true });
    // A narrower band: the preview flags the values it would have raised on.
    await upper.fill(String(Number(await upper.inputValue()) - 15));
    await page.getByRole('button', { name: 'Preview' }).click();
    await page
      .locator('#editor-message')
      .filter({ hasText: /^Preview on the last \d+ values/ })
      .waitFor();
    await page.locator('#values-chart[aria-label*="proposed band"]').waitFor();
    // The value chart with the preview drawn on it, and the editor below it (boxes measured from the page's top).
    await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
    const top = (await page.locator('#values-title').boundingBox())!;
    const bottom = (await page.locator('#editor').boundingBox())!;
    const clip = { x: 0, y: top.y - 8, width: 1280, height: bottom.y + bottom.height - top.y + 16 };
    await page.screenshot({ fullPage: true, clip, ...(UPDATE_SCREENSHOTS ? { path: repo('docs/screenshot-editor.png') } : {}) });
  });
});
