/**
 * One round of a cadence-'round' method (DiLoCo, SparseLoCo) on the event kernel, window
 * [t, t + windowS):
 *   1. each participant (already caught up, see context.ts), as a kernel process: trains H inner
 *      steps from θ^(r) and encodes its Δ with the communicator (the *work*, done at once at t —
 *      the params cannot change before the window closes), then waits its arrival + catch-up
 *      offset and H × its step time (the *time*); a crashing peer stops here; the rest upload the
 *      real message bytes (`attemptTransfer`) and submit to the RoundState on arrival;
 *   2. the window closes at t + windowS, after every upload arriving at exactly that instant
 *      (the close event has a lower priority than NORMAL): participants that did not crash and
 *      have no on-time submission are counted late;
 *   3. the on-time messages are applied (ascending peerUid) and the round finalised ('skipped' when
 *      nothing valid: no outer step, no sync);
 *   4. every participant that did not crash downloads the sync: contributors their `wireBytes`
 *      share, the others every applied message; the slowest download is the sync time, and the
 *      next window opens at max(window end, sync done). A crashed peer does not sync: it is stale
 *      when it returns and pays a catch-up.
 * A late peer's upload still crosses its uplink (its bytes count in the round's bytesUp) and
 * overlaps the next round: network and compute are modelled as independent. A crash (CrashModel)
 * always falls after training and before upload; its crash point only sets how long the peer
 * stays present (energy). A lost upload (net.loss, all retries failed) counts as late. For ring
 * methods (DiLoCo) bytesUp is still the encoded message size, the download side uses the method's
 * `wireBytes`.
 */
import type { ApplyReport, PeerMessage } from '../core/baselines/index.ts';
import { openRound } from '../core/protocol/index.ts';
import type { RoundState } from '../core/protocol/index.ts';
import type { Commitment } from '../core/gauntlet/integrity.ts';
import { fnv1a } from '../core/hash.ts';
import type { PeerUpload } from './adversaries.ts';
import { slashedBetween } from './chain.ts';
import type { OpenedRound, Participant, SimContext } from './context.ts';
import { formatReasons } from './defence.ts';
import { NORMAL } from './kernel/index.ts';
import type { ProcessGenerator } from './kernel/index.ts';
import { RoundEnergy } from './metrics.ts';
import type { RoundFigures, RoundResult } from './metrics.ts';
import { attemptTransfer, transferSeconds } from './network.ts';

/** Priority of the window-close event: after every NORMAL event at the same instant. */
const CLOSE_PRIORITY = NORMAL + 1;

