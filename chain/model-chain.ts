/**
 * ModelChain: a pure TypeScript model of `contracts/Coordinator.sol` for simulations with
 * thousands of peers, where every EVM call would be too slow. Same state machine, same checks in
 * the same order, same custom errors with the same arguments, same events; blocks advance only
 * when a transaction is mined (automine, like a Hardhat or ganache dev node) or when the caller
 * calls {@link ModelChain.mine}. A differential test (test/chain/differential.test.ts) runs random
 * operation sequences against this model and the real contract and compares state, events and
 * reverts after every step.
 *
 * What it leaves out: gas and account balances (only the contract's balance is tracked), and
 * failing transfers (every account is assumed to accept payments, as EOAs do).
 *
 * Two opt-in savings for long runs with many peers, both off by default so the model stays
 * faithful: `retainLogs: false` drops event logs, and `retainFinalisedRounds` drops the per-peer
 * commitments of finalised rounds (the contract keeps them forever, but once a round is finalised
 * only the `commitmentOf` / `hasCommitted` views can still read them; those reads then throw
 * {@link PrunedRoundError} instead of answering wrongly).
 */
import { getAddress } from 'ethers';
import { ConfigError, SparseLocoError, assertInvariant } from '../core/errors.ts';
import { ChainRevertError } from './errors.ts';
import { PeerStatus } from './types.ts';
import type {
  AccountParameters,
  Address,
  ChainClient,
  ChainReceipt,
  CommitParameters,
  Commitment,
  CoordinatorConfig,
  CoordinatorEvent,
  CoordinatorEventLog,
  EventsParameters,
  FundRewardsParameters,
  Hex,
  PeerInfo,
  PostResultsParameters,
  RegisterParameters,
  RegisterReturnType,
  RoundParameters,
  RoundResult,
  RoundUidParameters,
  SlashParameters,
  SlashRecord,
  TopUpParameters,
  UidParameters,
} from './types.ts';

