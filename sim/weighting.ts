/**
 * Per-peer aggregation weights at a round's close (issue 17): config `weighting: { rule, … }`
 * (core/weighting), opt-in: absent, the aggregate is today's unweighted sparse mean and the rows
 * are as before. This file gathers the evidence the rule reads and nothing else:
 *   - the dense update of every message that decodes (core/defence/decode-dense.ts `decodeDense`; a message
 *     that does not is left out here, and the communicator rejects it anyway);
 *   - 'gauntlet': the lagged validator's latest weights (its last post, sim/validator.ts), so
 *     the evidence lags the window by the validator's own delay, as on the real network;
 *   - 'loss-delta': L(θ) − L(θ − α·Δ_i) on the validator's clean batch: `validatorShards` shards
 *     drawn once from the run's stream 'weighting' (clean: low-quality data exists only inside
 *     the low-quality peers' inner loops), α = optim.outerLr;
 *   - trust with `reference: 'validator'`: the validator's own Δ, H inner steps from θ on that
 *     clean batch by its own trainer (peer id {@link VALIDATOR_TRAINER_ID}, AdamW state kept
 *     across rounds as a peer's).
 * The validator's evaluations and training are not charged to the sim clock (like the oracle
 * defence's evaluations).
 */
import { ConfigError } from '../core/errors.ts';
import type { PeerMessage } from '../core/baselines/index.ts';
import type { Rng } from '../core/rng.ts';
import type { SparseLocoConfig } from '../core/sparseloco/config.ts';
import { createWeightingRule, resolveWeightingSpec } from '../core/weighting/index.ts';
import type { PeerEvidence, ResolvedWeightingSpec, WeightingRule, WeightingSpec } from '../core/weighting/index.ts';
import type { PeerTrainer, TrainingBackend } from '../backends/index.ts';
import { decodeDense } from '../core/defence/decode-dense.ts';

/** What an experiment writes: a rule (core/weighting) and, for 'loss-delta', the batch size. */
export type WeightingConfigInput = WeightingSpec & { readonly validatorShards?: number };

/** Resolved (a valid input too, so resolving is idempotent); validatorShards: the validator's clean batch ('loss-delta'), shards. */
export type WeightingConfig = ResolvedWeightingSpec & { readonly validatorShards: number };

export const VALIDATOR_SHARDS_DEFAULT = 2;

/** The trainer id of the validator's own inner loop (its batch stream); far above any peer uid. */
export const VALIDATOR_TRAINER_ID = 1_000_000_000;

/** Validates; throws {@link ConfigError} naming the key. Needs sparseloco and a defence that aggregates every message. */
export function resolveWeightingConfig(input: WeightingConfigInput, method: string, defence: string, key = 'weighting'): WeightingConfig {
  if (typeof input !== 'object' || input === null) throw new ConfigError(key, input, 'must be { rule, … }');
  const { validatorShards = VALIDATOR_SHARDS_DEFAULT, ...spec } = input;
  if (!Number.isSafeInteger(validatorShards) || validatorShards < 1) throw new ConfigError(`${key}.validatorShards`, validatorShards, 'must be an integer ≥ 1');
  const resolved = resolveWeightingSpec(spec as WeightingSpec, key);
  if (method !== 'sparseloco') throw new ConfigError(`${key}.rule`, resolved.rule, `needs optim.method "sparseloco" (weighted sparse mean), got "${method}"`);
  if (defence !== 'none' && defence !== 'gauntlet') throw new ConfigError(`${key}.rule`, resolved.rule, `needs defence "none" or "gauntlet" (the ones that aggregate every gathered message), got "${defence}"`);
  if (resolved.rule === 'gauntlet' && defence !== 'gauntlet') throw new ConfigError(`${key}.rule`, resolved.rule, 'needs defence "gauntlet" (the lagged validator whose scores it reads)');
  return Object.freeze({ ...resolved, validatorShards });
}

/** The run's weighting: the rule and the evidence it is fed. */
export class SimWeighting {
  readonly #rule: WeightingRule;
  readonly #shards: readonly number[];
  readonly #trainer: PeerTrainer | null;

  constructor(
    readonly config: WeightingConfig,
    private readonly backend: TrainingBackend,
    private readonly sparseloco: SparseLocoConfig,
    rng: Rng,
  ) {
    const { validatorShards: _shards, ...spec } = config;
    this.#rule = createWeightingRule(spec);
    const ids = Array.from({ length: backend.numShards }, (_, i) => i);
    this.#trainer = this.#rule.needs.reference ? backend.createTrainer(VALIDATOR_TRAINER_ID) : null;
    this.#shards = rng.fork('validator-batch').shuffle(ids).slice(0, Math.min(config.validatorShards, backend.numShards)).sort((a, b) => a - b);
  }

  /**
   * Weights by uid for every one of `messages` (≥ 0, sum 1; 0 for one that does not decode to a
   * finite update), judged at `params` (the θ the round's peers started from). `gauntlet` is the
   * validator's latest weights (null before its first post). Null when no message decodes (the
   * communicator then rejects them all). MUTATES the rule's state (trust).
   */
  weigh(params: Float32Array, messages: readonly PeerMessage[], gauntlet: ReadonlyMap<number, number> | null, round: number, innerSteps: number): Map<number, number> | null {
    const needs = this.#rule.needs;
    const base = needs.lossDelta ? this.backend.evaluate(params, { shards: this.#shards }) : 0;
    const stepped = needs.lossDelta ? new Float32Array(params.length) : null;
    const lr = Math.fround(this.sparseloco.outerLr);
    const evidence: PeerEvidence[] = [];
    for (const m of messages) {
      const update = decodeDense(m.bytes, this.backend.layout, this.sparseloco);
      if (typeof update === 'string') continue;
      let lossDelta: number | null = null;
      if (stepped !== null) {
        for (let i = 0; i < params.length; i++) stepped[i] = params[i]! - Math.fround(lr * update[i]!);
        lossDelta = base - this.backend.evaluate(stepped, { shards: this.#shards });
      }
      evidence.push({ uid: m.peerUid, update, gauntletWeight: gauntlet?.get(m.peerUid) ?? null, lossDelta });
    }
    if (evidence.length === 0) return null;
    const reference = this.#trainer === null ? null : this.#trainer.runInnerLoop({ params, round, shards: this.#shards, innerSteps }).delta;
    const weights = this.#rule.weigh(evidence, { reference });
    for (const m of messages) if (!weights.has(m.peerUid)) weights.set(m.peerUid, 0);
    return weights;
  }
}
