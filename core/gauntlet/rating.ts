/**
 * Gauntlet's persistent per-peer state and the pure rules that move it from round to round
 * (SPEC.md §5 "Persistent rating", "Selection"). Everything here is deterministic: peers are always
 * processed in ascending uid, and nothing draws randomness.
 *
 * The score formula, from templar v2.1.28 `neurons/validator.py::update_openskill_ratings`
 * (SPEC.md §8 open question, resolved from the code):
 *
 *   rating   ← OpenSkill Plackett–Luce rate(round's peers ranked by loss score), β = 7, τ = 0.1
 *   ordinal  = μ − 3σ
 *   bma      ← (1 − α)·bma + α·binary,  binary ∈ {+1, −1},  α = 0.05
 *   bma⁺     = max(0, bma), and 0 if bma⁺ < 0.1 once the validator has run 10 rounds
 *   final    = ordinal × bma⁺ × sync,    sync ∈ [0, 1] (templar: (1 − min(x,3)/3)^2.5, x = steps behind)
 *   weight_i = max(final_i, 0)^2 / Σ_j max(final_j, 0)^2   (`min_power_normalization`, power 2)
 *
 * Deviation, flagged: templar v2.1.28 sets chain weights with a piecewise schedule (gather peers a
 * 2→1 linear ramp of 75 %, reserve peers a geometric 25 %); the power normalisation above is the
 * older rule still in the file, and the one SPEC.md §5 names. We use SPEC's.
 *
 * Graduated penalties (templar's missing-gradient and negative-evaluation rules, combined into one
 * failure counter; a failure = a failed integrity check or, by default, a negative loss score):
 *   every failure        → the peer scores 0 this round (not selected, no weight) and bma ×= 0.75;
 *   k consecutive (3)    → excluded from selection for n rounds (20);
 *   m in the last w (4 of 8) → slashed: rating and bma reset, excluded for n rounds, a slash record.
 *
 * @example
 * const ratings = rateRound(records, [{ uid: 1, score: 0.02 }, { uid: 2, score: -0.01 }], cfg);
 */
import { ordinal as openskillOrdinal, rate, rating as openskillRating } from 'openskill';
import { plackettLuce } from 'openskill/models';
import { ConfigError } from '../errors.ts';
import type { GauntletConfig } from './config.ts';

/** One peer's persistent validator state. Immutable: every update returns a new record. */
export interface PeerRecord {
  readonly uid: number;
  /** OpenSkill mean and standard deviation. */
  readonly mu: number;
  readonly sigma: number;
  /** Binary moving average in [−1, 1]. */
  readonly bma: number;
  /** Last sync score in [0, 1] (1 until the peer is first evaluated). */
  readonly sync: number;
  /** Last final score (ordinal × bma⁺ × sync). */
  readonly finalScore: number;
  /** Outcomes of the peer's last `slashWindow` rounds, oldest first; true = failure. */
  readonly recent: readonly boolean[];
  readonly consecutiveFailures: number;
  /** The peer is excluded from selection while round < excludedUntil. */
  readonly excludedUntil: number;
  /** Times this peer has been slashed. */
  readonly slashes: number;
}

/** Validator state carried from round to round. */
export interface GauntletState {
  /** Validation rounds run so far (the bma-threshold warm-up counts these). */
  readonly rounds: number;
  /** Per-peer records by uid. */
  readonly peers: ReadonlyMap<number, PeerRecord>;
}

/** A validator that has seen nothing yet. */
export function createGauntletState(): GauntletState {
  return { rounds: 0, peers: new Map() };
}

/** A newcomer's record: OpenSkill's default rating (μ = 25, σ = 25/3, ordinal 0), bma 0, sync 1. */
export function initialRecord(uid: number): PeerRecord {
  const { mu, sigma } = openskillRating();
  return { uid, mu, sigma, bma: 0, sync: 1, finalScore: 0, recent: [], consecutiveFailures: 0, excludedUntil: 0, slashes: 0 };
}

/** μ − 3σ. */
export function ordinalOf(record: Pick<PeerRecord, 'mu' | 'sigma'>): number {
  return openskillOrdinal({ mu: record.mu, sigma: record.sigma });
}

/**
 * One OpenSkill Plackett–Luce update from a round's scores (higher is better; equal scores tie).
 * Returns the new (μ, σ) by uid. Fewer than two peers: nothing to rank, ratings unchanged (templar).
 */
export function rateRound(
  records: ReadonlyMap<number, PeerRecord>,
  scores: readonly { readonly uid: number; readonly score: number }[],
  cfg: Pick<GauntletConfig, 'openskillBeta' | 'openskillTau'>,
): Map<number, { mu: number; sigma: number }> {
  const sorted = [...scores].sort((a, b) => a.uid - b.uid);
  const out = new Map<number, { mu: number; sigma: number }>();
  for (const { uid, score } of sorted) {
    if (!Number.isFinite(score)) throw new ConfigError(`loss score of peer ${uid}`, score, 'must be finite');
    const r = records.get(uid) ?? initialRecord(uid);
    out.set(uid, { mu: r.mu, sigma: r.sigma });
  }
  if (sorted.length < 2) return out;
  const teams = sorted.map(({ uid }) => [out.get(uid)!]);
  const rated = rate(teams, {
    score: sorted.map((s) => s.score),
    beta: cfg.openskillBeta,
    tau: cfg.openskillTau,
    model: plackettLuce,
  });
  sorted.forEach(({ uid }, i) => out.set(uid, { mu: rated[i]![0]!.mu, sigma: rated[i]![0]!.sigma }));
  return out;
}

