/**
 * A queue worker (`npm run worker -- --queue redis://host:6379`): watches Redis for open sweeps,
 * takes their tasks one at a time per slot, runs each on a worker thread of this process (the same
 * `runInWorker` as `--jobs N`) and returns the result to the submitter through BullMQ.
 *
 * Failures: a task whose simulation throws fails the sweep at once (UnrecoverableError: the
 * simulator is deterministic, so a retry would throw again); a task submitted from other code is
 * refused the same way (CodeVersionError); a crashed thread or a Redis hiccup is retried (up to
 * JOB_ATTEMPTS); a worker killed mid-task loses its job lock and BullMQ's stalled-job check hands
 * the task to another worker after `lockMs`.
 */
import { hostname } from 'node:os';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { ConfigError } from '../../core/errors.ts';
import { RunFailedError, runInWorker } from '../runner.ts';
import type { RunTask } from '../runner.ts';
import { codeVersion } from './code-version.ts';
import { CodeVersionError } from './errors.ts';
import { assertReachable } from './reach.ts';
import { removeQueue } from './remove.ts';
import { BULL_PREFIX, JOB_ATTEMPTS, MAX_STALLED, decodeValue, encodeValue } from './protocol.ts';
import type { SweepAnnouncement, TaskFailure, TaskJobData, TaskJobResult } from './protocol.ts';
import { claimAbandoned, liveSweeps } from './registry.ts';
import { redisOptions } from './redis-url.ts';
import type { RedisLocation } from './redis-url.ts';

export interface QueueWorkerOptions {
  readonly location: RedisLocation;
  /** Tasks run at once by this process (worker threads). */
  readonly jobs: number;
  /** BullMQ job lock (ms): a killed worker's task is handed on after about this long. */
  readonly lockMs?: number;
  /** How often this worker checks for stalled jobs (ms). */
  readonly stalledMs?: number;
  /** How often to look for new or finished sweeps (ms). */
  readonly pollMs?: number;
  /** This process's code version (default: its checkout's, read again for every task). */
  readonly codeVersion?: string;
  /** Name recorded on each job it runs (default `host:pid`). */
  readonly name?: string;
  readonly log?: (line: string) => void;
}

export interface QueueWorker {
  readonly name: string;
  readonly codeVersion: string;
  /** Stops taking tasks; waits for running ones unless `force` (then they are abandoned and retried elsewhere). */
  close(force?: boolean): Promise<void>;
}

const DEFAULT_LOCK_MS = 30_000;
const DEFAULT_STALLED_MS = 30_000;
const DEFAULT_POLL_MS = 1_000;

/**
 * A counting semaphore: at most `size` holders (slots across every sweep this worker serves). A
 * waiter whose `signal` aborts leaves the line at once: a retiring sweep waits for its own tasks,
 * and one still queued behind another sweep's long task must not hold that up.
 */
function slots(size: number): (signal: AbortSignal) => Promise<() => void> {
  let free = size;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return async (signal) => {
    signal.throwIfAborted();
    if (free > 0) {
      free--;
      return release;
    }
    await new Promise<void>((resolve, reject) => {
      const granted = (): void => {
        signal.removeEventListener('abort', leave);
        resolve();
      };
      const leave = (): void => {
        waiting.splice(waiting.indexOf(granted), 1);
        reject(signal.reason);
      };
      waiting.push(granted);
      signal.addEventListener('abort', leave, { once: true });
    });
    return release;
  };
}

function checkPositiveInteger(key: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(key, value, 'must be an integer ≥ 1');
}

