/**
 * Gauntlet's loss score (SPEC.md §5 "Loss score"; templar v2.1.28 `neurons/validator.py`, the
 * evaluation loop): apply one peer's update alone, at a reduced step, and measure how much it lowers
 * the loss on that peer's assigned data and on random data.
 *
 *   g        = the peer's message aggregated alone (SparseLoCo `aggregate` with one message, so
 *              decoding, scatter and non-finite handling are exactly what the outer step would do)
 *   θ'       = θ − η·g with η = evalLrFactor · outerLr (templar `eval_lr_factor` = 0.2)
 *   Δ_D      = loss(θ, D) − loss(θ', D)          (absolute improvement on data D)
 *   r_D      = Δ_D / loss(θ, D), 0 if loss(θ, D) ≤ 0   (relative improvement, what templar uses)
 *   lossScore = r_random                          (templar `gradient_scores`, ranked by OpenSkill)
 *   binary    = +1 if r_assigned > r_random else −1  (templar `binary_indicator_scores`)
 *
 * Why the two data sets: a peer that trained on its own assigned shards improves them more than
 * random shards; a copy of someone else's update, a free-rider's zeros or an update trained on
 * other data does not (Gauntlet's "unique computation" point).
 *
 * The loss oracle is injected (e.g. `backend.evaluate.bind(backend)`), so this file stays pure.
 *
 * @example
 * const s = scoreUpdate({ layout, cfg, params, update, evalLrFactor: 0.2, loss: backend.evaluate.bind(backend),
 *   assignedShards: [3, 4], randomShards: [0, 9] });
 * s.binary; // 1 for an honest peer
 */
import { ConfigError } from '../errors.ts';
import type { ParamLayout } from '../layout.ts';
import type { Rng } from '../rng.ts';
import { aggregate, outerStep } from '../sparseloco/aggregate.ts';
import type { SparseLocoConfig } from '../sparseloco/config.ts';
import type { CompressedUpdate } from '../sparseloco/message.ts';

/** Mean loss of `params` on the union of `data.shards`. Must be pure (θ not mutated). */
export type LossOracle = (params: Float32Array, data: { readonly shards: readonly number[] }) => number;

/** Inputs of {@link scoreUpdate}. */
export interface ScoreParameters {
  readonly layout: ParamLayout;
  readonly cfg: SparseLocoConfig;
  /** Global θ; read only. */
  readonly params: Float32Array;
  /** The peer's decoded (integrity-checked) update. */
  readonly update: CompressedUpdate;
  /** η = evalLrFactor · cfg.outerLr (templar `eval_lr_factor`, 0.2). */
  readonly evalLrFactor: number;
  readonly loss: LossOracle;
  /** The shards the peer was assigned this round (rebuilt from the (peer, window) seed). */
  readonly assignedShards: readonly number[];
  /** Random shards for the comparison (see {@link pickRandomShards}). */
  readonly randomShards: readonly number[];
  /** Loss of θ on a shard set, if the caller already knows it (memoised across peers). */
  readonly lossBefore?: (shards: readonly number[]) => number;
  /** Scratch for θ' (length layout.size), to avoid an allocation per peer. */
  readonly scratch?: Float32Array;
}

/** The measurements of one peer's update. Losses are the oracle's units. */
export interface LossScore {
  readonly lossBeforeAssigned: number;
  readonly lossAfterAssigned: number;
  readonly lossBeforeRandom: number;
  readonly lossAfterRandom: number;
  /** loss(θ, assigned) − loss(θ', assigned). */
  readonly improvementAssigned: number;
  /** loss(θ, random) − loss(θ', random). */
  readonly improvementRandom: number;
  readonly relativeAssigned: number;
  readonly relativeRandom: number;
  /** Ranked by OpenSkill: relativeRandom (templar `gradient_scores`). NaN when a loss was not finite. */
  readonly lossScore: number;
  /** +1 if the assigned data improved (relatively) more than the random data, else −1. */
  readonly binary: 1 | -1;
}

/** Measures one peer's update (see the file header for the formulas). Pure apart from `scratch`. */
export function scoreUpdate(p: ScoreParameters): LossScore {
  if (!(p.evalLrFactor > 0) || !Number.isFinite(p.evalLrFactor)) {
    throw new ConfigError('gauntlet.evalLrFactor', p.evalLrFactor, 'must be a finite number > 0');
  }
  const after = p.scratch ?? new Float32Array(p.layout.size);
  if (after.length !== p.layout.size) throw new ConfigError('score scratch length', after.length, `must equal layout.size (${p.layout.size})`);
  // One-message aggregation: median clipping of a single peer is a no-op (m = n), so g is the
  // peer's dequantised values scattered densely, with non-finite tensors skipped as in the run.
  const step = aggregate(p.layout, p.cfg, [{ peerUid: 0, update: p.update }]);
  after.set(p.params);
  outerStep(p.layout, after, step, p.evalLrFactor * p.cfg.outerLr);

  const before = p.lossBefore ?? ((shards: readonly number[]) => p.loss(p.params, { shards }));
  const lossBeforeAssigned = before(p.assignedShards);
  const lossAfterAssigned = p.loss(after, { shards: p.assignedShards });
  const lossBeforeRandom = before(p.randomShards);
  const lossAfterRandom = p.loss(after, { shards: p.randomShards });
  const improvementAssigned = lossBeforeAssigned - lossAfterAssigned;
  const improvementRandom = lossBeforeRandom - lossAfterRandom;
  const relativeAssigned = relative(improvementAssigned, lossBeforeAssigned);
  const relativeRandom = relative(improvementRandom, lossBeforeRandom);
  return {
    lossBeforeAssigned,
    lossAfterAssigned,
    lossBeforeRandom,
    lossAfterRandom,
    improvementAssigned,
    improvementRandom,
    relativeAssigned,
    relativeRandom,
    lossScore: relativeRandom,
    // A NaN comparison is false, so a non-finite loss earns −1 (no credit for breaking the model).
    binary: relativeAssigned > relativeRandom ? 1 : -1,
  };
}

/** templar: (before − after) / before when before > 0, else 0. */
function relative(improvement: number, before: number): number {
  return before > 0 ? improvement / before : 0;
}

/**
 * `count` distinct shards drawn uniformly from [0, numShards), avoiding `exclude` (the peer's own
 * shards) whenever enough others exist; ascending. Deterministic given the rng stream.
 */
export function pickRandomShards(rng: Rng, numShards: number, count: number, exclude: readonly number[] = []): number[] {
  if (!Number.isSafeInteger(numShards) || numShards < 1) throw new ConfigError('numShards', numShards, 'must be an integer ≥ 1');
  if (!Number.isSafeInteger(count) || count < 1 || count > numShards) {
    throw new ConfigError('random shard count', count, `must be an integer in [1, numShards (${numShards})]`);
  }
  const excluded = new Set(exclude);
  const others: number[] = [];
  for (let s = 0; s < numShards; s++) if (!excluded.has(s)) others.push(s);
  const pool = others.length >= count ? others : Array.from({ length: numShards }, (_, s) => s);
  return rng.shuffle(pool).slice(0, count).sort((a, b) => a - b);
}
