/**
 * Gauntlet validator hyper-parameters (SPEC.md §5), with defaults taken from templar v2.1.28
 * (`one-covenant/templar` tag v2.1.28, `hparams/hparams.json` and `neurons/validator.py`), validated
 * once into a frozen object. Values marked "ours" are not in templar and are this project's choice.
 */
import { ConfigError } from '../errors.ts';

export interface GauntletConfig {
  /** η_eval = evalLrFactor · outerLr when applying a peer's update for scoring (`eval_lr_factor`). */
  readonly evalLrFactor: number;
  /** OpenSkill Plackett–Luce β (`openskill_beta`). */
  readonly openskillBeta: number;
  /** OpenSkill τ, the per-rate σ inflation (`openskill_tau`). */
  readonly openskillTau: number;
  /** α of the binary moving average: bma ← (1−α)·bma + α·binary (`binary_score_ma_alpha`). */
  readonly binaryMaAlpha: number;
  /** After the warm-up, a bma below this counts as 0 in the final score (`bma_threshold`). */
  readonly bmaThreshold: number;
  /** Validation rounds before the bma threshold applies (`bma_warmup_windows`). */
  readonly bmaWarmupRounds: number;
  /** Weights = normalised max(score, 0)^power (`power_normalisation`, `min_power_normalization`). */
  readonly weightPower: number;
  /** G: how many top peers enter the aggregate (`gather_peer_count`). */
  readonly gatherPeerCount: number;
  /** Peers whose loss is evaluated per round (templar `uids_per_window` = 20); null = all (ours). */
  readonly evalSampleSize: number | null;
  /** Random shards per comparison; null = as many as the peer was assigned (ours). */
  readonly randomShardCount: number | null;
  /** Loss score a failing peer gets in the round's OpenSkill ranking (`missing_gradient_penalty_score`). */
  readonly failureRankScore: number;
  /** Each failure multiplies the peer's bma by this (`missing_gradient_slash_rate`). */
  readonly failureMultiplier: number;
  /** This many consecutive failures exclude the peer from selection (`consecutive_negative_threshold`). */
  readonly excludeAfterConsecutive: number;
  /** Rounds an exclusion lasts (`naughty_peer_timeout`). */
  readonly excludeRounds: number;
  /** Sliding window (rounds with an outcome) for the slash rule (`missing_gradient_history_limit`). */
  readonly slashWindow: number;
  /** Failures within the window that slash: reset + exclusion + a slash record (templar: ≥ 50 % of 8). */
  readonly slashAfterFailures: number;
  /** A negative loss score (the update made random-data loss worse) counts as a failure (templar tracks it). */
  readonly negativeScoreIsFailure: boolean;
  /**
   * Negative scores are not penalised in a round where the evaluated peer at this rank (1 = best;
   * the worst when fewer are evaluated) also scored negative: the whole round went badly, so it says
   * little about one peer (templar `should_skip_negative_penalty`, rank 5). 0 disables the guard (ours).
   */
  readonly negativeGuardRank: number;
  /** Tolerated staleness of an update's base step, in outer steps (ours; templar sync allows 2). */
  readonly maxStepsBehind: number;
  /** Norm bound = multiple × round's lower-median tensor norm; null = no norm check (ours). */
  readonly normBoundMultiple: number | null;
}

export const GAUNTLET_DEFAULTS: GauntletConfig = Object.freeze({
  evalLrFactor: 0.2,
  openskillBeta: 7,
  openskillTau: 0.1,
  binaryMaAlpha: 0.05,
  bmaThreshold: 0.1,
  bmaWarmupRounds: 10,
  weightPower: 2,
  gatherPeerCount: 20,
  evalSampleSize: null,
  randomShardCount: null,
  failureRankScore: -99,
  failureMultiplier: 0.75,
  excludeAfterConsecutive: 3,
  excludeRounds: 20,
  slashWindow: 8,
  slashAfterFailures: 4,
  negativeScoreIsFailure: true,
  negativeGuardRank: 5,
  maxStepsBehind: 0,
  normBoundMultiple: 10,
});

/** Merges `overrides` into the defaults and validates every field; throws {@link ConfigError}. */
export function resolveGauntletConfig(overrides: Partial<GauntletConfig> = {}): GauntletConfig {
  const known = new Set(Object.keys(GAUNTLET_DEFAULTS));
  for (const key of Object.keys(overrides)) {
    if (!known.has(key)) throw new ConfigError(`gauntlet.${key}`, (overrides as Record<string, unknown>)[key], 'is not a Gauntlet setting');
  }
  const c = { ...GAUNTLET_DEFAULTS, ...overrides };
  positive('evalLrFactor', c.evalLrFactor);
  positive('openskillBeta', c.openskillBeta);
  if (!(c.openskillTau >= 0) || !Number.isFinite(c.openskillTau)) throw new ConfigError('gauntlet.openskillTau', c.openskillTau, 'must be a finite number ≥ 0');
  if (!(c.binaryMaAlpha > 0 && c.binaryMaAlpha <= 1)) throw new ConfigError('gauntlet.binaryMaAlpha', c.binaryMaAlpha, 'must be in (0, 1]');
  if (!(c.bmaThreshold >= 0 && c.bmaThreshold <= 1)) throw new ConfigError('gauntlet.bmaThreshold', c.bmaThreshold, 'must be in [0, 1]');
  count('bmaWarmupRounds', c.bmaWarmupRounds, 0);
  positive('weightPower', c.weightPower);
  count('gatherPeerCount', c.gatherPeerCount, 1);
  if (c.evalSampleSize !== null) count('evalSampleSize', c.evalSampleSize, 1);
  if (c.randomShardCount !== null) count('randomShardCount', c.randomShardCount, 1);
  if (!Number.isFinite(c.failureRankScore)) throw new ConfigError('gauntlet.failureRankScore', c.failureRankScore, 'must be finite');
  if (!(c.failureMultiplier >= 0 && c.failureMultiplier <= 1)) throw new ConfigError('gauntlet.failureMultiplier', c.failureMultiplier, 'must be in [0, 1]');
  count('excludeAfterConsecutive', c.excludeAfterConsecutive, 1);
  count('excludeRounds', c.excludeRounds, 0);
  count('slashWindow', c.slashWindow, 1);
  count('slashAfterFailures', c.slashAfterFailures, 1);
  if (c.slashAfterFailures > c.slashWindow) {
    throw new ConfigError('gauntlet.slashAfterFailures', c.slashAfterFailures, `must be ≤ slashWindow (${c.slashWindow})`);
  }
  if (typeof c.negativeScoreIsFailure !== 'boolean') throw new ConfigError('gauntlet.negativeScoreIsFailure', c.negativeScoreIsFailure, 'must be a boolean');
  count('negativeGuardRank', c.negativeGuardRank, 0);
  count('maxStepsBehind', c.maxStepsBehind, 0);
  if (c.normBoundMultiple !== null) positive('normBoundMultiple', c.normBoundMultiple);
  return Object.freeze(c);
}

function positive(key: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new ConfigError(`gauntlet.${key}`, value, 'must be a finite number > 0');
}

function count(key: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(`gauntlet.${key}`, value, `must be an integer ≥ ${min}`);
}