/**
 * Starts a worker; it serves every open sweep on `location` until closed.
 * @throws {ConfigError} for a non-positive `jobs`, `lockMs`, `stalledMs` or `pollMs`, or an unreachable Redis.
 */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const lockMs = options.lockMs ?? DEFAULT_LOCK_MS;
  const stalledMs = options.stalledMs ?? DEFAULT_STALLED_MS;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  checkPositiveInteger('--jobs', options.jobs);
  checkPositiveInteger('--lock-ms', lockMs);
  checkPositiveInteger('--stalled-ms', stalledMs);
  checkPositiveInteger('poll ms', pollMs);
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const version = options.codeVersion ?? codeVersion();
  const log = options.log ?? (() => {});
  const connection = redisOptions(options.location);
  await assertReachable(options.location);
  const redis = new Redis(connection);
  const acquire = slots(options.jobs);
  /** Sweeps served now: their BullMQ worker, the abort switch of their running threads and those tasks' promises. */
  const served = new Map<string, { worker: Worker<TaskJobData, TaskJobResult>; abort: AbortController; running: Set<Promise<unknown>> }>();

  const fail = async (job: Job<TaskJobData, TaskJobResult>, failure: TaskFailure, recoverable: boolean): Promise<never> => {
    // Recorded on the job so the submitter can raise it typed; for a retryable failure only on the last attempt.
    if (!recoverable || job.attemptsMade + 1 >= (job.opts.attempts ?? JOB_ATTEMPTS)) await job.updateData({ ...job.data, failure });
    const message = `${failure.name}: ${failure.message}`;
    throw recoverable ? new Error(message) : new UnrecoverableError(message);
  };

  /** `run` with its promise kept in `running` until it settles, so a retiring sweep can wait for its writes. */
  const tracked = <A extends unknown[], R>(running: Set<Promise<unknown>>, run: (...args: A) => Promise<R>) => (...args: A): Promise<R> => {
    const promise = run(...args);
    running.add(promise);
    const forget = (): void => void running.delete(promise);
    promise.then(forget, forget);
    return promise;
  };

  const runJob = (sweep: SweepAnnouncement, abort: AbortSignal) => async (job: Job<TaskJobData, TaskJobResult>, _token?: string, cancel?: AbortSignal): Promise<TaskJobResult> => {
    const label = `${sweep.queue} task ${job.data.index} (${job.data.arm} / seed ${job.data.seed})`;
    // Checked per task: the task's thread loads the checkout as it is now, which may have moved since start.
    const current = options.codeVersion ?? codeVersion();
    if (job.data.codeVersion !== current) {
      const refusal = new CodeVersionError(job.data.codeVersion, current);
      log(`refused ${label}: ${refusal.message}`);
      return fail(job, { name: refusal.name, message: refusal.message, worker: name }, false);
    }
    const task = decodeValue<RunTask>(job.data.task);
    const signal = cancel === undefined ? abort : AbortSignal.any([abort, cancel]);
    const release = await acquire(signal).catch((e: unknown) => fail(job, { name: 'RunCrashedError', message: `${label} was aborted before it started (${String(e)})`, worker: name }, true));
    try {
      log(`task started: ${label}`);
      let progress = Promise.resolve();
      const result = await runInWorker(task, ({ row }) => {
        progress = progress.then(() => job.updateProgress(row)).catch(() => {}); // display only: a lost update costs nothing
      }, signal);
      await progress;
      log(`task finished: ${label}`);
      return { worker: name, result: encodeValue(result) };
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      log(`task failed: ${label}: ${e.message}`);
      if (error instanceof RunFailedError) return fail(job, { name: error.errorName, message: error.errorMessage, worker: name }, false);
      return fail(job, { name: e.name, message: e.message, worker: name }, true);
    } finally {
      release();
    }
  };

  const serve = (sweep: SweepAnnouncement): void => {
    const abort = new AbortController();
    const running = new Set<Promise<unknown>>();
    const worker = new Worker<TaskJobData, TaskJobResult>(sweep.queue, tracked(running, runJob(sweep, abort.signal)), {
      connection,
      prefix: BULL_PREFIX,
      name,
      concurrency: options.jobs,
      lockDuration: lockMs,
      stalledInterval: stalledMs,
      maxStalledCount: MAX_STALLED,
      drainDelay: Math.max(1, Math.round(pollMs / 1000)), // seconds of long-poll on an empty queue
    });
    worker.on('error', (e) => log(`queue ${sweep.queue}: ${e.message}`));
    served.set(sweep.queue, { worker, abort, running });
    log(`serving ${sweep.experiment} sweep ${sweep.queue} (${sweep.tasks} task(s))`);
  };

  /**
   * Stops serving `queue`. `force` abandons its running tasks (BullMQ hands them on after the
   * lock expires); `settle` instead aborts them, waits until their failures are written, and only
   * then closes — so nothing this worker writes for the queue can land after the caller goes on.
   */
  const drop = async (queue: string, mode: 'wait' | 'force' | 'settle'): Promise<void> => {
    const entry = served.get(queue);
    if (entry === undefined) return;
    served.delete(queue);
    if (mode !== 'wait') entry.abort.abort();
    if (mode === 'settle') await Promise.allSettled([...entry.running]);
    await entry.worker.close(mode === 'force').catch(() => {});
  };

  let polling = Promise.resolve();
  const poll = async (): Promise<void> => {
    const { live, abandoned } = await liveSweeps(redis);
    for (const sweep of live) if (!served.has(sweep.queue)) serve(sweep);
    const open = new Set(live.map((s) => s.queue));
    // A finished or failed sweep: its results are no longer wanted, so running tasks are abandoned.
    for (const queue of [...served.keys()]) if (!open.has(queue)) await retire(queue);
    for (const queue of abandoned) {
      if (!(await claimAbandoned(redis, queue))) continue;
      log(`sweep ${queue} lost its submitter: removing its queue`);
      await retire(queue);
    }
  };
  /**
   * Stops serving a closed sweep and removes its queue's keys. The submitter removes them too, but
   * a BullMQ worker still attached (until its next poll) writes a few back (`meta`,
   * `stalled-check`, the failure of a task it aborts); each worker removing them once its own
   * writes have settled leaves Redis clean: every write precedes the last removal.
   */
  const retire = async (queue: string): Promise<void> => {
    log(`sweep ${queue} closed: leaving it`);
    await drop(queue, 'settle');
    log(`left sweep ${queue}: removing its keys`);
    const closed = new Queue(queue, { connection, prefix: BULL_PREFIX, skipMetasUpdate: true }); // writes nothing of its own
    await removeQueue(closed).catch((e: unknown) => log(`could not remove ${queue}: ${e instanceof Error ? e.message : String(e)}`));
    await closed.close();
    log(`removed sweep ${queue}`);
  };
  const timer = setInterval(() => {
    polling = polling.then(poll).catch((e: unknown) => log(`poll failed: ${e instanceof Error ? e.message : String(e)}`));
  }, pollMs);
  polling = poll();
  await polling;

  return {
    name,
    codeVersion: version,
    async close(force = false) {
      clearInterval(timer);
      await polling.catch(() => {});
      await Promise.all([...served.keys()].map((queue) => drop(queue, force ? 'force' : 'wait')));
      redis.disconnect();
    },
  };
}
