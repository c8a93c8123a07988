/**
 * The real cluster's one error type: what went wrong between processes (a peer whose params no
 * longer match the chain's aggregate hash, a process that died, a wait that ran out of wall time).
 * Configuration mistakes stay {@link ConfigError}s; chain and store faults keep their own types.
 */
import { SparseLocoError } from '../core/errors.ts';
import type { SparseLocoErrorOptions } from '../core/errors.ts';

/** Why a cluster operation failed. */
export type ClusterErrorReason =
  | 'diverged' // local params hash ≠ the aggregate hash the validator posted on chain
  | 'timeout' // a wait on the chain, the store or a process ran past its wall-clock limit
  | 'process-exit' // a child process exited with an error
  | 'missing-object' // an object the chain says exists is not in the store
  | 'network'; // creating or shaping the run's network namespaces failed

/** A failure of the cluster protocol; `reason` is what callers branch on. */
export class ClusterError extends SparseLocoError {
  override name = 'ClusterError';
  constructor(
    readonly reason: ClusterErrorReason,
    message: string,
    options: SparseLocoErrorOptions = {},
  ) {
    super(`${message} [${reason}]`, options);
  }
}
