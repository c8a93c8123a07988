/**
 * The in-memory form of one peer's SparseLoCo message: what `compress` produces, what the wire
 * codec writes and reads back, and what aggregation consumes.
 */

/** Per-tensor quantisation parameters (SPEC.md §2.4): v̂ = lut[code] + mean. */
export interface QuantParams {
  readonly mean: number; // fp32
  readonly scale: number; // fp32, 1 when σ is 0 or not finite
  /** One fp32 entry per bin: the mean of the centred values that received that code (0 if empty). */
  readonly lut: Float32Array;
}

export interface CompressedTensor {
  /** Indices kept per chunk (same for every chunk of the tensor). */
  readonly kEff: number;
  /**
   * Within-chunk indices, `numChunks × kEff`, chunk-major. The compressor emits each chunk's
   * indices in ascending order; the decoder accepts any order but rejects duplicates.
   */
  readonly indices: Uint16Array;
  /** Quantised codes, one per index (values in [0, 2^bits)); empty when values are raw fp32. */
  readonly codes: Uint8Array;
  /** Present iff the message is quantised. */
  readonly quant: QuantParams | null;
  /** Raw fp32 values, one per index, present iff the message is not quantised. */
  readonly values: Float32Array | null;
}

export interface CompressedUpdate {
  readonly layoutId: number;
  /** Bits per code, or null for raw fp32 values. Same for all tensors. */
  readonly quantBits: 1 | 2 | 4 | 8 | null;
  /** One entry per layout tensor, in layout order. */
  readonly tensors: readonly CompressedTensor[];
}

/** The dequantised (or raw) value of entry `n` of tensor message `t`. */
export function entryValue(t: CompressedTensor, n: number): number {
  if (t.quant === null) return t.values![n]!;
  return Math.fround(t.quant.lut[t.codes[n]!]! + t.quant.mean);
}

/** Fills `out` (length indices.length) with the dequantised values of `t`. */
export function dequantise(t: CompressedTensor, out: Float32Array = new Float32Array(t.indices.length)): Float32Array {
  if (t.quant === null) {
    out.set(t.values!);
    return out;
  }
  const { lut, mean } = t.quant;
  const table = new Float32Array(lut.length);
  for (let b = 0; b < lut.length; b++) table[b] = lut[b]! + mean; // fp32 add, as torch does
  const codes = t.codes;
  for (let n = 0; n < codes.length; n++) out[n] = table[codes[n]!]!;
  return out;
}
