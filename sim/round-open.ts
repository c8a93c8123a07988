/**
 * The opening of a round, shared by both cadences: joins are admitted (and registered on the chain
 * mirror), present peers found, shards dealt, and every stale or new peer's catch-up planned and
 * charged (the download delays its training; its bytes are counted).
 */
import { assignShards } from '../core/protocol/index.ts';
import { catchUpDownloads, planCatchUp } from './catch-up.ts';
import { timeCatchUps } from './flows-round.ts';
import type { RoundWindow } from './churn.ts';
import type { SimContext } from './context.ts';
import type { SimPeer } from './population.ts';
import { gridWindow } from './windows.ts';

/** A present peer as the round opened for it. */
export interface Participant {
  readonly peer: SimPeer;
  readonly shards: readonly number[];
  /** When it arrived, after the window start, sim seconds (0 unless it joined mid-window, or the round opened late on the windows' grid). */
  readonly arrivalOffsetS: number;
  /** Bytes it downloaded to catch up before training. */
  readonly catchUpBytes: number;
  /** When, after the window start, it is caught up and can train, sim seconds. */
  readonly readyOffsetS: number;
}

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
}

/**
 * Opens round `round` at the current sim time. MUTATES the population (joins) and every
 * participant's `syncedStep` (after catch-up it holds the current global state).
 */
export function openSimRound(ctx: SimContext, round: number): OpenedRound {
  const { cfg, env, population, progress } = ctx;
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
  let catchUpBytes = 0;
  // Nobody starts before the round opens (windows: a round opening late keeps its grid window).
  const arrivals = active.map(({ arrivalOffsetS }) => Math.max(arrivalOffsetS, lateStartS));
  // A checkpoint is the dense fp32 params: params.byteLength bytes. Every catch-up is timed together (flows).
  const sizes = active.map(({ peer }) => catchUpDownloads(planCatchUp(peer.syncedStep, progress, cfg.catchUp), ctx.params.byteLength, ctx.aggregates));
  const seconds = timeCatchUps(ctx, active.map(({ peer }, i) => ({ link: peer.link, startS: arrivals[i]!, sizes: sizes[i]! })));
  const participants = active.map(({ peer }, i): Participant => {
    const arrivalOffsetS = arrivals[i]!;
    const bytes = sizes[i]!.reduce((a, b) => a + b, 0);
    peer.syncedStep = progress.globalStep;
    catchUpBytes += bytes;
    return { peer, shards: shards.get(peer.uid)!, arrivalOffsetS, catchUpBytes: bytes, readyOffsetS: arrivalOffsetS + seconds[i]! };
  });
  return { round, window, joined, participants, catchUpBytes };
}
