/**
 * SparseLoCo compression of one peer's round (SPEC.md §1 steps 4–7, §2): error feedback, per-chunk
 * top-k, per-tensor quantisation, and the EF residual — fast and allocation-free in the hot loop.
 * `core/reference/compress.ts` is the slow, obviously right twin; tests hold the two bit-identical.
 */
import type { ParamLayout, TensorLayout } from '../layout.ts';
import type { SparseLocoConfig } from './config.ts';
import type { CompressedTensor, CompressedUpdate } from './message.ts';
import { ConfigError, SparseLocoError } from '../errors.ts';
import { effectiveTopK } from './config.ts';
import { quantiseValues } from './quantise.ts';
import { accumulateAndSelect, createTopKScratch, type TopKScratch } from './topk.ts';

/** An error-feedback entry became NaN or ±Inf (a diverged peer). Names the tensor. */
export class NonFiniteValueError extends SparseLocoError {
  override name = 'NonFiniteValueError';
  constructor(readonly tensor: string) {
    super(`tensor "${tensor}" has a non-finite error-feedback value (β·e + Δ must be finite)`, {
      details: 'The error-feedback buffer is left partly updated; treat this peer state as corrupt.',
    });
  }
}

/** Reusable working memory for {@link compress}; build once per (layout, config) with {@link createCompressScratch}. */
export interface CompressScratch {
  readonly layoutId: number;
  readonly selection: TopKScratch;
  /** Selected values of one tensor before quantisation (largest tensor's numChunks·kEff). */
  readonly values: Float32Array;
}

export interface CompressOptions {
  /** SPEC.md §1 "Null rounds": zero the EF buffer instead of accumulating Δ. */
  readonly nullRound?: boolean;
  /** Reuse working memory across calls (must come from the same layout and top-k). */
  readonly scratch?: CompressScratch;
}

/** Allocates the working memory {@link compress} needs for `layout` under `cfg`. */
export function createCompressScratch(layout: ParamLayout, cfg: SparseLocoConfig): CompressScratch {
  let maxK = 1;
  let maxChunksX = 1;
  let maxSelected = 0;
  for (const t of layout.tensors) {
    const k = effectiveTopK(cfg.topK, t.chunk.chunkLen);
    maxK = Math.max(maxK, k);
    maxChunksX = Math.max(maxChunksX, t.chunk.chunksX);
    maxSelected = Math.max(maxSelected, k * t.chunk.numChunks);
  }
  return {
    layoutId: layout.id,
    selection: createTopKScratch(maxK, maxChunksX),
    values: new Float32Array(maxSelected),
  };
}

/**
 * Compresses one round's pseudo-gradient. MUTATES `ef`:
 * 1. e ← fround(fround(fround(β)·e) + Δ) (torch's fp32 `e.mul_(β).add_(Δ)`), or e ← 0 for a null round;
 * 2. per chunk, the effectiveTopK(cfg.topK, chunkLen) largest |e| (ties: lower index), emitted in
 *    ascending index order;
 * 3. per tensor, quantiseValues (or raw fp32 values when cfg.quantBits is null);
 * 4. e[idx] ← fround(e[idx] − v̂) with v̂ = fround(lut[code] + mean), so ef keeps exactly what was
 *    not sent (raw values leave 0 there).
 *
 * @throws ConfigError if ef or delta do not have layout.size entries, or the scratch is for another layout.
 * @throws NonFiniteValueError if some β·e + Δ is NaN or ±Inf (ef is then partly updated).
 * @example
 * const update = compress(layout, cfg, ef, delta, { scratch });
 * const bytes = encodeUpdate(update, layout);
 */
export function compress(
  layout: ParamLayout,
  cfg: SparseLocoConfig,
  ef: Float32Array,
  delta: Float32Array,
  options: CompressOptions = {},
): CompressedUpdate {
  validateBuffers(layout, ef, delta);
  const scratch = options.scratch ?? createCompressScratch(layout, cfg);
  if (scratch.layoutId !== layout.id) throw new ConfigError('compress scratch layoutId', scratch.layoutId, `must equal layout.id ${layout.id}`);
  // A null round compresses zeros: with ef zeroed, β = 0 and Δ = ef reproduce e ← 0 in the same pass.
  const nullRound = options.nullRound === true;
  if (nullRound) ef.fill(0);
  const source = nullRound ? ef : delta;
  const beta = nullRound ? 0 : cfg.beta;

  const tensors: CompressedTensor[] = [];
  for (const t of layout.tensors) {
    const kEff = effectiveTopK(cfg.topK, t.chunk.chunkLen);
    const count = kEff * t.chunk.numChunks;
    const indices = new Uint16Array(count);
    const values = cfg.quantBits === null ? new Float32Array(count) : scratch.values.subarray(0, count);
    const allFinite = accumulateAndSelect(ef, source, beta, t, kEff, scratch.selection, indices, values);
    if (!allFinite) throw new NonFiniteValueError(t.name);

    if (cfg.quantBits === null) {
      subtractSent(ef, t, kEff, indices, values, null); // v̂ = v = e: leaves exactly 0 there
      tensors.push({ kEff, indices, codes: new Uint8Array(0), quant: null, values });
      continue;
    }
    const { codes, quant } = quantiseValues(values, cfg.quantBits, cfg.quantRange);
    const table = new Float32Array(quant.lut.length);
    for (let b = 0; b < table.length; b++) table[b] = quant.lut[b]! + quant.mean; // fp32 add, as message.ts dequantise
    subtractSent(ef, t, kEff, indices, table, codes);
    tensors.push({ kEff, indices, codes, quant, values: null });
  }
  return { layoutId: layout.id, quantBits: cfg.quantBits, tensors };
}

function validateBuffers(layout: ParamLayout, ef: Float32Array, delta: Float32Array): void {
  if (!(ef instanceof Float32Array) || ef.length !== layout.size) {
    throw new ConfigError('ef.length', ef?.length, `must equal layout.size ${layout.size} (a Float32Array)`);
  }
  if (!(delta instanceof Float32Array) || delta.length !== layout.size) {
    throw new ConfigError('delta.length', delta?.length, `must equal layout.size ${layout.size} (a Float32Array)`);
  }
}

/**
 * EF residual (SPEC.md §1 step 7): ef[pos] ← fround(ef[pos] − v̂) for every sent entry of tensor
 * `t`, where v̂ = sent[codes[n]] (quantised) or sent[n] (raw values, codes = null). This pass is
 * bound by cache misses (the entries are scattered over the whole tensor, which has left the cache
 * by now); visiting them row by row instead of chunk by chunk measured no faster.
 */
function subtractSent(
  ef: Float32Array,
  t: TensorLayout,
  kEff: number,
  indices: Uint16Array,
  sent: Float32Array,
  codes: Uint8Array | null,
): void {
  const { cols, c1, c2, chunksX, numChunks } = t.chunk;
  for (let chunk = 0; chunk < numChunks; chunk++) {
    const by = (chunk / chunksX) | 0;
    const chunkStart = t.offset + by * c1 * cols + (chunk - by * chunksX) * c2;
    for (let n = chunk * kEff; n < (chunk + 1) * kEff; n++) {
      const w = indices[n]!;
      const r = (w / c2) | 0;
      const pos = chunkStart + r * cols + (w - r * c2);
      ef[pos] = ef[pos]! - sent[codes === null ? n : codes[n]!]!;
    }
  }
}
