/**
 * The one narrow interface every training backend implements (surrogate, tfjs, real cluster), so
 * the simulator and the validator drive them all the same way:
 *
 *   backend.initParams(rng)                       → θ⁰ (the core's flat Float32Array layout)
 *   backend.createTrainer(peer).runInnerLoop(req) → Δ = θ_start − θ_end after H AdamW steps
 *   backend.createTrainer(peer).computeGradient(req) → one batch's gradient (DDP, DeMo)
 *   backend.evaluate(θ, 'heldout' | { shards })   → mean loss
 *
 * Parameters cross this boundary only as flat `Float32Array`s in `backend.layout`, so the core
 * never sees a tensor. Everything random is a pure function of the backend's seed and the request:
 * the batches of inner step s of peer p in round r are drawn from a stream forked from
 * (seed, p, r) and nothing else, so a validator can rebuild exactly what a peer trained on.
 * The data a trainer uses is a parameter (`shards`), which leaves room for data-poisoning peers.
 */
import { ConfigError } from '../core/errors.ts';
import type { ParamLayout } from '../core/layout.ts';
import type { Rng } from '../core/rng.ts';
import { createAdamWState } from '../core/optim/adamw.ts';
import type { AdamWState } from '../core/optim/adamw.ts';
import { validateDataQuality } from './data-quality.ts';
import type { DataQuality } from './data-quality.ts';

/** Which data `evaluate` averages the loss over: the held-out set, or the union of some shards. */
export type EvalData = 'heldout' | { readonly shards: readonly number[] };

/** One round of a peer's inner loop (SPEC.md §1 steps 1–3). */
export interface InnerLoopRequest {
  /** θ_start = θ^(t−1). Read only: never mutated. Length `layout.size`. */
  readonly params: Float32Array;
  /** Outer round t (integer ≥ 0); with the peer id it keys the batch stream. */
  readonly round: number;
  /** Data shards this peer trains on this round (ids in [0, numShards), non-empty). */
  readonly shards: readonly number[];
  /** H, the number of inner AdamW steps (integer ≥ 1). */
  readonly innerSteps: number;
  /** Optional buffer (length `layout.size`) that receives Δ, to avoid an allocation per round. */
  readonly deltaOut?: Float32Array;
  /** What is wrong with this peer's training data (backends/data-quality.ts); absent = clean. */
  readonly quality?: DataQuality;
}

/** What a peer's inner loop produced. */
export interface InnerLoopResult {
  /** Pseudo-gradient Δ = θ_start − θ_end (fp32, SPEC.md §1 sign convention). */
  readonly delta: Float32Array;
  /** Mean over the H steps of each step's batch loss, measured before that step's update. */
  readonly meanLoss: number;
  /** Training examples processed (sequences for a language model). */
  readonly samples: number;
  /** Predicted tokens processed (= samples for a classifier). */
  readonly tokens: number;
}

/**
 * One batch's gradient for inner-step methods (DDP, DeMo), which synchronise every step instead of
 * running a local inner loop.
 */
export interface GradientRequest {
  /** Where the gradient is taken. Read only: never mutated. Length `layout.size`. */
  readonly params: Float32Array;
  /** Outer round (integer ≥ 0); with the peer id it keys the batch stream, as in runInnerLoop. */
  readonly round: number;
  /**
   * Inner step within the round (integer ≥ 0): the batch is exactly the one inner step `step` of
   * `runInnerLoop` would draw for the same (peer, round, shards).
   */
  readonly step: number;
  /** Data shards this peer trains on this round (ids in [0, numShards), non-empty). */
  readonly shards: readonly number[];
  /** Optional buffer (length `layout.size`) that receives the gradient. */
  readonly gradOut?: Float32Array;
}

/** One batch's loss and gradient. */
export interface GradientResult {
  /** ∂loss/∂params at `request.params` (no clipping, no optimiser step). */
  readonly grad: Float32Array;
  /** The batch's mean loss at `request.params`. */
  readonly loss: number;
}

/**
 * One peer's trainer. It owns the peer's AdamW state, which persists across rounds (SPEC.md §1:
 * not reset each round) and drives the inner learning-rate schedule. A re-joining peer that lost
 * its state gets a fresh trainer.
 */
export interface PeerTrainer {
  readonly peerId: number;
  /** Optimiser steps taken so far, over all rounds (the LR schedule position). */
  readonly optimizerSteps: number;
  /**
   * The live AdamW state (moments and step count), so a peer can save it to disk and a restarted
   * peer restore it (cluster/local-state.ts). MUTABLE: restoring writes into it.
   */
  readonly optimizerState: AdamWState;
  /** Runs H inner steps from `request.params`; MUTATES only this trainer's optimiser state. */
  runInnerLoop(request: InnerLoopRequest): InnerLoopResult;
  /** The gradient of one batch at `request.params`. Stateless: the optimiser state is not touched. */
  computeGradient(request: GradientRequest): GradientResult;
}

/**
 * A model plus its data. Implementations are deterministic: two backends built with the same
 * configuration and seed answer every call with bit-identical results.
 *
 * @example
 * const backend = createSurrogateBackend(createRng(1).fork('backend'));
 * const theta = backend.initParams(createRng(1).fork('init'));
 * const { delta } = backend.createTrainer(7).runInnerLoop({ params: theta, round: 0, shards: [3], innerSteps: 5 });
 * const loss = backend.evaluate(theta, 'heldout');
 */
