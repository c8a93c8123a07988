/**
 * Deploying the Coordinator through any {@link ChainTransport}, and the deployment file
 * (`deployments/<network>.json`) that tells peers and validators where it lives.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Interface, getAddress } from 'ethers';
import { decodeRevert, loadCoordinatorArtifact } from './abi.ts';
import type { CoordinatorArtifact } from './abi.ts';
import { ChainRpcError } from './errors.ts';
import { createEvmChainClient } from './evm-client.ts';
import type { ChainTransport } from './transport.ts';
import { TransactionSender } from './tx-sender.ts';
import type { TransactionSenderOptions, TransactionSigner } from './tx-sender.ts';
import type { Address, CoordinatorConfig, Hex } from './types.ts';

export interface DeployCoordinatorParameters extends TransactionSenderOptions {
  readonly transport: ChainTransport;
  /** Deployer; becomes the owner. */
  readonly wallet: TransactionSigner;
  readonly config: CoordinatorConfig;
  /** Accounts granted the validator role right after the deploy. */
  readonly validators?: readonly Address[];
  readonly artifact?: CoordinatorArtifact;
}

/** Where a Coordinator lives and how it was configured. */
export interface Deployment {
  readonly address: Address;
  readonly chainId: bigint;
  readonly deployBlock: bigint; // = genesisBlock, the first block of round 0
  readonly txHash: Hex;
  readonly owner: Address;
  readonly validators: readonly Address[];
  readonly config: CoordinatorConfig;
}

/**
 * Deploys a Coordinator and adds `validators`.
 * @example const { address } = await deployCoordinator({ transport, wallet, config, validators: [v] });
 */
export async function deployCoordinator(parameters: DeployCoordinatorParameters): Promise<Deployment> {
  const artifact = parameters.artifact ?? loadCoordinatorArtifact();
  const iface = new Interface(artifact.abi as never);
  const sender = new TransactionSender(parameters.transport, parameters.wallet, parameters);
  const data = artifact.bytecode + iface.encodeDeploy([parameters.config]).slice(2);
  const outcome = await sender.send({ data });
  if (outcome.status === 'reverted') throw decodeRevert(iface, outcome.revertData, outcome.cause);
  const { receipt } = outcome;
  if (!receipt.contractAddress) {
    throw new ChainRpcError('rpc', false, 'eth_getTransactionReceipt', 'deploy receipt has no contractAddress', receipt.transactionHash);
  }
  const address = getAddress(receipt.contractAddress);
  const validators = (parameters.validators ?? []).map((v) => getAddress(v));
  const owner = createEvmChainClient({ ...parameters, address, artifact });
  for (const account of validators) await owner.addValidator({ account });
  return {
    address,
    chainId: BigInt(await sender.read<string>('eth_chainId', [])),
    deployBlock: BigInt(receipt.blockNumber),
    txHash: receipt.transactionHash,
    owner: sender.account,
    validators,
    config: parameters.config,
  };
}

/** JSON form of a {@link Deployment} (bigints as decimal strings). */
export function deploymentToJson(deployment: Deployment, network: string): string {
  return `${JSON.stringify({ network, ...deployment }, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}

/** Writes `deployment` to `path` (folders created as needed). */
export function writeDeployment(path: string, deployment: Deployment, network: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, deploymentToJson(deployment, network));
}

/** Reads a deployment file written by {@link writeDeployment}. */
export function readDeployment(path: string): Deployment & { network: string } {
  const json = JSON.parse(readFileSync(path, 'utf8'));
  return {
    network: json.network,
    address: getAddress(json.address),
    chainId: BigInt(json.chainId),
    deployBlock: BigInt(json.deployBlock),
    txHash: json.txHash,
    owner: getAddress(json.owner),
    validators: json.validators,
    config: {
      minStake: BigInt(json.config.minStake),
      unbondingBlocks: BigInt(json.config.unbondingBlocks),
      roundLength: BigInt(json.config.roundLength),
      maxSelected: Number(json.config.maxSelected),
      rewardPerRound: BigInt(json.config.rewardPerRound),
    },
  };
}
