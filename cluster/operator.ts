/**
 * An attacking operator's memory, kept in the store. The simulator runs every attacker in one
 * process and shares their state in memory; on the cluster each identity is its own process, so
 * what one operator's identities share within a round — a sybil group's one message, a colluding
 * group's Δs and its forged message — and what a stale attacker keeps across rounds (its honest
 * messages, so a restarted process still has them) live in objects only the operator writes
 * (`operatorKey`, under cluster/attack-). None of them is a protocol object: no honest node reads
 * them and no row counts their bytes (the simulator's operators move nothing over a network
 * either).
 */
import type { ObjectStore } from '../backends/store/index.ts';
import { StoreError } from '../backends/store/index.ts';
import type { ChainClient } from '../chain/types.ts';
import type { StaleEntry } from '../sim/adversaries.ts';
import { getJsonOrNull, operatorKey, putJson } from './store-keys.ts';

/** Poll period while waiting for another identity's object, ms. */
const POLL_MS = 20;

/** The message a group's leader forged for every member (sybil: its 1-step message; colluding: the shared Δ encoded). */
export function groupMessageKey(round: number, group: number): string {
  return operatorKey(`group-${group}-${round}.bin`);
}

/** One colluding member's Δ (fp32, little-endian) for its leader. */
export function memberDeltaKey(round: number, group: number, uid: number): string {
  return operatorKey(`delta-${group}-${round}-${uid}.bin`);
}

function staleKey(round: number, uid: number): string {
  return operatorKey(`stale-${uid}-${round}.json`);
}

/** Keeps a stale attacker's honest message of `entry.round` and the base step it was trained from. */
export async function putStaleEntry(store: ObjectStore, uid: number, entry: StaleEntry): Promise<void> {
  await putJson(store, staleKey(entry.round, uid), { round: entry.round, baseStep: entry.baseStep, bytes: Buffer.from(entry.bytes).toString('base64') });
}

/** A stale attacker's honest message of `round`, or null when it did not run that round. */
export async function getStaleEntry(store: ObjectStore, uid: number, round: number): Promise<StaleEntry | null> {
  if (round < 0) return null;
  const json = await getJsonOrNull<{ round: number; baseStep: number; bytes: string }>(store, staleKey(round, uid));
  return json === null ? null : { round: json.round, baseStep: json.baseStep, bytes: new Uint8Array(Buffer.from(json.bytes, 'base64')) };
}

/** Puts a Δ as its fp32 bytes. */
export async function putDelta(store: ObjectStore, key: string, delta: Float32Array): Promise<void> {
  await store.put(key, new Uint8Array(delta.buffer.slice(delta.byteOffset, delta.byteOffset + delta.byteLength)));
}

/** A Δ put by {@link putDelta}. */
export function deltaOf(bytes: Uint8Array): Float32Array {
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/**
 * Waits for another identity's object at `key`; null when the round's window closes first
 * (the chain is past `lastBlock`), so a member whose leader never wrote misses the round.
 */
export async function awaitObject(store: ObjectStore, chain: Pick<ChainClient, 'blockNumber'>, key: string, lastBlock: bigint): Promise<Uint8Array | null> {
  for (;;) {
    try {
      return await store.get(key);
    } catch (error) {
      if (!(error instanceof StoreError && error.reason === 'not-found')) throw error;
    }
    if ((await chain.blockNumber()) > lastBlock) return null;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
