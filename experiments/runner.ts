/**
 * Runs an experiment's arms × seeds, serially or on a pool of worker threads, and returns tidy
 * metric rows in a fixed order (arm order, then seed order, then round) whatever order the runs
 * finish in — so `--jobs 4` and `--jobs 1` write identical files. Where the runs happen is an
 * executor (`RunExecutor`): this process (`localExecutor`) or worker hosts behind a queue
 * (experiments/queue/); every executor returns outcomes through `outcomesInTaskOrder`, so the
 * assembly after it is shared and the bytes match by construction.
 */
import { Worker } from 'node:worker_threads';
import { InvariantError, SparseLocoError } from '../core/errors.ts';
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

/** Runs every task somewhere and returns one outcome per task, in task order. */
export type RunExecutor = (tasks: readonly RunTask[], onProgress?: (event: ProgressEvent) => void) => Promise<RunOutcome[]>;

export interface RunExperimentOptions {
  /** Seeds to run (default: the experiment's). */
  readonly seeds?: readonly number[];
  /** Overrides applied to every arm, after the arm's own (CLI `--set`, `--tiny`). */
  readonly extra?: Overrides;
  /** Worker threads; 1 runs in this thread. Ignored when `executor` is given. */
  readonly jobs?: number;
  /** Where the runs happen (default: `localExecutor(jobs)`). */
  readonly executor?: RunExecutor;
  readonly onProgress?: (event: ProgressEvent) => void;
}

/**
 * A run's simulation threw. The simulator is deterministic, so the same config on the same code
 * throws again: executors never retry it (unlike {@link RunCrashedError}).
 */
export class RunFailedError extends SparseLocoError {
  override name = 'RunFailedError';
  constructor(
    readonly task: RunTask,
    /** The thrown error's class name (`ConfigError`, `InvariantError`, ...). */
    readonly errorName: string,
    readonly errorMessage: string,
  ) {
    super(`${task.arm} / seed ${task.seed}: ${errorName}: ${errorMessage}`);
  }
}

/** The worker thread running a task died before reporting (out of memory, killed, aborted): retryable. */
export class RunCrashedError extends SparseLocoError {
  override name = 'RunCrashedError';
  constructor(
    readonly task: RunTask,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`worker thread for ${task.arm} / seed ${task.seed} ${reason}`, options);
  }
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

/**
 * Pairs each task with its result, in task order: the one place where executors' results become
 * outcomes, so any executor gives the same order.
 * @throws {InvariantError} when a task has no result or a result names no task.
 */
export function outcomesInTaskOrder(tasks: readonly RunTask[], results: ReadonlyMap<number, SimResult>): RunOutcome[] {
  if (results.size !== tasks.length) throw new InvariantError(`${results.size} results for ${tasks.length} tasks`);
  return tasks.map((task) => {
    const result = results.get(task.index);
    if (result === undefined) throw new InvariantError(`no result for task ${task.index} (${task.arm} / seed ${task.seed})`);
    return { task, result };
  });
}

/** Runs all tasks and returns their outcomes in task order. */
export async function runTasks(tasks: readonly RunTask[], jobs: number, onProgress?: (e: ProgressEvent) => void): Promise<RunOutcome[]> {
  const results = new Map<number, SimResult>();
  if (jobs <= 1 || tasks.length <= 1) {
    for (const task of tasks) results.set(task.index, await runSimulationAsync(task.config, { onRound: (row) => onProgress?.({ task, row }) }));
    return outcomesInTaskOrder(tasks, results);
  }
  let next = 0;
  const threads: PoolThread[] = [];
  const drain = async (): Promise<void> => {
    const thread = new PoolThread();
    threads.push(thread);
    while (next < tasks.length) {
      const task = tasks[next++]!;
      results.set(task.index, await thread.run(task, onProgress));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, drain));
  } finally {
    await Promise.all(threads.map((t) => t.close()));
  }
  return outcomesInTaskOrder(tasks, results);
}

type WorkerMessage = { kind: 'loaded' } | { kind: 'round'; row: SimRoundRow } | { kind: 'done'; result: SimResult } | { kind: 'error'; message: string; name: string };

/**
 * One long-lived worker thread of {@link runTasks}'s pool (experiments/worker.ts without
 * workerData): runs the tasks it is given one after another. If the thread dies, the task it was
 * running fails with {@link RunCrashedError} and so does every later one given to it.
 */
class PoolThread {
  private readonly worker = new Worker(new URL('./worker.ts', import.meta.url), { workerData: null });
  private current: { task: RunTask; onProgress?: (e: ProgressEvent) => void; resolve: (r: SimResult) => void; reject: (e: Error) => void } | null = null;
  private dead: string | null = null;
  /** Resolves once the thread has loaded its modules (terminating it earlier can abort the process: see runInWorker). */
  private readonly loaded: Promise<void>;
  private markLoaded: () => void = () => {};

