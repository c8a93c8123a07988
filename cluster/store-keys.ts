/**
 * Where the cluster keeps its own objects in the shared store, beside the protocol's updates and
 * checkpoints (core/protocol/keys.ts): the run's config, the deployment, the run plan, and one
 * small JSON report per (round, peer) and per round from the validator. All under `cluster/`, so
 * listing a narrow prefix never pages (s3rver cannot page lists > 1000 keys on Node 22).
 * Also the JSON read/write helpers every process uses.
 */
import type { ObjectStore } from '../backends/store/index.ts';
import { StoreError } from '../backends/store/index.ts';

/** The resolved SimConfig of the run (JSON). */
export const CONFIG_KEY = 'cluster/config.json';
/** The Coordinator's deployment (chain/deploy.ts `deploymentToJson`). */
export const DEPLOYMENT_KEY = 'cluster/deployment.json';
/** The run plan (cluster/plan.ts), written once every peer has registered. */
export const PLAN_KEY = 'cluster/plan.json';

/** One peer's report for one round (timings, bytes, its params hash after the sync). */
export function peerReportKey(round: number, uid: number): string {
  return `cluster/peer-report-${round}-${uid}.json`;
}

/** The validator's report for one round. */
export function validatorReportKey(round: number): string {
  return `cluster/validator-report-${round}.json`;
}

/**
 * The base step a peer claims for its round's commitment, when it is not the current global step
 * (JSON `{ baseStep }`; absent: the peer trained from the synced global params, as every honest
 * cluster peer does). The chain's commitment holds only the hash, so the claim rides beside it.
 */
export function baseStepClaimKey(round: number, uid: number): string {
  return `cluster/base-step-${round}-${uid}.json`;
}

/**
 * An attacking operator's own objects (cluster/operator.ts): what one operator's identities
 * share within a round, or what one attacker keeps across rounds. `name` says which.
 */
export function operatorKey(name: string): string {
  return `cluster/attack-${name}`;
}

/** The lagged validator's peer list in force at logical round `round` (core/protocol/peer-list-schedule.ts). */
export function peerListKey(round: number): string {
  return `cluster/peer-list-${round}.json`;
}

/** DiLoCo's outer Nesterov state at checkpoint `step` (cluster/sync.ts). */
export function outerStateKey(step: number): string {
  return `cluster/outer-state-${step}.bin`;
}

/** Writes `value` as JSON (bigints as decimal strings). */
export async function putJson(store: ObjectStore, key: string, value: unknown): Promise<void> {
  const text = JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2);
  await store.put(key, new TextEncoder().encode(`${text}\n`));
}

/** Reads JSON at `key`, or null when the object does not exist. */
export async function getJsonOrNull<T>(store: ObjectStore, key: string): Promise<T | null> {
  try {
    return JSON.parse(new TextDecoder().decode(await store.get(key))) as T;
  } catch (error) {
    if (error instanceof StoreError && error.reason === 'not-found') return null;
    throw error;
  }
}
