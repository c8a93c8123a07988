/**
 * SparseLoCo hyper-parameters with SPEC.md defaults (templar `hparams/hparams.json`, final values),
 * validated once into a frozen object. Every field is configuration, as SPEC.md §0 asks.
 */
import { ConfigError } from '../errors.ts';
import type { ParamLayout } from '../layout.ts';

/** How the within-chunk indices are written on the wire (SPEC.md §2.3, §8). */
export type IndexCoding = 'packed12' | 'rice';

/** How values are written: b-bit codes with a per-tensor lookup table (SPEC.md §2.4), or raw fp32. */
export type QuantBits = 1 | 2 | 4 | 8;

export interface SparseLocoConfig {
  /** Top-k per chunk before the even/at-least-2 clamp (`topk_compression`). */
  readonly topK: number;
  /** Bits per quantised value (bins = 2^bits); `null` sends fp32 values (ablation / dense check). */
  readonly quantBits: QuantBits | null;
  /** `quantization_range`: scale = range·σ / bins. */
  readonly quantRange: number;
  /** Error-feedback decay β (`momentum_decay`). */
  readonly beta: number;
  /** Outer learning rate α (`outer_learning_rate`, final value). */
  readonly outerLr: number;
  readonly indexCoding: IndexCoding;
  /** Per-peer, per-tensor median norm clipping on aggregation (SPEC.md §3 step 2). */
  readonly clipNorm: boolean;
  /** 'sparse': each coordinate averages the peers that picked it (the run); 'dense': sum / R (ablation). */
  readonly aggregation: 'sparse' | 'dense';
}

export const SPARSELOCO_DEFAULTS: SparseLocoConfig = Object.freeze({
  topK: 64,
  quantBits: 2,
  quantRange: 6,
  beta: 0.95,
  outerLr: 0.4,
  indexCoding: 'packed12',
  clipNorm: true,
  aggregation: 'sparse',
});

const QUANT_BITS: readonly (QuantBits | null)[] = [1, 2, 4, 8, null];

/** Merges `overrides` into the defaults and validates every field. */
export function resolveSparseLocoConfig(overrides: Partial<SparseLocoConfig> = {}): SparseLocoConfig {
  const cfg = { ...SPARSELOCO_DEFAULTS, ...overrides };
  if (!Number.isInteger(cfg.topK) || cfg.topK < 1) throw new ConfigError('optim.topK', cfg.topK, 'must be a positive integer');
  if (!QUANT_BITS.includes(cfg.quantBits)) throw new ConfigError('optim.quantBits', cfg.quantBits, 'must be one of 1, 2, 4, 8 or null');
  if (!(cfg.quantRange > 0) || !Number.isFinite(cfg.quantRange)) throw new ConfigError('optim.quantRange', cfg.quantRange, 'must be a finite number > 0');
  if (!(cfg.beta >= 0 && cfg.beta <= 1)) throw new ConfigError('optim.beta', cfg.beta, 'must be in [0, 1]');
  if (!(cfg.outerLr > 0) || !Number.isFinite(cfg.outerLr)) throw new ConfigError('optim.outerLr', cfg.outerLr, 'must be a finite number > 0');
  if (cfg.indexCoding !== 'packed12' && cfg.indexCoding !== 'rice') throw new ConfigError('optim.indexCoding', cfg.indexCoding, 'must be "packed12" or "rice"');
  if (typeof cfg.clipNorm !== 'boolean') throw new ConfigError('optim.clipNorm', cfg.clipNorm, 'must be a boolean');
  if (cfg.aggregation !== 'sparse' && cfg.aggregation !== 'dense') throw new ConfigError('optim.aggregation', cfg.aggregation, 'must be "sparse" or "dense"');
  return Object.freeze(cfg);
}

/**
 * Effective top-k for a chunk of `chunkLen` elements (SPEC.md §2.2): k' = min(k, L), k' = max(k', 2),
 * k' −= k' mod 2. One extension: never more than L (only bites for L = 1, where torch would fail).
 */
export function effectiveTopK(topK: number, chunkLen: number): number {
  let k = Math.min(topK, chunkLen);
  k = Math.max(k, 2);
  k -= k % 2;
  return Math.min(k, chunkLen);
}

/**
 * A per-chunk top-k larger than every chunk of `layout` would be clamped to the chunk length by
 * {@link effectiveTopK} without a word, so a typo such as 99999 would silently send dense chunks.
 * Checked wherever a configured k meets a layout (SparseLoCo and DeMo both select per chunk).
 *
 * @example
 * assertTopKFitsChunks(99999, layout, 'optim.topK'); // ConfigError: optim.topK (99999) must be ≤ chunk size (4096), ...
 */
export function assertTopKFitsChunks(topK: number, layout: ParamLayout, key = 'optim.topK'): void {
  const chunkSize = Math.max(...layout.tensors.map((t) => t.chunk.chunkLen)); // elements
  if (topK > chunkSize) throw new ConfigError(key, topK, `must be ≤ chunk size (${chunkSize}), the largest chunk of the model's parameter layout`);
}
