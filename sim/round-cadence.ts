/**
 * One round of a cadence-'round' method (DiLoCo, SparseLoCo) on the event kernel, window
 * [t, t + windowS), step by step (each a function of its own):
 *   1. `trainAndUpload` (round-uploads.ts): each participant (already caught up, round-open.ts)
 *      trains H inner steps and encodes its Δ at once, then — as a kernel process — waits its
 *      ready offset and compute time, crashes or uploads, and its on-time arrival is submitted
 *      and committed (`commitUpload`); the window closes at t + windowS (with `windows`, at
 *      templar's time_max: sim/windows.ts);
 *   2. `aggregateAndDefend` (round-aggregate.ts): the on-time messages go through the defence,
 *      the round is finalised (or skipped), the chain mirror posts the result, the sync is planned;
 *   3. `sync` (here): every participant that did not crash downloads its share (with gather-G,
 *      round-gather.ts: only the gathered messages, each timed, within the download timeout); the slowest
 *      download is the sync time, and the next window opens at max(window end, sync done). A
 *      crashed peer does not sync: it keeps its replica, is stale when it returns and pays a
 *      catch-up (sim/replicas.ts keeps the global version it holds);
 *   4. `closeRound` (round-close.ts, shared with inner-step.ts): energy and the row figures.
 * Counts: participants that did not crash and have no on-time submission are late. DiLoCo with
 * the store (transport absent): bytesUp is the encoded message size, the download side the
 * method's `wireBytes`; with `transport: 'ring'` (ring-round.ts) nothing goes to the store and
 * bytesUp is what the ring's members sent peer to peer.
 */
import { openRound } from '../core/protocol/index.ts';
import type { PeerRoundUsage } from './energy.ts';
import type { SimContext } from './context.ts';
import type { ProcessGenerator } from './kernel/index.ts';
import type { RoundResult } from './metrics.ts';
import { flowColumns } from './flows-columns.ts';
import { timeSyncDownloads } from './flows-round.ts';
import { aggregateAndDefend, defenceRowFigures } from './round-aggregate.ts';
import type { AggregateOutcome } from './round-aggregate.ts';
import { closeRound } from './round-close.ts';
import type { GatherRowColumns, RoundTally } from './round-close.ts';
import { RoundGather } from './round-gather.ts';
import type { OpenedRound } from './round-open.ts';
import { trainAndUpload } from './round-uploads.ts';
import { acceptUntilS } from './windows.ts';
import type { RoundInbox } from './round-uploads.ts';

/** Runs one round of a cadence-'round' method; resolves when its sync is done. */
export function* runRoundCadence(ctx: SimContext, opened: OpenedRound): ProcessGenerator<RoundResult> {
  const { round, window, participants } = opened;
  // gather-G: the list in force is fixed at the window start; its hook picks the messages at close.
  const gather = ctx.gather === null ? null : new RoundGather(ctx, opened, ctx.gather);
  const state = openRound({ round, windowStart: window.startS, windowEnd: acceptUntilS(ctx.cfg.windows, window), activePeers: participants.map((p) => p.peer.uid), ...(gather === null ? {} : { select: gather.select }) });
  const inbox = yield* trainAndUpload(ctx, opened, state);
  gather?.receive(inbox);
  ctx.replicas.beforeStep(); // the outer step overwrites the global params in place: keep θ^(r) for stale replicas
  const outcome = aggregateAndDefend(ctx, opened, state, inbox, gather);
  const syncTimeS = yield* sync(ctx, opened, inbox, outcome);
  const counters = state.counters;
  const crashed = inbox.crashFraction.size;
  const tally: RoundTally = {
    onTime: counters.onTime,
    late: participants.length - crashed - counters.onTime,
    ...(inbox.lateRejected === undefined ? {} : { lateRejected: inbox.lateRejected }),
    crashed,
    contributors: counters.contributors,
    meanTrainLoss: inbox.meanTrainLoss,
    bytesUp: inbox.bytesUp + ringSentTotal(outcome),
    bytesDown: counters.bytesDown,
    syncTimeS,
    status: outcome.status,
  };
  return closeRound(ctx, opened, tally, usageOf(ctx, opened, inbox, outcome), defenceRowFigures(ctx, outcome), gatherColumns(ctx, gather, counters.onTime), flowColumns(ctx, outcome, gather));
}

