/**
 * One round of a cadence-'inner-step' method (DDP, DeMo) on the event kernel: H synchronous steps.
 * In each step every participant computes one batch's gradient at the global params
 * (`computeGradient`, the batch of inner step s), encodes it with the communicator, and sends and
 * receives its `wireBytes` share (ring all-reduce for DDP, all-gather for DeMo) over its own link;
 * the step completes when the slowest participant is done (its step time + upload + download
 * transfer times), and then every node applies the step. Rows sum bytes over the H steps.
 *
 * Simplifications (v1), stated so results are read right:
 *   - the window is not used: the round lasts as long as its steps (a round in which no peer is
 *     present still lasts windowS, so the clock moves);
 *   - churn acts per round: a peer drawn to crash this round leaves before the first step (counted
 *     in `crashed`, no late/crash semantics per step), and the steps start once the last
 *     participant has arrived and caught up (synchronous training waits for everyone);
 *   - transport (config `transport`, sim/ring.ts): 'store' (absent) charges each peer one upload
 *     plus one download of its share through its link and the store's latency, and a step lasts
 *     max over peers of (its compute + its transfers); 'ring' (DDP only here) runs the share as a
 *     peer-to-peer ring all-reduce among the step's participants (ascending uid), which starts
 *     once the slowest peer's gradient is ready: step = max compute + the ring's 2(R−1) hops.
 *     Transfer loss (net.loss) is not applied either way.
 */
import { fnv1a } from '../core/hash.ts';
import type { PeerMessage } from '../core/baselines/index.ts';
import type { SimContext } from './context.ts';
import type { ProcessGenerator } from './kernel/index.ts';
import type { RoundResult } from './metrics.ts';
import { transferSeconds } from './network.ts';
import type { PeerLink, StoreLink } from './network.ts';
import { ringAllReduceSeconds } from './ring.ts';
import { closeRound, finaliseOnChain } from './round-close.ts';
import type { RoundTally } from './round-close.ts';
import type { OpenedRound } from './round-open.ts';

/** Runs one round of an inner-step method; resolves when its last step is applied. */
export function* runInnerStepCadence(ctx: SimContext, opened: OpenedRound): ProcessGenerator<RoundResult> {
  const { cfg, env, comm, store, progress } = ctx;
  const { round, window } = opened;
  const H = cfg.innerSteps;
  const ring = cfg.transport === 'ring';
  const crashes = ctx.churn.crashes;
  const participants = opened.participants.filter((p) => crashes === null || crashes.crashPoint(p.peer.uid, round) === null);
  const crashed = opened.participants.length - participants.length;
  const bytesOf = new Map<number, number>(opened.participants.map((p) => [p.peer.uid, p.catchUpBytes]));
  let bytesUp = 0;
  let bytesDown = 0;
  let appliedBytes = 0;
  let lossSum = 0;
  let syncTimeS = 0;
  let anyApplied = false;
  let contributors = 0;
  /** The last step's messages and contributors: what the chain mirror commits and posts. */
  let lastMessages: readonly PeerMessage[] = [];
  let lastContributors: readonly number[] = [];

  if (participants.length === 0) {
    yield env.timeout(cfg.windowS);
  } else {
    const startOffsetS = Math.max(...participants.map((p) => p.readyOffsetS));
    if (startOffsetS > 0) yield env.timeout(startOffsetS);
    const grad = new Float32Array(ctx.backend.layout.size);
    for (let step = 0; step < H; step++) {
      const messages: PeerMessage[] = participants.map((p) => {
        const { loss } = p.peer.trainer.computeGradient({ params: ctx.params, round, step, shards: p.shards, gradOut: grad });
        lossSum += loss;
        return { peerUid: p.peer.uid, bytes: comm.encode(p.peer.commState, grad) };
      });
      const wire = ctx.charge.wireBytes(messages.map((m) => ctx.charge.message(m.bytes)));
      let stepS = 0;
      let transferMaxS = 0;
      if (ring) {
        // Synchronous collective: it starts when the last gradient is ready, and gates every member.
        transferMaxS = ringAllReduceSeconds(cfg.net, participants.map((p) => p.peer.link), wire[0]!.uploadBytes);
        stepS = Math.max(...participants.map((p) => p.peer.stepTimeS)) + transferMaxS;
      }
      participants.forEach((p, i) => {
        const { uploadBytes, downloadBytes } = wire[i]!;
        if (!ring) {
          const transferS = sendSeconds(uploadBytes, p.peer.link, store, 'upload') + sendSeconds(downloadBytes, p.peer.link, store, 'download');
          stepS = Math.max(stepS, p.peer.stepTimeS + transferS);
          transferMaxS = Math.max(transferMaxS, transferS);
        }
        bytesUp += uploadBytes;
        bytesDown += downloadBytes;
        bytesOf.set(p.peer.uid, bytesOf.get(p.peer.uid)! + uploadBytes + downloadBytes);
      });
      syncTimeS += transferMaxS;
      yield env.timeout(stepS);
      const report = comm.apply(ctx.params, ctx.shared, messages);
      if (report.applied) {
        anyApplied = true;
        const used = new Set(report.contributors);
        for (const m of messages) if (used.has(m.peerUid)) appliedBytes += ctx.charge.message(m.bytes);
      }
      contributors = report.contributors.length;
      lastMessages = messages;
      lastContributors = report.contributors;
    }
  }

  const status = anyApplied ? 'finalised' : 'skipped';
  progress.record({ round, phase: status });
  if (anyApplied) {
    ctx.aggregates.record(round, appliedBytes);
    for (const p of participants) p.peer.syncedStep = progress.globalStep;
  }
  if (ctx.chain !== null) {
    // Synchronous methods have no window: each participant commits its last step's message, then the round closes.
    for (const m of lastMessages) ctx.chain.commit(round, m.peerUid, fnv1a(m.bytes));
    ctx.chain.closeRound(round);
  }
  finaliseOnChain(ctx, round, anyApplied ? lastContributors : [], null, []);

  const roundS = env.now - window.startS;
  const stepped = new Set(participants.map((p) => p.peer.uid));
  const usage = opened.participants.map((p) => ({
    // A peer that crashed before the steps computed nothing and left at once.
    computeS: stepped.has(p.peer.uid) ? H * p.peer.stepTimeS : 0,
    presentS: stepped.has(p.peer.uid) ? roundS - p.arrivalOffsetS : p.readyOffsetS - p.arrivalOffsetS,
    bytes: bytesOf.get(p.peer.uid)!,
  }));
  const tally: RoundTally = {
    onTime: participants.length,
    late: 0,
    crashed,
    contributors,
    meanTrainLoss: participants.length === 0 ? null : lossSum / (participants.length * H),
    bytesUp,
    bytesDown,
    syncTimeS,
    status,
  };
  return closeRound(ctx, opened, tally, usage);
}

/** Transfer time of one step's share; nothing to send (a lone DDP peer) costs no time. */
function sendSeconds(bytes: number, link: PeerLink, store: StoreLink, direction: 'upload' | 'download'): number {
  return bytes === 0 ? 0 : transferSeconds(bytes, link, store, direction);
}
