/**
 * {@link ChainClient} over a real EVM: any {@link ChainTransport} (in-process Hardhat, JSON-RPC
 * over HTTP to a Hardhat node, ganache or another EVM node) and a key-holding wallet. Reads are
 * `eth_call`s retried on transient faults; writes go through a {@link TransactionSender} (one
 * signed transaction per intent, so nothing is committed twice); reverts come back as
 * {@link ChainRevertError}s decoded with the Coordinator ABI, transport faults as
 * {@link ChainRpcError}s.
 */
import { Interface, getAddress, toQuantity } from 'ethers';
import { decodeEvent, decodeResult, decodeRevert, findRevertData, loadCoordinatorArtifact } from './abi.ts';
import type { CoordinatorArtifact } from './abi.ts';
import { ChainRpcError } from './errors.ts';
import { JsonRpcError } from './transport.ts';
import type { ChainTransport } from './transport.ts';
import { TransactionSender } from './tx-sender.ts';
import type { RpcLog, RpcReceipt, TransactionSenderOptions, TransactionSigner } from './tx-sender.ts';
import type {
  AccountParameters,
  Address,
  ChainClient,
  ChainReceipt,
  Commitment,
  CoordinatorConfig,
  CoordinatorEvent,
  CoordinatorEventLog,
  EventsParameters,
  Hex,
  PeerInfo,
  RegisterReturnType,
  RoundParameters,
  RoundResult,
  RoundUidParameters,
  SlashRecord,
  UidParameters,
} from './types.ts';

export interface EvmChainClientParameters extends TransactionSenderOptions {
  readonly transport: ChainTransport;
  /** The deployed Coordinator. */
  readonly address: Address;
  readonly wallet: TransactionSigner;
  /** ABI source; default: Hardhat's build artifact. */
  readonly artifact?: Pick<CoordinatorArtifact, 'abi'>;
}

/**
 * Creates a {@link ChainClient} for `wallet` on the Coordinator at `address`.
 *
 * @example
 * const client = createEvmChainClient({ transport: httpTransport(url), address, wallet });
 * await client.commit({ round, updateHash, storageKey });
 */
export function createEvmChainClient(parameters: EvmChainClientParameters): ChainClient {
  return new EvmChainClient(parameters);
}

class EvmChainClient implements ChainClient {
  readonly account: Address;
  private readonly to: Address;
  private readonly iface: Interface;
  private readonly sender: TransactionSender;
  private cachedConfig: CoordinatorConfig | undefined;

  constructor(p: EvmChainClientParameters) {
    this.to = getAddress(p.address);
    this.iface = new Interface((p.artifact ?? loadCoordinatorArtifact()).abi as never);
    this.sender = new TransactionSender(p.transport, p.wallet, p);
    this.account = this.sender.account;
  }

  // ---- plumbing -----------------------------------------------------------------------------

  private read<T>(method: string, params: readonly unknown[]): Promise<T> {
    return this.sender.read<T>(method, params);
  }

  /** Sends one write; a revert becomes a {@link ChainRevertError}. */
  private async write(fn: string, args: readonly unknown[], value = 0n): Promise<ChainReceipt> {
    const outcome = await this.sender.send({ to: this.to, data: this.iface.encodeFunctionData(fn, args), value });
    if (outcome.status === 'reverted') throw decodeRevert(this.iface, outcome.revertData, outcome.cause);
    return this.toChainReceipt(outcome.receipt);
  }

  /** eth_call of a view; a revert becomes a {@link ChainRevertError}. */
  private async call<T>(fn: string, args: readonly unknown[] = []): Promise<T> {
    const data = this.iface.encodeFunctionData(fn, args);
    try {
      const result = await this.read<Hex>('eth_call', [{ to: this.to, data }, 'latest']);
      return decodeResult(this.iface, fn, result) as T;
    } catch (error) {
      throw this.asRevertOr(error, 'eth_call');
    }
  }

  /** A node's JSON-RPC error with revert data → ChainRevertError; any other → ChainRpcError. */
  private asRevertOr(error: unknown, method: string): Error {
    if (error instanceof ChainRpcError) return error;
    const data = findRevertData(error);
    if (data) return decodeRevert(this.iface, data, error);
    if (error instanceof JsonRpcError && /revert/i.test(error.message)) return decodeRevert(this.iface, undefined, error);
    return new ChainRpcError('rpc', false, method, (error as Error).message, undefined, { cause: error });
  }

  private toChainReceipt(receipt: RpcReceipt): ChainReceipt {
    const events: CoordinatorEvent[] = [];
    for (const log of receipt.logs) {
      if (getAddress(log.address) !== this.to) continue;
      const event = decodeEvent(this.iface, log);
      if (event) events.push(event);
    }
    return {
      txHash: receipt.transactionHash,
      blockNumber: BigInt(receipt.blockNumber),
      gasUsed: BigInt(receipt.gasUsed),
      events,
    };
  }

