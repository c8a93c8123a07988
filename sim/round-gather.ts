/**
 * Gather as its own step of a SparseLoCo round (config `gather.peers` a number; templar's
 * `gather_with_reserve`, SPEC.md §3–4). Two parts:
 *
 * `PeerListSchedule` (one per run, on the context): the validator's peer list,
 * core/protocol/peer-list-schedule.ts (the cluster's validator keeps the same one).
 *
 * `RoundGather` (one per round): the selection hook of the round state. At close it decides, from
 * the on-time messages, which listed messages every syncing peer downloads and which enter the
 * aggregate:
 *   - a listed peer with no on-time message is 'late' when it uploaded after the window end (or
 *     its upload was lost) and 'missing' otherwise; neither costs a download;
 *   - phase 1 downloads the primaries' on-time messages all at once (templar comms.py `gather`:
 *     one `get_with_retry` per uid under `asyncio.gather`), each syncing peer every message but
 *     its own, as flows (sim/flows-round.ts `timeGatherPhase`): each object pays its latency, then
 *     shares the peer's downlink and its source's egress (the store, or the uploader's bucket with
 *     `net.buckets`) max-min fairly with every concurrent download. With nothing shared beyond
 *     the downlink the last message lands at latency + (bytes of all) / bandwidth, the
 *     all-gather's single transfer. A message that would arrive after `downloadTimeoutS` (from its
 *     request) on ANY syncing peer is given up and left out for everyone: all peers share one θ
 *     in the simulator, so a message only one node lacks cannot be in the aggregate (per-peer
 *     replicas, which would let nodes diverge, are open work);
 *   - phase 2, each peer after its own phase 1, downloads the reserves that replace the failed primaries (the first
 *     reserves, as many as failed primaries, once) the same way, with its own timeout;
 *   - a peer's sync time is the sum of its phases, each the last arrival or, when it gave a
 *     download up, the timeout; its bytes are the messages it received in full.
 * A downloaded message that does not decode strictly or does not match the run's compression
 * config is 'invalid' (templar's gather checks shapes while downloading), and a reserve replaces
 * it like a missing one; what passes these checks is judged later by the defence.
 */
import { gatherFromList } from '../core/protocol/index.ts';
import type { GatherAvailability, GatherResult, PeerList, Submission } from '../core/protocol/index.ts';
import { passesGatherChecks } from '../core/protocol/gather-committed.ts';
import type { PeerListSchedule } from '../core/protocol/peer-list-schedule.ts';
import { assertInvariant } from '../core/errors.ts';
import type { SimContext } from './context.ts';
import { requestSeconds, timeGatherPhase } from './flows-round.ts';
import type { GatherRowColumns } from './round-close.ts';
import type { OpenedRound, Participant } from './round-open.ts';
import type { RoundInbox } from './round-uploads.ts';

/** What one syncing peer downloads in a gather. */
interface PeerDownload {
  readonly bytes: number; // real bytes
  readonly seconds: number; // sim seconds
}

/** One round's gather: the selection hook, then each syncing peer's download. */
export class RoundGather {
  readonly list: PeerList;
  #inbox: RoundInbox | null = null;
  #result: GatherResult | null = null;
  #timedOut = 0;
  #invalid = 0;
  #missing = 0;
  #peakFlows = 0;
  #downloads = new Map<number, PeerDownload>();

  constructor(
    private readonly ctx: SimContext,
    private readonly opened: OpenedRound,
    publisher: PeerListSchedule,
  ) {
    this.list = publisher.listFor(opened.round, ctx.population.peers.map((p) => p.uid));
  }

  /** Hands over the closed window's inbox (who uploaded, who crashed); before the round closes. */
  receive(inbox: RoundInbox): void {
    this.#inbox = inbox;
  }

  /** The selection hook: the uids gathered from the on-time messages (see the file header). */
  readonly select = (onTime: readonly Submission[]): readonly number[] => {
    const inbox = this.#inbox;
    assertInvariant(inbox !== null, 'RoundGather.select before receive(inbox)');
    const bytesOf = new Map(onTime.map((s) => [s.peerUid, s.bytes]));
    const syncing = this.opened.participants.filter((p) => !inbox.crashFraction.has(p.peer.uid));
    const available = new Map<number, GatherAvailability>();
    const statusOf = (uid: number): GatherAvailability => (bytesOf.has(uid) ? 'ok' : inbox.sent.has(uid) ? 'late' : 'missing');
    for (const uid of this.list.primaries) available.set(uid, statusOf(uid));
    const phase1 = this.#phase(this.list.primaries.filter((u) => available.get(u) === 'ok'), bytesOf, syncing);
    for (const uid of phase1.timedOut) available.set(uid, 'timed-out');
    this.#markInvalid(this.list.primaries, available, inbox);
    const failedPrimaries = this.list.primaries.filter((u) => available.get(u) !== 'ok').length;
    const tried = this.list.reserves.slice(0, failedPrimaries);
    for (const uid of tried) available.set(uid, statusOf(uid));
    // Each peer starts its reserves when its own primaries are done.
    const phase2 = tried.length === 0 ? null : this.#phase(tried.filter((u) => available.get(u) === 'ok'), bytesOf, syncing, (uid) => phase1.perPeer.get(uid)!.seconds);
    for (const uid of phase2?.timedOut ?? []) available.set(uid, 'timed-out');
    this.#markInvalid(tried, available, inbox);
    for (const p of syncing) {
      const a = phase1.perPeer.get(p.peer.uid)!;
      const b = phase2?.perPeer.get(p.peer.uid) ?? { bytes: 0, seconds: 0 };
      this.#downloads.set(p.peer.uid, { bytes: a.bytes + b.bytes, seconds: a.seconds + b.seconds });
    }
    this.#result = gatherFromList(this.list, available);
    this.#timedOut = phase1.timedOut.length + (phase2?.timedOut.length ?? 0);
    this.#peakFlows = Math.max(phase1.peakFlows, phase2?.peakFlows ?? 0);
    this.#missing = this.#result.failed.filter((f) => f.reason === 'missing' || f.reason === 'late').length;
    this.#invalid = this.#result.failed.filter((f) => f.reason === 'invalid').length;
    return this.#result.used;
  };

