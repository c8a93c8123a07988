/**
 * Golomb–Rice coding of one chunk's ascending within-chunk indices (the Aug-2025 templar branch
 * idea, SPEC.md §8). The chunk's sorted indices i₀ < i₁ < … become gaps g₀ = i₀,
 * gₙ = iₙ − iₙ₋₁ − 1 (≥ 0 because indices are distinct). Each gap is written with parameter p as
 * the quotient q = g >> p in unary (q one-bits then a zero-bit) followed by the low p bits.
 *
 * Chunk bit layout (LSB-first, see bitio.ts): p as a 4-bit field (0 … 11), then kEff codes.
 * p is chosen per chunk to minimise that chunk's bits, ties to the smaller p, so clustered top-k
 * sets (real gradients) and uniform ones (random tests) both get their best parameter.
 *
 * With SPEC defaults (64 of 4096) uniform indices cost ≈ 7.5 bits each against 12 for packed12.
 */
import type { BitReader, BitWriter } from './bitio.ts';

/** Width of the per-chunk parameter field. */
export const RICE_PARAM_BITS = 4;
/** Largest parameter: gaps are < 4096, so p = 11 already writes every gap in ≤ 13 bits. */
export const MAX_RICE_PARAM = 11;

/** Bits the chunk `sorted[start … start+count)` takes with parameter p, header included. */
export function riceChunkBits(sorted: ArrayLike<number>, start: number, count: number, p: number): number {
  let bits = RICE_PARAM_BITS + count * (p + 1);
  let prev = -1;
  for (let n = start; n < start + count; n++) {
    const idx = sorted[n]!;
    bits += (idx - prev - 1) >> p;
    prev = idx;
  }
  return bits;
}

/**
 * The parameter that minimises {@link riceChunkBits} for this chunk (the smallest on ties).
 *
 * Why a local search is exact: per gap g, cost(p+1) − cost(p) = 1 − ⌈a/2⌉ with a = ⌊g/2^p⌋, which
 * never decreases as p grows, so the chunk's total cost is convex in p. Starting from the estimate
 * ⌊log2(mean gap)⌋ the walk usually evaluates 2–3 parameters instead of 12.
 */
export function chooseRiceParameter(sorted: ArrayLike<number>, start: number, count: number): number {
  const gapSum = sorted[start + count - 1]! + 1 - count;
  const meanGap = gapSum / count;
  let p = meanGap < 1 ? 0 : Math.min(MAX_RICE_PARAM, 31 - Math.clz32(meanGap));
  let bits = riceChunkBits(sorted, start, count, p);
  while (p > 0) {
    const lower = riceChunkBits(sorted, start, count, p - 1);
    if (lower > bits) break;
    p--;
    bits = lower;
  }
  while (p < MAX_RICE_PARAM) {
    const higher = riceChunkBits(sorted, start, count, p + 1);
    if (higher >= bits) break;
    p++;
    bits = higher;
  }
  return p;
}

/** Writes one chunk (header and gaps). `sorted[start … start+count)` must be strictly ascending. */
export function writeRiceChunk(w: BitWriter, sorted: ArrayLike<number>, start: number, count: number, p: number): void {
  w.writeBits(p, RICE_PARAM_BITS);
  const lowMask = (1 << p) - 1;
  let prev = -1;
  for (let n = start; n < start + count; n++) {
    const idx = sorted[n]!;
    const gap = idx - prev - 1;
    w.writeUnary(gap >> p);
    w.writeBits(gap & lowMask, p);
    prev = idx;
  }
}

/** What {@link readRiceChunk} found wrong; `value` is the offending parameter or index. */
export type RiceFault = 'bad-parameter' | 'index-out-of-range';

/**
 * Reads one chunk of `count` indices into `out[start …]`, strictly ascending by construction.
 * Calls `fail` (which must throw) on a parameter > {@link MAX_RICE_PARAM} or an index ≥ chunkLen.
 * Does not check for reading past the section: the caller checks `reader.overran` afterwards.
 */
export function readRiceChunk(
  r: BitReader,
  out: Uint16Array,
  start: number,
  count: number,
  chunkLen: number,
  fail: (fault: RiceFault, value: number) => never,
): void {
  const p = r.readBits(RICE_PARAM_BITS);
  if (p > MAX_RICE_PARAM) fail('bad-parameter', p);
  let prev = -1;
  for (let n = start; n < start + count; n++) {
    // Largest quotient that keeps the index below chunkLen: bounds the unary read.
    const room = chunkLen - 2 - prev; // largest allowed gap
    if (room < 0) fail('index-out-of-range', prev + 1);
    const q = r.readUnary(room >> p);
    const idx = prev + 1 + q * (1 << p) + r.readBits(p);
    if (idx >= chunkLen) fail('index-out-of-range', idx);
    out[n] = idx;
    prev = idx;
  }
}
