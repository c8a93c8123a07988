/**
 * Which honest peers train on low-quality data (issue 17; the kinds are backends/data-quality.ts).
 * Config `dataQuality: { kind, fraction, …kind's field }`, opt-in: absent, every peer is clean
 * and the rows are as before. Seeded from the run's stream 'data-quality': exactly
 * round(fraction × peers) of the initial peers (a seeded shuffle of their uids), and each joined
 * peer with probability `fraction` (its own fork `peer:<uid>`, so it does not depend on join order).
 * Separate from sim/adversaries.ts: these peers follow the protocol; only their data is worse.
 *
 * @example
 * resolveDataQualityConfig({ kind: 'label-noise', fraction: 0.3 }); // rate takes DATA_QUALITY_DEFAULTS (0.8)
 */
import { ConfigError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import { validateDataQuality } from '../backends/index.ts';
import type { DataQuality } from '../backends/index.ts';

type LowQuality = Exclude<DataQuality, { kind: 'clean' }>;

/** What an experiment writes: the kind, the share of peers, and the kind's own field (optional). */
export type DataQualityConfigInput = { readonly fraction: number } & (
  | { readonly kind: 'label-noise'; readonly rate?: number }
  | { readonly kind: 'duplicates'; readonly samples?: number }
  | { readonly kind: 'short'; readonly keep?: number }
  | { readonly kind: 'shifted'; readonly scale?: number }
);

/** Resolved (a valid input too, so resolving is idempotent): the share of peers and their data, every field set. */
export type DataQualityConfig = { readonly fraction: number } & LowQuality; // fraction: share of peers, in [0, 1]

/**
 * Defaults per kind (assumptions, chosen so one kind's peers hurt a uniform mean visibly at 30 %):
 * 80 % of labels replaced, 4 distinct samples, 1/16 of each batch (1 example of 16), and the
 * permuted domain with no extra offset.
 */
export const DATA_QUALITY_DEFAULTS = Object.freeze({ rate: 0.8, samples: 4, keep: 0.0625, scale: 0 });

const KIND_FIELD = Object.freeze({ 'label-noise': 'rate', duplicates: 'samples', short: 'keep', shifted: 'scale' } as const);

/** Fills the kind's default and validates; throws {@link ConfigError} naming the key. */
export function resolveDataQualityConfig(input: DataQualityConfigInput, key = 'dataQuality'): DataQualityConfig {
  if (typeof input !== 'object' || input === null) throw new ConfigError(key, input, 'must be { kind, fraction, … }');
  const kind = input.kind;
  if (!(kind in KIND_FIELD)) throw new ConfigError(`${key}.kind`, kind, `must be one of ${Object.keys(KIND_FIELD).join(', ')}`);
  const field = KIND_FIELD[kind];
  for (const k of Object.keys(input)) {
    if (k !== 'kind' && k !== 'fraction' && k !== field) throw new ConfigError(`${key}.${k}`, (input as unknown as Record<string, unknown>)[k], `is not a key of data quality "${kind}" (expected kind, fraction, ${field})`);
  }
  const fraction = input.fraction;
  if (!(typeof fraction === 'number' && fraction >= 0 && fraction <= 1)) throw new ConfigError(`${key}.fraction`, fraction, 'must be in [0, 1] (share of peers with low-quality data)');
  const value = (input as unknown as Record<string, number | undefined>)[field] ?? DATA_QUALITY_DEFAULTS[field];
  const quality = { kind, [field]: value } as unknown as LowQuality;
  validateDataQuality(quality, key);
  return Object.freeze({ ...quality, fraction });
}

/** The run's low-quality peers; `qualityOf` is what each peer's inner loop is told. */
export class LowQualityPeers {
  readonly #quality: LowQuality;
  readonly #low = new Set<number>();
  readonly #decided = new Set<number>();

  constructor(
    readonly config: DataQualityConfig,
    initialPeers: number,
    private readonly rng: Rng,
  ) {
    const { fraction: _fraction, ...quality } = config;
    this.#quality = Object.freeze(quality as LowQuality);
    const uids = Array.from({ length: initialPeers }, (_, i) => i);
    rng.fork('initial').shuffle(uids);
    for (const uid of uids.slice(0, Math.round(config.fraction * initialPeers))) this.#low.add(uid);
    for (const uid of uids) this.#decided.add(uid);
  }

  /** Whether peer `uid` trains on low-quality data (a joined peer is drawn on first ask). */
  isLowQuality(uid: number): boolean {
    if (!this.#decided.has(uid)) {
      this.#decided.add(uid);
      if (this.rng.fork(`peer:${uid}`).next() < this.config.fraction) this.#low.add(uid);
    }
    return this.#low.has(uid);
  }

  /** The data peer `uid` trains on: the configured low quality, or undefined (clean). */
  qualityOf(uid: number): DataQuality | undefined {
    return this.isLowQuality(uid) ? this.#quality : undefined;
  }
}
