/**
 * Deterministic synthetic classification data for the surrogate backend, and the seeded helpers
 * that decide who trains on what: the batch stream of (peer, round) and a per-round dealing of
 * shards to the active peers.
 *
 * The data is a Gaussian mixture: class c has `clustersPerClass` centres μ_{c,k} ~ N(0, I); an
 * example of class c is x = (μ_{c,k} + σ·ε) / √(1 + σ²) with k uniform and ε ~ N(0, I) (the divisor
 * keeps inputs near unit variance). Several centres per class make the Bayes boundary non-linear,
 * so a hidden layer pays off; overlapping clusters and label noise (with probability ε the label
 * is replaced by a uniform class) keep the optimal loss above 0, and because the generator is
 * known, that optimum is computable exactly ({@link SyntheticDataset.bayesLoss}).
 *
 * Sampling by class makes non-IID shards exact and cheap: with `nonIidAlpha` set, shard s draws
 * its class mix q_s ~ Dirichlet(α·1) (small α: a shard holds few classes; large α: near IID).
 *
 * Every shard is generated lazily from its own fork `shard:<id>` of the data stream, so a shard's
 * contents do not depend on which other shards were generated before it.
 */
import { ConfigError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';

/** Knobs of the synthetic data. */
export interface SyntheticDataConfig {
  /** Input dimension d. */
  readonly inputDim: number;
  /** Number of classes C (≥ 2). */
  readonly numClasses: number;
  /** Gaussian clusters per class (≥ 1; ≥ 2 makes the optimal boundary non-linear). */
  readonly clustersPerClass: number;
  /** Cluster noise σ relative to the unit-variance centres (> 0; larger = more overlap). */
  readonly noiseStd: number;
  /** Probability that a label is replaced by a uniformly drawn class, in [0, 1). */
  readonly labelNoise: number;
  /** Number of training shards. */
  readonly numShards: number;
  /** Examples per shard. */
  readonly shardSize: number;
  /** Examples in the held-out set (drawn with uniform class prior). */
  readonly heldoutSize: number;
  /** Dirichlet concentration of each shard's class mix; `null` = IID shards (uniform classes). */
  readonly nonIidAlpha: number | null;
}

export const SYNTHETIC_DATA_DEFAULTS: SyntheticDataConfig = Object.freeze({
  inputDim: 32,
  numClasses: 10,
  clustersPerClass: 2,
  noiseStd: 1.5,
  labelNoise: 0.05,
  numShards: 256,
  shardSize: 128,
  heldoutSize: 2048,
  nonIidAlpha: null,
});

/** Merges `overrides` into {@link SYNTHETIC_DATA_DEFAULTS}, validates and freezes. */
export function resolveSyntheticDataConfig(overrides: Partial<SyntheticDataConfig> = {}): SyntheticDataConfig {
  const cfg = { ...SYNTHETIC_DATA_DEFAULTS, ...overrides };
  requireInt('data.inputDim', cfg.inputDim, 1);
  requireInt('data.numClasses', cfg.numClasses, 2);
  if (cfg.numClasses > 65535) throw new ConfigError('data.numClasses', cfg.numClasses, 'must be ≤ 65535 (labels are uint16)');
  requireInt('data.clustersPerClass', cfg.clustersPerClass, 1);
  if (!(cfg.noiseStd > 0) || !Number.isFinite(cfg.noiseStd)) throw new ConfigError('data.noiseStd', cfg.noiseStd, 'must be a finite number > 0');
  if (!(cfg.labelNoise >= 0 && cfg.labelNoise < 1)) throw new ConfigError('data.labelNoise', cfg.labelNoise, 'must be in [0, 1)');
  requireInt('data.numShards', cfg.numShards, 1);
  requireInt('data.shardSize', cfg.shardSize, 1);
  requireInt('data.heldoutSize', cfg.heldoutSize, 1);
  if (cfg.nonIidAlpha !== null && (!(cfg.nonIidAlpha > 0) || !Number.isFinite(cfg.nonIidAlpha))) {
    throw new ConfigError('data.nonIidAlpha', cfg.nonIidAlpha, 'must be a finite number > 0 or null (IID)');
  }
  return Object.freeze(cfg);
}

function requireInt(key: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(key, value, `must be an integer ≥ ${min}`);
}

/** A block of examples: row n of `inputs` is inputs[n·d … n·d + d − 1], its class `labels[n]`. */
export interface Examples {
  readonly count: number;
  readonly inputs: Float32Array;
  readonly labels: Uint16Array;
}

/** The dataset: lazily generated shards, a held-out set, and the exact optimal loss. */
export interface SyntheticDataset {
  readonly config: SyntheticDataConfig;
  /** Shard `id`'s examples (generated on first use, then cached). */
  shard(id: number): Examples;
  /** Shard `id`'s class mix q_s (uniform when IID). */
  classMix(id: number): Float64Array;
  /** The held-out examples (uniform class prior). */
  heldout(): Examples;
  /**
   * Mean −log p(y | x) under the true generator with a uniform class prior: the loss of the
   * Bayes-optimal classifier on `examples` (the floor a model can reach on held-out data).
   */
  bayesLoss(examples: Examples): number;
}

/** Builds the dataset described by `config` from `rng` (nothing is drawn until a shard is read). */
export function createSyntheticDataset(rng: Rng, overrides: Partial<SyntheticDataConfig> = {}): SyntheticDataset {
  const config = resolveSyntheticDataConfig(overrides);
  const { inputDim: d, numClasses: C, clustersPerClass: K, noiseStd: sigma, labelNoise } = config;
  // Centres are shared by every shard and the held-out set: one stream of their own.
  const centres = new Float64Array(C * K * d);
  const centreRng = rng.fork('centres');
  for (let i = 0; i < centres.length; i++) centres[i] = centreRng.normal();
  const norm = 1 / Math.sqrt(1 + sigma * sigma);
  const shards = new Map<number, Examples>();
  const mixes = new Map<number, Float64Array>();
  const uniformMix = new Float64Array(C).fill(1 / C);
  let heldoutSet: Examples | null = null;

  function generate(stream: Rng, count: number, mix: Float64Array | null): Examples {
    const inputs = new Float32Array(count * d);
    const labels = new Uint16Array(count);
    for (let n = 0; n < count; n++) {
      const c = mix === null ? stream.int(0, C - 1) : drawCategorical(stream, mix);
      const k = stream.int(0, K - 1);
      const base = (c * K + k) * d;
      for (let i = 0; i < d; i++) inputs[n * d + i] = (centres[base + i]! + sigma * stream.normal()) * norm;
      // Both draws are always made so the stream position per example is fixed.
      const flip = stream.next() < labelNoise;
      const noisyClass = stream.int(0, C - 1);
      labels[n] = flip ? noisyClass : c;
    }
    return { count, inputs, labels };
  }

  function classMix(id: number): Float64Array {
    checkShardId(id);
    if (config.nonIidAlpha === null) return uniformMix;
    let mix = mixes.get(id);
    if (mix === undefined) {
      mix = sampleDirichlet(rng.fork(`shard:${id}`).fork('mix'), C, config.nonIidAlpha);
      mixes.set(id, mix);
    }
    return mix;
  }

  function checkShardId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= config.numShards) {
      throw new ConfigError('shard id', id, `must be an integer in [0, ${config.numShards})`);
    }
  }

  return {
    config,
    shard(id) {
      checkShardId(id);
      let shard = shards.get(id);
      if (shard === undefined) {
        const mix = config.nonIidAlpha === null ? null : classMix(id);
        shard = generate(rng.fork(`shard:${id}`).fork('examples'), config.shardSize, mix);
        shards.set(id, shard);
      }
      return shard;
    },
    classMix,
    heldout() {
      heldoutSet ??= generate(rng.fork('heldout'), config.heldoutSize, null);
      return heldoutSet;
    },
    bayesLoss(examples) {
      const logLik = new Float64Array(C);
      const inv2var = 1 / (2 * sigma * sigma);
      let total = 0;
      for (let n = 0; n < examples.count; n++) {
        // Undo the input scaling, then p(c | x) ∝ Σ_k exp(−‖x − μ_ck‖² / 2σ²) (uniform priors).
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          const terms: number[] = [];
          for (let k = 0; k < K; k++) {
            let dist = 0;
            const base = (c * K + k) * d;
            for (let i = 0; i < d; i++) {
              const diff = examples.inputs[n * d + i]! / norm - centres[base + i]!;
              dist += diff * diff;
            }
            const t = -dist * inv2var;
            terms.push(t);
            if (t > best) best = t;
          }
          let s = 0;
          for (const t of terms) s += Math.exp(t - best);
          logLik[c] = best + Math.log(s);
        }
        let max = -Infinity;
        for (let c = 0; c < C; c++) if (logLik[c]! > max) max = logLik[c]!;
        let z = 0;
        for (let c = 0; c < C; c++) z += Math.exp(logLik[c]! - max);
        const pClean = Math.exp(logLik[examples.labels[n]!]! - max) / z;
        total -= Math.log((1 - labelNoise) * pClean + labelNoise / C);
      }
      return total / examples.count;
    },
  };
}

