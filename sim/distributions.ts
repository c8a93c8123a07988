/**
 * Typed, validated probability distributions for the simulated world (bandwidths, latencies,
 * session lengths, crash points). A distribution is plain data, so experiment configs can name one;
 * `sample` draws from it with an injected `Rng` (never a global one), consuming a documented,
 * fixed number of draws per kind so a stream's later values do not depend on the parameters.
 *
 * @example
 * const uplink: Distribution = { kind: 'lognormal', median: 20, sigma: 0.5 }; // Mbit/s
 * validateDistribution('net.uplinkMbps', uplink, 'positive');
 * const mbps = sample(uplink, rng.fork('link:3'));
 */
import { ConfigError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';

/** Always `value`. */
export interface FixedDistribution {
  readonly kind: 'fixed';
  readonly value: number;
}
/** Uniform on [min, max). */
export interface UniformDistribution {
  readonly kind: 'uniform';
  readonly min: number;
  readonly max: number;
}
/**
 * Normal(mean, std²), clamped below at `min` when given: a draw below `min` becomes `min` (an atom
 * at `min`, not a rejection loop, so each draw costs exactly one normal variate).
 */
export interface NormalDistribution {
  readonly kind: 'normal';
  readonly mean: number;
  readonly std: number;
  readonly min?: number;
}
/** exp(N(ln median, sigma²)): heavy right tail, the usual shape of measured bandwidths. */
export interface LognormalDistribution {
  readonly kind: 'lognormal';
  readonly median: number;
  readonly sigma: number;
}
/** Exponential with the given mean (memoryless: the classic session-length model). */
export interface ExponentialDistribution {
  readonly kind: 'exponential';
  readonly mean: number;
}
/** Weibull(shape k, scale λ): shape < 1 gives the heavy-tailed sessions seen in P2P measurements. */
export interface WeibullDistribution {
  readonly kind: 'weibull';
  readonly shape: number;
  readonly scale: number;
}
/** One of `values`, with probability proportional to `weights` (uniform when omitted). */
export interface ChoiceDistribution {
  readonly kind: 'choice';
  readonly values: readonly number[];
  readonly weights?: readonly number[];
}

export type Distribution =
  | FixedDistribution
  | UniformDistribution
  | NormalDistribution
  | LognormalDistribution
  | ExponentialDistribution
  | WeibullDistribution
  | ChoiceDistribution;

/**
 * Which values every draw must take: 'positive' (> 0, e.g. bandwidths, durations),
 * 'nonNegative' (≥ 0, e.g. latencies) or 'any'.
 */
export type Support = 'positive' | 'nonNegative' | 'any';

const KINDS = ['fixed', 'uniform', 'normal', 'lognormal', 'exponential', 'weibull', 'choice'] as const;

function finite(key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ConfigError(key, value, 'must be a finite number');
  return value;
}

function inSupport(key: string, value: number, support: Support): void {
  if (support === 'positive' && !(value > 0)) throw new ConfigError(key, value, 'must be > 0 (every draw must be positive)');
  if (support === 'nonNegative' && !(value >= 0)) throw new ConfigError(key, value, 'must be ≥ 0 (every draw must be non-negative)');
}

/**
 * Throws a {@link ConfigError} naming `key.field` when `d` is malformed or can draw a value outside
 * `support`. A normal needs `min` inside the support, since its unclamped tail reaches −∞.
 */
export function validateDistribution(key: string, d: Distribution, support: Support = 'any'): void {
  if (typeof d !== 'object' || d === null) throw new ConfigError(key, d, 'must be a distribution object such as { kind: "fixed", value: 1 }');
  if (!KINDS.includes(d.kind)) throw new ConfigError(`${key}.kind`, (d as { kind: unknown }).kind, `must be one of ${KINDS.join(', ')}`);
  switch (d.kind) {
    case 'fixed':
      inSupport(`${key}.value`, finite(`${key}.value`, d.value), support);
      return;
    case 'uniform': {
      const min = finite(`${key}.min`, d.min);
      const max = finite(`${key}.max`, d.max);
      if (!(max > min)) throw new ConfigError(`${key}.max`, max, `must be > min (${min})`);
      inSupport(`${key}.min`, min, support);
      return;
    }
    case 'normal': {
      finite(`${key}.mean`, d.mean);
      if (!(finite(`${key}.std`, d.std) > 0)) throw new ConfigError(`${key}.std`, d.std, 'must be > 0');
      if (d.min === undefined) {
        if (support !== 'any') throw new ConfigError(`${key}.min`, d.min, `is required when draws must be ${support} (a normal's tail is unbounded)`);
      } else {
        inSupport(`${key}.min`, finite(`${key}.min`, d.min), support);
      }
      return;
    }
    case 'lognormal':
      if (!(finite(`${key}.median`, d.median) > 0)) throw new ConfigError(`${key}.median`, d.median, 'must be > 0');
      if (!(finite(`${key}.sigma`, d.sigma) >= 0)) throw new ConfigError(`${key}.sigma`, d.sigma, 'must be ≥ 0');
      return;
    case 'exponential':
      if (!(finite(`${key}.mean`, d.mean) > 0)) throw new ConfigError(`${key}.mean`, d.mean, 'must be > 0');
      return;
    case 'weibull':
      if (!(finite(`${key}.shape`, d.shape) > 0)) throw new ConfigError(`${key}.shape`, d.shape, 'must be > 0');
      if (!(finite(`${key}.scale`, d.scale) > 0)) throw new ConfigError(`${key}.scale`, d.scale, 'must be > 0');
      return;
    case 'choice': {
      if (!Array.isArray(d.values) || d.values.length === 0) throw new ConfigError(`${key}.values`, d.values, 'must be a non-empty array of numbers');
      d.values.forEach((v, i) => inSupport(`${key}.values[${i}]`, finite(`${key}.values[${i}]`, v), support));
      if (d.weights !== undefined) {
        if (!Array.isArray(d.weights) || d.weights.length !== d.values.length) {
          throw new ConfigError(`${key}.weights`, d.weights, `must be an array with one weight per value (${d.values.length})`);
        }
        d.weights.forEach((w, i) => {
          if (!(finite(`${key}.weights[${i}]`, w) >= 0)) throw new ConfigError(`${key}.weights[${i}]`, w, 'must be ≥ 0');
        });
        if (!(d.weights.reduce((a, b) => a + b, 0) > 0)) throw new ConfigError(`${key}.weights`, d.weights, 'must have a positive sum');
      }
      return;
    }
  }
}

/**
 * One draw from `d`. Draws consumed from `rng`: one uniform for every kind except normal and
 * lognormal (one standard normal) and fixed (none). Assumes `d` passed {@link validateDistribution}.
 */
export function sample(d: Distribution, rng: Rng): number {
  switch (d.kind) {
    case 'fixed':
      return d.value;
    case 'uniform':
      return rng.uniform(d.min, d.max);
    case 'normal': {
      const x = d.mean + d.std * rng.normal();
      return d.min !== undefined && x < d.min ? d.min : x;
    }
    case 'lognormal':
      return d.median * Math.exp(d.sigma * rng.normal());
    case 'exponential':
      return rng.exponential(d.mean);
    case 'weibull':
      // Inverse CDF; 1 − u keeps the log argument in (0, 1].
      return d.scale * Math.pow(-Math.log(1 - rng.next()), 1 / d.shape);
    case 'choice':
      return d.values[chooseIndex(d.weights, d.values.length, rng)]!;
  }
}

/** Index in [0, n) with probability ∝ weights (uniform when weights are omitted); one uniform draw. */
export function chooseIndex(weights: readonly number[] | undefined, n: number, rng: Rng): number {
  const u = rng.next();
  if (weights === undefined) return Math.min(n - 1, Math.floor(u * n));
  const total = weights.reduce((a, b) => a + b, 0);
  let target = u * total;
  for (let i = 0; i < n; i++) {
    target -= weights[i]!;
    if (target < 0) return i;
  }
  // Rounding can leave target ≈ 0 after the loop: the last positive-weight entry.
  for (let i = n - 1; i >= 0; i--) if (weights[i]! > 0) return i;
  return n - 1;
}

/**
 * The exact mean of `d` (for the clamped normal: E[max(X, min)], using an erf approximation with
 * absolute error < 2e-7). Used to state expectations, e.g. a session model's online fraction.
 */
export function distributionMean(d: Distribution): number {
  switch (d.kind) {
    case 'fixed':
      return d.value;
    case 'uniform':
      return (d.min + d.max) / 2;
    case 'normal': {
      if (d.min === undefined) return d.mean;
      const a = (d.min - d.mean) / d.std;
      const cdf = 0.5 * (1 + erf(a / Math.SQRT2));
      const pdf = Math.exp(-0.5 * a * a) / Math.sqrt(2 * Math.PI);
      return d.min * cdf + d.mean * (1 - cdf) + d.std * pdf;
    }
    case 'lognormal':
      return d.median * Math.exp((d.sigma * d.sigma) / 2);
    case 'exponential':
      return d.mean;
    case 'weibull':
      return d.scale * gamma(1 + 1 / d.shape);
    case 'choice': {
      const w = d.weights ?? d.values.map(() => 1);
      const total = w.reduce((a, b) => a + b, 0);
      return d.values.reduce((acc, v, i) => acc + v * w[i]!, 0) / total;
    }
  }
}

/** Abramowitz & Stegun 7.1.26. */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * ax);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign * (1 - poly * Math.exp(-ax * ax));
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** Γ(x) by the Lanczos approximation (g = 7), with reflection below 0.5. */
export function gamma(x: number): number {
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return Math.sqrt(2 * Math.PI) * Math.pow(t, z + 0.5) * Math.exp(-t) * a;
}
