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
const SAMPLE_READINGS = 800;

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
    await upper.fill(String(Number(await upper.inputValue()) + 5));
    await page.getByRole('button', { name: 'Preview' }).click();
    await page
      .locator('#editor-message')
      .filter({ hasText: /Preview|Not saved/ })
      .waitFor();
    await page.locator('#editor').screenshot(UPDATE_SCREENSHOTS ? { path: repo('docs/screenshot-editor.png') } : {});
  });
});
