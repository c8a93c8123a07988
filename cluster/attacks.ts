/**
 * What a peer process puts in the store and commits in one round: the honest message, or — for a
 * uid the config's `adversaries` roster names (same keys, same seeded roster as the simulator:
 * sim/adversaries.ts `assignRoster` on stream 'adversaries/roster') — its attack's, built with the
 * simulator's own rules (`attackTraining`, `forgeMessage`, `noiseStream`, `staleChoice`,
 * `colludingDelta`), at the same stage:
 *   sign-flip / scale / nan / malformed   trains honestly, uploads the forged message;
 *   commit-mismatch   trains honestly, uploads it sign-flipped, commits sha256 of the honest bytes;
 *   noise             its own H steps, Δ + noise from stream 'adversaries/noise:<uid>:<round>';
 *   lazy              its own `innerSteps` (default 1) steps;
 *   data-poison       its own H steps on random shards (stream 'adversaries/poison:<uid>:<round>');
 *   free-rider        does not train; uploads the all-zero message;
 *   copycat           does not train; uploads the lowest-uid honest message the previous round
 *                     committed (read from the store), nothing in round 0 — the simulator's
 *                     copycat uploads before any honest peer has trained, so it copies that too;
 *   stale             trains honestly and keeps each honest message with its base step among its
 *                     operator objects (cluster/operator.ts); uploads the one of round r − k when it
 *                     ran then, and claims that base step (store-keys.ts `baseStepClaimKey`) for the
 *                     validator's freshness check;
 *   sybil             several uids, one operator: the group's lowest uid present this round trains 1
 *                     step and leaves its message for the others, who upload the same bytes untrained;
 *   colluding         every member trains H steps and leaves its Δ; the leader (lowest uid present)
 *                     encodes colludingDelta(Δs, ascending uid) with its own error feedback and leaves
 *                     the bytes; every member uploads them.
 * The own-loop attacks (noise, lazy, data-poison, sybil, colluding) ignore null rounds, as in the
 * simulator. Everything a round's upload needs, operator objects included, is done before the
 * peer's crash point: the simulator does all of a round's work before any crash.
 */
import { performance } from 'node:perf_hooks';
import type { PeerTrainer } from '../backends/index.ts';
import type { ObjectStore } from '../backends/store/index.ts';
import type { ChainClient } from '../chain/types.ts';
import { createRng } from '../core/rng.ts';
import type { Rng } from '../core/rng.ts';
import { updateKey } from '../core/protocol/index.ts';
import { addRelativeNoise, assignRoster, attackTraining, colludingDelta, forgeMessage, noiseStream, staleChoice, zeroMessage } from '../sim/adversaries.ts';
import type { AttackConfig } from '../sim/adversaries.ts';
import type { SimConfig } from '../sim/config.ts';
import { encodeRound, trainRound } from '../sim/contribution.ts';
import { sha256Hex } from './hashes.ts';
import { awaitObject, deltaOf, getStaleEntry, groupMessageKey, memberDeltaKey, putDelta, putStaleEntry } from './operator.ts';
import { chainRoundOf, windowOf } from './plan.ts';
import type { ClusterPlan } from './plan.ts';
import type { Replica } from './replica.ts';
import { baseStepClaimKey, putJson } from './store-keys.ts';

/** An attacker of the roster: its attack and its group (index into `adversaries`). */
export interface RosterEntry {
  readonly attack: AttackConfig;
  readonly group: number;
}

/** uid → its attack and group (the simulator's roster for this config); honest uids are absent. */
export function attackRoster(cfg: SimConfig): Map<number, RosterEntry> {
  const roster = assignRoster(cfg.adversaries, cfg.peers, adversariesStream(cfg).fork('roster'));
  return new Map([...roster].map(([uid, group]) => [uid, { attack: cfg.adversaries[group]!.attack, group }]));
}

/** The simulator's 'adversaries' stream of this run (sim/context.ts forks it from the root). */
function adversariesStream(cfg: SimConfig): Rng {
  return createRng(cfg.seed).fork('adversaries');
}

