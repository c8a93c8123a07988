/**
 * The queue executor (`npm run experiment <id> -- --queue redis://host:6379`): puts every task of
 * the sweep on a BullMQ queue of its own, announces it to the workers (`npm run worker`), waits for
 * every result and hands them back in task order through the runner's `outcomesInTaskOrder`, so the
 * results folder is assembled exactly as for a local run. The queue and its jobs are removed at the
 * end, whether the sweep succeeded or not.
 */
import { Queue, QueueEvents } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { SimResult } from '../../sim/run.ts';
import { outcomesInTaskOrder } from '../runner.ts';
import type { ProgressEvent, RunExecutor, RunOutcome, RunTask } from '../runner.ts';
import { codeVersion } from './code-version.ts';
import { QueueTaskError } from './errors.ts';
import { assertReachable } from './reach.ts';
import { removeQueue } from './remove.ts';
import { BULL_PREFIX, JOB_ATTEMPTS, JOB_BACKOFF_MS, decodeResult, jobIdOf, newQueueName, taskJobData } from './protocol.ts';
import type { TaskJobData, TaskJobResult, TaskProgress } from './protocol.ts';
import { HEARTBEAT_TTL_MS, announceSweep } from './registry.ts';
import { redisOptions } from './redis-url.ts';
import type { RedisLocation } from './redis-url.ts';

export interface QueueExecutorOptions {
  readonly location: RedisLocation;
  /** Experiment id: names the queue and tags each job. */
  readonly experiment: string;
  /** The code version tasks carry (default: this checkout's). */
  readonly codeVersion?: string;
  /** Heartbeat lifetime (ms); a sweep whose submitter is silent this long is dropped by workers. */
  readonly heartbeatTtlMs?: number;
  /** One line per event worth telling (queue name, how to start workers). */
  readonly log?: (line: string) => void;
}

/** An executor that runs tasks on whatever workers serve `location`. */
export function queueExecutor(options: QueueExecutorOptions): RunExecutor {
  return (tasks, onProgress) => runQueueTasks(tasks, options, onProgress);
}

/**
 * Enqueues the tasks, waits for all of them and returns their outcomes in task order.
 * @throws {ConfigError} when the Redis server cannot be reached.
 * @throws {QueueTaskError} for the first task that fails for good (the others are dropped).
 */
export async function runQueueTasks(tasks: readonly RunTask[], options: QueueExecutorOptions, onProgress?: (event: ProgressEvent) => void): Promise<RunOutcome[]> {
  await assertReachable(options.location);
  const name = newQueueName(options.experiment);
  const connection = redisOptions(options.location);
  const version = options.codeVersion ?? codeVersion();
  const redis = new Redis(connection);
  const queue = new Queue<TaskJobData, TaskJobResult>(name, { connection, prefix: BULL_PREFIX });
  const events = new QueueEvents(name, { connection, prefix: BULL_PREFIX });
  events.setMaxListeners(2 * tasks.length + 10); // waitUntilFinished listens per job
  let announcement: { stop(): Promise<void> } | null = null;
  try {
    await events.waitUntilReady(); // subscribed before the first job can finish
    const byJobId = new Map(tasks.map((t) => [jobIdOf(t), t]));
    const lastRound = new Map<string, number>();
    events.on('progress', ({ jobId, data }) => {
      const task = byJobId.get(jobId);
      const row = data as TaskProgress;
      // A retried task reports its rounds again; show each round once.
      if (task === undefined || typeof row !== 'object' || row.round <= (lastRound.get(jobId) ?? -1)) return;
      lastRound.set(jobId, row.round);
      onProgress?.({ task, row });
    });
    announcement = await announceSweep(redis, { queue: name, experiment: options.experiment, codeVersion: version, tasks: tasks.length }, options.heartbeatTtlMs ?? HEARTBEAT_TTL_MS);
    const jobs = await queue.addBulk(tasks.map((task) => ({
      name: 'run',
      data: taskJobData(options.experiment, task, version),
      opts: { jobId: jobIdOf(task), attempts: JOB_ATTEMPTS, backoff: { type: 'fixed', delay: JOB_BACKOFF_MS } },
    })));
    options.log?.(`queue ${name} on ${options.location.display}: ${tasks.length} task(s) at code ${version}; workers: npm run worker -- --queue ${options.location.display}`);
    const results = new Map<number, SimResult>();
    await Promise.all(jobs.map(async (job, i) => {
      const task = tasks[i]!;
      let value: TaskJobResult;
      try {
        value = await job.waitUntilFinished(events);
      } catch (error) {
        throw await failureOf(queue, job, options.experiment, task, error);
      }
      results.set(task.index, decodeResult(value));
    }));
    return outcomesInTaskOrder(tasks, results);
  } finally {
    await announcement?.stop().catch(() => {}); // workers drop the sweep at their next poll
    await removeQueue(queue).catch((e: unknown) => options.log?.(`could not remove queue ${name}: ${String(e)}`));
    await Promise.allSettled([events.close(), queue.close()]);
    redis.disconnect();
  }
}

/** The typed error of a failed job: what its worker recorded, else BullMQ's own reason (stalled too often). */
async function failureOf(queue: Queue<TaskJobData, TaskJobResult>, job: Job<TaskJobData, TaskJobResult>, experiment: string, task: RunTask, error: unknown): Promise<QueueTaskError> {
  const failed = await queue.getJob(job.id!).catch(() => undefined);
  const attempts = failed?.attemptsMade ?? 0;
  const recorded = failed?.data.failure;
  if (recorded !== undefined) return new QueueTaskError(experiment, task, recorded.name, recorded.message, recorded.worker, attempts);
  const reason = failed?.failedReason ?? (error instanceof Error ? error.message : String(error));
  return new QueueTaskError(experiment, task, 'QueueFailure', reason, null, attempts);
}
