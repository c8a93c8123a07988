/**
 * Cosine similarity between each peer's update and a reference direction, for the trust rule
 * (./rules.ts): the round's aggregate — the plain mean of the dense updates, summed in ascending
 * uid in double, a direction estimate, not SparseLoCo's clipped sparse mean (the rule needs a
 * reference before the weighted aggregate exists) — or a given vector (the validator's own
 * update on its clean batch, FLTrust's root update: Cao et al., NDSS 2021).
 */

/** One peer's update, dense, in layout order. */
export interface PeerVector {
  readonly uid: number;
  readonly update: Float32Array;
}

/** cos(update_i, mean of the updates) by uid; NaN for a zero or non-finite vector (the caller treats NaN as no merit). */
export function cosineToMean(peers: readonly PeerVector[]): Map<number, number> {
  const sorted = [...peers].sort((a, b) => a.uid - b.uid);
  if (sorted.length === 0) return new Map();
  const mean = new Float64Array(sorted[0]!.update.length);
  for (const p of sorted) for (let i = 0; i < mean.length; i++) mean[i]! += p.update[i]!; // the 1/R scale cancels in a cosine
  return cosineTo(sorted, mean);
}

/** cos(update_i, reference) by uid (same length), ascending uid; NaN for a zero or non-finite vector. */
export function cosineTo(peers: readonly PeerVector[], reference: Float32Array | Float64Array): Map<number, number> {
  const sorted = [...peers].sort((a, b) => a.uid - b.uid);
  const out = new Map<number, number>();
  const n = reference.length;
  const mean = reference;
  let meanSq = 0;
  for (let i = 0; i < n; i++) meanSq += mean[i]! * mean[i]!;
  for (const p of sorted) {
    let dot = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      dot += p.update[i]! * mean[i]!;
      sq += p.update[i]! * p.update[i]!;
    }
    out.set(p.uid, sq > 0 && meanSq > 0 ? dot / Math.sqrt(sq * meanSq) : NaN);
  }
  return out;
}
