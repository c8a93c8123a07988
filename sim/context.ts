/**
 * The world one simulation run shares between its rounds (config, kernel, store, churn, model,
 * communicator, global params and progress, peers), and the opening of a round that both cadences
 * share: joins are admitted, present peers found, shards dealt, and every stale or new peer's
 * catch-up planned and charged (the download delays its training; its bytes are counted).
 */
import type { Communicator } from '../core/baselines/index.ts';
import { assignShards } from '../core/protocol/index.ts';
import type { GlobalProgress } from '../core/protocol/index.ts';
import type { Rng } from '../core/rng.ts';
import type { TrainingBackend } from '../backends/backend.ts';
import { catchUpCost } from './catch-up.ts';
import type { Adversaries } from './adversaries.ts';
import type { SimChain } from './chain.ts';
import type { AggregateLog } from './catch-up.ts';
import type { Churn, RoundWindow } from './churn.ts';
import type { SimConfig } from './config.ts';
import type { Defence } from './defence.ts';
import type { Environment } from './kernel/index.ts';
import type { StoreLink } from './network.ts';
import type { Population, SimPeer } from './population.ts';

/** Everything a round loop reads or advances. */
export interface SimContext {
  readonly cfg: SimConfig;
  readonly env: Environment;
  readonly store: StoreLink;
  readonly churn: Churn;
  readonly backend: TrainingBackend;
  readonly comm: Communicator;
  /** The global params, MUTATED by each applied sync. */
  readonly params: Float32Array;
  readonly shared: unknown;
  readonly progress: GlobalProgress;
  readonly population: Population;
  readonly aggregates: AggregateLog;
  /** Stream of transfer-loss draws (forked per transfer). */
  readonly netRng: Rng;
  /** Size of a checkpoint: the dense fp32 params, bytes. */
  readonly paramsBytes: number;
  /** Bytes charged per real byte sent (projectToParams / params; 1 without projection). */
  readonly byteScale: number;
  /** The run's Byzantine peers; null in a clean run. Optional so hand-built contexts stay valid. */
  readonly adversaries?: Adversaries | null;
  /** The defence applied to each round's messages; absent = the communicator's own apply. */
  readonly defence?: Defence;
  /** The run's mirror onto the model chain (sim/chain.ts); absent or null when the chain is off. */
  readonly chain?: SimChain | null;
}

/** A present peer as the round opened for it. */
export interface Participant {
  readonly peer: SimPeer;
  readonly shards: readonly number[];
  /** When it arrived, after the window start, sim seconds (0 unless it joined mid-window). */
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
  const window: RoundWindow = { round, startS: env.now, endS: env.now + cfg.windowS };
  const joined = population.admitJoins(window);
  if (ctx.chain) {
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
  const participants = active.map(({ peer, arrivalOffsetS }): Participant => {
    const cost = catchUpCost(peer.syncedStep, peer.link, progress, cfg.catchUp, ctx.aggregates, ctx.paramsBytes, ctx.store);
    peer.syncedStep = progress.globalStep;
    catchUpBytes += cost.bytes;
    return { peer, shards: shards.get(peer.uid)!, arrivalOffsetS, catchUpBytes: cost.bytes, readyOffsetS: arrivalOffsetS + cost.seconds };
  });
  return { round, window, joined, participants, catchUpBytes };
}
