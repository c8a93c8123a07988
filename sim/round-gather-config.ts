/**
 * The `gather` section of the sim config: which peers' messages a round downloads and
 * aggregates (core/protocol/peer-list.ts). `peers: 'all'` is today's all-gather (every on-time
 * message, R − 1 downloads per peer); a number G is templar's gather from a validator-published
 * list of G primaries and `reserves` reserves, refreshed every `refreshEvery` windows, each
 * download given up after `downloadTimeoutS`.
 */
import { ConfigError } from '../core/errors.ts';

/** What a config writes; fields left out take {@link GATHER_DEFAULTS}. */
export interface GatherConfigInput {
  /** Primaries on the list (G, integer ≥ 1), or 'all' for the all-gather. */
  readonly peers?: number | 'all';
  /** Reserves listed after the primaries (K, integer ≥ 0). */
  readonly reserves?: number;
  /** The validator republishes the list every this many windows (integer ≥ 1). */
  readonly refreshEvery?: number;
  /** A download not finished this long after its gather phase started is given up (sim seconds > 0). */
  readonly downloadTimeoutS?: number;
}

/** The resolved section. */
export interface GatherConfig {
  readonly peers: number | 'all';
  readonly reserves: number;
  readonly refreshEvery: number;
  readonly downloadTimeoutS: number; // sim seconds
}

/**
 * Templar's values (hparams/hparams.json at v2.1.28: `gather_peer_count` 20,
 * `reserve_peer_count` 10, `peer_replacement_frequency` 2; the gather download timeout 90 s).
 */
export const TEMPLAR_GATHER: GatherConfig & { readonly peers: number } = Object.freeze({ peers: 20, reserves: 10, refreshEvery: 2, downloadTimeoutS: 90 });

/** Defaults of a section's fields: templar's (a run without a section gets one, sim/protocol-defaults.ts). */
export const GATHER_DEFAULTS: GatherConfig = TEMPLAR_GATHER;

const KEYS: readonly (keyof GatherConfigInput)[] = ['peers', 'reserves', 'refreshEvery', 'downloadTimeoutS'];

/** Fills defaults and validates (a {@link ConfigError} names `<path>.<key>`, the value and the rule). */
export function resolveGatherConfig(input: GatherConfigInput, path: string): GatherConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ConfigError(path, input, 'must be an object');
  for (const key of Object.keys(input)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new ConfigError(`${path}.${key}`, (input as Record<string, unknown>)[key], `is not a gather key (expected one of ${KEYS.join(', ')})`);
  }
  const peers = input.peers ?? GATHER_DEFAULTS.peers;
  if (peers !== 'all' && !(Number.isSafeInteger(peers) && peers >= 1)) throw new ConfigError(`${path}.peers`, peers, "must be 'all' or an integer ≥ 1");
  const reserves = input.reserves ?? GATHER_DEFAULTS.reserves;
  if (!Number.isSafeInteger(reserves) || reserves < 0) throw new ConfigError(`${path}.reserves`, reserves, 'must be an integer ≥ 0');
  const refreshEvery = input.refreshEvery ?? GATHER_DEFAULTS.refreshEvery;
  if (!Number.isSafeInteger(refreshEvery) || refreshEvery < 1) throw new ConfigError(`${path}.refreshEvery`, refreshEvery, 'must be an integer ≥ 1 (windows)');
  const downloadTimeoutS = input.downloadTimeoutS ?? GATHER_DEFAULTS.downloadTimeoutS;
  if (typeof downloadTimeoutS !== 'number' || !(downloadTimeoutS > 0)) throw new ConfigError(`${path}.downloadTimeoutS`, downloadTimeoutS, 'must be a number > 0 (sim seconds; Infinity allowed)');
  return Object.freeze({ peers, reserves, refreshEvery, downloadTimeoutS });
}