/** Runs one round of a cadence-'round' method; resolves when its sync is done. */
export function* runRoundCadence(ctx: SimContext, opened: OpenedRound): ProcessGenerator<RoundResult> {
  const { cfg, env, comm, store, progress } = ctx;
  const { round, window, participants } = opened;
  const H = cfg.innerSteps;
  const state = openRound({ round, windowStart: window.startS, windowEnd: window.endS, activePeers: participants.map((p) => p.peer.uid) });
  /** Bytes each participant actually uploaded (copycats choose theirs at upload time). */
  const sent = new Map<number, Uint8Array>();
  /** On-time messages in the store, by uid, and when each arrived. */
  const arrived = new Map<number, Uint8Array>();
  const arrivedAt = new Map<number, number>();
  const commitments = new Map<number, Commitment>();
  const crashFraction = new Map<number, number>();
  let trainLossSum = 0;
  let trained = 0;
  let bytesUp = 0;

  /** One participant's time: ready offset + compute, crash check, upload, submit on arrival. */
  function* peerRound(p: Participant, planned: PeerUpload, crashes: boolean): ProcessGenerator<void> {
    yield env.timeout(p.readyOffsetS + H * p.peer.stepTimeS);
    if (crashes) return;
    const bytes = planned.copycat ? ctx.adversaries!.chooseCopy(arrived) : planned.bytes;
    if (bytes === null) return; // nothing to upload: counted late at close
    if (planned.copycat) bytesUp += bytes.length;
    sent.set(p.peer.uid, bytes);
    const loss = cfg.net.loss;
    // The per-transfer stream is only needed for loss draws; forking it costs a hash of the path.
    const upload = loss === undefined
      ? { seconds: transferSeconds(bytes.length, p.peer.link, store, 'upload'), delivered: true }
      : attemptTransfer(bytes.length, p.peer.link, store, 'upload', loss, ctx.netRng.fork(`xfer:${p.peer.uid}:${round}:up`));
    yield env.timeout(upload.seconds);
    // After the close the round no longer listens: the message is late (counted at close).
    if (upload.delivered && state.phase === 'open') {
      const hash = planned.committedHash ?? fnv1a(bytes);
      commitments.set(p.peer.uid, { hash, baseStep: planned.baseStep });
      if (state.submit(p.peer.uid, { bytes: bytes.length, hash, arrivedAt: env.now }) === 'accepted') {
        arrived.set(p.peer.uid, bytes);
        arrivedAt.set(p.peer.uid, env.now);
        ctx.chain?.commit(round, p.peer.uid, hash);
      }
      if (cfg.closeWhenComplete && state.complete && !complete.triggered) complete.succeed(undefined, CLOSE_PRIORITY);
    } else if (upload.delivered && ctx.chain) {
      // A late upload still commits: the chain's window for `round` has closed, so it reverts.
      ctx.chain.commit(round, p.peer.uid, planned.committedHash ?? fnv1a(bytes));
    }
  }
  /** Fires when every active peer's message is in (only used with closeWhenComplete). */
  const complete = env.event();

  const uploads = ctx.adversaries ? ctx.adversaries.prepareUploads(ctx, participants, round) : trainHonestly(ctx, participants, round);
  for (const p of participants) {
    const planned = uploads.get(p.peer.uid)!;
    if (planned.trainLoss !== null) {
      trainLossSum += planned.trainLoss;
      trained++;
    }
    const fraction = ctx.churn.crashes === null ? null : ctx.churn.crashes.crashPoint(p.peer.uid, round);
    if (fraction !== null) crashFraction.set(p.peer.uid, fraction);
    else if (planned.bytes !== null && !planned.copycat) bytesUp += planned.bytes.length;
    env.process(peerRound(p, planned, fraction !== null));
  }

  const windowEnd = env.event().succeed(undefined, CLOSE_PRIORITY, cfg.windowS);
  yield cfg.closeWhenComplete ? env.anyOf([windowEnd, complete]) : windowEnd;
  ctx.chain?.closeRound(round);
  const globalStepBefore = progress.globalStep;
  const { selected } = state.close(env.now);
  const gauntletBefore = ctx.chain && ctx.defence?.config.kind === 'gauntlet' ? ctx.defence.gauntletState : null;
  ctx.adversaries?.endRound(arrived); // next round's copycats fall back to this round's messages
  const batch: PeerMessage[] = selected.map((s) => ({ peerUid: s.peerUid, bytes: arrived.get(s.peerUid)! }));
  const defended = ctx.defence
    ? ctx.defence.applyRound(ctx.params, ctx.shared, {
      round,
      globalStep: globalStepBefore,
      windowEnd: window.endS,
      messages: batch,
      arrivedAt,
      commitments,
      assignments: new Map(participants.map((p) => [p.peer.uid, p.shards])),
    })
    : null;
  const applyReport = defended === null ? comm.apply(ctx.params, ctx.shared, batch) : null;
  const report = defended?.report ?? applyReport!;
  const contributorSet = new Set(report.contributors);
  const applied = batch.filter((m) => contributorSet.has(m.peerUid));
  const wire = applied.length === 0 ? [] : comm.wireBytes(applied.map((m) => m.bytes.length));
  const shareOf = new Map(applied.map((m, i) => [m.peerUid, wire[i]!.downloadBytes]));
  const allAppliedBytes = applied.reduce((a, m) => a + m.bytes.length, 0);
  // Contributors download their wireBytes share; every other participant still here fetches all applied messages.
  const syncing = report.applied ? participants.filter((p) => !crashFraction.has(p.peer.uid)) : [];
  const downloads = syncing.map((p) => shareOf.get(p.peer.uid) ?? allAppliedBytes);
  const status = state.finalise(env.now, report, { wire: downloads.map((d) => ({ uploadBytes: 0, downloadBytes: d })) });
  progress.record(state.outcome());
  if (status === 'finalised') ctx.aggregates.record(round, allAppliedBytes);
  if (ctx.chain) {
    const slashed = gauntletBefore === null ? [] : slashedBetween(gauntletBefore, ctx.defence!.gauntletState);
    const paramsHash = fnv1a(new Uint8Array(ctx.params.buffer, ctx.params.byteOffset, ctx.params.byteLength));
    ctx.chain.finalise(round, status === 'finalised' ? report.contributors : [], defended?.weights ?? null, paramsHash, slashed);
  }
  let syncTimeS = 0;
  downloads.forEach((d, i) => {
    syncTimeS = Math.max(syncTimeS, transferSeconds(d, syncing[i]!.peer.link, store, 'download'));
  });
  if (syncTimeS > 0) yield env.timeout(syncTimeS);
  const downloadOf = new Map(syncing.map((p, i) => [p.peer.uid, downloads[i]!]));
  for (const p of syncing) p.peer.syncedStep = progress.globalStep;

  const energy = new RoundEnergy(cfg.energy.networkKWhPerGB! * ctx.byteScale);
  const roundS = env.now - window.startS;
  for (const p of participants) {
    const computeS = H * p.peer.stepTimeS;
    const fraction = crashFraction.get(p.peer.uid);
    // A crashed peer stays until its crash point, and at least until it finished training.
    const leaveOffsetS = fraction === undefined ? roundS : Math.max(p.readyOffsetS + computeS, fraction * cfg.windowS);
    const sentBytes = fraction === undefined ? (sent.get(p.peer.uid)?.length ?? 0) : 0;
    energy.add(p.peer, { computeS, presentS: leaveOffsetS - p.arrivalOffsetS, bytes: sentBytes + (downloadOf.get(p.peer.uid) ?? 0) + p.catchUpBytes });
  }

  const counters = state.counters;
  const crashed = crashFraction.size;
  return {
    figures: {
      round,
      simTimeS: env.now,
      windowStartS: window.startS,
      activePeers: participants.length,
      joined: opened.joined,
      onTime: counters.onTime,
      late: participants.length - crashed - counters.onTime,
      crashed,
      contributors: counters.contributors,
      heldoutLoss: ctx.backend.evaluate(ctx.params, 'heldout'),
      meanTrainLoss: trained === 0 ? null : trainLossSum / trained,
      bytesUpTotal: bytesUp,
      bytesDownTotal: counters.bytesDown + opened.catchUpBytes,
      catchUpBytes: opened.catchUpBytes,
      syncTimeS,
      globalStep: progress.globalStep,
      status,
      ...defenceFigures(ctx, report.contributors, defended?.rejected ?? rejectedByApply(applyReport!), defended?.weights ?? null),
    },
    energy,
  };
}

