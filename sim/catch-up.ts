/**
 * What a stale or joining peer downloads before it can train: the plan comes from the shared
 * protocol (`catchUpPlan`), the sizes from the run's history. A checkpoint is the dense fp32
 * parameter vector; replaying a round means downloading that round's aggregate, sized as the
 * messages it applied (what a non-contributor fetches to rebuild the step). Each object is one
 * download from the store (its own latency); the peer trains only after the last one.
 *
 * @example
 * const log = new AggregateLog();
 * log.record(0, 12_000);                       // after round 0 finalised
 * const cost = catchUpCost(peer.syncedStep, peer.link, progress, cfg.catchUp, log, paramsBytes, store);
 * cost.bytes; cost.seconds; // what it downloads before training, and how long that takes
 */
import { catchUpPlan } from '../core/protocol/index.ts';
import type { CatchUpOptions, CatchUpPlan, GlobalProgress } from '../core/protocol/index.ts';
import { assertInvariant } from '../core/errors.ts';
import { transferSeconds } from './network.ts';
import type { PeerLink, StoreLink } from './network.ts';

/** Bytes of each finalised round's aggregate, kept for replays. */
export class AggregateLog {
  readonly #bytes = new Map<number, number>();

  /** Records the aggregate size of finalised `round`, bytes. */
  record(round: number, bytes: number): void {
    this.#bytes.set(round, bytes);
  }

  /** Aggregate size of finalised `round`, bytes. */
  bytesOf(round: number): number {
    const bytes = this.#bytes.get(round);
    assertInvariant(bytes !== undefined, `no aggregate recorded for round ${round}`);
    return bytes;
  }
}

/** A peer's catch-up: the plan, the sizes of the objects it downloads, and the time they take. */
export interface CatchUpCost {
  readonly plan: CatchUpPlan;
  /** bytes */
  readonly bytes: number;
  /** Sum of the downloads' transfer times, sim seconds. */
  readonly seconds: number;
}

/**
 * The catch-up plan of a peer whose params are at global step `syncedStep` (null: no params).
 * `catchUpPlan` speaks in rounds, and a peer at step 0 holds θ⁰, which no round number expresses;
 * it missed every finalised round, so the rule is applied to that list directly: replay when at
 * most `maxReplay`, else the checkpoint when that leaves fewer to replay.
 */
export function planCatchUp(syncedStep: number | null, progress: GlobalProgress, options: CatchUpOptions): CatchUpPlan {
  const finalised = progress.finalisedRounds;
  if (syncedStep === null) return catchUpPlan(null, progress, options);
  if (syncedStep === finalised.length) return { kind: 'up-to-date' };
  if (syncedStep > 0) return catchUpPlan(finalised[syncedStep - 1]!, progress, options);
  const fromCheckpoint = catchUpPlan(null, progress, options);
  if (finalised.length > options.maxReplay && fromCheckpoint.kind === 'checkpoint' && fromCheckpoint.rounds.length < finalised.length) {
    return fromCheckpoint;
  }
  return { kind: 'replay', rounds: [...finalised] };
}

/** Sizes of the objects a plan downloads, in download order, bytes. */
export function catchUpDownloads(plan: CatchUpPlan, paramsBytes: number, log: AggregateLog): number[] {
  if (plan.kind === 'up-to-date') return [];
  const replays = plan.rounds.map((round) => log.bytesOf(round));
  return plan.kind === 'checkpoint' ? [paramsBytes, ...replays] : replays;
}

/** What a peer at `syncedStep` behind `link` pays to reach the current global step, downloading from `store`. */
export function catchUpCost(
  syncedStep: number | null,
  link: PeerLink,
  progress: GlobalProgress,
  options: CatchUpOptions,
  log: AggregateLog,
  paramsBytes: number,
  store: StoreLink,
): CatchUpCost {
  const plan = planCatchUp(syncedStep, progress, options);
  let bytes = 0;
  let seconds = 0;
  for (const size of catchUpDownloads(plan, paramsBytes, log)) {
    bytes += size;
    seconds += transferSeconds(size, link, store, 'download');
  }
  return { plan, bytes, seconds };
}
