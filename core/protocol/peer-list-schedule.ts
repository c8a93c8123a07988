/**
 * The validator's peer list across rounds (templar's `gather_with_reserve` list, SPEC.md §3–4),
 * one copy for the simulator (sim/round-gather.ts, on the run's context) and the cluster's
 * validator process (cluster/validator.ts, which writes each round's list to the store). It is
 * published at the first round and again whenever `refreshEvery` windows have passed since the
 * last one, from every registered peer in registration order and the weights of the last
 * finalised round: Gauntlet's weights when the run's defence is Gauntlet, else weight 1 for each
 * contributor of that round (what the chain posts). With the lagged validator (defence
 * 'gauntlet', core/gauntlet/lagged.ts) a republication takes its latest post in force instead.
 * Before any round is finalised there are no weights and the list is registration order
 * (peer-list.ts says why).
 *
 * Its whole state is plain data (`snapshot` / the constructor), so a restarted validator resumes it.
 */
import { publishPeerList } from './peer-list.ts';
import type { PeerList } from './peer-list.ts';

/** The gather section's numbers the list needs. */
export interface PeerListScheduleConfig {
  /** Primaries (G, integer ≥ 1). */
  readonly peers: number;
  /** Reserves after the primaries (K, integer ≥ 0). */
  readonly reserves: number;
  /** Republish every this many windows (integer ≥ 1). */
  readonly refreshEvery: number;
}

/** A lagged validator's post, in force from window `effectiveFrom` on. */
export interface PostedList {
  readonly list: PeerList;
  readonly effectiveFrom: number;
}

/** Everything the schedule remembers (JSON-friendly but for the weights map). */
export interface PeerListScheduleState {
  readonly list: PeerList | null;
  readonly publishedRound: number;
  readonly weights: ReadonlyMap<number, number> | null;
  /** Posts not yet in force, posting order. */
  readonly posts: readonly PostedList[];
  readonly inForce: PeerList | null;
}

/** The peer list of one run. MUTATED by `listFor`, `recordRound` and `acceptPost`. */
export class PeerListSchedule {
  #list: PeerList | null;
  #publishedRound: number;
  #weights: ReadonlyMap<number, number> | null;
  #posts: PostedList[];
  #inForce: PeerList | null;

  constructor(readonly config: PeerListScheduleConfig, state?: PeerListScheduleState) {
    this.#list = state?.list ?? null;
    this.#publishedRound = state?.publishedRound ?? 0;
    this.#weights = state?.weights ?? null;
    this.#posts = [...(state?.posts ?? [])];
    this.#inForce = state?.inForce ?? null;
  }

  /**
   * The list in force at `round`, republished first when `refreshEvery` windows have passed: the
   * lagged validator's latest post in force by then (`effectiveFrom` ≤ round) when there is one,
   * else from the last finalised round's weights.
   */
  listFor(round: number, registered: readonly number[]): PeerList {
    while (this.#posts.length > 0 && this.#posts[0]!.effectiveFrom <= round) this.#inForce = this.#posts.shift()!.list;
    if (this.#list === null || round - this.#publishedRound >= this.config.refreshEvery) {
      this.#list = this.#inForce ?? publishPeerList({ weights: this.#weights, registered, gatherCount: this.config.peers, reserveCount: this.config.reserves });
      this.#publishedRound = round;
    }
    return this.#list;
  }

  /** The lagged validator posted a list, in force from window `effectiveFrom` on. */
  acceptPost(post: PostedList): void {
    this.#posts.push({ list: post.list, effectiveFrom: post.effectiveFrom });
  }

  /** Keeps a finalised round's weights (Gauntlet's, else 1 per contributor) for the next list. */
  recordRound(status: 'finalised' | 'skipped', contributors: readonly number[], weights: ReadonlyMap<number, number> | null): void {
    if (status !== 'finalised') return;
    this.#weights = weights ?? new Map(contributors.map((uid) => [uid, 1]));
  }

  /** The state, to persist and resume from. */
  snapshot(): PeerListScheduleState {
    return { list: this.#list, publishedRound: this.#publishedRound, weights: this.#weights, posts: [...this.#posts], inForce: this.#inForce };
  }
}
