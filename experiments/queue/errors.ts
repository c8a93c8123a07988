/** Typed errors of a queue sweep: a worker on other code, and a task that failed on a worker. */
import { SparseLocoError } from '../../core/errors.ts';
import type { RunTask } from '../runner.ts';

/** A worker refused a task submitted from other code: its results could differ from a local run. */
export class CodeVersionError extends SparseLocoError {
  override name = 'CodeVersionError';
  constructor(
    /** The submitter's code version (experiments/queue/code-version.ts). */
    readonly submitted: string,
    /** The refusing worker's. */
    readonly running: string,
  ) {
    super(`the sweep was submitted from code ${submitted}, but this worker runs ${running}: check out ${submitted.split('+')[0]} on the worker (uncommitted changes must match too) and restart it`);
  }
}

/** A task of a queue sweep failed for good; the sweep fails with it. */
export class QueueTaskError extends SparseLocoError {
  override name = 'QueueTaskError';
  constructor(
    readonly experiment: string,
    readonly task: RunTask,
    /** Class name of the error on the worker (`ConfigError`, `CodeVersionError`, …), or `QueueFailure` for one BullMQ raised itself (a task stalled too often). */
    readonly errorName: string,
    readonly errorMessage: string,
    /** Which worker reported it (`host:pid`), when one did. */
    readonly worker: string | null,
    /** How many times workers ran it (1: not retried). */
    readonly attempts: number,
  ) {
    super(`${experiment} / ${task.arm} / seed ${task.seed} (task ${task.index}) failed${worker === null ? '' : ` on worker ${worker}`} after ${attempts} attempt(s): ${errorName}: ${errorMessage}`);
  }
}
