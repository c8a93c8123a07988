/**
 * Null rounds (SPEC.md §1; templar `null_round` in `prepare_gradient_dict`): during a peer's first
 * `warmupWindows` windows after it (re)starts, it runs forward/backward but takes no optimiser
 * step, and its error-feedback buffer is zeroed. A peer's session (re)starts in a round when it did
 * not run the previous one (absent, or crashed in it); the simulator and the cluster's peer both
 * track it with these two functions.
 *
 * @example
 * let start = sessionStartAfter(0, null, 0); // 0: its first round
 * isNullRound(0, start, 2);                  // true
 * start = sessionStartAfter(start, 0, 1);    // 0: it ran round 0
 * isNullRound(1, start, 2);                  // true (second warm-up window)
 * start = sessionStartAfter(start, 0, 2);    // 2: it did not run round 1, so it restarts
 * isNullRound(2, start, 2);                  // true again
 */

/** The round a peer's current session started in, as of `round`, given the last round it ran (null: none). */
export function sessionStartAfter(previousStart: number, lastRanRound: number | null, round: number): number {
  return lastRanRound === round - 1 ? previousStart : round;
}

/** Whether `round` is a null round for a peer whose session started in `sessionStart`. */
export function isNullRound(round: number, sessionStart: number, warmupWindows: number): boolean {
  return round - sessionStart < warmupWindows;
}
