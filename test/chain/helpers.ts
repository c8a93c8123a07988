/**
 * Shared set-up for the chain-client suites: builds the contracts once per mocha process (Hardhat's
 * cached `build` task), the in-process Hardhat transport, a test config, and `snapshotState`, which
 * reads every getter through the {@link CoordinatorReader} interface so the EVM client and the
 * model can be compared value for value.
 */
import hre, { network } from 'hardhat';
import { keccak256, toUtf8Bytes } from 'ethers';
import { ChainRevertError } from '../../chain/errors.ts';
import { eip1193Transport } from '../../chain/transport.ts';
import type { ChainTransport } from '../../chain/transport.ts';
import type { Address, CoordinatorConfig, CoordinatorReader, Hex } from '../../chain/types.ts';

await hre.tasks.getTask('build').run({ quiet: true });

/** The in-process Hardhat chain (one per mocha process, shared with test/contracts). */
export async function inProcessTransport(): Promise<ChainTransport> {
  const connection = await network.getOrCreate();
  return eip1193Transport(connection.provider as never);
}

/** Small numbers so slashes, rewards and windows are all reachable in a few steps. */
export const TEST_CONFIG: CoordinatorConfig = {
  minStake: 100n, // wei
  unbondingBlocks: 3n, // blocks
  roundLength: 4n, // blocks
  maxSelected: 3,
  rewardPerRound: 90n, // wei
};

/** A deterministic non-zero bytes32. */
export function h(label: string): Hex {
  return keccak256(toUtf8Bytes(label)) as Hex;
}

/** The value of `read`, or `{ revert: name, args }` when it reverts (so reverting views compare too). */
export async function outcome<T>(read: () => Promise<T>): Promise<T | { revert: string; args: readonly unknown[] }> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ChainRevertError) return { revert: error.errorName, args: error.args };
    throw error;
  }
}

/** Every getter of the Coordinator for `accounts` and `rounds`, plus the chain's block and balance. */
export async function snapshotState(r: CoordinatorReader, accounts: readonly Address[], rounds: readonly bigint[]) {
  const peerCount = await r.peerCount();
  const peers = [];
  for (let uid = 0; uid <= Number(peerCount); uid++) {
    // uid == peerCount: the UnknownUid revert is part of the state
    peers.push({ peer: await outcome(() => r.peer({ uid })), rewards: await r.rewardsOf({ uid }) });
  }
  const byAccount = [];
  for (const account of accounts) {
    byAccount.push({
      registered: await r.isRegistered({ account }),
      uid: await outcome(() => r.uidOf({ account })),
      validator: await r.isValidator({ account }),
    });
  }
  const byRound = [];
  for (const round of rounds) {
    const commitments = [];
    for (let uid = 0; uid < Number(peerCount); uid++) {
      commitments.push(await r.commitment({ round, uid }), await r.hasCommitted({ round, uid }));
    }
    byRound.push({
      round,
      window: await r.roundWindow({ round }),
      commitments,
      count: await r.commitCount({ round }),
      result: await r.roundResult({ round }),
      finalised: await r.isFinalised({ round }),
    });
  }
  const slashCount = await r.slashCount();
  const slashes = [];
  for (let i = 0n; i <= slashCount; i++) slashes.push(await outcome(() => r.slashRecord({ index: i })));
  return {
    blockNumber: await r.blockNumber(),
    balance: await r.balance(),
    config: await r.config(),
    genesisBlock: await r.genesisBlock(),
    currentRound: await r.currentRound(),
    owner: await r.owner(),
    peerCount,
    peers,
    byAccount,
    byRound,
    slashes,
    rewardPool: await r.rewardPool(),
    finalisedCount: await r.finalisedCount(),
  };
}
