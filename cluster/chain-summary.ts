/**
 * The run's chain state read back from the Coordinator at the end of a cluster run, in the
 * simulator's summary shape (sim/chain.ts SimChainSummary): finalised and empty rounds, commits,
 * slashes and the stake they took, rewards accrued per uid, stakes, block — all from the chain's
 * getters, none from the processes' reports, so the summary shows what the contract paid.
 */
import type { CoordinatorReader } from '../chain/types.ts';
import type { SimChainSummary } from '../sim/chain.ts';
import { chainRoundOf } from './plan.ts';
import type { ClusterPlan } from './plan.ts';

/** Reads the summary of `plan`'s rounds from `chain`. */
export async function readChainSummary(chain: CoordinatorReader, plan: ClusterPlan): Promise<SimChainSummary> {
  let commits = 0;
  let emptyRounds = 0;
  for (let round = 0; round < plan.rounds; round++) {
    const r = chainRoundOf(plan, round);
    commits += await chain.commitCount({ round: r });
    if ((await chain.isFinalised({ round: r })) && (await chain.roundResult({ round: r })).selectedCount === 0) emptyRounds++;
  }
  const slashes = Number(await chain.slashCount());
  let totalSlashed = 0n;
  for (let i = 0; i < slashes; i++) totalSlashed += (await chain.slashRecord({ index: BigInt(i) })).amount;
  const peers = Number(await chain.peerCount());
  let totalStake = 0n;
  let totalRewards = 0n;
  const rewardsByUid: Record<number, string> = {};
  for (let uid = 0; uid < peers; uid++) {
    totalStake += (await chain.peer({ uid })).stake;
    const rewards = await chain.rewardsOf({ uid }); // nobody claims during a run: accrued = unclaimed
    totalRewards += rewards;
    rewardsByUid[uid] = rewards.toString();
  }
  return {
    finalisedRounds: Number(await chain.finalisedCount()),
    emptyRounds,
    commits,
    slashes,
    totalSlashed: totalSlashed.toString(),
    totalRewards: totalRewards.toString(),
    totalStake: totalStake.toString(),
    blockNumber: (await chain.blockNumber()).toString(),
    rewardsByUid,
  };
}
