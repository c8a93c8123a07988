/**
 * Finished-run mode: builds the dashboard model from a results folder as `writeResults` leaves it
 * (config.resolved.json for what ran, metrics.jsonl for the rows) and, for a cluster run, the
 * validator reports kept in the run's folder store (`cluster/<arm>-seed<seed>/store`, or
 * `cluster/store` for `npm run cluster`). Same model as a live run, status 'finished'.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.ts';
import { FolderStore } from '../../backends/store/index.ts';
import type { ValidatorRoundReport } from '../../cluster/reports.ts';
import { getJsonOrNull, validatorReportKey } from '../../cluster/store-keys.ts';
import type { MetricRow } from '../runner.ts';
import { DashboardModel } from './model.ts';
import type { DashboardRun } from './model.ts';

/** The part of config.resolved.json the dashboard reads. */
interface ResolvedConfigFile {
  readonly experiment: { readonly id: string; readonly question: string };
  readonly runs: readonly { readonly arm: string; readonly seed: number; readonly config: { readonly rounds?: number } }[];
}

const NOT_A_FOLDER = 'is not a results folder';

/**
 * Reads a finished results folder into a model.
 *
 * @throws {ConfigError} when `dir` is not a folder, lacks config.resolved.json or metrics.jsonl,
 *   or one of them does not parse.
 * @example
 * const model = await loadResultsFolder('results/churn-30pct/2026-12-01T21-25-05Z');
 */
export async function loadResultsFolder(dir: string): Promise<DashboardModel> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError('results folder', dir, `${NOT_A_FOLDER}: no such folder`);
  const configPath = join(dir, 'config.resolved.json');
  const metricsPath = join(dir, 'metrics.jsonl');
  for (const file of [configPath, metricsPath]) {
    if (!existsSync(file)) throw new ConfigError('results folder', dir, `${NOT_A_FOLDER}: it has no ${file.slice(dir.length + 1)} (npm run experiment writes one at the end of a run)`);
  }
  const config = parseJson<ResolvedConfigFile>(readFileSync(configPath, 'utf8'), dir, 'config.resolved.json');
  if (typeof config.experiment?.id !== 'string' || !Array.isArray(config.runs)) {
    throw new ConfigError('results folder', dir, `${NOT_A_FOLDER}: config.resolved.json has no experiment.id or runs`);
  }
  const rows = readFileSync(metricsPath, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => parseJson<MetricRow>(line, dir, `metrics.jsonl line ${i + 1}`));
  const lastRound = new Map<string, number>();
  for (const r of rows) lastRound.set(`${r.arm}\u0000${r.seed}`, Math.max(lastRound.get(`${r.arm}\u0000${r.seed}`) ?? -1, r.round));
  const runs: DashboardRun[] = config.runs.map((run) => ({
    arm: run.arm,
    seed: run.seed,
    rounds: run.config.rounds ?? (lastRound.get(`${run.arm}\u0000${run.seed}`) ?? -1) + 1,
  }));
  const cluster = rows.some((r) => r.backendKind === 'cluster');
  const model = new DashboardModel({ experiment: { id: config.experiment.id, question: config.experiment.question }, backend: cluster ? 'cluster' : 'sim', source: 'folder', outDir: dir, runs });
  for (const row of rows) model.addRow(row);
  if (cluster) await addValidatorReports(model, dir, runs);
  model.setStatus({ state: 'finished' });
  return model;
}

/** The validator's reports from each run's kept folder store, where there is one (an s3:// store is not read). */
async function addValidatorReports(model: DashboardModel, dir: string, runs: readonly DashboardRun[]): Promise<void> {
  for (const run of runs) {
    const perRun = join(dir, 'cluster', `${run.arm}-seed${run.seed}`, 'store');
    const single = join(dir, 'cluster', 'store');
    const storeDir = existsSync(perRun) ? perRun : runs.length === 1 && existsSync(single) ? single : null;
    if (storeDir === null) continue;
    const store = new FolderStore(storeDir);
    for (let round = 0; round < run.rounds; round++) {
      const report = await getJsonOrNull<ValidatorRoundReport>(store, validatorReportKey(round));
      if (report !== null) model.addValidatorReport({ arm: run.arm, seed: run.seed, report });
    }
  }
}

function parseJson<T>(text: string, dir: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new ConfigError('results folder', dir, `${NOT_A_FOLDER}: ${what} is not valid JSON`, { cause: error });
  }
}
