/**
 * The chain client's vocabulary: the Coordinator's config, getter results and events as plain
 * TypeScript data, and the {@link ChainClient} interface that every implementation (EVM over
 * JSON-RPC or in-process Hardhat, and the TypeScript {@link ModelChain}) satisfies.
 *
 * Integer rule (viem's): Solidity integers of at most 48 bits (uid uint32, reasonCode uint16,
 * status uint8, weights uint32) are `number`; wider ones (wei, blocks, rounds) are `bigint`.
 * Addresses are checksummed (EIP-55); bytes32 values are lower-case `0x` hex.
 */

/** A checksummed 20-byte address. */
export type Address = string;
/** `0x`-prefixed lower-case hex. */
export type Hex = `0x${string}`;

/** Coordinator.Config: all fixed at deploy. */
export interface CoordinatorConfig {
  readonly minStake: bigint; // wei per identity, > 0
  readonly unbondingBlocks: bigint; // blocks between deregister and withdraw
  readonly roundLength: bigint; // blocks per round, > 0
  readonly maxSelected: number; // G, > 0
  readonly rewardPerRound: bigint; // wei per finalised round while the pool lasts
}

/** PeerRegistry.PeerStatus as the ABI returns it. */
export const PeerStatus = { Active: 0, Unbonding: 1, Exited: 2 } as const;
export type PeerStatus = (typeof PeerStatus)[keyof typeof PeerStatus];

/** PeerRegistry.Peer. */
export interface PeerInfo {
  readonly account: Address;
  readonly unbondingEndsAt: bigint; // block; 0 while active
  readonly status: number; // a PeerStatus
  readonly stake: bigint; // wei
}

/** PeerRegistry.SlashRecord. */
export interface SlashRecord {
  readonly uid: number;
  readonly reasonCode: number;
  readonly blockNumber: bigint;
  readonly validator: Address;
  readonly amount: bigint; // wei
}

/** RoundCommitments.Commitment (both zero when nothing was committed). */
export interface Commitment {
  readonly updateHash: Hex;
  readonly storageKey: Hex;
}

/** ValidationResults.RoundResult (all zero when not finalised). */
export interface RoundResult {
  readonly aggregateHash: Hex;
  readonly validator: Address;
  readonly selectedCount: number;
  readonly finalised: boolean;
  readonly distributed: bigint; // wei
}

/** Arguments of every Coordinator event, by event name (the Solidity parameter names). */
export interface CoordinatorEventArgs {
  OwnershipTransferred: { previousOwner: Address; newOwner: Address };
  ValidatorAdded: { account: Address };
  ValidatorRemoved: { account: Address };
  PeerRegistered: { uid: number; account: Address; stake: bigint };
  StakeToppedUp: { uid: number; amount: bigint; newStake: bigint };
  PeerDeregistered: { uid: number; unbondingEndsAt: bigint };
  StakeWithdrawn: { uid: number; account: Address; amount: bigint };
  PeerSlashed: { uid: number; validator: Address; amount: bigint; reasonCode: number; remainingStake: bigint };
  SlashedStakePooled: { amount: bigint; newPool: bigint };
  UpdateCommitted: { round: bigint; uid: number; updateHash: Hex; storageKey: Hex };
  RewardsFunded: { from: Address; amount: bigint; newPool: bigint };
  RewardAccrued: { round: bigint; uid: number; amount: bigint };
  RoundFinalised: {
    round: bigint;
    validator: Address;
    aggregateHash: Hex;
    uids: number[];
    weights: number[];
    distributed: bigint;
    newPool: bigint;
  };
  RewardsClaimed: { uid: number; account: Address; amount: bigint };
}

export type CoordinatorEventName = keyof CoordinatorEventArgs;

/** One emitted event, discriminated by `name`. */
export type CoordinatorEvent = {
  [N in CoordinatorEventName]: { readonly name: N; readonly args: CoordinatorEventArgs[N] };
}[CoordinatorEventName];

/** An event with its position in the chain. */
export type CoordinatorEventLog = CoordinatorEvent & {
  readonly blockNumber: bigint;
  readonly logIndex: number; // position within its block
  readonly txHash: Hex;
};

/** What a successful write returns. */
export interface ChainReceipt {
  readonly txHash: Hex;
  readonly blockNumber: bigint;
  readonly gasUsed: bigint; // 0n on the model
  readonly events: readonly CoordinatorEvent[];
}

