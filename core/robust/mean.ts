/**
 * The plain mean: the no-defence baseline. One outlier moves it without bound (breakdown point 0).
 */
import type { RobustAggregator, RobustUpdate } from './aggregator.ts';
import { prepareUpdates, weightedMeanInto } from './aggregator.ts';

/**
 * @example
 * new MeanAggregator().aggregate([{ uid: 1, vector: a }, { uid: 2, vector: b }]); // (a + b) / 2
 */
export class MeanAggregator implements RobustAggregator {
  readonly name = 'mean';

  aggregate(updates: readonly RobustUpdate[], out?: Float32Array): Float32Array {
    const p = prepareUpdates(updates, out);
    return weightedMeanInto(p.out, p.sorted.map((u) => u.vector), p.sorted.map(() => 1), p.sorted.length);
  }
}
