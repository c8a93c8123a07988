/**
 * `npm run dashboard -- <results folder>`: the live dashboard's page for a finished run, from its
 * results folder (metrics.jsonl, config.resolved.json, a cluster run's kept store). Serves until
 * Ctrl-C; `--screenshot FILE` instead saves a PNG of the page and exits (the README's figure).
 *
 *   npm run dashboard -- results/churn-30pct/2026-12-01T21-25-05Z
 *   npm run dashboard -- results/churn-30pct/2026-12-01T21-25-05Z --port 8080
 *   npm run dashboard -- results/churn-30pct/2026-12-01T21-25-05Z --screenshot assets/dashboard.png
 */
import { parseArgs } from 'node:util';
import { ConfigError, SparseLocoError } from '../core/errors.ts';
import { loadResultsFolder } from '../experiments/dashboard/folder.ts';
import { untilInterrupted } from '../experiments/dashboard/live.ts';
import { parseDashboardPort, startDashboard } from '../experiments/dashboard/server.ts';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ strict: true, allowPositionals: true, options: { port: { type: 'string' }, screenshot: { type: 'string' } } });
  if (positionals.length !== 1) throw new ConfigError('results folder', positionals.join(' ') || undefined, 'is required, exactly one: npm run dashboard -- results/<id>/<stamp>');
  const model = await loadResultsFolder(positionals[0]!);
  const server = await startDashboard(model, { port: parseDashboardPort(values.port ?? '', '--port')! });
  try {
    if (values.screenshot !== undefined) {
      const { screenshotDashboard } = await import('../experiments/dashboard/browser.ts');
      await screenshotDashboard(server.url, values.screenshot, model.snapshot().rows.length);
      console.error(`screenshot: ${values.screenshot}`);
      return;
    }
    console.error(`dashboard: ${server.url} (${model.meta.experiment.id}, ${model.snapshot().rows.length} rows); Ctrl-C to stop`);
    await untilInterrupted();
  } finally {
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof SparseLocoError ? `error: ${error.message}` : error);
  process.exitCode = 2;
});
