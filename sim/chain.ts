/**
 * The simulator's chain: mirrors the simulated protocol onto the in-process {@link ModelChain} (the
 * TypeScript model of contracts/Coordinator.sol, held to the Solidity by a differential test), so a
 * simulated run leaves the same on-chain trail a real cluster would. One job: mirror. The chain
 * never feeds back into the simulated protocol (who trains, who is aggregated), so rows are the
 * same with the chain on or off except for the chain columns.
 *
 * Mapping:
 *   - every peer (initial, and each joiner in its join round) registers with `minStake` from its
 *     own address (`0xee` + the uid in hex: ModelChain checks no signatures, so no keys are made);
 *   - sim round r = chain round r: the chain is mined to the block before r's window when r opens
 *     (commits land in r's first block) and to r's last block when the sim closes the window, so
 *     each round spends exactly `roundLength` blocks and a late upload's commit reverts with
 *     `RoundCommitmentsWindowClosed`; with `windows` (SimBlockClock below) the blocks are the
 *     sim's block clock instead: each call lands in the block of its sim time, the close mines to
 *     the block of time_max (chain round r's last), so a late commit still reverts;
 *   - an on-time, accepted upload commits (round, FNV-1a of the bytes padded to bytes32,
 *     updateKey(round, uid) as bytes32);
 *   - at finalisation the validator posts the contributors that committed on chain (ascending,
 *     Gauntlet's weights scaled to integers, else 1 each; an empty selection for a skipped round)
 *     with the FNV-1a of the new params as the aggregate hash, then posts Gauntlet's slashes.
 * A reverted call changes nothing; it is counted by its custom error's name (e.g. a peer slashed
 * below minStake cannot commit: `PeerRegistryStakeTooLow`). Row figures cover the chain activity
 * since the previous row (a late commit is counted in the row of the round it arrives in).
 *
 * Memory: the model keeps no event logs (`retainLogs: false`) and drops each round's per-peer
 * commitments once the round is finalised (`retainFinalisedRounds: 0`): after {@link SimChain.finalise}
 * nothing here reads them again (finalise reads `committed` of its own round before posting it; a
 * late commit to a finalised round reverts on its closed window before the model looks them up).
 * So the chain's memory grows with peers (registry, rewards), not peers × rounds.
 */
import { encodeBytes32String, getAddress, keccak256, toUtf8Bytes } from 'ethers';
import { ChainRevertError } from '../chain/errors.ts';
import { ModelChain } from '../chain/model-chain.ts';
import type { ModelChainOptions } from '../chain/model-chain.ts';
import type { Address, Hex } from '../chain/types.ts';
import { ConfigError } from '../core/errors.ts';
import { updateKey } from '../core/protocol/keys.ts';
import { SLASH_REASON_CODES, chainPost, slashAmountOf } from '../core/defence/chain-post.ts';
import type { PostCandidate } from '../core/defence/chain-post.ts';
import { formatReasons } from '../core/defence/reasons.ts';
import { blockAt, chainGenesisBlock } from './windows.ts';
import type { WindowsConfig } from './windows.ts';

/** What a config may write under `chain`; every field optional ({@link CHAIN_DEFAULTS}). */
export interface SimChainInput {
  /** Mirror the run onto the model chain. Default true. */
  readonly enabled?: boolean;
  /** Blocks per round window, integer ≥ 1. Default 10. */
  readonly roundLength?: number;
  /** Stake each peer registers with, wei (decimal string or bigint), > 0. Default 1 ether. */
  readonly minStake?: string | bigint;
  /** Reward pool paid per finalised round, wei; the owner funds rounds × this at deploy. Default 1 ether. */
  readonly rewardPerRound?: string | bigint;
  /** G: most uids one postResults may select, integer ≥ 1. Default 2³² − 1 (the sim's defence decides). */
  readonly maxSelected?: number;
  /** Stake taken per Gauntlet slash (capped at the peer's stake), wei, > 0. Default minStake / 10. */
  readonly slashAmount?: string | bigint;
}

/** The resolved `chain` section; wei as decimal strings so the config stays JSON-safe. */
export interface SimChainConfig {
  readonly enabled: boolean;
  readonly roundLength: number;
  readonly minStake: string;
  readonly rewardPerRound: string;
  readonly maxSelected: number;
  readonly slashAmount: string;
}

const ETHER = 10n ** 18n;
const UINT32_MAX = 2 ** 32 - 1;

/** Defaults of {@link SimChainInput}. */
export const CHAIN_DEFAULTS = Object.freeze({
  enabled: true,
  roundLength: 10, // blocks per round
  minStake: ETHER.toString(), // wei
  rewardPerRound: ETHER.toString(), // wei
  maxSelected: UINT32_MAX,
});


