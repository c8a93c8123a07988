/**
 * What the validator posts on chain for a round — one rule for the simulator's chain mirror
 * (sim/chain.ts) and the cluster's validator (cluster/validator.ts): `postResults(round, uids,
 * weights)` with the aggregated uids ascending and integer weights (1 each without Gauntlet;
 * with Gauntlet its weight share × {@link WEIGHT_SCALE}, at least 1, since the contract refuses a
 * zero weight), the `maxSelected` heaviest when there are more; and `slash(uid, amount, code)`
 * with the run's slash amount capped at the peer's stake.
 */

/** Integer weight of a peer holding the whole round's weight. */
export const WEIGHT_SCALE = 1_000_000;

/** Reason codes of the slashes a validator posts (`slash(uid, amount, reasonCode)`). */
export const SLASH_REASON_CODES = Object.freeze({ 'repeated-failures': 1 });

/** One aggregated peer as the chain knows it, with its Gauntlet weight (null: no weights). */
export interface PostCandidate {
  readonly uid: number; // chain uid, committed this round
  readonly weight: number | null;
}

/** The uids (ascending) and integer weights of the round's `postResults`. */
export function chainPost(candidates: readonly PostCandidate[], weighted: boolean, maxSelected: number): { uids: number[]; weights: number[] } {
  let picked = candidates.map((c) => ({ uid: c.uid, weight: weighted ? Math.max(0, c.weight ?? 0) : 1 }));
  let total = 0;
  for (const p of picked) total += p.weight;
  if (picked.length > maxSelected) picked = picked.sort((a, b) => b.weight - a.weight || a.uid - b.uid).slice(0, maxSelected);
  picked.sort((a, b) => a.uid - b.uid);
  return {
    uids: picked.map((p) => p.uid),
    weights: picked.map((p) => (weighted ? Math.max(1, Math.round((p.weight / (total || 1)) * WEIGHT_SCALE)) : 1)),
  };
}

/** Stake a slash takes: the run's amount, capped at what the peer has. */
export function slashAmountOf(stake: bigint, slashAmount: bigint): bigint {
  return stake < slashAmount ? stake : slashAmount;
}
