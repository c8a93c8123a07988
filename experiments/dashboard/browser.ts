/**
 * Opens the dashboard in Debian's chromium through playwright-core (headless): the browser test
 * and the README screenshot use it. Chromium is a system package, not an npm download, so its
 * absence is an error that says how to install it.
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { ConfigError } from '../../core/errors.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * @throws {ConfigError} when chromium is not installed, with the command that installs it.
 * @example
 * const browser = await launchChromium();
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new ConfigError('chromium', CHROMIUM_PATH, 'is not installed: run `apt-get update && apt-get install -y chromium` (Debian; .ci/run does it)');
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** Resolves once the page has drawn `rows` rows into every chart it shows (app.js `drawnRows`). */
export async function waitForDrawnRows(page: Page, rows: number, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction((n) => (globalThis as unknown as { dashboard?: { drawnRows: number } }).dashboard?.drawnRows === n, rows, { timeout: timeoutMs });
}

/**
 * Screenshots the dashboard at `url` into `file` (PNG, full page) once `rows` rows are drawn.
 * @example
 * await screenshotDashboard(server.url, 'assets/dashboard.png', model.snapshot().rows.length);
 */
export async function screenshotDashboard(url: string, file: string, rows: number): Promise<void> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(url);
    await waitForDrawnRows(page, rows);
    await page.screenshot({ path: file, fullPage: true });
  } finally {
    await browser.close();
  }
}
