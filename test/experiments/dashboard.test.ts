/**
 * The dashboard: its data model, its typed errors, and the page in a real browser (Debian's
 * chromium through playwright-core), live (rows pushed through the runner's stream while the page
 * is open) and on a finished results folder. Rows come from a real tiny churn-30pct run.
 */
import { expect } from 'chai';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ConfigError } from '../../core/errors.ts';
import { EXPERIMENTS } from '../../experiments/catalog/index.ts';
import { CHROMIUM_PATH, launchChromium, waitForDrawnRows } from '../../experiments/dashboard/browser.ts';
import { dashboardCharts } from '../../experiments/dashboard/charts.ts';
import { loadResultsFolder } from '../../experiments/dashboard/folder.ts';
import { openLiveDashboard } from '../../experiments/dashboard/live.ts';
import { DashboardModel } from '../../experiments/dashboard/model.ts';
import type { DashboardUpdate } from '../../experiments/dashboard/model.ts';
import { parseDashboardPort, startDashboard } from '../../experiments/dashboard/server.ts';
import { writeResults } from '../../experiments/results.ts';
import { ensureDebianProgram } from '../support/debian.ts';
import { metricRows, planRuns, runTasks } from '../../experiments/runner.ts';
import type { MetricRow, ProgressEvent, RunTask } from '../../experiments/runner.ts';

const exp = EXPERIMENTS.get('churn-30pct')!;

/** A real tiny run: its tasks, the progress events the runner streamed, and the final rows. */
async function tinyRun(): Promise<{ tasks: RunTask[]; events: ProgressEvent[]; rows: MetricRow[] }> {
  const tasks = planRuns(exp, [1, 2], exp.tiny);
  const events: ProgressEvent[] = [];
  const outcomes = await runTasks(tasks, 1, (e) => events.push(e));
  return { tasks, events, rows: metricRows(exp.id, outcomes) };
}

function expectConfigError(f: () => unknown, key: string, pattern: RegExp): void {
  try {
    f();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).key).to.equal(key);
    expect((error as ConfigError).message).to.match(pattern);
    return;
  }
  expect.fail(`expected a ConfigError for ${key}`);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  return expect.fail('expected a rejection');
}

describe('dashboard: model and typed errors', () => {
  it('parses --dashboard: no value is a free port, a number a fixed one, anything else an error naming it', () => {
    expect(parseDashboardPort(undefined)).to.equal(null);
    expect(parseDashboardPort('')).to.equal(0);
    expect(parseDashboardPort(true)).to.equal(0);
    expect(parseDashboardPort('8080')).to.equal(8080);
    let cases = 0;
    for (const bad of ['abc', '0', '65536', '80.5', '-1', '8080x']) {
      expectConfigError(() => parseDashboardPort(bad), '--dashboard', new RegExp(`\\(${JSON.stringify(bad)}\\) must be a port number 1 … 65535`));
      cases++;
    }
    expect(cases).to.equal(6);
  });

  it('names a port that is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const model = new DashboardModel({ experiment: { id: exp.id, question: exp.question }, backend: 'sim', source: 'live', outDir: 'x', runs: [] });
      const error = await rejection(startDashboard(model, { port }));
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as ConfigError).message).to.equal(`--dashboard (${port}) is in use on 127.0.0.1: pick another port, or give --dashboard no value for a free one`);
    } finally {
      blocker.close();
    }
  });

  it('refuses a folder that is not a results folder, saying what is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-not-results-'));
    try {
      const missing = await rejection(loadResultsFolder(join(dir, 'nope')));
      expect((missing as ConfigError).message).to.match(/is not a results folder: no such folder$/);
      const empty = await rejection(loadResultsFolder(dir));
      expect(empty).to.be.instanceOf(ConfigError);
      expect((empty as ConfigError).message).to.match(/is not a results folder: it has no config\.resolved\.json/);
      writeFileSync(join(dir, 'config.resolved.json'), JSON.stringify({ experiment: { id: 'x', question: 'q' }, runs: [] }));
      const noMetrics = await rejection(loadResultsFolder(dir));
      expect((noMetrics as ConfigError).message).to.match(/it has no metrics\.jsonl/);
      writeFileSync(join(dir, 'metrics.jsonl'), '{"arm":"a"}\nnot json\n');
      const badLine = await rejection(loadResultsFolder(dir));
      expect((badLine as ConfigError).message).to.match(/metrics\.jsonl line 2 is not valid JSON/);
      mkdirSync(join(dir, 'file-not-folder'));
      writeFileSync(join(dir, 'file-not-folder', 'a'), '');
      const aFile = await rejection(loadResultsFolder(join(dir, 'file-not-folder', 'a')));
      expect((aFile as ConfigError).message).to.match(/no such folder/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps one row per (arm, seed, round), the later replacing the earlier, and tells each listener', async () => {
    const { tasks, rows } = await tinyRun();
    const model = new DashboardModel({ experiment: { id: exp.id, question: exp.question }, backend: 'sim', source: 'live', outDir: 'x', runs: tasks.map((t) => ({ arm: t.arm, seed: t.seed, rounds: t.rounds })) });
    const seen: DashboardUpdate[] = [];
    const stop = model.subscribe((u) => seen.push(u));
    for (const row of rows) model.addRow(row);
    const replaced = { ...rows[0]!, heldoutLoss: 123 };
    model.addRow(replaced);
    expect(model.snapshot().rows.length).to.equal(rows.length);
    expect(model.snapshot().rows[0]!.heldoutLoss).to.equal(123);
    stop();
    model.setStatus({ state: 'finished' });
    expect(seen.length).to.equal(rows.length + 1); // the status after unsubscribing is not seen
    expect(model.snapshot().status).to.deep.equal({ state: 'finished' });
  });

  it('draws the shared loss curves from the live dataset and the cluster phases only on the cluster', () => {
    const sim = dashboardCharts('sim');
    expect(sim.slice(0, 3).map((c) => c.name)).to.deep.equal(['loss-vs-rounds', 'loss-vs-bytes', 'loss-vs-time']);
    for (const c of sim) expect((c.spec as { data: unknown }).data).to.deep.equal({ name: 'rows' });
    expect(dashboardCharts('cluster').find((c) => c.name === 'loss-vs-time')!.title).to.equal('Held-out loss vs wall-clock');
    expect(sim.find((c) => c.name === 'cluster-phases')!.needs).to.equal('trainS'); // hidden unless rows carry it
  });
});