/** The row's gather columns: none without a gather section; the all-gather lists every on-time message. */
function gatherColumns(ctx: SimContext, gather: RoundGather | null, onTime: number): GatherRowColumns | undefined {
  if (gather !== null) return gather.rowFigures();
  if (ctx.cfg.gather === undefined) return undefined;
  return { gatherListed: onTime, gathered: onTime, gatherFellBack: 0, gatherMissing: 0, gatherTimedOut: 0, gatherInvalid: 0 };
}

/**
 * The sync downloads, in parallel; resolves with the slowest one's time (sim seconds) once all are
 * done. Then every participant that did not crash is at the global step: it applied the round's
 * aggregate to its replica (or the round was skipped) and finished any catch-up still running
 * (charged at the opening), and it ran through the round (its session goes on). A crashed peer
 * keeps the replica it trained from.
 */
function* sync(ctx: SimContext, opened: OpenedRound, inbox: RoundInbox, outcome: AggregateOutcome): ProcessGenerator<number> {
  const { syncing, downloads, downloadTimesS } = outcome;
  let syncTimeS = 0;
  // gather-G times each message (round-gather.ts); the all-gather is one download of the bytes per peer, all at once.
  const allGather = downloadTimesS === null ? timeSyncDownloads(ctx, syncing.map((p) => p.peer.link), downloads).seconds : null;
  downloads.forEach((_, i) => {
    syncTimeS = Math.max(syncTimeS, allGather === null ? downloadTimesS![i]! : allGather[i]!);
  });
  if (syncTimeS > 0) yield ctx.env.timeout(syncTimeS);
  for (const p of opened.participants) {
    if (inbox.crashFraction.has(p.peer.uid)) continue;
    p.peer.syncedStep = ctx.progress.globalStep;
    p.peer.lastRanRound = opened.round;
  }
  ctx.replicas.settle(ctx.progress.globalStep, ctx.population.peers); // the pool is current between rounds (syncScoreOf)
  return syncTimeS;
}

/** transport 'ring': the bytes the ring's members sent peer to peer (the round's upload); 0 with the store. */
function ringSentTotal(outcome: AggregateOutcome): number {
  let total = 0;
  for (const b of outcome.ringSent?.values() ?? []) total += b;
  return total;
}

/** Each participant's compute, presence and traffic this round (participants order), for energy. */
function usageOf(ctx: SimContext, opened: OpenedRound, inbox: RoundInbox, outcome: AggregateOutcome): PeerRoundUsage[] {
  const downloadOf = new Map(outcome.syncing.map((p, i) => [p.peer.uid, outcome.downloads[i]!]));
  const roundS = ctx.env.now - opened.window.startS;
  return opened.participants.map((p) => {
    const computeS = ctx.cfg.innerSteps * p.peer.stepTimeS;
    const fraction = inbox.crashFraction.get(p.peer.uid);
    const sent = inbox.sent.get(p.peer.uid);
    // A crashed peer stays until its crash point, and at least until it finished training.
    const leaveOffsetS = fraction === undefined ? roundS : Math.max(p.readyOffsetS + computeS, fraction * ctx.cfg.windowS);
    const sentBytes = fraction !== undefined ? 0 : outcome.ringSent !== null ? (outcome.ringSent.get(p.peer.uid) ?? 0) : (sent === undefined ? 0 : ctx.charge.message(sent));
    return { computeS, presentS: leaveOffsetS - p.arrivalOffsetS, bytes: sentBytes + (downloadOf.get(p.peer.uid) ?? 0) + p.catchUpBytes };
  });
}