/** The uid a copycat copies in `round`: the lowest honest uid of `committedLastRound`, or null. */
export function copycatSource(committedLastRound: readonly number[], roster: ReadonlyMap<number, unknown>): number | null {
  let best: number | null = null;
  for (const uid of committedLastRound) if (!roster.has(uid) && (best === null || uid < best)) best = uid;
  return best;
}

/** The members of `group` present in `round` (its roster), ascending: the first is the leader. */
export function groupMembersIn(plan: ClusterPlan, round: number, group: number, roster: ReadonlyMap<number, RosterEntry>): number[] {
  return plan.rosters[round]!.filter((u) => roster.get(u)?.group === group).sort((a, b) => a - b);
}

/** One peer's round, as {@link prepareUpload} needs it. */
export interface UploadWork {
  readonly store: ObjectStore;
  readonly chain: ChainClient;
  readonly plan: ClusterPlan;
  readonly replica: Replica;
  readonly round: number;
  readonly uid: number;
  readonly shards: readonly number[];
  readonly nullRound: boolean;
  readonly trainer: PeerTrainer;
  readonly commState: unknown;
  /** Scratch for Δ. */
  readonly deltaOut: Float32Array;
  readonly roster: ReadonlyMap<number, RosterEntry>;
  /** Outer steps finalised before this round: the base step it trains from. */
  readonly globalStep: number;
}

/** What the round's upload is, with the time it took. */
export interface PreparedUpload {
  readonly bytes: Uint8Array;
  /** What it commits (sha256 of `bytes` unless the attack commits other bytes' hash). */
  readonly updateHash: `0x${string}`;
  readonly tokens: number;
  readonly trainLoss: number | null;
  readonly trainS: number;
  /** Encoding and forging (waiting for a leader's bytes included). */
  readonly compressS: number;
}

/** Nothing to upload this round (a copycat with nothing to copy, a member whose leader never wrote). */
export interface NoUpload {
  readonly missed: string;
  readonly trainS: number;
}

const since = (t0: number): number => (performance.now() - t0) / 1000;

/** Trains and builds the round's upload (honest or the roster's attack). MUTATES trainer, commState, deltaOut, the store (operator objects, a base-step claim). */
export async function prepareUpload(w: UploadWork): Promise<PreparedUpload | NoUpload> {
  const entry = w.roster.get(w.uid) ?? null;
  const { numShards } = w.replica.backend;
  const innerSteps = w.replica.cfg.innerSteps;
  const leader = entry === null ? true : groupMembersIn(w.plan, w.round, entry.group, w.roster)[0] === w.uid;
  const plan = entry === null ? { kind: 'honest' as const } : attackTraining(entry.attack, { uid: w.uid, round: w.round, shards: w.shards, innerSteps, numShards, rng: adversariesStream(w.replica.cfg), leader });

  let t0 = performance.now();
  const trained = plan.kind === 'honest'
    ? trainRound({ trainer: w.trainer, params: w.replica.params, round: w.round, shards: w.shards, innerSteps, nullRound: w.nullRound, deltaOut: w.deltaOut })
    : plan.kind === 'own'
      ? { ...w.trainer.runInnerLoop({ params: w.replica.params, round: w.round, shards: plan.shards, innerSteps: plan.innerSteps, deltaOut: w.deltaOut }), nullRound: false }
      : null;
  const trainS = since(t0);

  t0 = performance.now();
  const forged = entry === null ? null : await forge(w, entry, trained, leader);
  if (forged !== null && 'missed' in forged) return { missed: forged.missed, trainS };
  const bytes = forged?.bytes ?? encodeRound(w.replica.comm, w.commState, trained!);
  const updateHash = forged?.committedHash ?? sha256Hex(bytes);
  const compressS = since(t0);
  return { bytes, updateHash, tokens: trained?.tokens ?? 0, trainLoss: trained?.meanLoss ?? null, trainS, compressS };
}

type Trained = { readonly delta: Float32Array; readonly meanLoss: number; readonly tokens: number; readonly nullRound: boolean } | null;

