/**
 * The run's global progress and the catch-up plan of a stale or (re)joining peer (SPEC.md §3, §4).
 * The global step counts outer steps: it advances only when a round is 'finalised', never on a
 * 'skipped' round. Finalised round i (0-based in the list) produced global step i + 1, so the
 * checkpoint at step s is the state after the first s finalised rounds, and catching up from it
 * means replaying `finalisedRounds.slice(s)`. Pure data: nothing here downloads anything.
 *
 * @example
 * const progress = new GlobalProgress();
 * progress.record(round.outcome());                 // after each round ends
 * catchUpPlan(null, progress, { maxReplay: 8, checkpointEvery: 50 }); // a new peer: checkpoint + replay
 */
import { ConfigError } from '../errors.ts';
import { ProtocolError } from './round.ts';
import type { RoundOutcome } from './round.ts';

/** Global step counter plus the rounds that produced each step. MUTATED by {@link record}. */
export class GlobalProgress {
  readonly #finalised: number[] = [];
  #lastRound: number | null = null;

  /** Outer steps taken so far (= number of finalised rounds). */
  get globalStep(): number {
    return this.#finalised.length;
  }

  /** Finalised rounds in order (a live read-only view); entry i produced global step i + 1. */
  get finalisedRounds(): readonly number[] {
    return this.#finalised;
  }

  /** The last round recorded, finalised or skipped (null before any). */
  get lastRound(): number | null {
    return this.#lastRound;
  }

  /**
   * Records an ended round: a 'finalised' one advances the global step, a 'skipped' one only
   * moves `lastRound`. Returns the global step afterwards.
   * @throws {ProtocolError} 'round-not-done' for an open/closed round, 'round-out-of-order' when
   *   `round` is not after the last recorded round.
   */
  record(outcome: Pick<RoundOutcome, 'round' | 'phase'>): number {
    if (outcome.phase !== 'finalised' && outcome.phase !== 'skipped') {
      throw new ProtocolError('round-not-done', outcome.phase, `round ${outcome.round} must be finalised or skipped before it is recorded`);
    }
    if (this.#lastRound !== null && !(outcome.round > this.#lastRound)) {
      throw new ProtocolError('round-out-of-order', outcome.phase, `round ${outcome.round} recorded after round ${this.#lastRound}`);
    }
    this.#lastRound = outcome.round;
    if (outcome.phase === 'finalised') this.#finalised.push(outcome.round);
    return this.globalStep;
  }
}

/** Thresholds of {@link catchUpPlan}. */
export interface CatchUpOptions {
  /** Most aggregates a peer replays before a checkpoint is preferred (≥ 0). */
  readonly maxReplay: number;
  /** A checkpoint is stored every this many global steps, step 0 included (≥ 1). */
  readonly checkpointEvery: number;
}

/** What a peer must do to reach the current global state. */
export type CatchUpPlan =
  | { readonly kind: 'up-to-date' }
  /** Download and apply these rounds' aggregates, in order. */
  | { readonly kind: 'replay'; readonly rounds: readonly number[] }
  /** Download the checkpoint at `checkpointStep`, then replay `rounds` in order. */
  | { readonly kind: 'checkpoint'; readonly checkpointStep: number; readonly rounds: readonly number[] };

/**
 * The catch-up plan of a peer whose state includes every finalised round ≤ `peerLastRound`
 * (null: the peer has no state, e.g. a new joiner). A peer with state replays the aggregates it
 * missed when there are at most `maxReplay` of them; otherwise it takes the latest checkpoint —
 * but only when that leaves strictly fewer aggregates to replay (a sparse checkpoint schedule can
 * make the direct replay the cheaper path).
 */
export function catchUpPlan(peerLastRound: number | null, progress: GlobalProgress, options: CatchUpOptions): CatchUpPlan {
  const { maxReplay, checkpointEvery } = options;
  if (!Number.isSafeInteger(maxReplay) || maxReplay < 0) throw new ConfigError('maxReplay', maxReplay, 'must be an integer ≥ 0');
  if (!Number.isSafeInteger(checkpointEvery) || checkpointEvery < 1) throw new ConfigError('checkpointEvery', checkpointEvery, 'must be an integer ≥ 1');
  if (peerLastRound !== null && (!Number.isSafeInteger(peerLastRound) || peerLastRound < 0)) {
    throw new ConfigError('peerLastRound', peerLastRound, 'must be null or a non-negative safe integer');
  }
  const finalised = progress.finalisedRounds;
  const step = finalised.length;
  const checkpointStep = step - (step % checkpointEvery);
  const fromCheckpoint = Object.freeze(finalised.slice(checkpointStep));
  if (peerLastRound === null) return Object.freeze({ kind: 'checkpoint', checkpointStep, rounds: fromCheckpoint });
  const missed = Object.freeze(finalised.slice(firstAfter(finalised, peerLastRound)));
  if (missed.length === 0) return Object.freeze({ kind: 'up-to-date' });
  if (missed.length > maxReplay && fromCheckpoint.length < missed.length) {
    return Object.freeze({ kind: 'checkpoint', checkpointStep, rounds: fromCheckpoint });
  }
  return Object.freeze({ kind: 'replay', rounds: missed });
}

/** Index of the first entry > `round` in the ascending list (binary search). */
function firstAfter(sorted: readonly number[], round: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= round) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
