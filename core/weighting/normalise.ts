/**
 * The one rule that turns per-peer merits into aggregation weights, shared by every weighting
 * rule (./rules.ts): w_i = max(m_i, 0) / Σ_j max(m_j, 0), summed in ascending uid so the result
 * does not depend on the order peers are listed in. A non-finite merit counts as 0 (a peer whose
 * update or score is NaN earns nothing). When no peer has positive merit, every peer gets 1/R:
 * with no evidence against anyone, the round falls back to today's uniform mean.
 *
 * @example
 * normaliseMerits([{ uid: 4, merit: 3 }, { uid: 1, merit: 1 }]); // Map { 1 → 0.25, 4 → 0.75 }
 */
import { ConfigError } from '../errors.ts';

/** One peer's merit (any real number; only its positive part counts). */
export interface PeerMerit {
  readonly uid: number;
  readonly merit: number;
}

/** Weights by uid (ascending), each ≥ 0, summing to 1 (empty for no peers). Throws on a duplicate uid. */
export function normaliseMerits(merits: readonly PeerMerit[]): Map<number, number> {
  const sorted = [...merits].sort((a, b) => a.uid - b.uid);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.uid === sorted[i - 1]!.uid) throw new ConfigError('weighting peer uid', sorted[i]!.uid, 'must be unique among the round\'s peers');
  }
  const positive = sorted.map((m) => (Number.isFinite(m.merit) && m.merit > 0 ? m.merit : 0));
  let total = 0;
  for (const m of positive) total += m;
  const weights = new Map<number, number>();
  if (!(total > 0) || !Number.isFinite(total)) {
    for (const m of sorted) weights.set(m.uid, 1 / sorted.length);
    return weights;
  }
  sorted.forEach((m, i) => weights.set(m.uid, positive[i]! / total));
  return weights;
}