/** Index drawn from the discrete distribution `probs` (sums to 1; the last index absorbs rounding). */
function drawCategorical(rng: Rng, probs: Float64Array): number {
  const u = rng.next();
  let acc = 0;
  for (let i = 0; i < probs.length - 1; i++) {
    acc += probs[i]!;
    if (u < acc) return i;
  }
  return probs.length - 1;
}

/** q ~ Dirichlet(α·1_n), via normalised Gamma(α) draws. */
export function sampleDirichlet(rng: Rng, n: number, alpha: number): Float64Array {
  const q = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    q[i] = sampleGamma(rng, alpha);
    sum += q[i]!;
  }
  if (!(sum > 0)) {
    // Every draw underflowed (tiny α): the limit is a single class; pick it uniformly.
    q.fill(0);
    q[rng.int(0, n - 1)] = 1;
    return q;
  }
  for (let i = 0; i < n; i++) q[i]! /= sum;
  return q;
}

/** Gamma(shape, 1) by Marsaglia–Tsang; shape < 1 uses Gamma(shape + 1)·U^(1/shape). */
export function sampleGamma(rng: Rng, shape: number): number {
  if (shape < 1) return sampleGamma(rng, shape + 1) * Math.pow(1 - rng.next(), 1 / shape);
  const dd = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * dd);
  for (;;) {
    const z = rng.normal();
    const v0 = 1 + c * z;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * z * z + dd - dd * v + dd * Math.log(v)) return dd * v;
  }
}

/**
 * Fills `out` with example positions drawn uniformly with replacement from a pool of `poolSize`
 * examples (the requested shards concatenated in the order given). Exactly `out.length` draws.
 */
export function drawBatch(stream: Rng, poolSize: number, out: Int32Array): Int32Array {
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(stream.next() * poolSize);
  return out;
}

