/**
 * The lagged validator's per-window penalties (templar v2.1.3 `neurons/validator.py`), each a pure
 * function from peer records to peer records. They act on what the validator saw in the GATHER
 * (the peer list's messages), apart from the evaluation's own failures, which stay in
 * rating.ts `recordOutcome`:
 *
 *   overlap (`slash_from_overlap`)          'high': final and bma ×idxOverlapHighMultiplier (0.5);
 *                                           'max': reset; 'mega': reset + excluded excludeRounds;
 *   missing gradient (`slash_for_missing_gradients`) every listed peer the gather skipped:
 *                                           final and bma ×failureMultiplier (0.75), ×0 when the
 *                                           gather's success rate < gatherPeersSlashThreshold;
 *                                           a final score below scoreZeroThreshold becomes 0;
 *   poor sync (`slash_for_poor_sync`)       a gathered peer > syncMaxStepsBehind steps behind:
 *                                           final and bma ×syncSlashMultiplier (0.75);
 *   inactivity (`penalize_inactive_peers`)  a known peer absent from the window: final ×0.75 per
 *                                           window, reset once absent > resetInactivityWindows.
 * Multipliers apply to positive scores only ("Only reduce positive scores", templar). A reset is
 * templar's `reset_peer` (rating, bma, scores back to a newcomer's); it counts as a slash (the
 * chain mirror posts it) and keeps any exclusion.
 *
 * @example
 * const peers = slashMissingGradients(state.peers, [7], 0.9, cfg); // uid 7's score ×0.75
 */
import type { GauntletConfig } from './config.ts';
import type { OverlapLevel } from './index-overlap.ts';
import { initialRecord } from './rating.ts';
import type { PeerRecord } from './rating.ts';

type Records = ReadonlyMap<number, PeerRecord>;

/** A peer's sync as the validator measured it (templar `evaluate_miner_sync`). */
export interface SyncMeasure {
  /** Average outer steps the peer's model is behind the validator's. */
  readonly avgStepsBehind: number;
  /** The sync score in [0, 1] that multiplies the final score (core/protocol/sync-score.ts `syncScoreFromSteps`, templar's (1 − min(x, 5)/5)^2.5). */
  readonly syncScore: number;
}

/** templar `reset_peer`, as a slash: a newcomer's record keeping the exclusion and the slash count + 1. */
export function resetPeer(record: PeerRecord, excludedUntil = record.excludedUntil): PeerRecord {
  return { ...initialRecord(record.uid), excludedUntil: Math.max(record.excludedUntil, excludedUntil), slashes: record.slashes + 1 };
}

/** final and bma × multiplier when the final score is positive (templar's guard). */
function scalePositive(record: PeerRecord, multiplier: number): PeerRecord {
  if (!(record.finalScore > 0)) return record;
  return { ...record, finalScore: record.finalScore * multiplier, bma: record.bma * multiplier };
}

function withEach(peers: Records, uids: Iterable<number>, f: (r: PeerRecord) => PeerRecord): Map<number, PeerRecord> {
  const out = new Map(peers);
  for (const uid of uids) out.set(uid, f(out.get(uid) ?? initialRecord(uid)));
  return out;
}

/** Overlap offenders' penalties at window `window` (see the file header). */
export function slashFromOverlap(
  peers: Records,
  offenders: ReadonlyMap<number, OverlapLevel>,
  window: number,
  cfg: Pick<GauntletConfig, 'idxOverlapHighMultiplier' | 'excludeRounds'>,
): Map<number, PeerRecord> {
  const out = new Map(peers);
  for (const [uid, level] of offenders) {
    const r = out.get(uid) ?? initialRecord(uid);
    if (level === 'high') out.set(uid, scalePositive(r, cfg.idxOverlapHighMultiplier));
    else out.set(uid, resetPeer(r, level === 'mega' ? window + 1 + cfg.excludeRounds : r.excludedUntil));
  }
  return out;
}

/** The gather's skipped peers' penalty (see the file header); `successRate` = gathered / listed. */
export function slashMissingGradients(
  peers: Records,
  skipped: readonly number[],
  successRate: number,
  cfg: Pick<GauntletConfig, 'gatherPeersSlashThreshold' | 'failureMultiplier' | 'scoreZeroThreshold'>,
): Map<number, PeerRecord> {
  const rate = successRate < cfg.gatherPeersSlashThreshold ? 0 : cfg.failureMultiplier;
  return withEach(peers, skipped, (r) => {
    const scaled = scalePositive(r, rate);
    return scaled !== r && scaled.finalScore < cfg.scoreZeroThreshold ? { ...scaled, finalScore: 0 } : scaled;
  });
}

/** Gathered peers too far behind: final and bma ×syncSlashMultiplier. */
export function slashPoorSync(
  peers: Records,
  gathered: readonly number[],
  syncOf: (uid: number) => SyncMeasure,
  cfg: Pick<GauntletConfig, 'syncMaxStepsBehind' | 'syncSlashMultiplier'>,
): Map<number, PeerRecord> {
  const behind = gathered.filter((uid) => !(syncOf(uid).avgStepsBehind <= cfg.syncMaxStepsBehind));
  return withEach(peers, behind, (r) => scalePositive(r, cfg.syncSlashMultiplier));
}

/**
 * Inactivity: every known peer not in `active` is tracked from the first window it was missed;
 * after more than resetInactivityWindows it is reset (once), before that its positive final score
 * is ×inactivityMultiplier each window. An active peer leaves the tracking.
 */
export function penaliseInactive(
  peers: Records,
  inactiveSince: ReadonlyMap<number, number>,
  active: ReadonlySet<number>,
  window: number,
  cfg: Pick<GauntletConfig, 'resetInactivityWindows' | 'inactivityMultiplier'>,
): { peers: Map<number, PeerRecord>; inactiveSince: Map<number, number> } {
  const out = new Map(peers);
  const since = new Map<number, number>();
  for (const [uid, r] of [...peers].sort(([a], [b]) => a - b)) {
    if (active.has(uid)) continue;
    const from = inactiveSince.get(uid) ?? window;
    if (window - from > cfg.resetInactivityWindows) {
      // templar drops the peer's entry on reset; a record back at a newcomer's is the same here.
      out.set(uid, { ...initialRecord(uid), excludedUntil: r.excludedUntil, slashes: r.slashes });
      continue;
    }
    since.set(uid, from);
    out.set(uid, r.finalScore > 0 ? { ...r, finalScore: r.finalScore * cfg.inactivityMultiplier } : r);
  }
  return { peers: out, inactiveSince: since };
}
