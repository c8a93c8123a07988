/**
 * The opening of a round, shared by both cadences: the replica pool settles on the global step,
 * joins are admitted (and registered on the chain mirror), present peers found, shards dealt, and
 * every stale or new peer's catch-up planned and charged (its bytes are counted; it trains once
 * caught up, or, if that is too late, on the replica it has by then — catch-up.ts
 * `trainingStart`). Each participant trains from its own replica (sim/replicas.ts); a peer in its
 * first `replicas.warmupWindows` windows after a (re)start runs a null round (SPEC.md §1).
 */
import { assignShards, isNullRound, sessionStartAfter } from '../core/protocol/index.ts';
import { catchUpCostOf, catchUpDownloads, planCatchUp, trainingStart } from './catch-up.ts';
import type { TrainingStart } from './catch-up.ts';
import { timeCatchUps } from './flows-round.ts';
import type { RoundWindow } from './churn.ts';
import type { SimContext } from './context.ts';
import type { RoundFigures } from './metrics.ts';
import type { SimPeer } from './population.ts';
import { syncOfReplica } from './replicas.ts';
import { gridWindow } from './windows.ts';
import { applyRestart, restartSemanticsOf } from './peer-state.ts';

/** A present peer as the round opened for it. */
export interface Participant {
  readonly peer: SimPeer;
  readonly shards: readonly number[];
  /** When it arrived, after the window start, sim seconds (0 unless it joined mid-window, or the round opened late on the windows' grid). */
  readonly arrivalOffsetS: number;
  /** Bytes it downloaded to catch up before training. */
  readonly catchUpBytes: number;
  /** When, after the window start, it starts training, sim seconds (after its catch-up unless that was too late). */
  readonly readyOffsetS: number;
  /** The θ it trains from: its replica (the live global params when it is current). Read only. */
  readonly params: Float32Array;
  /** Global step of that θ (what it commits as freshness). */
  readonly baseStep: number;
  /** A null round (SPEC.md §1): forward/backward only, no optimiser step, error feedback zeroed. */
  readonly nullRound: boolean;
}

/** The replica columns of a row (only with a `replicas` config section). */
export type ReplicaRowColumns = Required<Pick<RoundFigures, 'meanSyncScore' | 'staleTrainers' | 'nullRounds'>>;

/** A round after its opening. */
export interface OpenedRound {
  readonly round: number;
  readonly window: RoundWindow;
  /** Peers that joined this round. */
  readonly joined: number;
  /** Present peers, ascending uid. */
  readonly participants: readonly Participant[];
  /** Sum of the participants' catch-up bytes. */
  readonly catchUpBytes: number;
  /** The row's replica columns; undefined without a `replicas` config section. */
  readonly replicaColumns?: ReplicaRowColumns;
}

/**
 * Opens round `round` at the current sim time. MUTATES the replica pool, the population (joins)
 * and every participant's `syncedStep` (the step of the replica it trains from) and session start.
 */
export function openSimRound(ctx: SimContext, round: number): OpenedRound {
  const { cfg, env, population, progress, replicas } = ctx;
  replicas.settle(progress.globalStep, population.peers);
  // windows (sim/windows.ts): the round keeps its block-grid window even when it opens late.
  const window: RoundWindow = cfg.windows === undefined ? { round, startS: env.now, endS: env.now + cfg.windowS } : { round, ...gridWindow(cfg.windows, round) };
  const lateStartS = env.now - window.startS; // 0 without windows
  const joined = population.admitJoins(window);
  if (ctx.chain !== null) {
    ctx.chain.openRound(round);
    // Joiners register in their join round, before any of its commits.
    if (joined > 0) ctx.chain.register(population.peers.slice(-joined).map((p) => p.uid));
  }
  const active = population.activeIn(window);
  const uids = active.map((a) => a.peer.uid);
  const shards = uids.length === 0
    ? new Map<number, readonly number[]>()
    : assignShards({ seed: cfg.seed, round, activePeers: uids, numShards: ctx.backend.numShards, shardsPerPeer: cfg.shardsPerPeer });
  const warmupWindows = cfg.replicas?.warmupWindows ?? 0;
  const restart = restartSemanticsOf(cfg.churn);
  let catchUpBytes = 0;
  // Nobody starts before the round opens (windows: a round opening late keeps its grid window).
  const arrivals = active.map(({ arrivalOffsetS }) => Math.max(arrivalOffsetS, lateStartS));
  // A checkpoint is the dense fp32 params (the charged model's in a charged run). Every catch-up is timed together (flows).
  const plans = active.map(({ peer }) => planCatchUp(peer.syncedStep, progress, cfg.catchUp));
  const sizes = plans.map((plan) => catchUpDownloads(plan, ctx.charge.checkpointBytes, ctx.aggregates));
  const objectSeconds = timeCatchUps(ctx, active.map(({ peer }, i) => ({ link: peer.link, startS: arrivals[i]!, sizes: sizes[i]! })));
  const participants = active.map(({ peer }, i): Participant => {
    const arrivalOffsetS = arrivals[i]!;
    const cost = catchUpCostOf(peer.syncedStep, plans[i]!, sizes[i]!, objectSeconds[i]!);
    // The inner-step cadence (DDP, DeMo) steps in lockstep on the global params: it always waits for its catch-up.
    const start: TrainingStart = ctx.comm.cadence === 'round'
      ? trainingStart(peer.syncedStep, cost, arrivalOffsetS, window.endS - window.startS - cfg.innerSteps * peer.stepTimeS)
      : { offsetS: arrivalOffsetS + cost.seconds, step: progress.globalStep, caughtUp: true };
    peer.syncedStep = start.step;
    peer.sessionStartRound = sessionStartAfter(peer.sessionStartRound, peer.lastRanRound, round);
    applyRestart(peer, round, restart, ctx.backend, ctx.comm);
    catchUpBytes += cost.bytes;
    return {
      peer,
      shards: shards.get(peer.uid)!,
      arrivalOffsetS,
      catchUpBytes: cost.bytes,
      readyOffsetS: start.offsetS,
      params: replicas.paramsAt(start.step),
      baseStep: start.step,
      nullRound: isNullRound(round, peer.sessionStartRound, warmupWindows),
    };
  });
  const opened = { round, window, joined, participants, catchUpBytes };
  return cfg.replicas === undefined ? opened : { ...opened, replicaColumns: replicaColumns(ctx, participants) };
}

/** Mean sync score of the θ each participant trains from against the global θ, stale trainers and null rounds. */
function replicaColumns(ctx: SimContext, participants: readonly Participant[]): ReplicaRowColumns {
  const { replicas } = ctx;
  let scoreSum = 0;
  let staleTrainers = 0;
  let nullRounds = 0;
  for (const p of participants) {
    scoreSum += syncOfReplica(replicas, p.params, ctx.params).score;
    if (p.baseStep < ctx.progress.globalStep) staleTrainers++;
    if (p.nullRound) nullRounds++;
  }
  return { meanSyncScore: participants.length === 0 ? null : scoreSum / participants.length, staleTrainers, nullRounds };
}
