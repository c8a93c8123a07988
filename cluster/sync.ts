/**
 * Keeping a replica's params on the chain's path: apply one finalised round (download the selected
 * messages, the defence's outer step of them in ascending uid order (`applySelection`: the
 * communicator's apply, or the robust step), check the result against the validator's
 * aggregate hash), and catch up from the store after a (re)start (latest checkpoint, then replay
 * the finalised rounds after it; DiLoCo's outer momentum with it). Shared by peers and the
 * validator, so both compute the same bits.
 */
import type { PeerMessage } from '../core/baselines/index.ts';
import { applySelection } from '../core/defence/aggregate-round.ts';
import { dilocoStateBytes, restoreDilocoState } from '../core/baselines/diloco.ts';
import type { DilocoSharedState } from '../core/baselines/diloco.ts';
import { paramBytes } from '../core/hash.ts';
import { checkpointKey, parseStorageKey, updateKey } from '../core/protocol/index.ts';
import type { ObjectStore } from '../backends/store/index.ts';
import { StoreError } from '../backends/store/index.ts';
import { finalisedRounds } from './chain-wait.ts';
import type { FinalisedRound } from './chain-wait.ts';
import type { CoordinatorReader } from '../chain/types.ts';
import { ClusterError } from './errors.ts';
import { paramsHash } from './hashes.ts';
import { logicalRoundOf } from './plan.ts';
import type { ClusterPlan } from './plan.ts';
import { initialParams } from './replica.ts';
import { outerStateKey } from './store-keys.ts';
import type { Replica } from './replica.ts';

/** What applying one round cost. */
export interface AppliedRound {
  readonly bytesDown: number; // bytes downloaded
  readonly contributors: readonly number[];
}

/** Reads an object the chain says exists; a missing one is a {@link ClusterError} 'missing-object'. */
export async function getRequired(store: ObjectStore, key: string): Promise<Uint8Array> {
  try {
    return await store.get(key);
  } catch (error) {
    if (error instanceof StoreError && error.reason === 'not-found') throw new ClusterError('missing-object', `store object ${key} is missing`, { cause: error });
    throw error;
  }
}

/**
 * Applies logical round `round`'s selection to `replica` (MUTATES params and shared state).
 * `own` is this node's own message for the round, which it does not download again.
 *
 * @throws {ClusterError} 'diverged' when the resulting params do not hash to `finalised.aggregateHash`.
 */
export async function applyFinalisedRound(replica: Replica, store: ObjectStore, round: number, finalised: FinalisedRound, own?: PeerMessage): Promise<AppliedRound> {
  let bytesDown = 0;
  const messages: PeerMessage[] = [];
  for (const uid of finalised.uids) {
    if (own !== undefined && own.peerUid === uid) {
      messages.push(own);
      continue;
    }
    const bytes = await getRequired(store, updateKey(round, uid));
    bytesDown += bytes.length;
    messages.push({ peerUid: uid, bytes });
  }
  // The validator's own outer step of its selection (core/defence), so both hold the same bits.
  const report = messages.length === 0 ? null : applySelection(replica.cfg.defence, replica.params, replica.shared, messages, { comm: replica.comm, layout: replica.backend.layout, sparseloco: replica.sparseloco });
  const hash = paramsHash(replica.params);
  if (hash !== finalised.aggregateHash) {
    throw new ClusterError('diverged', `params after round ${round} hash to ${hash}, the validator posted ${finalised.aggregateHash}`);
  }
  return { bytesDown, contributors: report?.contributors ?? [] };
}

/** Where a caught-up replica stands. */
export interface CaughtUp {
  /** The last logical round applied (finalised or skipped); null when none is finalised yet. */
  readonly lastRound: number | null;
  /** Outer steps applied (finalised rounds with a non-empty selection). */
  readonly globalStep: number;
  /** Bytes downloaded (checkpoint + replayed messages). */
  readonly bytes: number;
  /** The global step of the checkpoint it started from (0 = θ⁰ rebuilt locally). */
  readonly fromCheckpoint: number;
}

/**
 * Brings `replica` to the state after every round finalised on chain so far: loads the newest
 * checkpoint in the store (θ⁰ from the seed when there is none), then replays the finalised rounds
 * after it, each checked against its aggregate hash. MUTATES replica.params.
 */
export async function catchUp(replica: Replica, store: ObjectStore, chain: CoordinatorReader, plan: ClusterPlan): Promise<CaughtUp> {
  const history = (await finalisedRounds(chain, BigInt(plan.genesisBlock)))
    .map((f) => ({ round: logicalRoundOf(plan, f.chainRound), f }))
    .filter((h): h is { round: number; f: FinalisedRound } => h.round !== null)
    .sort((a, b) => a.round - b.round);
  const steps = history.filter((h) => h.f.uids.length > 0);
  const checkpoint = await newestCheckpoint(store, steps.length);
  let bytes = 0;
  if (checkpoint === 0) {
    replica.params.set(initialParams(replica.cfg, replica.backend));
  } else {
    const data = await getRequired(store, checkpointKey(checkpoint));
    bytes += data.length;
    const expected = steps[checkpoint - 1]!.f.aggregateHash;
    const view = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    if (view.length !== replica.params.length || paramsHash(view) !== expected) {
      throw new ClusterError('diverged', `checkpoint ${checkpoint} does not hash to the aggregate hash of its round (${expected})`);
    }
    replica.params.set(view);
  }
  await restoreOuterState(replica, store, checkpoint);
  // Replay only rounds after the checkpoint's: skipped rounds change nothing and need no download.
  for (const h of steps.slice(checkpoint)) bytes += (await applyFinalisedRound(replica, store, h.round, h.f)).bytesDown;
  const last = history.length === 0 ? null : history[history.length - 1]!.round;
  return { lastRound: last, globalStep: steps.length, bytes, fromCheckpoint: checkpoint };
}

/** The highest checkpoint step ≤ `maxStep` in the store (0 when there is none). */
async function newestCheckpoint(store: ObjectStore, maxStep: number): Promise<number> {
  let best = 0;
  for (const key of await store.list('checkpoint-')) {
    try {
      const parsed = parseStorageKey(key);
      if (parsed.kind === 'checkpoint' && parsed.step <= maxStep && parsed.step > best) best = parsed.step;
    } catch {
      // Not one of ours (another key version): ignore.
    }
  }
  return best;
}

/**
 * Writes the checkpoint after `globalStep` outer steps: the params, and for DiLoCo its outer
 * Nesterov state (`cluster/outer-state-<step>.bin`, core/baselines/diloco.ts), written first so a
 * node that finds the params finds the state too.
 */
export async function writeCheckpoint(store: ObjectStore, globalStep: number, replica: Replica): Promise<void> {
  if (replica.comm.method === 'diloco') await store.put(outerStateKey(globalStep), dilocoStateBytes(replica.shared as DilocoSharedState));
  await store.put(checkpointKey(globalStep), paramBytes(replica.params).slice());
}

/** DiLoCo's outer state as of checkpoint `step` (fresh at step 0); nothing for the other methods, whose outer step keeps no state. */
async function restoreOuterState(replica: Replica, store: ObjectStore, step: number): Promise<void> {
  if (replica.comm.method !== 'diloco') return;
  const state = replica.shared as DilocoSharedState;
  if (step === 0) {
    state.buf.fill(0);
    state.steps = 0;
    return;
  }
  restoreDilocoState(state, await getRequired(store, outerStateKey(step)));
}
