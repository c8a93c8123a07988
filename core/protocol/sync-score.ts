/**
 * The validator's sync check (SPEC.md §5), after templar v2.1.3 `compare_model_with_debug_dict`
 * (src/tplr/neurons.py) and `evaluate_miner_sync` (neurons/validator.py): a peer publishes a small
 * sample of its parameters (elements [10, 12) of every tensor); the validator compares it with the
 * same sample of its own model, divides each |Δθ| by the typical size of one outer step there
 * (an EMA of |θ_t − θ_{t−1}| per sampled element, α = 0.2), takes the median as "average steps
 * behind" x, and scores the peer (1 − min(x, 5)/5)^2.5. A peer more than `sync_max_steps_behind`
 * (3) steps behind is slashed by templar. Pure: parameters in, numbers out.
 *
 * @example
 * const sample = syncSampleIndices(layout);
 * const steps = new StepSizeTracker(sample);
 * steps.observe(before, after);                  // after each outer step
 * measureSyncScore(replica, global, sample, steps.sizes()).score; // 1 for an equal replica
 */
import { ConfigError } from '../errors.ts';
import type { ParamLayout } from '../layout.ts';

/** Templar's constants (v2.1.3: neurons/validator.py, neurons/miner.py, hparams/hparams.json). */
export const TEMPLAR_SYNC = Object.freeze({
  /** Elements [start, end) of every flattened tensor go into the debug sample (`flatten()[10:12]`). */
  sampleStart: 10,
  sampleEnd: 12,
  /** Steps behind at which the score reaches 0 (`x = min(avg_steps_behind, 5.0)`). */
  scoreCapSteps: 5,
  /** `sync_score = (1 − x/5) ** 2.5`. */
  scoreExponent: 2.5,
  /** `sync_max_steps_behind`: a peer further behind is slashed (hparams.json). */
  maxStepsBehind: 3,
  /** `param_change_alpha`: EMA weight of the newest |θ_t − θ_{t−1}|. */
  stepEmaAlpha: 0.2,
  /** `min_step_size`: floor of a step so an unchanged element cannot divide by zero. */
  minStepSize: 1e-9,
});

/** The flat indices of the debug sample: elements [start, end) of each tensor that has them, in layout order. */
export function syncSampleIndices(layout: ParamLayout, start: number = TEMPLAR_SYNC.sampleStart, end: number = TEMPLAR_SYNC.sampleEnd): number[] {
  if (!Number.isSafeInteger(start) || start < 0) throw new ConfigError('sync sample start', start, 'must be an integer ≥ 0');
  if (!Number.isSafeInteger(end) || end <= start) throw new ConfigError('sync sample end', end, `must be an integer > start (${start})`);
  const indices: number[] = [];
  // Like torch's slice, a tensor shorter than `end` contributes what it has (possibly nothing).
  for (const t of layout.tensors) for (let i = start; i < Math.min(end, t.size); i++) indices.push(t.offset + i);
  return indices;
}

/**
 * The validator's running size of one outer step at each sampled element: the first observed
 * |θ_t − θ_{t−1}|, then an EMA with weight `alpha` (templar's `param_avg_change`). MUTABLE.
 */
export class StepSizeTracker {
  readonly #indices: readonly number[];
  readonly #alpha: number;
  #sizes: Float64Array | null = null;

  constructor(indices: readonly number[], alpha: number = TEMPLAR_SYNC.stepEmaAlpha) {
    if (!(alpha > 0 && alpha <= 1)) throw new ConfigError('step EMA alpha', alpha, 'must be in (0, 1]');
    this.#indices = indices;
    this.#alpha = alpha;
  }

  /** Records one outer step, from `before` to `after` (full parameter vectors). */
  observe(before: Float32Array, after: Float32Array): void {
    const sizes = this.#sizes;
    const a = this.#alpha;
    if (sizes === null) {
      this.#sizes = Float64Array.from(this.#indices, (i) => Math.abs(after[i]! - before[i]!));
      return;
    }
    this.#indices.forEach((i, k) => {
      sizes[k] = sizes[k]! * (1 - a) + Math.abs(after[i]! - before[i]!) * a;
    });
  }

  /** The step sizes, sample order; null before the first observed step. */
  sizes(): Float64Array | null {
    return this.#sizes;
  }
}

/** What the sync check measured. */
export interface SyncMeasurement {
  /** Median over the sample of |Δθ| / step size (templar's `avg_steps_behind`), steps. */
  readonly avgStepsBehind: number;
  /** Largest ratio in the sample, steps. */
  readonly maxStepsBehind: number;
  /** (1 − min(avgStepsBehind, cap)/cap)^exponent, in [0, 1]. */
  readonly score: number;
}

/** templar's score of `stepsBehind` steps behind: (1 − min(x, 5)/5)^2.5. */
export function syncScoreFromSteps(stepsBehind: number): number {
  if (!(stepsBehind >= 0)) throw new ConfigError('stepsBehind', stepsBehind, 'must be a number ≥ 0');
  const x = Math.min(stepsBehind, TEMPLAR_SYNC.scoreCapSteps);
  return Math.max(0, (1 - x / TEMPLAR_SYNC.scoreCapSteps) ** TEMPLAR_SYNC.scoreExponent);
}

/**
 * Compares `replica` with `global` on `indices`: each |replica[i] − global[i]| over that element's
 * step size (`stepSizes[k]`, floored at `minStepSize`; before any step, `fallbackStepSize` — templar
 * falls back to the learning rate). The median is torch's: the lower of the two middle values.
 * An empty sample compares nothing: infinitely behind, score 0 (templar's `math.inf`).
 */
export function measureSyncScore(
  replica: Float32Array,
  global: Float32Array,
  indices: readonly number[],
  stepSizes: Float64Array | null,
  fallbackStepSize: number = TEMPLAR_SYNC.minStepSize,
): SyncMeasurement {
  if (replica.length !== global.length) throw new ConfigError('replica.length', replica.length, `must equal the global model's length (${global.length})`);
  if (stepSizes !== null && stepSizes.length !== indices.length) throw new ConfigError('stepSizes.length', stepSizes.length, `must equal the sample size (${indices.length})`);
  if (!(fallbackStepSize > 0)) throw new ConfigError('fallbackStepSize', fallbackStepSize, 'must be > 0');
  if (indices.length === 0) return { avgStepsBehind: Infinity, maxStepsBehind: Infinity, score: 0 };
  const ratios = indices.map((i, k) => {
    const step = Math.max(stepSizes === null ? fallbackStepSize : stepSizes[k]!, TEMPLAR_SYNC.minStepSize);
    const ratio = Math.abs(replica[i]! - global[i]!) / step;
    return Number.isNaN(ratio) ? Infinity : ratio; // a NaN replica is as far off as it gets
  });
  const sorted = [...ratios].sort((a, b) => a - b);
  const avgStepsBehind = sorted[(sorted.length - 1) >> 1]!;
  return { avgStepsBehind, maxStepsBehind: sorted[sorted.length - 1]!, score: syncScoreFromSteps(avgStepsBehind) };
}
