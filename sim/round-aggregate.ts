/**
 * The close of a cadence-'round' window: the on-time messages go through the run's defence
 * (`aggregateAndDefend`: ascending peerUid; 'none' is the communicator's own apply) and the round is
 * finalised ('skipped' when nothing valid: no outer step, no sync) — on the round state, in the
 * global progress and the aggregate log, and on the chain mirror (selection, Gauntlet's weights,
 * the params hash, Gauntlet's slashes). It also plans the sync: every participant that did not
 * crash downloads — contributors their `wireBytes` share, the others every applied message; with
 * gather-G (round-gather.ts) every syncing peer downloads the gathered messages instead.
 * `defenceRowFigures` turns the outcome into the row's robustness columns. With defence
 * 'gauntlet' the closed window is then handed to the lagged validator (sim/validator.ts), and the
 * weights posted are the ones it last set — not a judgement of this round's messages.
 */
import type { PeerMessage } from '../core/baselines/index.ts';
import type { RoundState } from '../core/protocol/index.ts';
import { slashedBetween } from '../core/gauntlet/lagged.ts';
import type { SimContext } from './context.ts';
import { formatReasons } from '../core/defence/reasons.ts';
import { finaliseOnChain } from './round-close.ts';
import type { DefenceRowFigures } from './round-close.ts';
import type { OpenedRound, Participant } from './round-open.ts';
import type { RoundGather } from './round-gather.ts';
import { ringSyncPlan } from './ring-round.ts';
import { acceptUntilS } from './windows.ts';
import type { RoundInbox } from './round-uploads.ts';
import { syncOfReplica } from './replicas.ts';

/** What the round's aggregation did, and the sync it calls for. */
export interface AggregateOutcome {
  readonly status: 'finalised' | 'skipped';
  /** Uids whose messages entered the outer step, ascending. */
  readonly contributors: readonly number[];
  /** Rejections by reason (sim/defence.ts). */
  readonly rejected: ReadonlyMap<string, number>;
  /** Gauntlet's weights (rewards) by uid; null for the other defences. */
  readonly weights: ReadonlyMap<number, number> | null;
  /** Participants that download the sync (none when nothing was applied). */
  readonly syncing: readonly Participant[];
  /** Bytes each of `syncing` downloads, same order. */
  readonly downloads: readonly number[];
  /** gather-G: each of `syncing`'s download time, same order, sim seconds; null for the all-gather (one transfer of `downloads`). */
  readonly downloadTimesS: readonly number[] | null;
  /** transport 'ring': bytes each ring member sent peer to peer, by uid; null with the store. */
  readonly ringSent: ReadonlyMap<number, number> | null;
  /** Per-peer aggregation weights by uid (sim/weighting.ts); null for the unweighted mean. */
  readonly aggregationWeights: ReadonlyMap<number, number> | null;
  /** Participants training on low-quality data this round (sim/data-quality.ts), peers. */
  readonly lowQualityPeers: number;
}

/**
 * Closes the round state at the current sim time, applies its selected messages through the
 * defence and finalises the round. MUTATES the global params and shared state, the round state,
 * the progress, the aggregate log, the defence's and adversaries' state and the chain mirror.
 */
export function aggregateAndDefend(ctx: SimContext, opened: OpenedRound, state: RoundState, inbox: RoundInbox, gather: RoundGather | null = null): AggregateOutcome {
  const { comm, env, progress } = ctx;
  const { round, window, participants } = opened;
  const globalStepBefore = progress.globalStep;
  ctx.validator?.finishDue(round); // busy-window mode: the judgement landing at this close comes before its weights are read
  const { selected } = state.close(env.now);
  const gauntletBefore = ctx.chain !== null && ctx.defence.config.kind === 'gauntlet-oracle' ? ctx.defence.gauntletState : null;
  // The lagged validator judges θ as the window's peers started from it: keep a copy before the step.
  const paramsBefore = ctx.validator === null ? null : ctx.params.slice();
  ctx.adversaries?.endRound(inbox.arrived); // next round's copycats fall back to this round's messages
  const batch: PeerMessage[] = selected.map((s) => ({ peerUid: s.peerUid, bytes: inbox.arrived.get(s.peerUid)! }));
  // Issue 17: weights judged at the θ the round started from, before the step (sim/weighting.ts).
  const aggregationWeights = ctx.weighting?.weigh(ctx.params, batch, ctx.validator?.lastPost?.weights ?? null, round, ctx.cfg.innerSteps) ?? null;
  const defended = ctx.defence.applyRound(ctx.params, ctx.shared, {
    ...(aggregationWeights === null ? {} : { weights: aggregationWeights }),
    round,
    globalStep: globalStepBefore,
    windowEnd: acceptUntilS(ctx.cfg.windows, window),
    messages: batch,
    arrivedAt: inbox.arrivedAt,
    commitments: inbox.commitments,
    assignments: new Map(participants.map((p) => [p.peer.uid, p.shards])),
  });
  const { report } = defended;
  const contributorSet = new Set(report.contributors);
  const applied = batch.filter((m) => contributorSet.has(m.peerUid));
  const wire = applied.length === 0 ? [] : ctx.charge.wireBytes(applied.map((m) => ctx.charge.message(m.bytes)));
  const shareOf = new Map(applied.map((m, i) => [m.peerUid, wire[i]!.downloadBytes]));
  const allAppliedBytes = applied.reduce((a, m) => a + ctx.charge.message(m.bytes), 0);
  // transport 'ring' (DiLoCo, ring-round.ts): only the contributors sync, over a peer-to-peer ring.
  const ring = ctx.cfg.transport === 'ring' ? ringSyncPlan(ctx, participants, report.applied ? report.contributors : [], wire) : null;
  const syncing = ring?.members ?? (report.applied ? participants.filter((p) => !inbox.crashFraction.has(p.peer.uid)) : []);
  // gather-G: a peer downloads the gathered messages (before the defence judged them); else its share of the applied ones.
  const downloads = ring?.downloads ?? syncing.map((p) => (gather === null ? (shareOf.get(p.peer.uid) ?? allAppliedBytes) : gather.bytesOf(p.peer.uid)));
  const downloadTimesS = ring?.secondsEach ?? (gather === null ? null : syncing.map((p) => gather.secondsOf(p.peer.uid)));
  const status = state.finalise(env.now, report, { wire: downloads.map((d) => ({ uploadBytes: 0, downloadBytes: d })) });
  progress.record(state.outcome());
  if (status === 'finalised') ctx.aggregates.record(round, allAppliedBytes);
  // Lagged Gauntlet: what the chain posts this round is what the validator last set (its lag).
  const weights = ctx.validator === null ? defended.weights : ctx.validator.chainWeights;
  const slashed = ctx.validator !== null ? ctx.validator.takeSlashes() : gauntletBefore === null ? [] : slashedBetween(gauntletBefore, ctx.defence.gauntletState);
  finaliseOnChain(ctx, round, status === 'finalised' ? report.contributors : [], weights, slashed);
  ctx.gather?.recordRound(status, report.contributors, weights);
  if (ctx.validator !== null) startValidator(ctx, opened, inbox, gather, selected.map((s) => s.peerUid), globalStepBefore, paramsBefore!);
  const lowQualityPeers = ctx.dataQuality === null ? 0 : participants.filter((p) => ctx.dataQuality!.isLowQuality(p.peer.uid)).length;
  return { status, contributors: report.contributors, rejected: defended.rejected, weights, syncing, downloads, downloadTimesS, ringSent: ring?.sent ?? null, aggregationWeights, lowQualityPeers };
}