export interface TrainingBackend {
  /** Short identifier for metric rows, e.g. 'surrogate-mlp'. */
  readonly name: string;
  /** Named tensor shapes of the flat parameter vector (what SparseLoCo chunks). */
  readonly layout: ParamLayout;
  /** Number of training shards; shard ids are 0 … numShards − 1. */
  readonly numShards: number;
  /** Fresh parameters θ⁰ drawn from `rng` (the same stream gives the same bits). */
  initParams(rng: Rng): Float32Array;
  /** A trainer with fresh optimiser state for peer `peerId` (a non-negative integer). */
  createTrainer(peerId: number): PeerTrainer;
  /** Mean loss of `params` over `data`. Pure: `params` is not mutated. */
  evaluate(params: Float32Array, data: EvalData): number;
}

/** Checks the request fields every backend validates; throws {@link ConfigError} naming the value. */
export function validateInnerLoopRequest(backend: Pick<TrainingBackend, 'layout' | 'numShards'>, request: InnerLoopRequest): void {
  validateParams(backend.layout, request.params);
  if (!Number.isInteger(request.innerSteps) || request.innerSteps < 1) {
    throw new ConfigError('innerSteps', request.innerSteps, 'must be an integer ≥ 1');
  }
  if (!Number.isSafeInteger(request.round) || request.round < 0) {
    throw new ConfigError('round', request.round, 'must be an integer ≥ 0');
  }
  validateShards(backend.numShards, request.shards);
  if (request.quality !== undefined) validateDataQuality(request.quality, 'quality');
  if (request.deltaOut !== undefined && request.deltaOut.length !== backend.layout.size) {
    throw new ConfigError('deltaOut.length', request.deltaOut.length, `must equal layout.size (${backend.layout.size})`);
  }
}

/** Checks the fields of a {@link GradientRequest}; throws {@link ConfigError} naming the value. */
export function validateGradientRequest(backend: Pick<TrainingBackend, 'layout' | 'numShards'>, request: GradientRequest): void {
  validateParams(backend.layout, request.params);
  if (!Number.isSafeInteger(request.round) || request.round < 0) throw new ConfigError('round', request.round, 'must be an integer ≥ 0');
  if (!Number.isSafeInteger(request.step) || request.step < 0) throw new ConfigError('step', request.step, 'must be an integer ≥ 0');
  validateShards(backend.numShards, request.shards);
  if (request.gradOut !== undefined && request.gradOut.length !== backend.layout.size) {
    throw new ConfigError('gradOut.length', request.gradOut.length, `must equal layout.size (${backend.layout.size})`);
  }
}

/** Throws {@link ConfigError} unless `params` is a Float32Array of length `layout.size`. */
export function validateParams(layout: ParamLayout, params: Float32Array): void {
  if (!(params instanceof Float32Array)) throw new ConfigError('params', typeof params, 'must be a Float32Array');
  if (params.length !== layout.size) {
    throw new ConfigError('params.length', params.length, `must equal layout.size (${layout.size})`);
  }
}

/** Throws {@link ConfigError} unless `shards` is a non-empty list of ids in [0, numShards). */
export function validateShards(numShards: number, shards: readonly number[]): void {
  if (!Array.isArray(shards) || shards.length === 0) {
    throw new ConfigError('shards', shards, 'must be a non-empty array of shard ids');
  }
  for (const id of shards) {
    if (!Number.isInteger(id) || id < 0 || id >= numShards) {
      throw new ConfigError('shard id', id, `must be an integer in [0, ${numShards})`);
    }
  }
}

/** Throws {@link ConfigError} unless `data` is 'heldout' or `{ shards }` with valid ids. */
export function validateEvalData(numShards: number, data: EvalData): void {
  if (data === 'heldout') return;
  if (typeof data !== 'object' || data === null || !('shards' in data)) {
    throw new ConfigError('evaluate data', data, 'must be "heldout" or { shards: number[] }');
  }
  validateShards(numShards, data.shards);
}

/** Throws {@link ConfigError} unless `peerId` is a non-negative safe integer. */
export function validatePeerId(peerId: number): void {
  if (!Number.isSafeInteger(peerId) || peerId < 0) throw new ConfigError('peerId', peerId, 'must be an integer ≥ 0');
}

/** A backend's two per-peer operations; `state` is that peer's AdamW state (kept across rounds). */
export interface PeerOperations {
  runInnerLoop(peerId: number, state: AdamWState, request: InnerLoopRequest): InnerLoopResult;
  computeGradient(peerId: number, request: GradientRequest): GradientResult;
}

/**
 * The {@link PeerTrainer} every backend hands out: the peer's own AdamW state (SPEC.md §1: not
 * reset between rounds) bound to the backend's operations.
 */
export function createPeerTrainer(peerId: number, paramCount: number, ops: PeerOperations): PeerTrainer {
  validatePeerId(peerId);
  const state = createAdamWState(paramCount);
  return {
    peerId,
    get optimizerSteps() {
      return state.step;
    },
    optimizerState: state,
    runInnerLoop: (request) => ops.runInnerLoop(peerId, state, request),
    computeGradient: (request) => ops.computeGradient(peerId, request),
  };
}