export const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000';
export const ZERO_HASH: Hex = `0x${'0'.repeat(64)}`;
const UINT256_MAX = (1n << 256n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;
const UINT32_MAX = 2 ** 32 - 1;
/** Solidity panic codes (`Panic(uint256)`). */
const PANIC_OVERFLOW = 0x11n;
const PANIC_OUT_OF_BOUNDS = 0x32n;

export interface ModelChainOptions {
  readonly config: CoordinatorConfig;
  /** Deploys the contract and becomes its owner. */
  readonly deployer: Address;
  /** Latest block before the deploy; the deploy is mined in startBlock + 1 (= genesisBlock). Default 0. */
  readonly startBlock?: bigint;
  /**
   * true (default): every successful transaction mines its own block, as on a dev node with
   * automine. false: transactions land in the pending block (latest + 1) until {@link ModelChain.mine}
   * seals it, so many peers can commit within one round window; reads then see pending state.
   */
  readonly automine?: boolean;
  /**
   * true (default): keep every event log so {@link ModelChain.events} can answer. false: logs are
   * not kept (receipts still carry their events) — a 10,000-peer simulation emits ~1 KB of logs
   * per peer per round that nothing reads, and `events()` then throws.
   */
  readonly retainLogs?: boolean;
  /**
   * How many finalised rounds keep their per-peer commitments, counted back from the latest
   * finalised one in finalisation order; an integer ≥ 0 (rounds) or Infinity (default: keep all,
   * as the contract does). Why pruning is safe: a finalised round's window has closed, so every
   * commit to it reverts before its commitments are looked at, and postResults reverts with
   * `ValidationResultsAlreadyFinalised` before reading them; only the `commitment` / `committed`
   * views still read them, and for a pruned round they throw {@link PrunedRoundError}. What stays
   * answerable: `commitCount`, `roundResult`, rewards, everything else. At 10,000 peers this is
   * ~0.9M commitments per 100 rounds that a simulation never reads again.
   */
  readonly retainFinalisedRounds?: number;
}

/**
 * A read of per-peer commitments that {@link ModelChainOptions.retainFinalisedRounds} pruned:
 * the real contract would still answer it, the model no longer can. Names the round, the view and
 * the retention.
 */
export class PrunedRoundError extends SparseLocoError {
  override name = 'PrunedRoundError';
  constructor(
    readonly round: bigint,
    readonly view: string,
    readonly retainFinalisedRounds: number,
  ) {
    super(
      `${view}: round ${round}'s commitments were pruned after it was finalised ` +
        `(ModelChain.retainFinalisedRounds = ${retainFinalisedRounds} finalised rounds kept)`,
    );
  }
}

interface PeerEntry {
  account: Address;
  unbondingEndsAt: bigint;
  status: number;
  stake: bigint;
}

interface ResultEntry {
  aggregateHash: Hex;
  validator: Address;
  selectedCount: number;
  finalised: boolean;
  distributed: bigint;
}

function revert(errorName: string, ...args: unknown[]): never {
  throw new ChainRevertError(errorName, args);
}

/** `a + b` with Solidity's checked arithmetic (`Panic(0x11)` past `max`). */
function checkedAdd(a: bigint, b: bigint, max: bigint = UINT256_MAX): bigint {
  const sum = a + b;
  if (sum > max) revert('Panic', PANIC_OVERFLOW);
  return sum;
}

/**
 * The Coordinator's state machine. Writes take the sender (`from`) and attached value (wei)
 * explicitly and are synchronous; {@link ModelChain.client} wraps them as a {@link ChainClient}.
 *
 * @example
 * const chain = new ModelChain({ config, deployer: owner });
 * const peer = chain.client(alice);
 * await peer.register({ stake: config.minStake });
 * chain.mine(5n);
 */
export class ModelChain {
  readonly config: CoordinatorConfig;
  readonly genesisBlock: bigint;
  readonly automine: boolean;
  /** Latest mined block. */
  blockNumber: bigint;
  /** The contract's native balance (wei). */
  balance = 0n;

  private owner: Address;
  private readonly validators = new Set<Address>();
  private readonly peers: PeerEntry[] = [];
  private readonly uidPlusOne = new Map<Address, number>();
  private readonly slashes: SlashRecord[] = [];
  private readonly commitments = new Map<bigint, Map<number, Commitment>>();
  private readonly commitCounts = new Map<bigint, number>();
  private readonly results = new Map<bigint, ResultEntry>();
  private readonly rewards = new Map<number, bigint>();
  private rewardPoolWei = 0n;
  private finalised = 0n;
  private readonly logs: CoordinatorEventLog[] = [];
  private readonly retainLogs: boolean;
  private readonly retainFinalisedRounds: number;
  /** Finalised rounds whose commitments are still kept, oldest finalisation first (only when pruning). */
  private readonly retainedFinalised: bigint[] = [];
  /** Rounds whose per-peer commitments were dropped (one entry per round, not per peer). */
  private readonly prunedRounds = new Set<bigint>();
  private txCount = 0;
  private logsInPendingBlock = 0;

  constructor(options: ModelChainOptions) {
    const { config } = options;
    const deployer = getAddress(options.deployer);
    // Constructor checks in Solidity's base-constructor order: Roles, PeerRegistry, RoundCommitments, ValidationResults.
    if (deployer === ZERO_ADDRESS) revert('RolesInvalidAccount', deployer);
    if (config.minStake === 0n) revert('PeerRegistryInvalidMinStake', config.minStake);
    if (config.roundLength === 0n) revert('RoundCommitmentsInvalidRoundLength', config.roundLength);
    if (config.maxSelected === 0) revert('ValidationResultsInvalidMaxSelected', config.maxSelected);
    this.config = { ...config };
    this.automine = options.automine ?? true;
    this.retainLogs = options.retainLogs ?? true;
    const retain = options.retainFinalisedRounds ?? Infinity;
    if (!(retain === Infinity || (Number.isSafeInteger(retain) && retain >= 0))) {
      throw new ConfigError('ModelChain.retainFinalisedRounds', retain, 'must be an integer ≥ 0 or Infinity (finalised rounds kept)');
    }
    this.retainFinalisedRounds = retain;
    this.blockNumber = options.startBlock ?? 0n;
    this.genesisBlock = this.blockNumber + 1n;
    this.owner = deployer;
    this.transact(0n, () => [{ name: 'OwnershipTransferred', args: { previousOwner: ZERO_ADDRESS, newOwner: deployer } }]);
  }

  /** A {@link ChainClient} sending from `account`. */
  client(account: Address): ChainClient {
    return new ModelChainClient(this, getAddress(account));
  }

  /** Mines `blocks` blocks (the pending block first, when automine is off). */
  mine(blocks: bigint = 1n): void {
    if (blocks <= 0n) return;
    this.blockNumber += blocks;
    this.logsInPendingBlock = 0;
  }

  // ---- transactions -------------------------------------------------------------------------

  /**
   * Runs one transaction in block latest + 1: `body` checks (throwing reverts before any change),
   * mutates and returns its events. A revert changes nothing and mines nothing (the EVM client
   * finds reverts by estimating gas before sending, so no block is mined for them either).
   */
  private transact(value: bigint, body: (txBlock: bigint) => CoordinatorEvent[]): ChainReceipt {
    const txBlock = this.blockNumber + 1n;
    const events = body(txBlock);
    this.balance += value;
    this.txCount += 1;
    const txHash = `0x${this.txCount.toString(16).padStart(64, '0')}` as Hex;
    if (this.retainLogs) {
      for (const event of events) {
        this.logs.push({ ...event, blockNumber: txBlock, logIndex: this.logsInPendingBlock++, txHash } as CoordinatorEventLog);
      }
    } else {
      this.logsInPendingBlock += events.length;
    }
    if (this.automine) this.mine(1n);
    return { txHash, blockNumber: txBlock, gasUsed: 0n, events };
  }

  private onlyOwner(from: Address): void {
    if (from !== this.owner) revert('RolesUnauthorizedOwner', from);
  }

  private onlyValidator(from: Address): void {
    if (!this.validators.has(from)) revert('RolesUnauthorizedValidator', from);
  }

  private liveIdentityOf(account: Address): [number, PeerEntry] {
    const plusOne = this.uidPlusOne.get(account) ?? 0;
    if (plusOne === 0) revert('PeerRegistryNotRegistered', account);
    return [plusOne - 1, this.peers[plusOne - 1]];
  }

  private peerAt(uid: number): PeerEntry {
    if (uid >= this.peers.length) revert('PeerRegistryUnknownUid', uid);
    return this.peers[uid];
  }

  transferOwnership(from: Address, newOwner: Address): ChainReceipt {
    return this.transact(0n, () => {
      this.onlyOwner(from);
      if (newOwner === ZERO_ADDRESS) revert('RolesInvalidAccount', newOwner);
      const previousOwner = this.owner;
      this.owner = newOwner;
      return [{ name: 'OwnershipTransferred', args: { previousOwner, newOwner } }];
    });
  }

  addValidator(from: Address, account: Address): ChainReceipt {
    return this.transact(0n, () => {
      this.onlyOwner(from);
      if (account === ZERO_ADDRESS) revert('RolesInvalidAccount', account);
      if (this.validators.has(account)) revert('RolesValidatorAlreadyAdded', account);
      this.validators.add(account);
      return [{ name: 'ValidatorAdded', args: { account } }];
    });
  }

  removeValidator(from: Address, account: Address): ChainReceipt {
    return this.transact(0n, () => {
      this.onlyOwner(from);
      if (!this.validators.has(account)) revert('RolesValidatorNotFound', account);
      this.validators.delete(account);
      return [{ name: 'ValidatorRemoved', args: { account } }];
    });
  }

  register(from: Address, value: bigint): ChainReceipt & { uid: number } {
    let uid = -1;
    const receipt = this.transact(value, () => {
      if (value < this.config.minStake) revert('PeerRegistryStakeTooLow', value, this.config.minStake);
      const live = this.uidPlusOne.get(from) ?? 0;
      if (live !== 0) revert('PeerRegistryAlreadyRegistered', from, live - 1);
      if (this.peers.length > UINT32_MAX) revert('PeerRegistryUidSpaceExhausted');
      uid = this.peers.length;
      this.peers.push({ account: from, unbondingEndsAt: 0n, status: PeerStatus.Active, stake: value });
      this.uidPlusOne.set(from, uid + 1);
      return [{ name: 'PeerRegistered', args: { uid, account: from, stake: value } }];
    });
    return { ...receipt, uid };
  }

  topUp(from: Address, value: bigint): ChainReceipt {
    return this.transact(value, () => {
      if (value === 0n) revert('PeerRegistryZeroAmount');
      const [uid, entry] = this.liveIdentityOf(from);
      if (entry.status !== PeerStatus.Active) revert('PeerRegistryNotActive', uid, entry.status);
      entry.stake += value;
      return [{ name: 'StakeToppedUp', args: { uid, amount: value, newStake: entry.stake } }];
    });
  }

  deregister(from: Address): ChainReceipt {
    return this.transact(0n, (txBlock) => {
      const [uid, entry] = this.liveIdentityOf(from);
      if (entry.status !== PeerStatus.Active) revert('PeerRegistryNotActive', uid, entry.status);
      const endsAt = checkedAdd(txBlock, this.config.unbondingBlocks, UINT64_MAX);
      entry.status = PeerStatus.Unbonding;
      entry.unbondingEndsAt = endsAt;
      return [{ name: 'PeerDeregistered', args: { uid, unbondingEndsAt: endsAt } }];
    });
  }

  withdraw(from: Address): ChainReceipt {
    return this.transact(0n, (txBlock) => {
      const [uid, entry] = this.liveIdentityOf(from);
      if (entry.status !== PeerStatus.Unbonding) revert('PeerRegistryNotUnbonding', uid, entry.status);
      if (txBlock < entry.unbondingEndsAt) revert('PeerRegistryStillUnbonding', uid, entry.unbondingEndsAt, txBlock);
      const amount = entry.stake;
      entry.stake = 0n;
      entry.status = PeerStatus.Exited;
      this.uidPlusOne.delete(from);
      this.balance -= amount;
      return [{ name: 'StakeWithdrawn', args: { uid, account: from, amount } }];
    });
  }

  slash(from: Address, uid: number, amount: bigint, reasonCode: number): ChainReceipt {
    return this.transact(0n, (txBlock) => {
      this.onlyValidator(from);
      if (amount === 0n) revert('PeerRegistryZeroAmount');
      const entry = this.peerAt(uid);
      if (entry.status === PeerStatus.Exited) revert('PeerRegistryNotSlashable', uid, entry.status);
      if (amount > entry.stake) revert('PeerRegistrySlashExceedsStake', uid, amount, entry.stake);
      entry.stake -= amount;
      this.slashes.push({ uid, reasonCode, blockNumber: txBlock, validator: from, amount });
      this.rewardPoolWei += amount;
      return [
        { name: 'PeerSlashed', args: { uid, validator: from, amount, reasonCode, remainingStake: entry.stake } },
        { name: 'SlashedStakePooled', args: { amount, newPool: this.rewardPoolWei } },
      ];
    });
  }

  commit(from: Address, round: bigint, updateHash: Hex, storageKey: Hex): ChainReceipt {
    return this.transact(0n, (txBlock) => {
      const [uid, entry] = this.liveIdentityOf(from);
      if (entry.status !== PeerStatus.Active) revert('PeerRegistryNotActive', uid, entry.status);
      if (entry.stake < this.config.minStake) revert('PeerRegistryStakeTooLow', entry.stake, this.config.minStake);
      const { firstBlock, lastBlock } = this.roundWindow(round);
      if (txBlock < firstBlock) revert('RoundCommitmentsWindowNotOpen', round, firstBlock, txBlock);
      if (txBlock > lastBlock) revert('RoundCommitmentsWindowClosed', round, lastBlock, txBlock);
      if (updateHash === ZERO_HASH) revert('RoundCommitmentsZeroHash', round, uid);
      // A pruned round is finalised, so its window closed and the check above already reverted.
      assertInvariant(!this.prunedRounds.has(round), `commit reached pruned round ${round}`);
      let byUid = this.commitments.get(round);
      if (byUid?.has(uid)) revert('RoundCommitmentsDuplicate', round, uid);
      if (!byUid) this.commitments.set(round, (byUid = new Map()));
      byUid.set(uid, { updateHash, storageKey });
      this.commitCounts.set(round, (this.commitCounts.get(round) ?? 0) + 1);
      return [{ name: 'UpdateCommitted', args: { round, uid, updateHash, storageKey } }];
    });
  }

  postResults(from: Address, round: bigint, uids: readonly number[], weights: readonly number[], aggregateHash: Hex): ChainReceipt {
    return this.transact(0n, (txBlock) => {
      this.onlyValidator(from);
      if (this.results.get(round)?.finalised) revert('ValidationResultsAlreadyFinalised', round);
      const { lastBlock } = this.roundWindow(round);
      if (txBlock <= lastBlock) revert('ValidationResultsRoundNotClosed', round, lastBlock, txBlock);
      if (uids.length !== weights.length) {
        revert('ValidationResultsLengthMismatch', BigInt(uids.length), BigInt(weights.length));
      }
      if (uids.length > this.config.maxSelected) {
        revert('ValidationResultsTooManySelected', BigInt(uids.length), BigInt(this.config.maxSelected));
      }
      let totalWeight = 0n;
      for (let i = 0; i < uids.length; i++) {
        const uid = uids[i];
        if (i > 0 && uid <= uids[i - 1]) revert('ValidationResultsUidsNotAscending', BigInt(i), uid);
        if (!this.committed(round, uid)) revert('ValidationResultsNotCommitted', round, uid);
        if (weights[i] === 0) revert('ValidationResultsZeroWeight', uid);
        totalWeight += BigInt(weights[i]);
      }
      const perRound = this.config.rewardPerRound;
      const roundReward = perRound < this.rewardPoolWei ? perRound : this.rewardPoolWei;
      const events: CoordinatorEvent[] = [];
      let distributed = 0n;
      for (let i = 0; i < uids.length; i++) {
        const amount = (roundReward * BigInt(weights[i])) / totalWeight;
        if (amount === 0n) continue;
        this.rewards.set(uids[i], (this.rewards.get(uids[i]) ?? 0n) + amount);
        distributed += amount;
        events.push({ name: 'RewardAccrued', args: { round, uid: uids[i], amount } });
      }
      this.rewardPoolWei -= distributed;
      this.results.set(round, { aggregateHash, validator: from, selectedCount: uids.length, finalised: true, distributed });
      this.finalised += 1n;
      this.pruneFinalised(round);
      events.push({
        name: 'RoundFinalised',
        args: { round, validator: from, aggregateHash, uids: [...uids], weights: [...weights], distributed, newPool: this.rewardPoolWei },
      });
      return events;
    });
  }

  /** Drops the per-peer commitments of the finalised rounds beyond the retention window. */
  private pruneFinalised(round: bigint): void {
    if (this.retainFinalisedRounds === Infinity) return;
    this.retainedFinalised.push(round);
    while (this.retainedFinalised.length > this.retainFinalisedRounds) {
      const dropped = this.retainedFinalised.shift()!;
      this.commitments.delete(dropped);
      this.prunedRounds.add(dropped);
    }
  }

  /** Throws {@link PrunedRoundError} when `round`'s commitments were pruned. */
  private readable(round: bigint, view: string): void {
    if (this.prunedRounds.has(round)) throw new PrunedRoundError(round, view, this.retainFinalisedRounds);
  }

  fundRewards(from: Address, value: bigint): ChainReceipt {
    return this.transact(value, () => {
      if (value === 0n) revert('ValidationResultsZeroFunding');
      this.rewardPoolWei += value;
      return [{ name: 'RewardsFunded', args: { from, amount: value, newPool: this.rewardPoolWei } }];
    });
  }

  claimRewards(from: Address, uid: number): ChainReceipt {
    return this.transact(0n, () => {
      const entry = this.peerAt(uid);
      if (entry.account !== from) revert('ValidationResultsNotPeerAccount', uid, from);
      const amount = this.rewards.get(uid) ?? 0n;
      if (amount === 0n) revert('ValidationResultsNothingToClaim', uid);
      this.rewards.set(uid, 0n);
      this.balance -= amount;
      return [{ name: 'RewardsClaimed', args: { uid, account: from, amount } }];
    });
  }

  // ---- views ---------------------------------------------------------------------------------

  getOwner(): Address {
    return this.owner;
  }

  isValidator(account: Address): boolean {
    return this.validators.has(account);
  }

  peerCount(): bigint {
    return BigInt(this.peers.length);
  }

  peer(uid: number): PeerInfo {
    return { ...this.peerAt(uid) };
  }

  uidOf(account: Address): number {
    return this.liveIdentityOf(account)[0];
  }

  isRegistered(account: Address): boolean {
    return this.uidPlusOne.has(account);
  }

  slashCount(): bigint {
    return BigInt(this.slashes.length);
  }

  slashRecord(index: bigint): SlashRecord {
    if (index >= BigInt(this.slashes.length)) revert('Panic', PANIC_OUT_OF_BOUNDS);
    return { ...this.slashes[Number(index)] };
  }

  /** Round whose window holds the latest block (`eth_call` semantics: block.number = latest). */
  currentRound(): bigint {
    return (this.blockNumber - this.genesisBlock) / this.config.roundLength;
  }

  roundWindow(round: bigint): { firstBlock: bigint; lastBlock: bigint } {
    const offset = round * this.config.roundLength;
    if (offset > UINT256_MAX) revert('Panic', PANIC_OVERFLOW);
    const firstBlock = checkedAdd(this.genesisBlock, offset);
    const lastBlock = checkedAdd(firstBlock, this.config.roundLength) - 1n;
    return { firstBlock, lastBlock };
  }

  /** @throws {PrunedRoundError} when `round`'s commitments were pruned. */
  commitment(round: bigint, uid: number): Commitment {
    this.readable(round, 'commitment');
    return this.commitments.get(round)?.get(uid) ?? { updateHash: ZERO_HASH, storageKey: ZERO_HASH };
  }

  /** @throws {PrunedRoundError} when `round`'s commitments were pruned. */
  committed(round: bigint, uid: number): boolean {
    this.readable(round, 'committed');
    return this.commitments.get(round)?.has(uid) ?? false;
  }

  /** Kept for pruned rounds too (one number per round). */
  commitCount(round: bigint): number {
    return this.commitCounts.get(round) ?? 0;
  }

  roundResult(round: bigint): RoundResult {
    const result = this.results.get(round);
    if (result) return { ...result };
    return { aggregateHash: ZERO_HASH, validator: ZERO_ADDRESS, selectedCount: 0, finalised: false, distributed: 0n };
  }

  finalisedCount(): bigint {
    return this.finalised;
  }

  rewardPool(): bigint {
    return this.rewardPoolWei;
  }

  rewardsOf(uid: number): bigint {
    return this.rewards.get(uid) ?? 0n;
  }

  /** Events in blocks [fromBlock, toBlock], in chain order. */
  events(fromBlock: bigint, toBlock: bigint = this.blockNumber): CoordinatorEventLog[] {
    if (!this.retainLogs) throw new ConfigError('ModelChain.retainLogs', false, 'must be true to read past events');
    return this.logs.filter((log) => log.blockNumber >= fromBlock && log.blockNumber <= toBlock);
  }
}

/** {@link ChainClient} over a {@link ModelChain}: the async face of its synchronous methods. */
class ModelChainClient implements ChainClient {
  constructor(
    private readonly chain: ModelChain,
    readonly account: Address,
  ) {}

  async blockNumber() { return this.chain.blockNumber; }
  async balance() { return this.chain.balance; }
  async events({ fromBlock, toBlock }: EventsParameters) { return this.chain.events(fromBlock, toBlock); }
  async config() { return this.chain.config; }
  async genesisBlock() { return this.chain.genesisBlock; }
  async currentRound() { return this.chain.currentRound(); }
  async roundWindow({ round }: RoundParameters) { return this.chain.roundWindow(round); }
  async owner() { return this.chain.getOwner(); }
  async isValidator({ account }: AccountParameters) { return this.chain.isValidator(getAddress(account)); }
  async peerCount() { return this.chain.peerCount(); }
  async peer({ uid }: UidParameters) { return this.chain.peer(uid); }
  async uidOf({ account }: AccountParameters) { return this.chain.uidOf(getAddress(account)); }
  async isRegistered({ account }: AccountParameters) { return this.chain.isRegistered(getAddress(account)); }
  async slashCount() { return this.chain.slashCount(); }
  async slashRecord({ index }: { readonly index: bigint }) { return this.chain.slashRecord(index); }
  async commitment({ round, uid }: RoundUidParameters) { return this.chain.commitment(round, uid); }
  async hasCommitted({ round, uid }: RoundUidParameters) { return this.chain.committed(round, uid); }
  async commitCount({ round }: RoundParameters) { return this.chain.commitCount(round); }
  async roundResult({ round }: RoundParameters) { return this.chain.roundResult(round); }
  async isFinalised({ round }: RoundParameters) { return this.chain.roundResult(round).finalised; }
  async finalisedCount() { return this.chain.finalisedCount(); }
  async rewardPool() { return this.chain.rewardPool(); }
  async rewardsOf({ uid }: UidParameters) { return this.chain.rewardsOf(uid); }

  async register({ stake }: RegisterParameters): Promise<RegisterReturnType> { return this.chain.register(this.account, stake); }
  async topUp({ amount }: TopUpParameters) { return this.chain.topUp(this.account, amount); }
  async deregister() { return this.chain.deregister(this.account); }
  async withdraw() { return this.chain.withdraw(this.account); }
  async commit({ round, updateHash, storageKey }: CommitParameters) {
    return this.chain.commit(this.account, round, updateHash.toLowerCase() as Hex, storageKey.toLowerCase() as Hex);
  }
  async postResults({ round, uids, weights, aggregateHash }: PostResultsParameters) {
    return this.chain.postResults(this.account, round, uids, weights, aggregateHash.toLowerCase() as Hex);
  }
  async slash({ uid, amount, reasonCode }: SlashParameters) { return this.chain.slash(this.account, uid, amount, reasonCode); }
  async fundRewards({ amount }: FundRewardsParameters) { return this.chain.fundRewards(this.account, amount); }
  async claimRewards({ uid }: UidParameters) { return this.chain.claimRewards(this.account, uid); }
  async addValidator({ account }: AccountParameters) { return this.chain.addValidator(this.account, getAddress(account)); }
  async removeValidator({ account }: AccountParameters) { return this.chain.removeValidator(this.account, getAddress(account)); }
  async transferOwnership({ newOwner }: { readonly newOwner: Address }) {
    return this.chain.transferOwnership(this.account, getAddress(newOwner));
  }
}
