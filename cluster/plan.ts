/**
 * The run plan: which chain round is logical round 0, and who is present in each round. The
 * orchestrator writes it to the store once every peer has registered; every process reads it.
 * Presence comes from the experiment's own churn model (`createChurn(cfg.churn,
 * createRng(seed).fork('churn'))`, as the simulator draws it), so the data shards each peer gets
 * (`assignShards(seed, round, roster)`) are the simulator's. A crash (churn.crash) is a peer the
 * orchestrator kills after it trained, before it uploads — where the simulator puts a crash.
 *
 * Time-based churn models are asked with nominal windows [r·windowS, (r+1)·windowS): the cluster's
 * windows are block windows, not sim seconds.
 */
import { createRng } from '../core/rng.ts';
import { createChurn } from '../sim/churn.ts';
import type { SimConfig } from '../sim/config.ts';

/** The plan every process reads from the store (JSON). */
export interface ClusterPlan {
  /** Chain round of logical round 0 (the Coordinator's rounds count from its deploy block). */
  readonly startRound: number;
  /** Logical rounds to run. */
  readonly rounds: number;
  /** Present uids per logical round, ascending. */
  readonly rosters: readonly (readonly number[])[];
  /** Uids killed mid-round (after training, before upload) per logical round, ascending. */
  readonly crashes: readonly (readonly number[])[];
  /** A checkpoint (the params) is written every this many global steps. */
  readonly checkpointEvery: number;
  /** Blocks per round window (the Coordinator's roundLength). */
  readonly roundLength: number;
  /** The Coordinator's first block (round 0 of the chain starts here). */
  readonly genesisBlock: number;
}

/** Presence and crashes of uids 0 … peers − 1 for every round, from the config's churn model. */
export function churnSchedule(cfg: SimConfig): { rosters: number[][]; crashes: number[][] } {
  const churn = createChurn(cfg.churn, createRng(cfg.seed).fork('churn'));
  const rosters: number[][] = [];
  const crashes: number[][] = [];
  for (let round = 0; round < cfg.rounds; round++) {
    const window = { round, startS: round * cfg.windowS, endS: (round + 1) * cfg.windowS };
    const present: number[] = [];
    const crashed: number[] = [];
    for (let uid = 0; uid < cfg.peers; uid++) {
      if (!churn.availability.isPresent(uid, window)) continue;
      present.push(uid);
      if (churn.crashes?.crashPoint(uid, round) != null) crashed.push(uid);
    }
    rosters.push(present);
    crashes.push(crashed);
  }
  return { rosters, crashes };
}

/** The chain round of logical round `round`. */
export function chainRoundOf(plan: ClusterPlan, round: number): bigint {
  return BigInt(plan.startRound + round);
}

/** First and last block of logical round `round`'s window (inclusive). */
export function windowOf(plan: ClusterPlan, round: number): { readonly firstBlock: bigint; readonly lastBlock: bigint } {
  const len = BigInt(plan.roundLength);
  const firstBlock = BigInt(plan.genesisBlock) + chainRoundOf(plan, round) * len;
  return { firstBlock, lastBlock: firstBlock + len - 1n };
}

/** Logical round of chain round `chainRound`, or null when it is before the run. */
export function logicalRoundOf(plan: ClusterPlan, chainRound: bigint): number | null {
  const r = Number(chainRound) - plan.startRound;
  return r >= 0 && r < plan.rounds ? r : null;
}
