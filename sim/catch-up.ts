/**
 * What a stale or joining peer downloads before it can train: the plan comes from the shared
 * protocol (`catchUpPlan`), the sizes from the run's history. A checkpoint is the dense fp32
 * parameter vector; replaying a round means downloading that round's aggregate, sized as the
 * messages it applied (what a non-contributor fetches to rebuild the step). Each object is one
 * download from the store (its own latency), in order; each one moves the peer's replica
 * (sim/replicas.ts): the checkpoint to its step, each replayed aggregate one step on.
 *
 * When it trains (`trainingStart`): once caught up, if that is early enough to finish its H inner
 * steps by the window end; otherwise (templar: a miner trains on what it has, and its message is
 * stale, SPEC.md §1/§4) at the latest such moment — or on arrival, when even that has passed — on
 * the replica its finished downloads give, with the rest of its catch-up still running. A joiner
 * holds no θ until its checkpoint is in, so it never starts before that. The downloads still
 * running are done by the round's sync (their bytes and time are charged once, at the opening);
 * a catch-up longer than the window and the sync is not carried into the next round.
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

/** One object of a catch-up, in download order. */
export interface CatchUpObject {
  /** bytes */
  readonly bytes: number;
  /** Its transfer time, sim seconds. */
  readonly seconds: number;
  /** The global step the replica is at once this object is applied. */
  readonly stepAfter: number;
}

/** A peer's catch-up: the plan, the objects it downloads, their total size and the time they take. */
export interface CatchUpCost {
  readonly plan: CatchUpPlan;
  /** bytes */
  readonly bytes: number;
  /** Sum of the downloads' transfer times, sim seconds. */
  readonly seconds: number;
  readonly objects: readonly CatchUpObject[];
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

/**
 * A peer's catch-up from its plan, the objects' sizes (`catchUpDownloads`) and each object's
 * download time in order (`objectSeconds`, e.g. from the round's flows): which step each object
 * moves its replica to, and the totals.
 */
export function catchUpCostOf(syncedStep: number | null, plan: CatchUpPlan, sizes: readonly number[], objectSeconds: readonly number[]): CatchUpCost {
  assertInvariant(sizes.length === objectSeconds.length, 'one download time per catch-up object');
  let bytes = 0;
  let seconds = 0;
  // A replay starts from the peer's own step; a checkpoint's first object lands on its step.
  let step = plan.kind === 'checkpoint' ? plan.checkpointStep - 1 : (syncedStep ?? 0);
  const objects = sizes.map((size, k): CatchUpObject => {
    const s = objectSeconds[k]!;
    bytes += size;
    seconds += s;
    step += 1;
    return { bytes: size, seconds: s, stepAfter: step };
  });
  return { plan, bytes, seconds, objects };
}

/** What a peer at `syncedStep` behind `link` pays to reach the current global step, downloading alone from `store`. */
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
  const sizes = catchUpDownloads(plan, paramsBytes, log);
  return catchUpCostOf(syncedStep, plan, sizes, sizes.map((size) => transferSeconds(size, link, store, 'download')));
}

/** When, and from which replica, a participant trains (see the header). */
export interface TrainingStart {
  /** When, after the window start, it starts its inner steps, sim seconds. */
  readonly offsetS: number;
  /** The global step of the replica it trains from. */
  readonly step: number;
  /** Whether its catch-up was done before it trained. */
  readonly caughtUp: boolean;
}

/**
 * When a peer at `syncedStep` that arrived at `arrivalOffsetS` with catch-up `cost` trains, given
 * that it must start by `latestStartOffsetS` (window length − H × its step time) to finish in time.
 */
export function trainingStart(syncedStep: number | null, cost: CatchUpCost, arrivalOffsetS: number, latestStartOffsetS: number): TrainingStart {
  const doneS = arrivalOffsetS + cost.seconds;
  const last = cost.objects[cost.objects.length - 1];
  if (last === undefined) {
    assertInvariant(syncedStep !== null, 'a peer without params has a catch-up to do');
    return { offsetS: doneS, step: syncedStep, caughtUp: true };
  }
  if (doneS <= latestStartOffsetS) return { offsetS: doneS, step: last.stepAfter, caughtUp: true };
  const firstUsableS = syncedStep === null ? cost.objects[0]!.seconds : 0;
  const offsetS = Math.max(arrivalOffsetS + firstUsableS, latestStartOffsetS);
  let step = syncedStep;
  let atS = arrivalOffsetS;
  for (const o of cost.objects) {
    atS += o.seconds; // summed in the same order as cost.seconds
    if (atS > offsetS) break;
    step = o.stepAfter;
  }
  assertInvariant(step !== null, 'a joiner trains only once its checkpoint is in');
  return { offsetS, step, caughtUp: step === last.stepAfter };
}
