/**
 * Per-tensor value quantisation of SparseLoCo (SPEC.md §2.4, templar `_quantize_values`),
 * generalised from 4 bins to bins = 2^bits. Every step that torch runs in fp32 is rounded to fp32
 * here with `Math.fround`; a single fp32 operation (+, −, ×, ÷, √) computed in double and rounded
 * once equals the IEEE fp32 result, because double carries more than 2·24 + 2 bits.
 *
 * Sums are the one deliberate difference from torch: μ, ‖c‖² and the per-bin sums are accumulated
 * in double and rounded to fp32 once. torch's fp32 reductions use a thread- and SIMD-dependent
 * cascade order, so no implementation can match them bit for bit anyway; a double accumulator in
 * ascending index order is deterministic, order-fixed and closer to the exact sum. Finite fp32
 * inputs cannot overflow a double sum (≤ 2^32 terms of ≤ 2^128), so a non-finite sum means a
 * non-finite input.
 *
 * Small N: N = 0 gives μ = 0, scale = 1 and an all-zero table; N = 1 gives σ = 0 (the N − 1
 * denominator would be 0), hence scale = 1, code = bins/2 and lut[bins/2] = 0, so the single value
 * dequantises to μ = v exactly.
 */
import type { QuantParams } from './message.ts';

/** Bits per code accepted by {@link quantiseValues}. */
export type QuantiseBits = 1 | 2 | 4 | 8;

/** The result of {@link quantiseValues}: one code per value plus the tensor's parameters. */
export interface QuantisedValues {
  /** One code per input value, in [0, 2^bits). */
  readonly codes: Uint8Array;
  readonly quant: QuantParams;
}

/**
 * Round half to even (torch.round / numpy semantics). `Math.round` rounds .5 towards +∞, which
 * differs at every odd half: roundHalfEven(2.5) = 2, roundHalfEven(-1.5) = -2, roundHalfEven(0.5) = 0.
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Only an exact tie (x = n + 0.5, which Math.round sent up to n + 1) can need a fix.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The quantisation scale of SPEC.md §2.4 for centred values with Σc² = `sumSquares` over `n` values:
 * σ = ‖c‖₂ / √(N − 1), scale = range·σ / bins, replaced by 1 when 0, NaN or ±Inf.
 */
export function quantScale(sumSquares: number, n: number, bins: number, range: number): number {
  const norm = Math.fround(Math.sqrt(Math.fround(sumSquares)));
  const sigma = n < 2 ? 0 : Math.fround(norm / Math.fround(Math.sqrt(n - 1)));
  const scale = Math.fround(Math.fround(Math.fround(range) * sigma) / bins);
  return scale === 0 || !Number.isFinite(scale) ? 1 : scale;
}

/**
 * Code of one centred fp32 value: clamp(roundHalfEven(c/scale + bins/2), 0, bins − 1), each
 * arithmetic step in fp32. NaN maps to code 0 (callers reject non-finite values earlier).
 */
export function quantCode(centred: number, scale: number, bins: number): number {
  const shifted = Math.fround(Math.fround(centred / scale) + bins / 2);
  // Clamp first (rounding is monotone, so this is the same as rounding then clamping); the
  // remaining x lies in (0.5, bins − 0.5), where half-even rounding needs no float modulo.
  if (!(shifted > 0.5)) return 0;
  if (shifted >= bins - 0.5) return bins - 1;
  const floor = Math.floor(shifted);
  const frac = shifted - floor;
  if (frac < 0.5) return floor;
  if (frac > 0.5) return floor + 1;
  return (floor & 1) === 0 ? floor : floor + 1;
}

/**
 * Quantises `values` (the selected values of one tensor, all chunks) to `bits`-bit codes with a
 * per-tensor mean, scale and lookup table (SPEC.md §2.4). Dequantise with fround(lut[code] + mean).
 *
 * @example
 * const { codes, quant } = quantiseValues(new Float32Array([-3, -1, 1, 3]), 2, 6);
 * // μ = 0, σ = √(20/3), scale = 1.5σ ≈ 3.87; c/scale + 2 ≈ 1.23, 1.74, 2.26, 2.77
 * // codes = [1, 2, 2, 3], lut = [0, −3, 0, 3]: dequantised −3, 0, 0, 3
 */
export function quantiseValues(values: Float32Array, bits: QuantiseBits, range: number): QuantisedValues {
  const n = values.length;
  const bins = 1 << bits;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = n === 0 ? 0 : Math.fround(sum / n);

  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    const c = Math.fround(values[i]! - mean);
    sumSquares += c * c;
  }
  const scale = quantScale(sumSquares, n, bins, range);

  const codes = new Uint8Array(n);
  const binSums = new Float64Array(bins);
  const binCounts = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const c = Math.fround(values[i]! - mean);
    const code = quantCode(c, scale, bins);
    codes[i] = code;
    binSums[code] += c;
    binCounts[code]++;
  }
  const lut = new Float32Array(bins);
  for (let b = 0; b < bins; b++) lut[b] = binCounts[b]! > 0 ? binSums[b]! / binCounts[b]! : 0;
  return { codes, quant: { mean, scale, lut } };
}
