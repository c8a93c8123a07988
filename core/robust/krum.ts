/**
 * Krum and multi-Krum (Blanchard et al., NeurIPS 2017). With n updates of which at most f are
 * Byzantine (n > 2f + 2), each update's score is the sum of squared distances to its n − f − 2
 * nearest other updates; Krum returns the update with the lowest score, multi-Krum the mean of the
 * m lowest-scoring ones (ties: lower uid). Distances accumulate in double.
 */
import { ConfigError } from '../errors.ts';
import type { RobustAggregator, RobustUpdate } from './aggregator.ts';
import { prepareUpdates, weightedMeanInto } from './aggregator.ts';

/**
 * @example
 * new KrumAggregator({ f: 2 }).aggregate(updates);          // Krum: one update
 * new KrumAggregator({ f: 2, m: 4 }).aggregate(updates);    // multi-Krum: mean of 4
 */
export class KrumAggregator implements RobustAggregator {
  readonly name: string;
  readonly f: number;
  readonly m: number;

  /** @param options.f assumed Byzantine count (≥ 0); options.m selected count (≥ 1, default 1 = Krum). */
  constructor(options: { readonly f: number; readonly m?: number }) {
    const m = options.m ?? 1;
    if (!Number.isSafeInteger(options.f) || options.f < 0) throw new ConfigError('robust.krum.f', options.f, 'must be an integer ≥ 0');
    if (!Number.isSafeInteger(m) || m < 1) throw new ConfigError('robust.krum.m', m, 'must be an integer ≥ 1');
    this.f = options.f;
    this.m = m;
    this.name = m === 1 ? `krum(${options.f})` : `multi-krum(${options.f},${m})`;
  }

  aggregate(updates: readonly RobustUpdate[], out?: Float32Array): Float32Array {
    const p = prepareUpdates(updates, out, Math.max(2 * this.f + 3, this.m), `Krum needs n > 2f + 2 = ${2 * this.f + 2} and n ≥ m = ${this.m}`);
    const scores = krumScores(p.sorted.map((u) => u.vector), this.f);
    const chosen = scores
      .map((score, k) => ({ score, k }))
      .sort((a, b) => a.score - b.score || a.k - b.k) // k is ascending-uid position, so ties go to the lower uid
      .slice(0, this.m)
      .map((c) => c.k)
      .sort((a, b) => a - b);
    return weightedMeanInto(p.out, chosen.map((k) => p.sorted[k]!.vector), chosen.map(() => 1), chosen.length);
  }
}

/** Krum score of each vector: sum of squared distances to its n − f − 2 nearest others. */
export function krumScores(vectors: readonly Float32Array[], f: number): number[] {
  const n = vectors.length;
  const d2 = Array.from({ length: n }, () => new Float64Array(n));
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      const x = vectors[a]!;
      const y = vectors[b]!;
      let s = 0;
      for (let i = 0; i < x.length; i++) {
        const d = x[i]! - y[i]!;
        s += d * d;
      }
      d2[a]![b] = s;
      d2[b]![a] = s;
    }
  }
  const neighbours = n - f - 2;
  return d2.map((row, a) => {
    const others = Array.from(row).filter((_, b) => b !== a).sort((x, y) => x - y);
    let s = 0;
    for (let k = 0; k < neighbours; k++) s += others[k]!;
    return s;
  });
}