  /**
   * Downloaded messages (still 'ok') that fail the checks a gathering node makes on what it
   * received — templar's gather rejects a gradient whose shapes or indices do not fit the model:
   * strict decoding and the run's compression config (core/sparseloco) — become 'invalid', so a
   * reserve replaces an invalid primary. Their bytes were downloaded (counted).
   */
  #markInvalid(uids: readonly number[], available: Map<number, GatherAvailability>, inbox: RoundInbox): void {
    const cfg = this.ctx.defence.sparseloco;
    assertInvariant(cfg !== null, 'gather-G runs on SparseLoCo messages');
    for (const uid of uids) {
      if (available.get(uid) !== 'ok') continue;
      if (!passesGatherChecks(inbox.arrived.get(uid)!, this.ctx.backend.layout, cfg)) available.set(uid, 'invalid');
    }
  }

  /** Real bytes a syncing peer downloaded (0 for a peer that did not sync). */
  bytesOf(uid: number): number {
    return this.#downloads.get(uid)?.bytes ?? 0;
  }

  /** What the gather decided (after close): used, failed and fills. */
  get result(): GatherResult {
    assertInvariant(this.#result !== null, 'RoundGather.result before the round closed');
    return this.#result;
  }

  /** A syncing peer's gather time, sim seconds. */
  secondsOf(uid: number): number {
    return this.#downloads.get(uid)?.seconds ?? 0;
  }

  /** The most downloads moving at once out of one bucket (or the store) in this gather (after close). */
  get peakFlows(): number {
    return this.#peakFlows;
  }

  /** The row's gather columns (after close). */
  rowFigures(): GatherRowColumns {
    const r = this.#result;
    assertInvariant(r !== null, 'RoundGather.rowFigures before the round closed');
    return { gatherListed: this.list.primaries.length, gathered: r.used.length, gatherFellBack: r.fellBack.length, gatherMissing: this.#missing, gatherTimedOut: this.#timedOut, gatherInvalid: this.#invalid };
  }

  /**
   * One gather phase: each syncing peer downloads `uids`' messages (its own skipped) at once,
   * from `startOf(peer)` sim seconds after the sync starts, as flows (`timeGatherPhase`,
   * sim/flows-round.ts). Returns the uids given up (timed out on any peer) and each peer's
   * received bytes and phase time; the timeout applies to each object from its request.
   */
  #phase(uids: readonly number[], bytesOf: ReadonlyMap<number, number>, syncing: readonly Participant[], startOf: (uid: number) => number = () => 0): { timedOut: number[]; perPeer: Map<number, PeerDownload>; peakFlows: number } {
    const timeoutS = this.ctx.cfg.gather!.downloadTimeoutS;
    const objects = uids.map((uid) => ({ uid, bytes: bytesOf.get(uid)! }));
    const times = timeGatherPhase(this.ctx, objects, syncing.map((p) => ({ uid: p.peer.uid, link: p.peer.link, startS: startOf(p.peer.uid) })));
    const givenUp = new Set<number>();
    const perPeer = new Map<number, PeerDownload>();
    for (const p of syncing) {
      const phase = gatherPhaseOutcome(times.arrivalS.get(p.peer.uid)!, bytesOf, requestSeconds(this.ctx, p.peer.link), timeoutS);
      for (const uid of phase.givenUp) givenUp.add(uid);
      perPeer.set(p.peer.uid, { bytes: phase.bytes, seconds: phase.seconds });
    }
    return { timedOut: uids.filter((u) => givenUp.has(u)), perPeer, peakFlows: times.peakFlowsPerEnd };
  }
}

/**
 * One peer's phase from its arrivals (sim seconds after its phase start, by uploader uid): an
 * object arriving after `timeoutS` is given up; the phase lasts until the last arrival (at least
 * the list request, `requestS`), or the timeout when one was given up. Bytes: the objects received.
 */
export function gatherPhaseOutcome(arrivalS: ReadonlyMap<number, number>, bytesOf: ReadonlyMap<number, number>, requestS: number, timeoutS: number): { bytes: number; seconds: number; givenUp: number[] } {
  let bytes = 0;
  let lastS = requestS;
  const givenUp: number[] = [];
  for (const [uid, atS] of arrivalS) {
    if (atS > timeoutS) {
      givenUp.push(uid);
      continue;
    }
    bytes += bytesOf.get(uid)!;
    lastS = Math.max(lastS, atS);
  }
  return { bytes, seconds: givenUp.length > 0 ? timeoutS : lastS, givenUp };
}