/** An attacker's bytes (and the hash it commits when it is not theirs), or why it uploads nothing. */
async function forge(w: UploadWork, entry: RosterEntry, trained: Trained, leader: boolean): Promise<{ bytes: Uint8Array; committedHash?: `0x${string}` } | { missed: string }> {
  const { attack, group } = entry;
  const { comm, backend } = w.replica;
  const lastBlock = windowOf(w.plan, w.round).lastBlock;
  switch (attack.kind) {
    case 'sign-flip':
    case 'scale':
    case 'nan':
    case 'malformed':
      return { bytes: forgeMessage(attack, encodeRound(comm, w.commState, trained!), backend.layout) };
    case 'commit-mismatch': {
      const honest = encodeRound(comm, w.commState, trained!);
      return { bytes: forgeMessage(attack, honest, backend.layout), committedHash: sha256Hex(honest) };
    }
    case 'noise':
      addRelativeNoise(trained!.delta, attack.sigma, noiseStream(adversariesStream(w.replica.cfg), w.uid, w.round));
      return { bytes: comm.encode(w.commState, trained!.delta) };
    case 'lazy':
    case 'data-poison':
      return { bytes: comm.encode(w.commState, trained!.delta) };
    case 'free-rider':
      return { bytes: zeroMessage(comm, backend.layout) };
    case 'copycat': {
      const copied = await copyForCopycat(w);
      return copied === null ? { missed: 'nothing-to-copy' } : { bytes: copied };
    }
    case 'stale': {
      const current = { round: w.round, bytes: encodeRound(comm, w.commState, trained!), baseStep: w.globalStep };
      await putStaleEntry(w.store, w.uid, current);
      const old = await getStaleEntry(w.store, w.uid, w.round - attack.roundsBehind);
      const chosen = staleChoice(old === null ? [] : [old], current, attack.roundsBehind);
      if (chosen.baseStep !== w.globalStep) await putJson(w.store, baseStepClaimKey(w.round, w.uid), { baseStep: chosen.baseStep });
      return { bytes: chosen.bytes };
    }
    case 'sybil': {
      const key = groupMessageKey(w.round, group);
      if (leader) {
        const bytes = comm.encode(w.commState, trained!.delta);
        await w.store.put(key, bytes);
        return { bytes };
      }
      const bytes = await awaitObject(w.store, w.chain, key, lastBlock);
      return bytes === null ? { missed: 'window-closed' } : { bytes };
    }
    case 'colluding': {
      await putDelta(w.store, memberDeltaKey(w.round, group, w.uid), trained!.delta);
      const key = groupMessageKey(w.round, group);
      if (leader) {
        const deltas: Float32Array[] = [];
        for (const member of groupMembersIn(w.plan, w.round, group, w.roster)) {
          const d = member === w.uid ? trained!.delta : await awaitObject(w.store, w.chain, memberDeltaKey(w.round, group, member), lastBlock);
          if (d === null) return { missed: 'window-closed' };
          deltas.push(d instanceof Float32Array ? Float32Array.from(d) : deltaOf(d));
        }
        const bytes = comm.encode(w.commState, colludingDelta(deltas, attack.scale));
        await w.store.put(key, bytes);
        return { bytes };
      }
      const bytes = await awaitObject(w.store, w.chain, key, lastBlock);
      return bytes === null ? { missed: 'window-closed' } : { bytes };
    }
  }
}

/** A copycat's bytes: the lowest-uid honest message committed in the previous round, or null (round 0, none). */
async function copyForCopycat(w: UploadWork): Promise<Uint8Array | null> {
  if (w.round === 0) return null;
  const committed: number[] = [];
  const peerCount = Number(await w.chain.peerCount());
  for (let u = 0; u < peerCount; u++) {
    const c = await w.chain.commitment({ round: chainRoundOf(w.plan, w.round - 1), uid: u });
    if (!/^0x0*$/.test(c.updateHash)) committed.push(u);
  }
  const source = copycatSource(committed, w.roster);
  return source === null ? null : w.store.get(updateKey(w.round - 1, source));
}
