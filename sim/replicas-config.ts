/**
 * The `replicas` section of the sim config: null rounds after a (re)start (SPEC.md §1) and the
 * replica columns of the rows. Absent (the default): no null rounds and no replica columns, so a
 * config without it and its rows are exactly as before. Per-peer replicas themselves (a stale
 * peer trains on the θ it holds) are always on: they are how the simulator works (sim/replicas.ts).
 */
import { ConfigError } from '../core/errors.ts';

/** What a config writes; fields left out take {@link REPLICA_DEFAULTS}. */
export interface ReplicaConfigInput {
  /** Null rounds during a peer's first this many windows after it (re)starts (integer ≥ 0; SparseLoCo only when > 0). */
  readonly warmupWindows?: number;
}

/** The resolved section. */
export interface ReplicaConfig {
  readonly warmupWindows: number; // windows
}

/**
 * Templar's value: the miner's `warmup_windows = validator_offset + peer_list_window_margin`
 * = 1 + 1 (neurons/miner.py, hparams/hparams.json, v2.1.3). Templar counts them from the run's
 * start window; SPEC.md §1 (and this simulator) from each peer's (re)start.
 */
export const TEMPLAR_REPLICAS: ReplicaConfig = Object.freeze({ warmupWindows: 2 });

/** Defaults of a given section: templar's. */
export const REPLICA_DEFAULTS: ReplicaConfig = TEMPLAR_REPLICAS;

const KEYS: readonly (keyof ReplicaConfigInput)[] = ['warmupWindows'];

/** Fills defaults and validates (a {@link ConfigError} names `<path>.<key>`, the value and the rule). */
export function resolveReplicaConfig(input: ReplicaConfigInput, method: string, path: string): ReplicaConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ConfigError(path, input, 'must be an object');
  for (const key of Object.keys(input)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new ConfigError(`${path}.${key}`, (input as Record<string, unknown>)[key], `is not a replicas key (expected one of ${KEYS.join(', ')})`);
  }
  const warmupWindows = input.warmupWindows ?? REPLICA_DEFAULTS.warmupWindows;
  if (!Number.isSafeInteger(warmupWindows) || warmupWindows < 0) throw new ConfigError(`${path}.warmupWindows`, warmupWindows, 'must be an integer ≥ 0 (windows)');
  // A null round zeroes the error-feedback buffer (SPEC.md §1): only SparseLoCo has one.
  if (warmupWindows > 0 && method !== 'sparseloco') throw new ConfigError(`${path}.warmupWindows`, warmupWindows, `must be 0 with optim.method "${method}": null rounds are SparseLoCo's`);
  return Object.freeze({ warmupWindows });
}
