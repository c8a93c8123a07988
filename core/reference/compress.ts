/**
 * Reference SparseLoCo compression: the same contract as `core/sparseloco/compress.ts`, written
 * to be obviously right rather than fast (whole-buffer passes, one chunk copied out at a time,
 * a full sort for the top-k). Tests hold the fast compressor bit-identical to this one.
 */
import type { ParamLayout } from '../layout.ts';
import type { SparseLocoConfig } from '../sparseloco/config.ts';
import type { CompressedTensor, CompressedUpdate } from '../sparseloco/message.ts';
import { ConfigError } from '../errors.ts';
import { chunkElementIndex, readChunk } from '../layout.ts';
import { effectiveTopK } from '../sparseloco/config.ts';
import { dequantise } from '../sparseloco/message.ts';
import { quantiseValues } from '../sparseloco/quantise.ts';
import { NonFiniteValueError, type CompressOptions } from '../sparseloco/compress.ts';

/**
 * Same signature and semantics as `compress` (MUTATES `ef`); `options.scratch` is ignored.
 * @example
 * const expected = referenceCompress(layout, cfg, efCopy, delta);
 */
export function referenceCompress(
  layout: ParamLayout,
  cfg: SparseLocoConfig,
  ef: Float32Array,
  delta: Float32Array,
  options: CompressOptions = {},
): CompressedUpdate {
  if (ef.length !== layout.size) throw new ConfigError('ef.length', ef.length, `must equal layout.size ${layout.size}`);
  if (delta.length !== layout.size) throw new ConfigError('delta.length', delta.length, `must equal layout.size ${layout.size}`);

  // SPEC.md §1 step 4 (torch `e.mul_(β).add_(Δ)`: two fp32 roundings), or the null-round reset.
  const beta = Math.fround(cfg.beta);
  for (let p = 0; p < ef.length; p++) {
    ef[p] = options.nullRound === true ? 0 : Math.fround(Math.fround(beta * ef[p]!) + delta[p]!);
  }

  const tensors: CompressedTensor[] = [];
  for (const t of layout.tensors) {
    for (let p = t.offset; p < t.offset + t.size; p++) {
      if (!Number.isFinite(ef[p]!)) throw new NonFiniteValueError(t.name);
    }
    const kEff = effectiveTopK(cfg.topK, t.chunk.chunkLen);
    const indices: number[] = [];
    const picked: number[] = [];
    const chunkValues = new Float32Array(t.chunk.chunkLen);
    for (let chunk = 0; chunk < t.chunk.numChunks; chunk++) {
      readChunk(ef, t, chunk, chunkValues);
      const order = Array.from(chunkValues.keys());
      order.sort((a, b) => Math.abs(chunkValues[b]!) - Math.abs(chunkValues[a]!) || a - b);
      const top = order.slice(0, kEff).sort((a, b) => a - b);
      for (const w of top) {
        indices.push(w);
        picked.push(chunkValues[w]!);
      }
    }
    const values = Float32Array.from(picked);
    const message: CompressedTensor =
      cfg.quantBits === null
        ? { kEff, indices: Uint16Array.from(indices), codes: new Uint8Array(0), quant: null, values }
        : { kEff, indices: Uint16Array.from(indices), values: null, ...quantiseValues(values, cfg.quantBits, cfg.quantRange) };

    // SPEC.md §1 steps 6–7: subtract exactly what the receiver will decode.
    const sent = dequantise(message);
    for (let n = 0; n < indices.length; n++) {
      const pos = chunkElementIndex(t, Math.floor(n / kEff), indices[n]!);
      ef[pos] = Math.fround(ef[pos]! - sent[n]!);
    }
    tensors.push(message);
  }
  return { layoutId: layout.id, quantBits: cfg.quantBits, tensors };
}