/** bma ← (1 − α)·bma + α·binary. */
export function updateBinaryMovingAverage(bma: number, binary: 1 | -1, alpha: number): number {
  return (1 - alpha) * bma + alpha * binary;
}

/**
 * final = ordinal × bma⁺ × sync, with bma⁺ = max(0, bma), zeroed below `bmaThreshold` once
 * `roundsRun` ≥ `bmaWarmupRounds` (templar `update_openskill_ratings`).
 */
export function finalScore(
  record: Pick<PeerRecord, 'mu' | 'sigma' | 'bma' | 'sync'>,
  roundsRun: number,
  cfg: Pick<GauntletConfig, 'bmaThreshold' | 'bmaWarmupRounds'>,
): number {
  let bma = Math.max(0, record.bma);
  if (roundsRun >= cfg.bmaWarmupRounds && bma < cfg.bmaThreshold) bma = 0;
  return ordinalOf(record) * bma * record.sync;
}

/** What the penalty rules did to a peer this round. */
export type PenaltyAction = 'none' | 'penalised' | 'excluded' | 'slashed';

/**
 * Records one round's outcome (failure or success) for a peer and applies the graduated penalties
 * (see the file header). `round` is the round being validated.
 */
export function recordOutcome(
  record: PeerRecord,
  failed: boolean,
  round: number,
  cfg: Pick<GauntletConfig, 'failureMultiplier' | 'excludeAfterConsecutive' | 'excludeRounds' | 'slashWindow' | 'slashAfterFailures'>,
): { record: PeerRecord; action: PenaltyAction } {
  const recent = [...record.recent, failed].slice(-cfg.slashWindow);
  if (!failed) return { record: { ...record, recent, consecutiveFailures: 0 }, action: 'none' };
  const consecutiveFailures = record.consecutiveFailures + 1;
  const failures = recent.filter(Boolean).length;
  const excludeUntil = round + 1 + cfg.excludeRounds;
  if (failures >= cfg.slashAfterFailures) {
    // A slash wipes the reputation the peer built and starts its failure history afresh, so the
    // next slash needs another full count of failures (templar `reset_peer`).
    const fresh = initialRecord(record.uid);
    return {
      record: { ...fresh, sync: record.sync, excludedUntil: Math.max(record.excludedUntil, excludeUntil), slashes: record.slashes + 1 },
      action: 'slashed',
    };
  }
  const penalised: PeerRecord = {
    ...record,
    recent,
    consecutiveFailures,
    bma: record.bma > 0 ? record.bma * cfg.failureMultiplier : record.bma,
  };
  if (consecutiveFailures >= cfg.excludeAfterConsecutive && record.excludedUntil <= round) {
    return { record: { ...penalised, excludedUntil: excludeUntil }, action: 'excluded' };
  }
  return { record: penalised, action: 'penalised' };
}

/** True while the peer is serving an exclusion at `round`. */
export function isExcluded(record: PeerRecord | undefined, round: number): boolean {
  return record !== undefined && round < record.excludedUntil;
}

/**
 * Normalised power weights: w_i = max(s_i, 0)^power / Σ_j max(s_j, 0)^power, ascending uid. All
 * zero when no score is positive (templar returns zeros below ε = 1e-8 as well).
 */
export function powerWeights(
  scores: readonly { readonly uid: number; readonly score: number }[],
  power: number,
): { uid: number; weight: number }[] {
  if (!(power > 0) || !Number.isFinite(power)) throw new ConfigError('weightPower', power, 'must be a finite number > 0');
  const sorted = [...scores].sort((a, b) => a.uid - b.uid);
  const powered = sorted.map((s) => (s.score > 0 && Number.isFinite(s.score) ? s.score ** power : 0));
  let total = 0;
  for (const p of powered) total += p;
  return sorted.map((s, i) => ({ uid: s.uid, weight: total > 1e-8 ? powered[i]! / total : 0 }));
}

/**
 * The top `g` candidates by score, descending, ties by lower uid; returned ascending by uid (the
 * aggregation order). Non-finite scores rank last.
 */
export function selectTopG(candidates: readonly { readonly uid: number; readonly score: number }[], g: number): number[] {
  if (!Number.isSafeInteger(g) || g < 0) throw new ConfigError('gatherPeerCount', g, 'must be an integer ≥ 0');
  const key = (s: number): number => (Number.isFinite(s) ? s : -Infinity);
  return [...candidates]
    .sort((a, b) => key(b.score) - key(a.score) || a.uid - b.uid)
    .slice(0, g)
    .map((c) => c.uid)
    .sort((a, b) => a - b);
}