/** Console errors and page errors of a page, collected from its first load. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/** Per chart: rows in its dataset and marks drawn (SVG paths). */
async function chartState(page: Page): Promise<Record<string, { rows: number; marks: number }>> {
  return page.evaluate(() => {
    const d = (globalThis as unknown as { dashboard: { views: Record<string, { data(name: string): unknown[] }> } }).dashboard;
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document;
    return Object.fromEntries(Object.entries(d.views).map(([name, view]) => [name, { rows: view.data('rows').length, marks: doc.querySelectorAll(`#chart-${name} svg .mark-line path, #chart-${name} svg .mark-rect path, #chart-${name} svg .mark-area path`).length }]));
  });
}

describe('dashboard: the page in chromium', function () {
  this.timeout(120_000);
  let browser: Browser;

  before(async function () {
    this.timeout(600_000); // a first install of Debian's chromium takes minutes
    ensureDebianProgram(CHROMIUM_PATH, 'chromium');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it('live: loads without console errors, draws the charts, and draws a new round pushed through the runner stream', async () => {
    const { tasks, events, rows } = await tinyRun();
    const dash = await openLiveDashboard({ experiment: exp, backend: 'sim', tasks, outDir: 'results/x', port: 0 });
    const page = await browser.newPage();
    try {
      const errors = watchErrors(page);
      const first = events.length - 1;
      for (const e of events.slice(0, first)) dash.onProgress(e);
      await page.goto(dash.server.url);
      await waitForDrawnRows(page, first);
      const before = await chartState(page);
      expect(Object.keys(before)).to.include.members(['loss-vs-rounds', 'loss-vs-bytes', 'loss-vs-time', 'peers-online', 'churn-events', 'bytes-per-round', 'chain-per-round']);
      expect(Object.keys(before)).to.not.include('cluster-phases');
      for (const [name, s] of Object.entries(before)) {
        expect(s.rows, name).to.equal(first);
        expect(s.marks, name).to.be.greaterThan(0);
      }
      expect(await page.textContent('#status')).to.equal('running');

      dash.onProgress(events[first]!); // the run's last round arrives while the page is open
      await waitForDrawnRows(page, events.length);
      const after = await chartState(page);
      for (const [name, s] of Object.entries(after)) expect(s.rows, name).to.equal(before[name]!.rows + 1);
      expect(await page.textContent('#progress')).to.equal(`${events.length} / ${tasks.reduce((n, t) => n + t.rounds, 0)} rounds`);

      dash.finish(rows);
      await page.waitForFunction(() => (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } } }).document.getElementById('status').textContent === 'finished');
      expect(errors).to.deep.equal([]);
    } finally {
      await page.close();
      await dash.server.close();
    }
  });

  it('folder: shows a finished results folder, every row drawn, one table line per run', async () => {
    const { tasks, rows } = await tinyRun();
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-folder-'));
    const page = await browser.newPage();
    let server: Awaited<ReturnType<typeof startDashboard>> | undefined;
    try {
      await writeResults({ outDir: dir, experiment: exp, tasks, rows, overrides: exp.tiny });
      const model = await loadResultsFolder(dir);
      expect(model.meta.source).to.equal('folder');
      expect(model.snapshot().rows).to.deep.equal(JSON.parse(JSON.stringify(rows)));
      server = await startDashboard(model, { port: 0 });
      const errors = watchErrors(page);
      await page.goto(server.url);
      await waitForDrawnRows(page, rows.length);
      const state = await chartState(page);
      expect(state['loss-vs-rounds']).to.deep.include({ rows: rows.length });
      expect(state['loss-vs-rounds']!.marks).to.be.greaterThan(0);
      expect(await page.textContent('#status')).to.equal('finished');
      expect(await page.locator('#runs tbody tr').count()).to.equal(tasks.length);
      expect(errors).to.deep.equal([]);
    } finally {
      await page.close();
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