  // ---- reads --------------------------------------------------------------------------------

  async blockNumber() { return BigInt(await this.read<string>('eth_blockNumber', [])); }
  async balance() { return BigInt(await this.read<string>('eth_getBalance', [this.to, 'latest'])); }

  async events({ fromBlock, toBlock }: EventsParameters): Promise<CoordinatorEventLog[]> {
    const logs = await this.read<RpcLog[]>('eth_getLogs', [
      { address: this.to, fromBlock: toQuantity(fromBlock), toBlock: toBlock === undefined ? 'latest' : toQuantity(toBlock) },
    ]);
    const out: CoordinatorEventLog[] = [];
    for (const log of logs) {
      const event = decodeEvent(this.iface, log);
      if (!event) continue;
      out.push({ ...event, blockNumber: BigInt(log.blockNumber), logIndex: Number(BigInt(log.logIndex)), txHash: log.transactionHash });
    }
    return out;
  }

  async config(): Promise<CoordinatorConfig> {
    this.cachedConfig ??= {
      minStake: await this.call<bigint>('minStake'),
      unbondingBlocks: await this.call<bigint>('unbondingBlocks'),
      roundLength: await this.call<bigint>('roundLength'),
      maxSelected: await this.call<number>('maxSelected'),
      rewardPerRound: await this.call<bigint>('rewardPerRound'),
    };
    return this.cachedConfig;
  }

  genesisBlock() { return this.call<bigint>('genesisBlock'); }
  currentRound() { return this.call<bigint>('currentRound'); }
  roundWindow({ round }: RoundParameters) { return this.call<{ firstBlock: bigint; lastBlock: bigint }>('roundWindow', [round]); }
  owner() { return this.call<Address>('owner'); }
  isValidator({ account }: AccountParameters) { return this.call<boolean>('isValidator', [account]); }
  peerCount() { return this.call<bigint>('peerCount'); }
  peer({ uid }: UidParameters) { return this.call<PeerInfo>('peer', [uid]); }
  uidOf({ account }: AccountParameters) { return this.call<number>('uidOf', [account]); }
  isRegistered({ account }: AccountParameters) { return this.call<boolean>('isRegistered', [account]); }
  slashCount() { return this.call<bigint>('slashCount'); }
  slashRecord({ index }: { readonly index: bigint }) { return this.call<SlashRecord>('slashRecord', [index]); }
  commitment({ round, uid }: RoundUidParameters) { return this.call<Commitment>('commitmentOf', [round, uid]); }
  hasCommitted({ round, uid }: RoundUidParameters) { return this.call<boolean>('hasCommitted', [round, uid]); }
  commitCount({ round }: RoundParameters) { return this.call<number>('commitCount', [round]); }
  roundResult({ round }: RoundParameters) { return this.call<RoundResult>('roundResult', [round]); }
  isFinalised({ round }: RoundParameters) { return this.call<boolean>('isFinalised', [round]); }
  finalisedCount() { return this.call<bigint>('finalisedCount'); }
  rewardPool() { return this.call<bigint>('rewardPool'); }
  rewardsOf({ uid }: UidParameters) { return this.call<bigint>('rewardsOf', [uid]); }

  // ---- writes -------------------------------------------------------------------------------

  async register({ stake }: { readonly stake: bigint }): Promise<RegisterReturnType> {
    const receipt = await this.write('register', [], stake);
    const event = receipt.events.find((e) => e.name === 'PeerRegistered');
    return { ...receipt, uid: event?.name === 'PeerRegistered' ? event.args.uid : -1 };
  }
  topUp({ amount }: { readonly amount: bigint }) { return this.write('topUp', [], amount); }
  deregister() { return this.write('deregister', []); }
  withdraw() { return this.write('withdraw', []); }
  commit({ round, updateHash, storageKey }: { round: bigint; updateHash: Hex; storageKey: Hex }) {
    return this.write('commit', [round, updateHash, storageKey]);
  }
  postResults({ round, uids, weights, aggregateHash }: { round: bigint; uids: readonly number[]; weights: readonly number[]; aggregateHash: Hex }) {
    return this.write('postResults', [round, uids, weights, aggregateHash]);
  }
  slash({ uid, amount, reasonCode }: { uid: number; amount: bigint; reasonCode: number }) {
    return this.write('slash', [uid, amount, reasonCode]);
  }
  fundRewards({ amount }: { readonly amount: bigint }) { return this.write('fundRewards', [], amount); }
  claimRewards({ uid }: UidParameters) { return this.write('claimRewards', [uid]); }
  addValidator({ account }: AccountParameters) { return this.write('addValidator', [account]); }
  removeValidator({ account }: AccountParameters) { return this.write('removeValidator', [account]); }
  transferOwnership({ newOwner }: { readonly newOwner: Address }) { return this.write('transferOwnership', [newOwner]); }
}

