/**
 * DiLoCo's sync as a ring all-reduce (config `transport: 'ring'`, sim/ring.ts), planned at the
 * window close of a cadence-'round' round. The rule (a synchronous collective, DiLoCo's
 * all-reduce of the outer gradients):
 *   - no store: a peer's Δ stays on the peer; it is "on time" when its training is done by the
 *     close (round-uploads.ts submits it then, with no upload);
 *   - the ring is formed at the close from the peers whose Δ entered the outer step (the
 *     contributors), ascending uid; a peer that crashed, or is still training at the close, is
 *     not in it (the collective does not wait past the window) and does not sync: it is stale and
 *     catches up when it next opens a round (catch-up.ts). Crash points fall before the upload
 *     (sim/churn.ts), so no member leaves mid-collective;
 *   - every member sends and receives its `wireBytes` share (2(R − 1)/R × the dense payload) and
 *     the whole ring takes `ringAllReduceTiming`'s time; that is every member's sync time.
 */
import type { WireBytes } from '../core/baselines/index.ts';
import type { SimContext } from './context.ts';
import { ringAllReduceSeconds } from './ring.ts';
import type { Participant } from './round-open.ts';

/** Who syncs over the ring, and what each member moves. */
export interface RingSyncPlan {
  /** The ring's members (the contributors), ascending uid. */
  readonly members: readonly Participant[];
  /** Bytes each member receives, members order (its share). */
  readonly downloads: readonly number[];
  /** Each member's sync time (the ring's), members order, sim seconds. */
  readonly secondsEach: readonly number[];
  /** Bytes each member sent over the ring, by uid (its share). */
  readonly sent: ReadonlyMap<number, number>;
}

/**
 * The ring among the `contributors` (uids, ascending) of `participants`; `wire` their `wireBytes`
 * shares (all equal for an all-reduce). No contributors: nobody syncs.
 */
export function ringSyncPlan(ctx: SimContext, participants: readonly Participant[], contributors: readonly number[], wire: readonly WireBytes[]): RingSyncPlan {
  const inRing = new Set(contributors);
  const members = participants.filter((p) => inRing.has(p.peer.uid));
  if (members.length === 0) return { members, downloads: [], secondsEach: [], sent: new Map() };
  const share = wire[0]!;
  const seconds = ringAllReduceSeconds(ctx.cfg.net, members.map((p) => p.peer.link), share.uploadBytes);
  return {
    members,
    downloads: members.map(() => share.downloadBytes),
    secondsEach: members.map(() => seconds),
    sent: new Map(members.map((p) => [p.peer.uid, share.uploadBytes])),
  };
}