/** Fills defaults and validates the `chain` section; throws {@link ConfigError}. */
export function resolveChainConfig(input: SimChainInput = {}, key = 'chain'): SimChainConfig {
  if (typeof input !== 'object' || input === null) throw new ConfigError(key, input, 'must be an object');
  const known = ['enabled', 'roundLength', 'minStake', 'rewardPerRound', 'maxSelected', 'slashAmount'];
  for (const k of Object.keys(input)) {
    if (!known.includes(k)) throw new ConfigError(`${key}.${k}`, (input as Record<string, unknown>)[k], `is not a chain option (expected one of ${known.join(', ')})`);
  }
  const enabled = input.enabled ?? CHAIN_DEFAULTS.enabled;
  if (typeof enabled !== 'boolean') throw new ConfigError(`${key}.enabled`, enabled, 'must be a boolean');
  const roundLength = input.roundLength ?? CHAIN_DEFAULTS.roundLength;
  if (!Number.isSafeInteger(roundLength) || roundLength < 1) throw new ConfigError(`${key}.roundLength`, roundLength, 'must be an integer ≥ 1 (blocks)');
  const maxSelected = input.maxSelected ?? CHAIN_DEFAULTS.maxSelected;
  if (!Number.isSafeInteger(maxSelected) || maxSelected < 1 || maxSelected > UINT32_MAX) {
    throw new ConfigError(`${key}.maxSelected`, maxSelected, `must be an integer in [1, ${UINT32_MAX}]`);
  }
  const minStake = wei(`${key}.minStake`, input.minStake ?? CHAIN_DEFAULTS.minStake, 1n);
  const rewardPerRound = wei(`${key}.rewardPerRound`, input.rewardPerRound ?? CHAIN_DEFAULTS.rewardPerRound, 0n);
  const slashAmount = wei(`${key}.slashAmount`, input.slashAmount ?? (minStake / 10n || 1n), 1n);
  return { enabled, roundLength, minStake: minStake.toString(), rewardPerRound: rewardPerRound.toString(), maxSelected, slashAmount: slashAmount.toString() };
}

function wei(key: string, value: unknown, min: bigint): bigint {
  let parsed: bigint | null = null;
  if (typeof value === 'bigint') parsed = value;
  else if (typeof value === 'string' && /^[0-9]+$/.test(value)) parsed = BigInt(value);
  if (parsed === null || parsed < min) throw new ConfigError(key, value, `must be wei as a bigint or decimal string, ≥ ${min}`);
  return parsed;
}

/** The chain columns of a round's row. */
export interface ChainRowFigures {
  /** Commits that succeeded since the previous row. */
  readonly chainCommits: number;
  /** Reverted chain calls since the previous row, "ErrorName=count;…" sorted ('' when none). */
  readonly chainReverts: string;
  /** Rewards accrued by postResults since the previous row, wei (decimal string). */
  readonly chainRewardsPaid: string;
  /** Rewards accrued over the run so far, wei (decimal string). */
  readonly cumulativeChainRewardsPaid: string;
}

/** The chain's state at the end of a run (`SimResult.chain`); wei as decimal strings. */
export interface SimChainSummary {
  /** Rounds with posted results (skipped rounds included, posted with an empty selection). */
  readonly finalisedRounds: number;
  /** Of those, rounds posted with an empty selection. */
  readonly emptyRounds: number;
  readonly commits: number;
  readonly slashes: number;
  readonly totalSlashed: string;
  readonly totalRewards: string;
  /** Σ stakes of the registered peers. */
  readonly totalStake: string;
  readonly blockNumber: string;
  /** Accrued rewards by sim uid (only for runs with ≤ {@link REWARDS_BY_UID_LIMIT} peers). */
  readonly rewardsByUid?: Readonly<Record<number, string>>;
}

/** Beyond this many registered peers the summary leaves out rewardsByUid. */
export const REWARDS_BY_UID_LIMIT = 1000;

/** bytes32 of an FNV-1a hex digest (8 digits): left-padded with zeros. */
const HASH_PAD = '0'.repeat(56);
function fnvToBytes32(hash8: string): Hex {
  return `0x${HASH_PAD}${hash8}` as Hex;
}

