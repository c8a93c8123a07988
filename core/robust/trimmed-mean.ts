/**
 * Coordinate-wise trimmed mean (Yin et al. 2018): per coordinate, drop the b = ⌊β·n⌋ largest and b
 * smallest values and average the rest. Tolerates up to b outliers per coordinate.
 */
import { ConfigError } from '../errors.ts';
import type { RobustAggregator, RobustUpdate } from './aggregator.ts';
import { prepareUpdates } from './aggregator.ts';

/**
 * @example
 * new TrimmedMeanAggregator(0.2).aggregate(updates); // n = 10 ⇒ drops 2 per side per coordinate
 */
export class TrimmedMeanAggregator implements RobustAggregator {
  readonly name: string;

  /** @param beta fraction trimmed from each side, in [0, 0.5). */
  constructor(readonly beta: number) {
    if (!(beta >= 0 && beta < 0.5)) throw new ConfigError('robust.trimmedMean.beta', beta, 'must be in [0, 0.5)');
    this.name = `trimmed-mean(${beta})`;
  }

  aggregate(updates: readonly RobustUpdate[], out?: Float32Array): Float32Array {
    const p = prepareUpdates(updates, out);
    const n = p.sorted.length;
    const b = Math.floor(this.beta * n);
    const column = new Float64Array(n);
    for (let i = 0; i < p.dim; i++) {
      for (let k = 0; k < n; k++) column[k] = p.sorted[k]!.vector[i]!;
      column.sort();
      let s = 0;
      for (let k = b; k < n - b; k++) s += column[k]!;
      p.out[i] = s / (n - 2 * b);
    }
    return p.out;
  }
}
