/**
 * Every peer's θ replica, shared while equal. In this simulator every peer that applies round r's
 * aggregate applies the same message set to the same θ^(r−1) (gather-G leaves a timed-out message
 * out for every peer), so a replica is always exactly some global version θ^(s): a peer's replica
 * is named by its step `peer.syncedStep`, and the pool keeps one buffer per version a peer (or a
 * catch-up) can still need. Peers at the current step all read the live global params
 * (`ctx.params`); older versions are copies taken just before the outer step overwrites them.
 * Memory is O(distinct versions × params), never O(peers × params).
 *
 * Versions kept: every one some peer's replica is at, and the recent ones a catch-up can land on
 * mid-way — from the latest checkpoint step, or the last `maxReplay` steps, whichever reaches back
 * further (a checkpoint download lands on the checkpoint's step; each replayed aggregate r turns
 * θ^(r−1) into θ^(r), bit for bit the global's own step, so the pool hands out the global's copy).
 * Freed by a scan of the peers' steps at each round's opening (O(peers), no refcounts to keep in
 * step with every writer of `syncedStep`).
 *
 * @example
 * const pool = new ReplicaPool(ctx.params, layout, cfg.catchUp);
 * pool.beforeStep();                        // just before the outer step mutates ctx.params
 * pool.settle(progress.globalStep, peers);  // next opening: advance, free unused versions
 * pool.paramsAt(peer.syncedStep!);          // the θ that peer holds
 * syncScoreOf(ctx, 7).score;                // the validator's sync check of peer 7, now
 */
import { ConfigError, assertInvariant } from '../core/errors.ts';
import type { ParamLayout } from '../core/layout.ts';
import { StepSizeTracker, measureSyncScore, syncSampleIndices } from '../core/protocol/index.ts';
import type { CatchUpOptions, SyncMeasurement } from '../core/protocol/index.ts';
import type { SimContext } from './context.ts';

/** What the pool holds, for tests and the memory bench. */
export interface ReplicaMemory {
  /** Distinct parameter buffers the peers' replicas point to (the global's included when a peer is current). */
  readonly distinctReplicaBuffers: number;
  /** Past versions kept (each one copy of the params). */
  readonly retainedVersions: number;
}

/** The global params' version history, as far as any replica or catch-up needs it. MUTABLE. */
export class ReplicaPool {
  readonly #global: Float32Array;
  readonly #catchUp: CatchUpOptions;
  /** Copies of past global versions, by global step (< the current one). */
  readonly #versions = new Map<number, Float32Array>();
  /** The copy `beforeStep` took this round, until `settle` sees whether the step happened. */
  #pending: Float32Array | null = null;
  #globalStep = 0;
  /** The validator's debug sample (flat indices) and its running step size there (core/protocol/sync-score.ts). */
  readonly sample: readonly number[];
  readonly stepSizes: StepSizeTracker;

  constructor(global: Float32Array, layout: ParamLayout, catchUp: CatchUpOptions) {
    this.#global = global;
    this.#catchUp = catchUp;
    this.sample = syncSampleIndices(layout);
    this.stepSizes = new StepSizeTracker(this.sample);
  }

  /** The global step the live params are at, as of the last {@link settle}. */
  get globalStep(): number {
    return this.#globalStep;
  }

  /** The θ a replica at global step `step` holds: the live global params when current. Read only. */
  paramsAt(step: number): Float32Array {
    if (step === this.#globalStep) return this.#global;
    const version = this.#versions.get(step);
    assertInvariant(version !== undefined, `no replica version kept for global step ${step} (now at ${this.#globalStep})`);
    return version;
  }

  /** Copies the current global params before the round's outer step overwrites them in place. */
  beforeStep(): void {
    assertInvariant(this.#pending === null, 'beforeStep called twice before settle');
    this.#pending = this.#global.slice();
    this.#versions.set(this.#globalStep, this.#pending);
  }

  /**
   * Brings the pool to `globalStep` (the progress now): a step taken since {@link beforeStep}
   * feeds the step-size tracker; a skipped round drops the copy (it equals the live params). A
   * step the pool did not see coming (the inner-step cadence steps in place every round and
   * never trains from a stale replica) leaves no copy behind. Then frees every kept version no
   * peer is at and no catch-up can land on.
   */
  settle(globalStep: number, peers: readonly { readonly syncedStep: number | null }[]): void {
    const before = this.#pending;
    this.#pending = null;
    if (before !== null && globalStep === this.#globalStep) this.#versions.delete(globalStep);
    else if (before !== null) this.stepSizes.observe(before, this.#global);
    this.#globalStep = globalStep;
    const held = new Set<number>();
    for (const p of peers) if (p.syncedStep !== null && p.syncedStep < globalStep) held.add(p.syncedStep);
    const { maxReplay, checkpointEvery } = this.#catchUp;
    const keepFrom = Math.min(globalStep - maxReplay, globalStep - (globalStep % checkpointEvery));
    for (const step of [...this.#versions.keys()]) {
      if (step < keepFrom && !held.has(step)) this.#versions.delete(step);
    }
  }

  /** How many buffers the replicas of `peers` use, and how many past versions are kept. */
  memory(peers: readonly { readonly syncedStep: number | null }[]): ReplicaMemory {
    const buffers = new Set<Float32Array>();
    for (const p of peers) if (p.syncedStep !== null) buffers.add(this.paramsAt(p.syncedStep));
    return { distinctReplicaBuffers: buffers.size, retainedVersions: this.#versions.size };
  }
}

/**
 * The sync check (core/protocol/sync-score.ts) of the θ a peer holds — `params`, its replica —
 * against the global θ `global`, on the pool's debug sample, in units of the recent outer step.
 */
export function syncOfReplica(replicas: ReplicaPool, params: Float32Array, global: Float32Array): SyncMeasurement {
  return measureSyncScore(params, global, replicas.sample, replicas.stepSizes.sizes());
}

/**
 * The validator's sync check of peer `uid` now: its replica against the current global params. A
 * peer that holds no params yet publishes nothing: infinitely behind, score 0 (templar: no debug
 * dict, score 0).
 *
 * @throws {ConfigError} when `uid` is not a peer of the run.
 */
export function syncScoreOf(ctx: Pick<SimContext, 'population' | 'replicas' | 'params'>, uid: number): SyncMeasurement {
  const peer = ctx.population.byUid(uid);
  if (peer === undefined) throw new ConfigError('uid', uid, 'must be a peer of the run (initial or joined so far)');
  if (peer.syncedStep === null) return { avgStepsBehind: Infinity, maxStepsBehind: Infinity, score: 0 };
  return syncOfReplica(ctx.replicas, ctx.replicas.paramsAt(peer.syncedStep), ctx.params);
}
