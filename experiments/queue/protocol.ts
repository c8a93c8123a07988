/**
 * What the submitter and the workers share through Redis: key names, the announcement of a sweep,
 * and the payloads of one task's job. A task and its result travel as V8 structured-clone bytes
 * (gzip, base64), the encoding `--jobs N` already uses between threads: NaN, ±Infinity, -0 and
 * undefined survive, which JSON would not, so a queue run's rows equal a local run's.
 */
import { randomBytes } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { SimResult, SimRoundRow } from '../../sim/run.ts';
import type { RunTask } from '../runner.ts';

/** Prefix of the BullMQ keys of every sweep queue (`sparseloco-bull:<queue>:…`). */
export const BULL_PREFIX = 'sparseloco-bull';
/** Hash of open sweeps: queue name → SweepAnnouncement (JSON). Workers poll it. */
export const SWEEPS_KEY = 'sparseloco:sweeps';
/** Key that lives while the sweep's submitter does (it refreshes the expiry). */
export const heartbeatKey = (queue: string): string => `sparseloco:sweep-alive:${queue}`;

/** A sweep as workers see it before taking its tasks. */
export interface SweepAnnouncement {
  readonly queue: string;
  readonly experiment: string;
  readonly codeVersion: string;
  readonly tasks: number;
}

/** One job's data: readable fields for people looking at Redis, plus the task itself. */
export interface TaskJobData {
  readonly experiment: string;
  readonly index: number;
  readonly arm: string;
  readonly seed: number;
  /** The submitter's code version; a worker on another refuses the task. */
  readonly codeVersion: string;
  /** The RunTask, encoded with {@link encodeValue}. */
  readonly task: string;
  /** Written by the worker just before the job fails: what went wrong, typed. */
  readonly failure?: TaskFailure;
}

export interface TaskFailure {
  readonly name: string;
  readonly message: string;
  readonly worker: string;
}

/** One job's return value. */
export interface TaskJobResult {
  readonly worker: string;
  /** The SimResult, encoded with {@link encodeValue}. */
  readonly result: string;
}

/** Progress of a job: one finished round (as JSON, so for display only). */
export type TaskProgress = SimRoundRow;

/**
 * Job options: retry only what a crash or the network caused (RunCrashedError, Redis errors);
 * a task whose simulation threw fails at once (UnrecoverableError), and a task whose worker died
 * mid-run twice more than the first time (`MAX_STALLED`) fails the sweep instead of looping.
 */
export const JOB_ATTEMPTS = 3;
export const JOB_BACKOFF_MS = 1000;
export const MAX_STALLED = 2;

/** A fresh queue name per submission, so two sweeps on one Redis never share jobs. */
export function newQueueName(experiment: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z'); // 20261201T220501Z
  return `${experiment}-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The job id of a task (BullMQ refuses integer custom ids). */
export const jobIdOf = (task: RunTask): string => `task-${task.index}`;

export function encodeValue(value: unknown): string {
  return gzipSync(serialize(value)).toString('base64');
}

export function decodeValue<T>(text: string): T {
  return deserialize(gunzipSync(Buffer.from(text, 'base64'))) as T;
}

export function taskJobData(experiment: string, task: RunTask, codeVersion: string): TaskJobData {
  return { experiment, index: task.index, arm: task.arm, seed: task.seed, codeVersion, task: encodeValue(task) };
}

export const decodeResult = (result: TaskJobResult): SimResult => decodeValue<SimResult>(result.result);
