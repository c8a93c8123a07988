/**
 * Data quality as a property of an honest peer (issue 17): what is wrong with the shards a
 * low-quality peer trains on. The backend applies it in the inner loop only; the dataset itself,
 * the validator's batches and the held-out set stay clean, so a peer's quality shows only in the
 * update it sends. Separate from sim/adversaries.ts: these peers follow the protocol.
 *
 *   'clean'        today's data;
 *   'label-noise'  each training label is replaced by a uniformly drawn class with probability `rate`;
 *   'duplicates'   the peer's pool is only the first `samples` examples of its shards (the same few
 *                  samples repeated: a near-duplicate shard);
 *   'short'        each inner step sees only ⌈keep × batch⌉ examples (fewer samples per round);
 *   'shifted'      a shifted domain: every input's features are permuted by one fixed seeded
 *                  permutation and moved by `scale` × a fixed random offset (per-coordinate N(0, 1));
 *                  labels unchanged (a different input distribution; the surrogate's analogue of a
 *                  shuffled-character corpus).
 *
 * @example
 * validateDataQuality({ kind: 'label-noise', rate: 0.5 }); // ok
 * validateDataQuality({ kind: 'short', keep: 0 });         // ConfigError: keep must be in (0, 1]
 */
import { ConfigError } from '../core/errors.ts';

export type DataQuality =
  | { readonly kind: 'clean' }
  | { readonly kind: 'label-noise'; readonly rate: number }
  | { readonly kind: 'duplicates'; readonly samples: number }
  | { readonly kind: 'short'; readonly keep: number }
  | { readonly kind: 'shifted'; readonly scale: number };

export type DataQualityKind = DataQuality['kind'];

export const DATA_QUALITY_KINDS: readonly DataQualityKind[] = Object.freeze(['clean', 'label-noise', 'duplicates', 'short', 'shifted']);

export const CLEAN_DATA: DataQuality = Object.freeze({ kind: 'clean' });

/** Throws {@link ConfigError} naming the field unless `q` is a valid {@link DataQuality}. */
export function validateDataQuality(q: DataQuality, key = 'dataQuality'): void {
  if (typeof q !== 'object' || q === null) throw new ConfigError(key, q, `must be { kind: ${DATA_QUALITY_KINDS.join(' | ')}, … }`);
  switch (q.kind) {
    case 'clean':
      return;
    case 'label-noise':
      if (!(q.rate >= 0 && q.rate <= 1)) throw new ConfigError(`${key}.rate`, q.rate, 'must be in [0, 1] (probability a label is replaced)');
      return;
    case 'duplicates':
      if (!Number.isSafeInteger(q.samples) || q.samples < 1) throw new ConfigError(`${key}.samples`, q.samples, 'must be an integer ≥ 1 (distinct examples in the pool)');
      return;
    case 'short':
      if (!(q.keep > 0 && q.keep <= 1)) throw new ConfigError(`${key}.keep`, q.keep, 'must be in (0, 1] (share of each batch kept)');
      return;
    case 'shifted':
      if (!(Number.isFinite(q.scale) && q.scale >= 0)) throw new ConfigError(`${key}.scale`, q.scale, 'must be a finite number ≥ 0 (input shift, in input standard deviations)');
      return;
    default:
      throw new ConfigError(`${key}.kind`, (q as { kind: unknown }).kind, `must be one of ${DATA_QUALITY_KINDS.join(', ')}`);
  }
}

/**
 * For a backend that implements no low-quality data: throws unless `quality` is absent or clean,
 * so a run never silently trains a "low-quality" peer on clean data.
 */
export function requireCleanData(backendName: string, quality: DataQuality | undefined): void {
  if (quality !== undefined && quality.kind !== 'clean') {
    throw new ConfigError('dataQuality.kind', quality.kind, `is not implemented by the ${backendName} backend (only 'clean')`);
  }
}