  constructor() {
    this.loaded = new Promise((resolve) => { this.markLoaded = resolve; });
    this.worker.on('message', (msg: WorkerMessage) => {
      if (msg.kind === 'loaded') return this.markLoaded();
      const c = this.current;
      if (c === null) return;
      if (msg.kind === 'round') c.onProgress?.({ task: c.task, row: msg.row });
      else {
        this.current = null;
        if (msg.kind === 'done') c.resolve(msg.result);
        else c.reject(new RunFailedError(c.task, msg.name, msg.message));
      }
    });
    this.worker.on('error', (err) => this.die(`failed: ${err.message}`, err));
    this.worker.on('exit', (code) => {
      this.markLoaded(); // nothing left to wait for
      this.die(`exited with code ${code} before finishing`);
    });
  }

  run(task: RunTask, onProgress?: (e: ProgressEvent) => void): Promise<SimResult> {
    if (this.dead !== null) return Promise.reject(new RunCrashedError(task, this.dead));
    return new Promise((resolve, reject) => {
      this.current = { task, onProgress, resolve, reject };
      this.worker.postMessage({ kind: 'run', config: task.config });
    });
  }

  async close(): Promise<void> {
    this.dead ??= 'was closed';
    await Promise.race([this.loaded, new Promise<void>((resolve) => this.worker.once('exit', () => resolve()))]);
    await this.worker.terminate();
  }

  private die(reason: string, cause?: unknown): void {
    this.dead ??= reason;
    const c = this.current;
    this.current = null;
    c?.reject(new RunCrashedError(c.task, reason, { cause }));
  }
}

/** The executor of `--jobs N`: worker threads of this process (N = 1: this thread). */
export function localExecutor(jobs: number): RunExecutor {
  return (tasks, onProgress) => runTasks(tasks, jobs, onProgress);
}

/**
 * Runs one task on a fresh worker thread (the event loop stays free: a queue worker keeps renewing
 * its job lock meanwhile). `signal` terminates the thread.
 * @throws {RunFailedError} when the simulation threw (deterministic).
 * @throws {RunCrashedError} when the thread died first or was aborted.
 */
export function runInWorker(task: RunTask, onProgress?: (e: ProgressEvent) => void, signal?: AbortSignal): Promise<SimResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new RunCrashedError(task, 'was aborted before it started'));
    const w = new Worker(new URL('./worker.ts', import.meta.url), { workerData: task.config });
    let done = false;
    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', abort);
      settle();
    };
    // Terminating a thread while it still loads its modules can abort the whole process: a native
    // addon's init (ganache's bufferutil, seen here) asserts when its thread is torn down under it.
    // So an abort settles at once but terminates the thread only once it reports its modules loaded.
    let loaded = false;
    let terminateWhenLoaded = false;
    const abort = (): void => {
      finish(() => reject(new RunCrashedError(task, 'was aborted')));
      if (loaded) void w.terminate();
      else terminateWhenLoaded = true;
    };
    signal?.addEventListener('abort', abort, { once: true });
    w.on('message', (msg: { kind: 'loaded' } | { kind: 'round'; row: SimRoundRow } | { kind: 'done'; result: SimResult } | { kind: 'error'; message: string; name: string }) => {
      if (msg.kind === 'loaded') {
        loaded = true;
        if (terminateWhenLoaded) void w.terminate();
        return;
      }
      if (done) return;
      if (msg.kind === 'round') onProgress?.({ task, row: msg.row });
      else if (msg.kind === 'done') finish(() => resolve(msg.result));
      else finish(() => reject(new RunFailedError(task, msg.name, msg.message)));
    });
    w.on('error', (err) => finish(() => reject(new RunCrashedError(task, `failed: ${err.message}`, { cause: err }))));
    w.on('exit', (code) => finish(() => reject(new RunCrashedError(task, `exited with code ${code} before finishing`))));
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
    for (const row of result.rows) rows.push(tagRow(experimentId, task, row, result.backend));
  }
  return rows;
}

/**
 * One row tagged as in metrics.jsonl. `backend` is known once the run has its result; a row
 * streamed while the run goes (the live dashboard) has no engine tag yet.
 */
export function tagRow(experimentId: string, task: Pick<RunTask, 'arm' | 'seed' | 'labels'>, row: SimRoundRow, backend?: SimResult['backend']): MetricRow {
  const engine = backend === undefined || backend.engine === null ? {} : { backend: backend.name, engine: backend.engine };
  return { experiment: experimentId, arm: task.arm, seed: task.seed, ...task.labels, ...engine, ...row };
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
  const executor = options.executor ?? localExecutor(options.jobs ?? 1);
  const outcomes = await executor(tasks, options.onProgress);
  return { tasks, outcomes, rows: metricRows(exp.id, outcomes) };
}