export interface RegisterParameters { readonly stake: bigint } // wei
export interface RegisterReturnType extends ChainReceipt { readonly uid: number }
export interface TopUpParameters { readonly amount: bigint } // wei
export interface CommitParameters { readonly round: bigint; readonly updateHash: Hex; readonly storageKey: Hex }
export interface PostResultsParameters {
  readonly round: bigint;
  readonly uids: readonly number[]; // strictly ascending
  readonly weights: readonly number[]; // uint32 each, > 0
  readonly aggregateHash: Hex;
}
export interface SlashParameters { readonly uid: number; readonly amount: bigint; readonly reasonCode: number }
export interface UidParameters { readonly uid: number }
export interface AccountParameters { readonly account: Address }
export interface RoundParameters { readonly round: bigint }
export interface RoundUidParameters { readonly round: bigint; readonly uid: number }
export interface FundRewardsParameters { readonly amount: bigint } // wei
export interface EventsParameters { readonly fromBlock: bigint; readonly toBlock?: bigint }

/** Every Coordinator view, plus chain reads (block number, the contract's balance, event logs). */
export interface CoordinatorReader {
  /** Latest mined block; the next transaction lands in this + 1. */
  blockNumber(): Promise<bigint>;
  /** The contract's native balance (wei): Σ stakes + pool + Σ unclaimed rewards. */
  balance(): Promise<bigint>;
  /** Events emitted in blocks `[fromBlock, toBlock]` (toBlock defaults to latest), in chain order. */
  events(parameters: EventsParameters): Promise<CoordinatorEventLog[]>;

  config(): Promise<CoordinatorConfig>;
  genesisBlock(): Promise<bigint>;
  currentRound(): Promise<bigint>;
  roundWindow(parameters: RoundParameters): Promise<{ firstBlock: bigint; lastBlock: bigint }>;

  owner(): Promise<Address>;
  isValidator(parameters: AccountParameters): Promise<boolean>;

  peerCount(): Promise<bigint>;
  peer(parameters: UidParameters): Promise<PeerInfo>;
  uidOf(parameters: AccountParameters): Promise<number>;
  isRegistered(parameters: AccountParameters): Promise<boolean>;
  slashCount(): Promise<bigint>;
  slashRecord(parameters: { readonly index: bigint }): Promise<SlashRecord>;

  commitment(parameters: RoundUidParameters): Promise<Commitment>;
  hasCommitted(parameters: RoundUidParameters): Promise<boolean>;
  commitCount(parameters: RoundParameters): Promise<number>;

  roundResult(parameters: RoundParameters): Promise<RoundResult>;
  isFinalised(parameters: RoundParameters): Promise<boolean>;
  finalisedCount(): Promise<bigint>;
  rewardPool(): Promise<bigint>;
  rewardsOf(parameters: UidParameters): Promise<bigint>;
}

/**
 * One account's view of a deployed Coordinator: every read, and every write sent from `account`.
 * A write resolves once mined with its events, or rejects with a {@link ChainRevertError}
 * (the contract's custom error, decoded) or a {@link ChainRpcError} (the transport failed).
 *
 * @example
 * const { uid } = await peer.register({ stake: 10n ** 18n });
 * await peer.commit({ round: await peer.currentRound(), updateHash, storageKey });
 */
export interface ChainClient extends CoordinatorReader {
  /** The account writes are sent from. */
  readonly account: Address;

  register(parameters: RegisterParameters): Promise<RegisterReturnType>;
  topUp(parameters: TopUpParameters): Promise<ChainReceipt>;
  deregister(): Promise<ChainReceipt>;
  withdraw(): Promise<ChainReceipt>;
  commit(parameters: CommitParameters): Promise<ChainReceipt>;
  postResults(parameters: PostResultsParameters): Promise<ChainReceipt>;
  slash(parameters: SlashParameters): Promise<ChainReceipt>;
  fundRewards(parameters: FundRewardsParameters): Promise<ChainReceipt>;
  claimRewards(parameters: UidParameters): Promise<ChainReceipt>;
  addValidator(parameters: AccountParameters): Promise<ChainReceipt>;
  removeValidator(parameters: AccountParameters): Promise<ChainReceipt>;
  transferOwnership(parameters: { readonly newOwner: Address }): Promise<ChainReceipt>;
}