const HEX_BYTE = Array.from({ length: 128 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * bytes32 of a storage key: its bytes right-padded with zeros when it is ASCII and ≤ 31 bytes
 * (ethers' `encodeBytes32String`, hand-rolled: one commit per peer and round at 10k peers), else
 * its keccak256.
 */
export function storageKeyBytes32(key: string): Hex {
  if (key.length < 32) {
    let hex = '0x';
    for (let i = 0; i < key.length; i++) {
      const code = key.charCodeAt(i);
      if (code >= 128) return encodeBytes32String(key) as Hex;
      hex += HEX_BYTE[code]!;
    }
    return hex.padEnd(66, '0') as Hex;
  }
  return keccak256(toUtf8Bytes(key)) as Hex;
}

/** The deterministic address of sim peer `uid`: `0xee` + the uid in 38 hex digits, checksummed. */
export function peerAddress(uid: number): Address {
  return getAddress(`0xee${uid.toString(16).padStart(38, '0')}`);
}

const OWNER: Address = getAddress(`0xcc${'0'.repeat(37)}1`);
const VALIDATOR: Address = getAddress(`0xdd${'0'.repeat(37)}1`);

/** How the mirror's {@link ModelChain} is built: only what a test may change to compare models. */
export interface SimChainModelOptions {
  /** See {@link ModelChainOptions.retainFinalisedRounds}. Default 0: nothing here reads a finalised round's commitments. */
  readonly retainFinalisedRounds?: ModelChainOptions['retainFinalisedRounds'];
}

/**
 * The sim's block clock, when the run has `windows` (sim/windows.ts): the mirror's blocks are the
 * sim's blocks (block b = sim time [b, b + 1) × blockTimeS), chain round r's window the
 * `blocksPerWindow` blocks that end with the block of round r's time_max, and every call lands in
 * the block of the sim time it is made at (or the mirror's next block, which never goes back).
 */
export interface SimBlockClock {
  readonly windows: WindowsConfig;
  /** The sim time now, sim seconds. */
  readonly nowS: () => number;
}

/** One run's mirror onto a {@link ModelChain}; MUTATED by every call. */
export class SimChain {
  readonly model: ModelChain;
  readonly owner: Address = OWNER;
  readonly validator: Address = VALIDATOR;
  readonly #minStake: bigint;
  readonly #slashAmount: bigint;
  readonly #maxSelected: number;
  readonly #address = new Map<number, Address>();
  readonly #chainUid = new Map<number, number>();
  #commits = 0;
  #reverts = new Map<string, number>();
  #rewards = 0n;
  #cumulativeRewards = 0n;
  #totalCommits = 0;
  #emptyRounds = 0;
  #slashed = 0n;
  #slashCount = 0;
  #lastRound: [number, bigint] | null = null;
  readonly #clock: SimBlockClock | null;

  /**
   * Deploys the Coordinator, adds the validator, funds `rounds` rounds of rewards, registers `uids`.
   * With `clock` (windows), `cfg.roundLength` is the windows' blocksPerWindow (config.ts checks it).
   */
  constructor(cfg: SimChainConfig, rounds: number, uids: Iterable<number>, modelOptions: SimChainModelOptions = {}, clock: SimBlockClock | null = null) {
    this.#clock = clock;
    this.#minStake = BigInt(cfg.minStake);
    this.#slashAmount = BigInt(cfg.slashAmount);
    this.#maxSelected = cfg.maxSelected;
    const rewardPerRound = BigInt(cfg.rewardPerRound);
    this.model = new ModelChain({
      config: { minStake: this.#minStake, unbondingBlocks: 0n, roundLength: BigInt(cfg.roundLength), maxSelected: cfg.maxSelected, rewardPerRound },
      deployer: OWNER,
      automine: false,
      retainLogs: false, // nothing reads past logs here; at 10k peers they would cost ~1 KB per peer per round
      retainFinalisedRounds: modelOptions.retainFinalisedRounds ?? 0, // see the header: never read after finalise
      // Block clock: genesis (chain round 0's first block) is set so round r's window ends at the block of its time_max.
      ...(clock === null ? {} : { startBlock: BigInt(chainGenesisBlock(clock.windows) - 1) }),
    });
    this.model.addValidator(OWNER, VALIDATOR);
    if (rewardPerRound > 0n) this.model.fundRewards(OWNER, rewardPerRound * BigInt(rounds));
    this.register(uids);
  }

  /** The chain uid of sim peer `uid` (registration order); undefined when not registered. */
  chainUidOf(uid: number): number | undefined {
    return this.#chainUid.get(uid);
  }

  /** Registers sim peers with minStake, each from its own address. */
  register(uids: Iterable<number>): void {
    for (const uid of uids) {
      const address = peerAddress(uid);
      const receipt = this.#try(() => this.model.register(address, this.#minStake));
      if (receipt === null) continue;
      this.#address.set(uid, address);
      this.#chainUid.set(uid, receipt.uid);
    }
  }

  /** Round `round` opens: mines up to the block before its window, so its commits land in its first block. */
  openRound(round: number): void {
    if (this.#clock !== null) this.#mineToNow();
    else this.#mineTo(this.model.roundWindow(BigInt(round)).firstBlock - 1n);
  }

  /** The sim closed round `round`'s window: mines its last block, so later commits to it revert. */
  closeRound(round: number): void {
    this.#mineTo(this.model.roundWindow(BigInt(round)).lastBlock);
  }

  /** Peer `uid` commits its upload (FNV-1a digest `hash8`) for `round`; a revert is counted. */
  commit(round: number, uid: number, hash8: string): void {
    const address = this.#address.get(uid);
    if (address === undefined) return; // never registered (its register reverted, counted then)
    if (this.#clock !== null) this.#mineToNow();
    const ok = this.#try(() => this.model.commit(address, this.#roundBigInt(round), fnvToBytes32(hash8), storageKeyBytes32(updateKey(round, uid))));
    if (ok !== null) {
      this.#commits++;
      this.#totalCommits++;
    }
  }

  /**
   * The validator posts round `round`: the `contributors` (sim uids) that committed on chain, with
   * `weights` (Gauntlet's, by sim uid; null = 1 each), the new params' FNV-1a as aggregate hash;
   * then slashes `slashed` (sim uids).
   */
  finalise(round: number, contributors: readonly number[], weights: ReadonlyMap<number, number> | null, paramsHash8: string, slashed: readonly number[]): void {
    const r = BigInt(round);
    const candidates: PostCandidate[] = [];
    for (const uid of contributors) {
      const chainUid = this.#chainUid.get(uid);
      if (chainUid === undefined || !this.model.committed(r, chainUid)) continue;
      candidates.push({ uid: chainUid, weight: weights === null ? null : (weights.get(uid) ?? 0) });
    }
    const { uids, weights: ints } = chainPost(candidates, weights !== null, this.#maxSelected);
    const posted = this.#try(() => this.model.postResults(VALIDATOR, r, uids, ints, fnvToBytes32(paramsHash8)));
    if (posted !== null) {
      const distributed = this.model.roundResult(r).distributed;
      this.#rewards += distributed;
      this.#cumulativeRewards += distributed;
      if (uids.length === 0) this.#emptyRounds++;
    }
    for (const uid of slashed) {
      const chainUid = this.#chainUid.get(uid);
      if (chainUid === undefined) continue;
      const amount = slashAmountOf(this.model.peer(chainUid).stake, this.#slashAmount);
      if (this.#try(() => this.model.slash(VALIDATOR, chainUid, amount, SLASH_REASON_CODES['repeated-failures'])) !== null) {
        this.#slashed += amount;
        this.#slashCount++;
      }
    }
  }

  /** The chain columns of the row being finished; resets the per-row counters. */
  takeRowFigures(): ChainRowFigures {
    const figures: ChainRowFigures = {
      chainCommits: this.#commits,
      chainReverts: formatReasons(this.#reverts),
      chainRewardsPaid: this.#rewards.toString(),
      cumulativeChainRewardsPaid: this.#cumulativeRewards.toString(),
    };
    this.#commits = 0;
    this.#reverts = new Map();
    this.#rewards = 0n;
    return figures;
  }

  /** The chain's state now (for SimResult.chain). */
  summary(): SimChainSummary {
    let totalStake = 0n;
    const count = Number(this.model.peerCount());
    for (let i = 0; i < count; i++) totalStake += this.model.peer(i).stake;
    const base = {
      finalisedRounds: Number(this.model.finalisedCount()),
      emptyRounds: this.#emptyRounds,
      commits: this.#totalCommits,
      slashes: this.#slashCount,
      totalSlashed: this.#slashed.toString(),
      totalRewards: this.#cumulativeRewards.toString(),
      totalStake: totalStake.toString(),
      blockNumber: this.model.blockNumber.toString(),
    };
    if (this.#chainUid.size > REWARDS_BY_UID_LIMIT) return Object.freeze(base);
    const rewardsByUid: Record<number, string> = {};
    for (const [uid, chainUid] of this.#chainUid) rewardsByUid[uid] = this.model.rewardsOf(chainUid).toString();
    return Object.freeze({ ...base, rewardsByUid: Object.freeze(rewardsByUid) });
  }

  /** `BigInt(round)`, one per round rather than one per commit (the model keeps what it is given). */
  #roundBigInt(round: number): bigint {
    if (this.#lastRound === null || this.#lastRound[0] !== round) this.#lastRound = [round, BigInt(round)];
    return this.#lastRound[1];
  }

  /** Block clock: mines to the block before the current sim time's, so the next call lands in it. */
  #mineToNow(): void {
    const clock = this.#clock!;
    this.#mineTo(BigInt(blockAt(clock.windows, clock.nowS())) - 1n);
  }

  #mineTo(block: bigint): void {
    if (block > this.model.blockNumber) this.model.mine(block - this.model.blockNumber);
  }

  /** Runs a chain call; a revert is counted by its error name and yields null. */
  #try<T>(call: () => T): T | null {
    try {
      return call();
    } catch (error) {
      if (!(error instanceof ChainRevertError)) throw error;
      this.#reverts.set(error.errorName, (this.#reverts.get(error.errorName) ?? 0) + 1);
      return null;
    }
  }
}
