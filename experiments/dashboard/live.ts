/**
 * `--dashboard` for a run that is going: opens the model and the server, and gives the front
 * doors (experiments/cli.ts, scripts/cluster.ts) the taps for the streams they already have: the
 * runner's per-round progress events (serial or over worker IPC) and the cluster's event hook.
 * At the end the rows are replaced by the metric rows written to metrics.jsonl, so the page shows
 * exactly what the results folder holds.
 */
import type { ClusterEvent } from '../../cluster/orchestrator.ts';
import type { Experiment } from '../define.ts';
import { tagRow } from '../runner.ts';
import type { MetricRow, ProgressEvent, RunTask } from '../runner.ts';
import { DashboardModel } from './model.ts';
import { startDashboard } from './server.ts';
import type { DashboardServer } from './server.ts';

export interface LiveDashboard {
  readonly model: DashboardModel;
  readonly server: DashboardServer;
  /** The runner's progress callback (a row per round of each run). */
  onProgress(event: ProgressEvent): void;
  /** The cluster's event hook (cluster/tasks.ts `onEvent`). */
  onClusterEvent(task: RunTask, event: ClusterEvent): void;
  /** The run is over: the final rows (as in metrics.jsonl) replace the streamed ones. */
  finish(rows: readonly MetricRow[]): void;
  fail(error: unknown): void;
}

export interface OpenLiveDashboardParameters {
  readonly experiment: Experiment;
  readonly backend: 'sim' | 'cluster';
  readonly tasks: readonly RunTask[];
  readonly outDir: string;
  /** 0: a free port. */
  readonly port: number;
}

/**
 * @throws {ConfigError} when the port is in use.
 * @example
 * const dash = await openLiveDashboard({ experiment: exp, backend: 'sim', tasks, outDir, port: 0 });
 * await runTasks(tasks, jobs, (e) => dash.onProgress(e));
 */
export async function openLiveDashboard(p: OpenLiveDashboardParameters): Promise<LiveDashboard> {
  const model = new DashboardModel({
    experiment: { id: p.experiment.id, question: p.experiment.question },
    backend: p.backend,
    source: 'live',
    outDir: p.outDir,
    runs: p.tasks.map((t) => ({ arm: t.arm, seed: t.seed, rounds: t.rounds })),
  });
  const server = await startDashboard(model, { port: p.port });
  const id = p.experiment.id;
  return {
    model,
    server,
    onProgress: ({ task, row }) => model.addRow(tagRow(id, task, row)),
    onClusterEvent(task, event) {
      const where = { arm: task.arm, seed: task.seed, atS: event.atS };
      if (event.kind === 'phase') model.addEvent({ ...where, round: event.round, uid: event.uid, kind: event.phase });
      else if (event.kind === 'churn') model.addEvent({ ...where, round: event.round, uid: event.uid, kind: event.change });
      else {
        model.addRow(tagRow(id, task, event.row));
        if (event.report !== null) model.addValidatorReport({ arm: task.arm, seed: task.seed, report: event.report });
      }
    },
    finish(rows) {
      for (const row of rows) model.addRow(row);
      model.setStatus({ state: 'finished' });
    },
    fail(error) {
      model.setStatus({ state: 'failed', message: error instanceof Error ? error.message : String(error) });
    },
  };
}

/** Resolves on Ctrl-C: a finished run's dashboard stays up until then. */
export function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => process.once('SIGINT', () => resolve()));
}
