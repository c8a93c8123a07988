/**
 * Runs an experiment's arms × seeds, serially or on a pool of worker threads, and returns tidy
 * metric rows in a fixed order (arm order, then seed order, then round) whatever order the runs
 * finish in — so `--jobs 4` and `--jobs 1` write identical files.
 */
import { Worker } from 'node:worker_threads';
import { runSimulationAsync } from '../sim/run.ts';
import type { SimConfigInput } from '../sim/config.ts';
import type { SimResult, SimRoundRow } from '../sim/run.ts';
import { armConfig } from './define.ts';
import type { ArmLabels, Experiment } from './define.ts';
import type { Overrides } from './overrides.ts';

/** One metric row: the simulator's round row tagged with where it came from. */
export type MetricRow = SimRoundRow & {
  readonly experiment: string;
  readonly arm: string;
  readonly seed: number;
  /** The arm's labels (sweep values such as `uplinkMbps`, `method`). */
  readonly [label: string]: unknown;
};

/** One (arm, seed) run to do. */
export interface RunTask {
  readonly index: number;
  readonly arm: string;
  readonly seed: number;
  readonly labels: ArmLabels;
  readonly rounds: number;
  readonly config: SimConfigInput;
}

export interface RunOutcome {
  readonly task: RunTask;
  readonly result: SimResult;
}

/** Progress of one run: called after each of its rounds. */
export interface ProgressEvent {
  readonly task: RunTask;
  readonly row: SimRoundRow;
}

export interface RunExperimentOptions {
  /** Seeds to run (default: the experiment's). */
  readonly seeds?: readonly number[];
  /** Overrides applied to every arm, after the arm's own (CLI `--set`, `--tiny`). */
  readonly extra?: Overrides;
  /** Worker threads; 1 runs in this thread. */
  readonly jobs?: number;
  readonly onProgress?: (event: ProgressEvent) => void;
}

/** Every (arm, seed) of the experiment with its validated config, in canonical order. */
export function planRuns(exp: Experiment, seeds: readonly number[], extra: Overrides): RunTask[] {
  const tasks: RunTask[] = [];
  for (const arm of exp.arms) {
    for (const seed of seeds) {
      const config = armConfig(exp, arm, seed, extra);
      tasks.push({ index: tasks.length, arm: arm.name, seed, labels: arm.labels ?? {}, rounds: config.rounds, config });
    }
  }
  return tasks;
}

/** Runs all tasks and returns their outcomes in task order. */
export async function runTasks(tasks: readonly RunTask[], jobs: number, onProgress?: (e: ProgressEvent) => void): Promise<RunOutcome[]> {
  if (jobs <= 1 || tasks.length <= 1) {
    const serial: RunOutcome[] = [];
    for (const task of tasks) serial.push({ task, result: await runSimulationAsync(task.config, { onRound: (row) => onProgress?.({ task, row }) }) });
    return serial;
  }
  const outcomes: RunOutcome[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      outcomes[task.index] = { task, result: await runInWorker(task, onProgress) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  return outcomes;
}

function runInWorker(task: RunTask, onProgress?: (e: ProgressEvent) => void): Promise<SimResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./worker.ts', import.meta.url), { workerData: task.config });
    let done = false;
    w.on('message', (msg: { kind: 'round'; row: SimRoundRow } | { kind: 'done'; result: SimResult } | { kind: 'error'; message: string; name: string }) => {
      if (msg.kind === 'round') onProgress?.({ task, row: msg.row });
      else if (msg.kind === 'done') {
        done = true;
        resolve(msg.result);
      } else {
        done = true;
        const error = new Error(`${task.arm} / seed ${task.seed}: ${msg.message}`);
        error.name = msg.name;
        reject(error);
      }
    });
    w.on('error', (err) => {
      done = true;
      reject(err);
    });
    w.on('exit', (code) => {
      if (!done) reject(new Error(`worker for ${task.arm} / seed ${task.seed} exited with code ${code} before finishing`));
    });
  });
}

/**
 * Flattens outcomes into tagged metric rows, in task order. Rows of a tfjs run also carry
 * `backend` and `engine` (cpu, wasm and native engines agree only to fp32 rounding), so results say
 * which engine produced them; surrogate rows are unchanged.
 */
export function metricRows(experimentId: string, outcomes: readonly RunOutcome[]): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const { task, result } of outcomes) {
    const engine = result.backend.engine === null ? {} : { backend: result.backend.name, engine: result.backend.engine };
    for (const row of result.rows) rows.push({ experiment: experimentId, arm: task.arm, seed: task.seed, ...task.labels, ...engine, ...row });
  }
  return rows;
}

/** Where one run's model ran: the tfjs engine and the device it reported (results folders record it). */
export interface RanOn {
  readonly backend: string;
  readonly engine: string;
  readonly device: string | null;
}

/** Per task (in task order): where its tfjs model ran, or null for a surrogate run. */
export function ranOn(outcomes: readonly RunOutcome[]): (RanOn | null)[] {
  return outcomes.map(({ result }) => (result.backend.engine === null ? null : { backend: result.backend.name, engine: result.backend.engine, device: result.backend.device }));
}

/** Plans and runs an experiment; rows and outcomes come back in canonical order. */
export async function runExperiment(exp: Experiment, options: RunExperimentOptions = {}): Promise<{ tasks: RunTask[]; outcomes: RunOutcome[]; rows: MetricRow[] }> {
  const tasks = planRuns(exp, options.seeds ?? exp.seeds, options.extra ?? {});
  const outcomes = await runTasks(tasks, options.jobs ?? 1, options.onProgress);
  return { tasks, outcomes, rows: metricRows(exp.id, outcomes) };
}
