/**
 * Gauntlet validator hyper-parameters (SPEC.md §5), with defaults taken from templar v2.1.28
 * (`one-covenant/templar` tag v2.1.28, `hparams/hparams.json` and `neurons/validator.py`), validated
 * once into a frozen object. Values marked "ours" are not in templar and are this project's choice.
 * The lagged validator's keys (from `uidsPerWindow` on) were read from the templar snapshot mirrored
 * here, v2.1.3 (`tplr-ai/templar` c2397ac, `hparams/hparams.json`, `neurons/validator.py`,
 * `src/tplr/neurons.py`), older than v2.1.28; the hparams named agree with SPEC.md §5.
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

  // --- The lagged validator's window (core/gauntlet/window.ts; templar v2.1.3, see the header). ---
  /** Peers evaluated per window, drawn from one rating bin (`uids_per_window` = 15). */
  readonly uidsPerWindow: number;
  /** Rating bins of the active set; one is drawn per window (`num_evaluation_bins` = 5). */
  readonly evaluationBins: number;
  /** A pair of gathered messages whose size-weighted top-k index overlap reaches this is flagged (`idx_overlap_threshold` = 0.4). */
  readonly idxOverlapThreshold: number;
  /** Overlap at or above this is 'max' (reset), below it 'high' (`determine_slash_egregiousness`: 0.5). */
  readonly idxOverlapMaxLevel: number;
  /** Overlap at or above this is 'mega' (reset + exclusion) (`determine_slash_egregiousness`: 0.6). */
  readonly idxOverlapMegaLevel: number;
  /** A 'high' overlap multiplies final score and bma by this (`instantiate_slashing_multiplier` "high": 0.5). */
  readonly idxOverlapHighMultiplier: number;
  /** No overlap slashing before this many global steps (validator.py: "Skip overlap slashing for the first 20 global steps"). */
  readonly overlapWarmupSteps: number;
  /** A gather success rate below this zeroes the skipped peers' scores instead of ×failureMultiplier (`gather_peers_slash_threshold` = 0.4). */
  readonly gatherPeersSlashThreshold: number;
  /** Scores at or below this after a missing-gradient slash are set to 0 (`score_zero_threshold` = 1e-4). */
  readonly scoreZeroThreshold: number;
  /** An inactive peer is reset after more than this many windows (`reset_inactivity_windows` = 3). */
  readonly resetInactivityWindows: number;
  /** Each window of inactivity multiplies a positive final score by this (`penalize_inactive_peers`: flat 0.75). */
  readonly inactivityMultiplier: number;
  /** A gathered peer more than this many steps behind has its score and bma slashed (`sync_max_steps_behind` = 3). */
  readonly syncMaxStepsBehind: number;
  /** That slash's multiplier (`sync_score_slash_rate` = 0.75). */
  readonly syncSlashMultiplier: number;
  /** The posted peer list takes effect this many windows after the window it is posted in (`peer_list_window_margin` = 1). */
  readonly peerListWindowMargin: number;
  /** Weights are set on chain every this many windows (`windows_per_weights` = 2). */
  readonly windowsPerWeights: number;
  /**
   * The lagged validator's busy time in windows, integer ≥ 1, or null: the simulator times it (its
   * downloads and forward passes on its own link and device). With B set, window w's judgement
   * lands at the close of window w + B and the windows closing in between are skipped — the same
   * on every backend, so the real cluster reproduces the lag exactly (core/gauntlet/lagged.ts).
   */
  readonly validatorBusyWindows: number | null;
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
  uidsPerWindow: 15,
  evaluationBins: 5,
  idxOverlapThreshold: 0.4,
  idxOverlapMaxLevel: 0.5,
  idxOverlapMegaLevel: 0.6,
  idxOverlapHighMultiplier: 0.5,
  overlapWarmupSteps: 20,
  gatherPeersSlashThreshold: 0.4,
  scoreZeroThreshold: 1e-4,
  resetInactivityWindows: 3,
  inactivityMultiplier: 0.75,
  syncMaxStepsBehind: 3,
  syncSlashMultiplier: 0.75,
  peerListWindowMargin: 1,
  windowsPerWeights: 2,
  validatorBusyWindows: null,
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
  count('uidsPerWindow', c.uidsPerWindow, 1);
  count('evaluationBins', c.evaluationBins, 1);
  fraction('idxOverlapThreshold', c.idxOverlapThreshold);
  fraction('idxOverlapMaxLevel', c.idxOverlapMaxLevel);
  fraction('idxOverlapMegaLevel', c.idxOverlapMegaLevel);
  if (c.idxOverlapMegaLevel < c.idxOverlapMaxLevel) throw new ConfigError('gauntlet.idxOverlapMegaLevel', c.idxOverlapMegaLevel, `must be ≥ idxOverlapMaxLevel (${c.idxOverlapMaxLevel})`);
  fraction('idxOverlapHighMultiplier', c.idxOverlapHighMultiplier);
  count('overlapWarmupSteps', c.overlapWarmupSteps, 0);
  fraction('gatherPeersSlashThreshold', c.gatherPeersSlashThreshold);
  if (!(c.scoreZeroThreshold >= 0) || !Number.isFinite(c.scoreZeroThreshold)) throw new ConfigError('gauntlet.scoreZeroThreshold', c.scoreZeroThreshold, 'must be a finite number ≥ 0');
  count('resetInactivityWindows', c.resetInactivityWindows, 0);
  fraction('inactivityMultiplier', c.inactivityMultiplier);
  if (!(c.syncMaxStepsBehind >= 0) || !Number.isFinite(c.syncMaxStepsBehind)) throw new ConfigError('gauntlet.syncMaxStepsBehind', c.syncMaxStepsBehind, 'must be a finite number ≥ 0 (outer steps)');
  fraction('syncSlashMultiplier', c.syncSlashMultiplier);
  count('peerListWindowMargin', c.peerListWindowMargin, 0);
  count('windowsPerWeights', c.windowsPerWeights, 1);
  if (c.validatorBusyWindows !== null) count('validatorBusyWindows', c.validatorBusyWindows, 1);
  return Object.freeze(c);
}

function positive(key: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new ConfigError(`gauntlet.${key}`, value, 'must be a finite number > 0');
}

function fraction(key: string, value: number): void {
  if (!(value >= 0 && value <= 1)) throw new ConfigError(`gauntlet.${key}`, value, 'must be in [0, 1]');
}

function count(key: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new ConfigError(`gauntlet.${key}`, value, `must be an integer ≥ ${min}`);
}
