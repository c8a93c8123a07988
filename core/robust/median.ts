/**
 * Coordinate-wise median (Yin et al. 2018): each coordinate is the median of the peers' values at
 * that coordinate; for an even count, the mean of the two middle values (the textbook median, not
 * torch's lower median). Breakdown point 1/2 per coordinate.
 */
import type { RobustAggregator, RobustUpdate } from './aggregator.ts';
import { prepareUpdates } from './aggregator.ts';

/**
 * @example
 * new CoordinateMedianAggregator().aggregate(updates); // per-coordinate median
 */
export class CoordinateMedianAggregator implements RobustAggregator {
  readonly name = 'median';

  aggregate(updates: readonly RobustUpdate[], out?: Float32Array): Float32Array {
    const p = prepareUpdates(updates, out);
    const n = p.sorted.length;
    const column = new Float64Array(n);
    for (let i = 0; i < p.dim; i++) {
      for (let k = 0; k < n; k++) column[k] = p.sorted[k]!.vector[i]!;
      column.sort(); // typed-array sort: numeric, NaN last
      const mid = n >> 1;
      p.out[i] = n % 2 === 1 ? column[mid]! : (column[mid - 1]! + column[mid]!) / 2;
    }
    return p.out;
  }
}