/** Clean-run training: every participant trains H steps on its shards and encodes honestly. */
function trainHonestly(ctx: SimContext, participants: readonly Participant[], round: number): Map<number, PeerUpload> {
  const uploads = new Map<number, PeerUpload>();
  const deltaOut = new Float32Array(ctx.backend.layout.size); // one buffer for all: encode reads Δ at once
  for (const p of participants) {
    const result = p.peer.trainer.runInnerLoop({ params: ctx.params, round, shards: p.shards, innerSteps: ctx.cfg.innerSteps, deltaOut });
    const bytes = ctx.comm.encode(p.peer.commState, result.delta);
    uploads.set(p.peer.uid, { bytes, copycat: false, committedHash: null, baseStep: p.peer.syncedStep ?? 0, trainLoss: result.meanLoss });
  }
  return uploads;
}

function rejectedByApply(report: ApplyReport): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of report.rejected) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
  return counts;
}

/** The adversarial-robustness columns of a round's row. */
function defenceFigures(
  ctx: SimContext,
  contributors: readonly number[],
  rejected: ReadonlyMap<string, number>,
  weights: ReadonlyMap<number, number> | null,
): Pick<RoundFigures, 'rejected' | 'rejectedReasons' | 'attackersSelected' | 'rewardShareAttackers' | 'nanOccurred'> {
  const adv = ctx.adversaries ?? null;
  let total = 0;
  for (const c of rejected.values()) total += c;
  let rewardShareAttackers: number | null = null;
  if (weights !== null) {
    let all = 0;
    let attackers = 0;
    for (const [uid, w] of weights) {
      all += w;
      if (adv?.isAttacker(uid)) attackers += w;
    }
    rewardShareAttackers = all > 0 ? attackers / all : null;
  }
  let nanOccurred = false;
  for (let i = 0; i < ctx.params.length; i++) {
    if (!Number.isFinite(ctx.params[i]!)) {
      nanOccurred = true;
      break;
    }
  }
  return {
    rejected: total,
    rejectedReasons: formatReasons(rejected),
    attackersSelected: adv === null ? 0 : contributors.filter((uid) => adv.isAttacker(uid)).length,
    rewardShareAttackers,
    nanOccurred,
  };
}
