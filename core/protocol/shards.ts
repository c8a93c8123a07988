/**
 * Deterministic data-shard assignment for one round (SPEC.md §4 "Data"). Every node — each peer,
 * the validator, the simulator — computes the same assignment from (seed, round, the *set* of
 * active peers) alone, so a validator can rebuild exactly what a peer should have trained on.
 *
 * Scheme: a seeded permutation of all shards is drawn for the round, then dealt in contiguous
 * blocks of `shardsPerPeer` to the active peers in ascending uid order, wrapping around the
 * permutation when peers × shardsPerPeer > numShards. Why this shape:
 *   - a fresh permutation each round makes every shard equally likely to be used, so over rounds
 *     the global model sees the data roughly uniformly whatever the churn;
 *   - dealing to the *sorted* set makes the input order irrelevant, and a peer that leaves simply
 *     shrinks the deal: its shards go to the remaining peers or wait for a later round (re-balance);
 *   - within one round each shard is used ⌊P·s/N⌋ or ⌈P·s/N⌉ times (balanced), and one peer never
 *     gets the same shard twice (s ≤ N).
 *
 * @example
 * const byPeer = assignShards({ seed: 42, round: 7, activePeers: [5, 2, 9], numShards: 64, shardsPerPeer: 4 });
 * byPeer.get(2); // e.g. [17, 3, 41, 60] — identical on every node
 * shardsForPeer({ seed: 42, round: 7, activePeers: [9, 5, 2], numShards: 64, shardsPerPeer: 4, peerUid: 2 }); // same
 */
import { ConfigError } from '../errors.ts';
import { createRng } from '../rng.ts';
import type { Rng } from '../rng.ts';

/** Most shards a dataset may be split into (2^24): keeps the dealing arithmetic exact. */
export const MAX_SHARDS = 1 << 24;

/** Inputs of {@link assignShards}. */
export interface AssignShardsParameters {
  /** The run's seed (the same value given to `createRng`). */
  readonly seed: number | string;
  /** Round (window) number, a non-negative integer. */
  readonly round: number;
  /** Uids of the peers active this round, any order, no duplicates. */
  readonly activePeers: readonly number[];
  /** Number of shards the dataset is split into (≥ 1). */
  readonly numShards: number;
  /** Shards each active peer trains on this round (1 ≤ shardsPerPeer ≤ numShards). */
  readonly shardsPerPeer: number;
}

/** Inputs of {@link shardsForPeer}: the round's parameters plus the one peer asked about. */
export interface ShardsForPeerParameters extends AssignShardsParameters {
  readonly peerUid: number;
}

/**
 * Assigns shards to every active peer for one round. Returns a map in ascending peer-uid order;
 * each value lists that peer's shard ids (distinct, in dealing order).
 *
 * @throws {ConfigError} on a bad seed, round, shard count, shardsPerPeer or peer uid.
 */
export function assignShards(params: AssignShardsParameters): Map<number, readonly number[]> {
  const peers = sortedActivePeers(params.activePeers);
  checkShardParameters(params);
  const perm = roundPermutation(params.seed, params.round, params.numShards);
  const out = new Map<number, readonly number[]>();
  for (let i = 0; i < peers.length; i++) out.set(peers[i]!, deal(perm, i, params.shardsPerPeer));
  return out;
}

/**
 * The shards of one peer: exactly `assignShards(params).get(peerUid)`, without building the whole
 * map (what a validator checking one peer calls).
 *
 * @throws {ConfigError} when `peerUid` is not in `activePeers`, or on any bad parameter.
 */
export function shardsForPeer(params: ShardsForPeerParameters): readonly number[] {
  const peers = sortedActivePeers(params.activePeers);
  checkShardParameters(params);
  const position = peers.indexOf(params.peerUid);
  if (position < 0) throw new ConfigError('peerUid', params.peerUid, `must be one of the round's active peers (${peers.length} active)`);
  return deal(roundPermutation(params.seed, params.round, params.numShards), position, params.shardsPerPeer);
}

/**
 * The random stream from which one peer draws its samples within its shards for one round
 * (SPEC.md §4: "samples for a window follow from a seed of (peer id, window)"). Forked by name, so
 * it is the same stream on every node however many numbers other streams have drawn.
 */
export function peerDataRng(root: Rng, round: number, peerUid: number): Rng {
  checkRound(round);
  checkPeerUid(peerUid);
  return root.fork('data').fork(`round:${round}`).fork(`peer:${peerUid}`);
}

/** Peer `position`'s block of the permutation, wrapping around its end. */
function deal(perm: Uint32Array, position: number, shardsPerPeer: number): readonly number[] {
  const n = perm.length;
  // Reduced mod n first: both factors are < n ≤ 2^24, so the product stays exact in a double.
  const start = ((position % n) * (shardsPerPeer % n)) % n;
  const shards = new Array<number>(shardsPerPeer);
  for (let j = 0; j < shardsPerPeer; j++) shards[j] = perm[(start + j) % n]!;
  return Object.freeze(shards);
}

/** A uniformly random permutation of 0..numShards−1, fixed by (seed, round). */
function roundPermutation(seed: number | string, round: number, numShards: number): Uint32Array {
  const rng = createRng(seed).fork('shards').fork(`round:${round}`);
  const perm = new Uint32Array(numShards);
  for (let i = 0; i < numShards; i++) perm[i] = i;
  // Fisher–Yates on the typed array (Rng.shuffle wants a plain array; this avoids the copy).
  for (let i = numShards - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const tmp = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = tmp;
  }
  return perm;
}

function sortedActivePeers(activePeers: readonly number[]): number[] {
  const peers = [...activePeers].sort((a, b) => a - b);
  for (let i = 0; i < peers.length; i++) {
    checkPeerUid(peers[i]!);
    if (i > 0 && peers[i] === peers[i - 1]) throw new ConfigError('activePeers', peers[i], 'must not list a peer uid twice');
  }
  return peers;
}

function checkShardParameters(params: AssignShardsParameters): void {
  const { seed, round, numShards, shardsPerPeer } = params;
  if (typeof seed === 'number' ? !Number.isFinite(seed) : typeof seed !== 'string') {
    throw new ConfigError('seed', seed, 'must be a finite number or a string');
  }
  checkRound(round);
  if (!Number.isSafeInteger(numShards) || numShards < 1 || numShards > MAX_SHARDS) {
    throw new ConfigError('numShards', numShards, `must be an integer in [1, ${MAX_SHARDS}]`);
  }
  if (!Number.isSafeInteger(shardsPerPeer) || shardsPerPeer < 1 || shardsPerPeer > numShards) {
    throw new ConfigError('shardsPerPeer', shardsPerPeer, `must be an integer in [1, numShards (${numShards})]`);
  }
}

function checkRound(round: number): void {
  if (!Number.isSafeInteger(round) || round < 0) throw new ConfigError('round', round, 'must be a non-negative safe integer');
}

function checkPeerUid(uid: number): void {
  if (!Number.isSafeInteger(uid) || uid < 0) throw new ConfigError('peerUid', uid, 'must be a non-negative safe integer');
}
