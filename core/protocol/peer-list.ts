/**
 * Gather as a step of the round (SPEC.md §3 "Who is aggregated", §4; templar's
 * `neurons/validator.py` `select_initial_peers` / `select_next_peers` and `src/tplr/comms.py`
 * `gather_with_reserve`): the validator publishes a peer list — G primaries and up to K reserves —
 * and every node downloads and aggregates only the listed peers' messages. Pure: weights and
 * availability come in as inputs.
 *
 * Rules, as templar implements them:
 *   - the list is the top G + K candidates by weight, highest first; the first G are primaries,
 *     the rest reserves. Ties: the lower uid first (templar's Python sort is stable over its
 *     active-peer order, which has no fixed order; the lower uid makes ours deterministic);
 *   - the first list, before any weights exist, is taken in registration order. Templar ranks
 *     by on-chain incentive then fills with `random.sample` of active peers; a fresh run has no
 *     incentive, and registration order needs no random stream and is the uid order of the
 *     initial peers, so it is reproducible by anyone who knows the chain;
 *   - gathering: every primary whose message is usable is used; the failed primaries (missing,
 *     late, invalid or timed out), in list order, are replaced *once* by the first reserves in list
 *     order, as many as there are failed primaries; a failed reserve is not replaced again (as
 *     `gather_with_reserve`: `reserve_uids[:len(missing)]`, one retry). With fewer than G usable
 *     messages the round aggregates what it has (templar proceeds with any non-empty gather);
 *     with none the round is skipped by the protocol (SPEC.md §3).
 *
 * @example
 * const list = publishPeerList({ weights: null, registered: [0, 1, 2, 3, 4], gatherCount: 2, reserveCount: 2 });
 * // { primaries: [0, 1], reserves: [2, 3] }
 * gatherFromList(list, new Map([[0, 'ok'], [2, 'ok']]));
 * // used [0, 2]; fills [{ primary: 1, reserve: 2 }]; failed [{ uid: 1, reason: 'missing' }]
 */
import { ConfigError } from '../errors.ts';

/** A published peer list: uids in rank order (primaries first, then reserves), disjoint. */
export interface PeerList {
  readonly primaries: readonly number[];
  readonly reserves: readonly number[];
}

/** Parameters of {@link publishPeerList}. */
export interface PublishPeerListParameters {
  /**
   * Each candidate's weight (score) from the validator, by uid; a candidate without an entry
   * weighs 0. Null: no weights yet (the first list), registration order is used.
   */
  readonly weights: ReadonlyMap<number, number> | null;
  /** Candidate uids (registered and active) in registration order, no duplicates. */
  readonly registered: readonly number[];
  /** G, primaries to list, integer ≥ 1. */
  readonly gatherCount: number;
  /** K, reserves to list after the primaries, integer ≥ 0. */
  readonly reserveCount: number;
}

/**
 * The peer list the validator publishes: the top G + K candidates (by weight, ties the lower uid;
 * without weights by registration order), split into G primaries and the rest reserves. With
 * fewer candidates the list is shorter (primaries first).
 * @throws {ConfigError} on a bad count, a repeated or bad uid, or a non-finite weight.
 */
export function publishPeerList(params: PublishPeerListParameters): PeerList {
  const { weights, registered, gatherCount, reserveCount } = params;
  if (!Number.isSafeInteger(gatherCount) || gatherCount < 1) throw new ConfigError('gatherCount', gatherCount, 'must be an integer ≥ 1');
  if (!Number.isSafeInteger(reserveCount) || reserveCount < 0) throw new ConfigError('reserveCount', reserveCount, 'must be an integer ≥ 0');
  const seen = new Set<number>();
  for (const uid of registered) {
    checkUid(uid);
    if (seen.has(uid)) throw new ConfigError('registered', uid, 'must not list a peer uid twice');
    seen.add(uid);
  }
  let ranked: number[];
  if (weights === null) ranked = [...registered];
  else {
    for (const [uid, w] of weights) if (!Number.isFinite(w)) throw new ConfigError(`weights[${uid}]`, w, 'must be a finite number');
    const weightOf = (uid: number): number => weights.get(uid) ?? 0;
    ranked = [...registered].sort((a, b) => weightOf(b) - weightOf(a) || a - b);
  }
  const picked = ranked.slice(0, gatherCount + reserveCount);
  return Object.freeze({ primaries: Object.freeze(picked.slice(0, gatherCount)), reserves: Object.freeze(picked.slice(gatherCount)) });
}

/** Why a listed peer's message could not be used. 'missing': nothing on time in the store. */
export type GatherFailure = 'missing' | 'late' | 'invalid' | 'timed-out';

/** A listed peer's message as a gathering node finds it: usable ('ok') or why not. */
export type GatherAvailability = 'ok' | GatherFailure;

/** What {@link gatherFromList} decided. */
export interface GatherResult {
  /** Uids whose messages are aggregated, ascending (primaries that were ok, then reserves that filled in). */
  readonly used: readonly number[];
  /** Which reserve was tried in place of which failed primary, in list order (the reserve may itself fail). */
  readonly fills: readonly { readonly primary: number; readonly reserve: number }[];
  /** Reserves that were tried and were usable: the fallbacks that entered the aggregate, list order. */
  readonly fellBack: readonly number[];
  /** Listed peers that were tried and failed, with the reason, in the order tried (primaries, then reserves). */
  readonly failed: readonly { readonly uid: number; readonly reason: GatherFailure }[];
  /** Failed primaries left without a usable reserve. */
  readonly unfilled: number;
}

/**
 * Which messages a node gathers from `list`, given each listed peer's availability (a uid absent
 * from `available` is 'missing'). Primaries first; failed primaries replaced once, in list order,
 * by the first reserves.
 */
export function gatherFromList(list: PeerList, available: ReadonlyMap<number, GatherAvailability>): GatherResult {
  const statusOf = (uid: number): GatherAvailability => available.get(uid) ?? 'missing';
  const used: number[] = [];
  const failed: { uid: number; reason: GatherFailure }[] = [];
  const failedPrimaries: number[] = [];
  for (const uid of list.primaries) {
    const s = statusOf(uid);
    if (s === 'ok') used.push(uid);
    else {
      failed.push({ uid, reason: s });
      failedPrimaries.push(uid);
    }
  }
  const fills: { primary: number; reserve: number }[] = [];
  const fellBack: number[] = [];
  const tried = list.reserves.slice(0, failedPrimaries.length);
  tried.forEach((reserve, i) => {
    fills.push({ primary: failedPrimaries[i]!, reserve });
    const s = statusOf(reserve);
    if (s === 'ok') {
      used.push(reserve);
      fellBack.push(reserve);
    } else failed.push({ uid: reserve, reason: s });
  });
  return Object.freeze({
    used: Object.freeze(used.sort((a, b) => a - b)),
    fills: Object.freeze(fills),
    fellBack: Object.freeze(fellBack),
    failed: Object.freeze(failed),
    unfilled: failedPrimaries.length - fellBack.length,
  });
}

function checkUid(uid: number): void {
  if (!Number.isSafeInteger(uid) || uid < 0) throw new ConfigError('peer uid', uid, 'must be a non-negative safe integer');
}
