/**
 * Norm clipping then mean: each update is scaled to at most a bound, v ← v·min(1, c/‖v‖), and the
 * clipped updates are averaged. The bound is a fixed number or the median of the round's norms
 * (the lower median, as torch and SparseLoCo's own aggregation, SPEC.md §3); with the median an
 * outlier can contribute at most the norm of a typical update.
 */
import { ConfigError } from '../errors.ts';
import type { RobustAggregator, RobustUpdate } from './aggregator.ts';
import { l2Norm, prepareUpdates, weightedMeanInto } from './aggregator.ts';

/**
 * @example
 * new NormClippingAggregator('median').aggregate(updates);
 * new NormClippingAggregator(1.5).aggregate(updates);
 */
export class NormClippingAggregator implements RobustAggregator {
  readonly name: string;

  /** @param bound a finite bound > 0 on each update's L2 norm, or 'median' (lower median of the norms). */
  constructor(readonly bound: number | 'median') {
    if (bound !== 'median' && !(bound > 0 && Number.isFinite(bound))) {
      throw new ConfigError('robust.normClipping.bound', bound, 'must be a finite number > 0 or "median"');
    }
    this.name = `norm-clip(${bound})`;
  }

  aggregate(updates: readonly RobustUpdate[], out?: Float32Array): Float32Array {
    const p = prepareUpdates(updates, out);
    const norms = p.sorted.map((u) => l2Norm(u.vector));
    const bound = this.bound === 'median' ? lowerMedian(norms) : this.bound;
    const scales = norms.map((n) => (n > bound ? bound / n : 1));
    return weightedMeanInto(p.out, p.sorted.map((u) => u.vector), scales, p.sorted.length);
  }
}

function lowerMedian(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1]!;
}
