/**
 * Shared set-up for the contract suites: compiles the contracts once per mocha process (Hardhat's
 * `build` task, cached, so a fresh clone needs no separate compile step), opens one in-process
 * Hardhat network shared by every suite, and deploys the {Coordinator} as a snapshot fixture.
 */
import type { Contract, ContractRunner } from 'ethers';
import hre, { network } from 'hardhat';

await hre.tasks.getTask('build').run({ quiet: true });

/** The in-process network all contract suites share (getOrCreate: one chain per process). */
export const connection = await network.getOrCreate();
export const { ethers, networkHelpers } = connection;

/** Deploy parameters of the test coordinator (see Coordinator.Config). */
export const CONFIG = {
  minStake: ethers.parseEther('1'), // wei
  unbondingBlocks: 10n, // blocks
  roundLength: 20n, // blocks
  maxSelected: 3, // G
  rewardPerRound: ethers.parseEther('0.9'), // wei
} as const;

/** PeerRegistry.PeerStatus as numbers, the way the ABI returns them. */
export const Status = { Active: 0n, Unbonding: 1n, Exited: 2n } as const;

/** `contract` acting as `runner`, keeping the dynamic method typing. */
export function as(contract: Contract, runner: ContractRunner): Contract {
  return contract.connect(runner) as Contract;
}

/** A deterministic non-zero bytes32 for test data. */
export function h(label: string): string {
  return ethers.keccak256(ethers.toUtf8Bytes(label));
}

/** Deploys the coordinator with {@link CONFIG}, the validator role granted to signer 1. */
async function deployCoordinator() {
  const [owner, validator, alice, bob, carol, dave, outsider] = await ethers.getSigners();
  const coordinator = await ethers.deployContract('Coordinator', [CONFIG]);
  await coordinator.addValidator(validator.address);
  return { coordinator, owner, validator, alice, bob, carol, dave, outsider };
}

/** Fresh coordinator state per test (snapshot revert after the first deploy). */
export function deployFixture() {
  return networkHelpers.loadFixture(deployCoordinator);
}

/** Number of the latest mined block; the next transaction lands in this + 1. */
export async function latestBlock(): Promise<bigint> {
  return BigInt(await ethers.provider.getBlockNumber());
}

/** Mines empty blocks until the next transaction lands in block `target` (no-op if already past). */
export async function mineUntilNextTxIn(target: bigint): Promise<void> {
  const gap = target - 1n - (await latestBlock());
  if (gap > 0n) await networkHelpers.mine(gap);
}

/** First and last block of `round` on `coordinator`. */
export async function windowOf(coordinator: Contract, round: bigint): Promise<[bigint, bigint]> {
  const [first, last] = await coordinator.roundWindow(round);
  return [first as bigint, last as bigint];
}

/** Mines until the next transaction lands just after `round`'s window. */
export async function closeRound(coordinator: Contract, round: bigint): Promise<void> {
  const [, last] = await windowOf(coordinator, round);
  await mineUntilNextTxIn(last + 1n);
}

/** Registers `runner` with `stake` (default minStake) and returns its uid. */
export async function registerPeer(
  coordinator: Contract,
  runner: ContractRunner & { getAddress(): Promise<string> },
  stake: bigint = CONFIG.minStake,
): Promise<bigint> {
  await as(coordinator, runner).register({ value: stake });
  return (await coordinator.uidOf(await runner.getAddress())) as bigint;
}