/** Hands the closed window to the lagged validator (sim/validator.ts), which runs beside the next rounds. */
function startValidator(ctx: SimContext, opened: OpenedRound, inbox: RoundInbox, gather: RoundGather | null, selected: readonly number[], globalStep: number, params: Float32Array): void {
  const gathered = [...selected].sort((a, b) => a - b);
  const listed = gather === null ? gathered.length : gather.list.primaries.length;
  const skipped = gather === null ? [] : gather.result.failed.map((f) => f.uid).sort((a, b) => a - b);
  ctx.validator!.startWindow({
    window: opened.round,
    globalStep,
    params,
    windowEnd: acceptUntilS(ctx.cfg.windows, opened.window), // the deadline messages were judged against
    assignments: new Map(opened.participants.map((p) => [p.peer.uid, p.shards])),
    gathered,
    skipped,
    successRate: listed === 0 ? 1 : Math.min(1, gathered.length / listed),
    arrived: inbox.arrived,
    arrivedAt: inbox.arrivedAt,
    commitments: inbox.commitments,
    // The sync check of the θ each participant trained from against the global θ of the window. A
    // current peer's `params` is the live global buffer, which the outer step has just moved on:
    // it trained from the copy taken before the step.
    sync: new Map(opened.participants.map((p) => {
      const m = syncOfReplica(ctx.replicas, p.baseStep === globalStep ? params : p.params, params);
      return [p.peer.uid, { avgStepsBehind: m.avgStepsBehind, syncScore: m.score }];
    })),
    registered: ctx.population.peers.map((p) => p.uid),
  });
}

/** The adversarial-robustness columns of the round's row (read after the outer step). */
export function defenceRowFigures(ctx: SimContext, outcome: AggregateOutcome): DefenceRowFigures {
  const adv = ctx.adversaries;
  let total = 0;
  for (const c of outcome.rejected.values()) total += c;
  const validator = ctx.validator === null ? {} : ctx.validator.takeRowColumns();
  let rewardShareAttackers: number | null = null;
  if (outcome.weights !== null) {
    let all = 0;
    let attackers = 0;
    for (const [uid, w] of outcome.weights) {
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
    ...dataQualityColumns(ctx, outcome),
    rejected: total,
    rejectedReasons: formatReasons(outcome.rejected),
    attackersSelected: adv === null ? 0 : outcome.contributors.filter((uid) => adv.isAttacker(uid)).length,
    rewardShareAttackers,
    nanOccurred,
    ...validator,
  };
}

/**
 * Issue 17's row columns, on rows of runs with a `dataQuality` or `weighting` section (absent
 * otherwise): the round's low-quality participants and the share of the aggregate's weight that
 * went to low-quality contributors (each contributor 1 without weighting); null when nothing was applied.
 */
function dataQualityColumns(ctx: SimContext, outcome: AggregateOutcome): Pick<DefenceRowFigures, 'lowQualityPeers' | 'weightMassLowQuality'> {
  if (ctx.cfg.dataQuality === undefined && ctx.cfg.weighting === undefined) return {};
  let all = 0;
  let low = 0;
  for (const uid of outcome.status === 'finalised' ? outcome.contributors : []) {
    const w = outcome.aggregationWeights?.get(uid) ?? 1;
    all += w;
    if (ctx.dataQuality?.isLowQuality(uid) === true) low += w;
  }
  return { lowQualityPeers: outcome.lowQualityPeers, weightMassLowQuality: all > 0 ? low / all : null };
}
