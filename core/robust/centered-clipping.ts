/**
 * Centered clipping (Karimireddy, He & Jaggi, "Learning from History for Byzantine Robust
 * Optimization", ICML 2021): starting from a center v (zero, a given vector, or the previous
 * aggregate, which is the paper's choice with momentum), iterate L times
 *
 *   v ← v + (1/n) Σ_i (x_i − v) · min(1, τ / ‖x_i − v‖)
 *
 * so each peer moves the center by at most τ/n per iteration, however far away it is.
 */
import { ConfigError } from '../errors.ts';
import type { RobustAggregator, RobustUpdate } from './aggregator.ts';
import { prepareUpdates, RobustAggregateError } from './aggregator.ts';

/** Where the iteration starts. */
export type CenteredClippingStart = 'zero' | 'previous' | Float32Array;

export interface CenteredClippingOptions {
  /** Clipping radius τ > 0. */
  readonly tau: number;
  /** Iterations L ≥ 1 (the paper uses 1 with momentum; more converge toward a robust center). */
  readonly iterations: number;
  /**
   * 'zero' (default), a fixed vector, or 'previous': the last result of this instance (zero on the
   * first call). 'previous' makes the aggregator stateful — one instance per run.
   */
  readonly start?: CenteredClippingStart;
}

/**
 * @example
 * const cc = new CenteredClippingAggregator({ tau: 1, iterations: 3, start: 'previous' });
 * const g = cc.aggregate(updates);
 */
export class CenteredClippingAggregator implements RobustAggregator {
  readonly name: string;
  readonly tau: number;
  readonly iterations: number;
  readonly start: CenteredClippingStart;
  #previous: Float64Array | null = null;

  constructor(options: CenteredClippingOptions) {
    if (!(options.tau > 0 && Number.isFinite(options.tau))) throw new ConfigError('robust.centeredClipping.tau', options.tau, 'must be a finite number > 0');
    if (!Number.isSafeInteger(options.iterations) || options.iterations < 1) {
      throw new ConfigError('robust.centeredClipping.iterations', options.iterations, 'must be an integer ≥ 1');
    }
    const start = options.start ?? 'zero';
    if (start !== 'zero' && start !== 'previous' && !(start instanceof Float32Array)) {
      throw new ConfigError('robust.centeredClipping.start', start, 'must be "zero", "previous" or a Float32Array');
    }
    this.tau = options.tau;
    this.iterations = options.iterations;
    this.start = start;
    this.name = `centered-clip(${options.tau},${options.iterations})`;
  }

  aggregate(updates: readonly RobustUpdate[], out?: Float32Array): Float32Array {
    const p = prepareUpdates(updates, out);
    const n = p.sorted.length;
    const v = new Float64Array(p.dim);
    if (this.start instanceof Float32Array) {
      if (this.start.length !== p.dim) throw new RobustAggregateError('length-mismatch', `start center has length ${this.start.length}, expected ${p.dim}`);
      v.set(this.start);
    } else if (this.start === 'previous' && this.#previous !== null && this.#previous.length === p.dim) {
      v.set(this.#previous);
    }
    const step = new Float64Array(p.dim);
    for (let it = 0; it < this.iterations; it++) {
      step.fill(0);
      for (const u of p.sorted) {
        const x = u.vector;
        let d2 = 0;
        for (let i = 0; i < p.dim; i++) {
          const d = x[i]! - v[i]!;
          d2 += d * d;
        }
        const dist = Math.sqrt(d2);
        const scale = dist > this.tau ? this.tau / dist : 1;
        for (let i = 0; i < p.dim; i++) step[i] = step[i]! + scale * (x[i]! - v[i]!);
      }
      for (let i = 0; i < p.dim; i++) v[i] = v[i]! + step[i]! / n;
    }
    for (let i = 0; i < p.dim; i++) p.out[i] = v[i]!;
    if (this.start === 'previous') this.#previous = Float64Array.from(p.out);
    return p.out;
  }
}
