/**
 * The hot loop of SparseLoCo compression: one fused pass over a tensor that applies the
 * error-feedback update e ← β·e + Δ (SPEC.md §1 step 4) and selects the top-k |e| of every chunk
 * (SPEC.md §2.2) without sorting and without allocating.
 *
 * How the selection works. A tensor is streamed row by row, so memory is read sequentially; a row
 * of a row-block of chunks visits `chunksX` chunks, each for `c2` contiguous floats, and every chunk
 * keeps its own running threshold t and candidate buffer. An element is pushed iff |e| > t. When a
 * buffer fills, the k-th best candidate is found by quickselect, t becomes its magnitude and the
 * buffer is compacted to the k best *in place and in order*, so a buffer always holds candidates in
 * ascending index order and the final k come out already sorted.
 *
 * Why strict `|e| > t` gives exactly "largest |e|, ties to the lower index". Rank elements by the
 * key (|e| descending, index ascending); the answer is the k best keys. Elements are scanned in
 * ascending within-chunk index (rows in order, columns in order inside a row; index = r·c2 + c).
 * After a compaction the buffer holds k candidates, all with |·| ≥ t and all with a lower index
 * than any element still to come. A later element z with |z| ≤ t is therefore beaten by each of
 * those k (larger magnitude, or equal magnitude and lower index), so it can never be among the k
 * best: skipping it is exact. Dropping candidates at a compaction is exact for the same reason
 * (each is beaten by the k kept ones, and a beaten element stays beaten as more arrive). An
 * element with |z| > t is pushed, so nothing that could win is lost. (`≥` would also be exact, but
 * would push later ties only for the next compaction to evict them.)
 *
 * Warm start. A chunk may start from a guessed threshold g > −1 (see THRESHOLD_GUESS_FACTOR)
 * instead of −1. Every candidate then has |e| > g ≥ |z| for every skipped z, so if the chunk ends
 * with ≥ k candidates, each skipped element is beaten by k of them and the result is exact; if
 * it ends with fewer, the chunk is rescanned from −1. The guess changes speed, never the answer.
 *
 * Candidates are kept as (|e| in a Float32Array, index in a Uint16Array); the signed value is read
 * back from the updated buffer at the end.
 *
 * Non-finite values: the test is written `!(|e| ≤ t)`, which NaN passes (NaN fails every
 * comparison), so NaN and ±Inf both reach the rare branch, where they are flagged instead of
 * pushed. Detection thus costs nothing in the common path, and NaN is never skipped silently: the
 * pass reports it and the caller must reject the tensor.
 */
import type { TensorLayout } from '../layout.ts';
import { ConfigError } from '../errors.ts';

/** Largest chunk supported: within-chunk indices must fit 12 bits (SPEC.md §2.3) and a Uint16Array. */
export const MAX_CHUNK_LEN = 4096;

/** Candidate buffer capacity per chunk, in multiples of k (the speed is flat from 2 to 16). */
export const CANDIDATE_FACTOR = 4;

/**
 * A chunk's starting threshold is this fraction of the k-th magnitude of the chunk above it (same
 * column block, previous row-block): neighbouring chunks have similar statistics, so most of the
 * elements that a cold start (t = −1) would push are skipped. A guess that is too high is
 * detected (fewer than k candidates) and the chunk is rescanned cold, so it only costs time.
 * Measured on the benchmark (Gaussian EF, k = 64 of 4096; the k-th magnitude varies ≈ 2 % between
 * chunks): 0.9 → no rescans, 210M params/s; 0.95 → 0.5 % of chunks rescanned, 245M/s;
 * 0.98 → 15 %, 210M/s; 1.0 → 50 %, 165M/s.
 */
export const THRESHOLD_GUESS_FACTOR = 0.95;

/** Preallocated state for {@link accumulateAndSelect}; sized by {@link createTopKScratch}. */
export interface TopKScratch {
  /** Candidate |e| and within-chunk index, `capacity` slots per chunk of one row-block of chunks. */
  readonly magnitudes: Float32Array;
  readonly indices: Uint16Array;
  /** Work copy of one chunk's magnitudes for quickselect. */
  readonly work: Float32Array;
  /** Per chunk of the current row-block: candidates held, running threshold, start guess for the next row-block. */
  readonly counts: Int32Array;
  readonly thresholds: Float64Array;
  readonly guesses: Float64Array;
  /** Largest kEff and chunksX this scratch was sized for. */
  readonly maxK: number;
  readonly maxChunksX: number;
}

/** Candidate buffer capacity per chunk for a given k (always > k so a compaction frees room). */
export function candidateCapacity(kEff: number): number {
  return CANDIDATE_FACTOR * kEff + 1;
}

/** Allocates selection state for tensors with at most `maxChunksX` chunks per row-block and k ≤ `maxK`. */
export function createTopKScratch(maxK: number, maxChunksX: number): TopKScratch {
  const capacity = candidateCapacity(maxK);
  return {
    magnitudes: new Float32Array(capacity * maxChunksX),
    indices: new Uint16Array(capacity * maxChunksX),
    work: new Float32Array(capacity),
    counts: new Int32Array(maxChunksX),
    thresholds: new Float64Array(maxChunksX),
    guesses: new Float64Array(maxChunksX),
    maxK,
    maxChunksX,
  };
}

/**
 * Fused EF update and per-chunk top-k for tensor `t`. MUTATES `ef` over the tensor's range:
 * ef[p] ← fround(fround(fround(β)·ef[p]) + delta[p]) (torch's `e.mul_(β).add_(Δ)` in fp32).
 * Writes the `kEff` selected within-chunk indices of every chunk, ascending, to `outIndices`
 * (chunk-major, numChunks·kEff) and their updated e values to `outValues` (same order).
 *
 * @returns true iff every e of the tensor is finite. When false, the selection is meaningless
 *   (non-finite entries are not selected) and the caller must reject the tensor.
 */
export function accumulateAndSelect(
  ef: Float32Array,
  delta: Float32Array,
  beta: number,
  t: TensorLayout,
  kEff: number,
  scratch: TopKScratch,
  outIndices: Uint16Array,
  outValues: Float32Array,
): boolean {
  const { cols, c1, c2, chunksX, chunksY, chunkLen } = t.chunk;
  if (chunkLen > MAX_CHUNK_LEN) throw new ConfigError(`tensor "${t.name}" chunkLen`, chunkLen, `must be ≤ ${MAX_CHUNK_LEN}`);
  if (kEff < 1 || kEff > chunkLen) throw new ConfigError('kEff', kEff, `must be in [1, chunkLen = ${chunkLen}]`);
  if (kEff > scratch.maxK || chunksX > scratch.maxChunksX) {
    throw new ConfigError('compress scratch', { maxK: scratch.maxK, maxChunksX: scratch.maxChunksX }, `is too small for tensor "${t.name}" (k ${kEff}, chunksX ${chunksX})`);
  }
  const capacity = candidateCapacity(kEff);
  const { magnitudes, indices, counts, thresholds, guesses } = scratch;
  const betaF = Math.fround(beta);
  let nonFinite = false;
  guesses.fill(-1, 0, chunksX); // below any |e|: a cold start pushes the first elements

  for (let by = 0; by < chunksY; by++) {
    counts.fill(0, 0, chunksX);
    thresholds.set(guesses.subarray(0, chunksX));
    const blockStart = t.offset + by * c1 * cols;
    for (let r = 0; r < c1; r++) {
      const rowStart = blockStart + r * cols;
      const rowIndex = r * c2; // within-chunk index of the row's first element
      for (let j = 0; j < chunksX; j++) {
        const segStart = rowStart + j * c2;
        const segEnd = segStart + c2;
        const slotBase = j * capacity;
        let threshold = thresholds[j]!;
        let count = counts[j]!;
        for (let p = segStart; p < segEnd; p++) {
          const e = Math.fround(Math.fround(betaF * ef[p]!) + delta[p]!);
          ef[p] = e;
          const a = Math.abs(e);
          // Written !(a ≤ t) so that NaN, which fails every comparison, also takes this branch.
          if (!(a <= threshold)) {
            if (a < Infinity) {
              magnitudes[slotBase + count] = a;
              indices[slotBase + count] = rowIndex + (p - segStart);
              if (++count === capacity) {
                threshold = compact(scratch, slotBase, count, kEff);
                count = kEff;
              }
            } else nonFinite = true;
          }
        }
        thresholds[j] = threshold;
        counts[j] = count;
      }
    }
    for (let j = 0; j < chunksX; j++) {
      const chunkStart = blockStart + j * c2;
      const slotBase = j * capacity;
      // Too few candidates: the start guess was above the chunk's k-th magnitude. Redo it cold.
      if (counts[j]! < kEff) counts[j] = rescanChunk(ef, chunkStart, cols, c1, c2, scratch, slotBase, capacity, kEff);
      if (counts[j]! > kEff) compact(scratch, slotBase, counts[j]!, kEff);
      const outBase = (by * chunksX + j) * kEff;
      let kth = Infinity;
      for (let n = 0; n < kEff; n++) {
        const w = indices[slotBase + n]!;
        const r = (w / c2) | 0;
        outIndices[outBase + n] = w;
        outValues[outBase + n] = ef[chunkStart + r * cols + (w - r * c2)]!;
        kth = Math.min(kth, magnitudes[slotBase + n]!);
      }
      guesses[j] = kth > 0 && kth < Infinity ? THRESHOLD_GUESS_FACTOR * kth : -1;
    }
  }
  return !nonFinite;
}

/**
 * Selects from one chunk of the already-updated `ef` with a cold threshold (read only); returns
 * the candidate count (≥ k unless the chunk holds non-finite values, which the caller reports).
 */
function rescanChunk(ef: Float32Array, chunkStart: number, cols: number, c1: number, c2: number, s: TopKScratch, slotBase: number, capacity: number, k: number): number {
  let threshold = -1;
  let count = 0;
  for (let r = 0; r < c1; r++) {
    const segStart = chunkStart + r * cols;
    for (let c = 0; c < c2; c++) {
      const a = Math.abs(ef[segStart + c]!);
      if (a > threshold && a < Infinity) {
        s.magnitudes[slotBase + count] = a;
        s.indices[slotBase + count] = r * c2 + c;
        if (++count === capacity) {
          threshold = compact(s, slotBase, count, k);
          count = k;
        }
      }
    }
  }
  return count;
}

/**
 * Keeps the k best of the `count` candidates at slotBase, preserving their (ascending-index)
 * order, and returns the k-th largest magnitude M. Best = larger |e|, then lower index: all
 * candidates above M stay, and of those equal to M the first ones (lowest indices) fill the rest.
 */
function compact(s: TopKScratch, slotBase: number, count: number, k: number): number {
  const { magnitudes, indices, work } = s;
  work.set(magnitudes.subarray(slotBase, slotBase + count));
  const kth = kthLargest(work, count, k);
  let above = 0;
  for (let n = slotBase; n < slotBase + count; n++) if (magnitudes[n]! > kth) above++;
  let tiesToKeep = k - above;
  let write = slotBase;
  for (let read = slotBase; read < slotBase + count; read++) {
    const a = magnitudes[read]!;
    if (a > kth || (a === kth && tiesToKeep-- > 0)) {
      magnitudes[write] = a;
      indices[write] = indices[read]!;
      write++;
    }
  }
  return kth;
}

/**
 * The k-th largest (1-based k) of a[0..n), duplicates allowed; reorders a. Iterative Hoare
 * quickselect with a median-of-three pivot (deterministic, no Rng needed: n is small).
 */
export function kthLargest(a: Float32Array | Float64Array, n: number, k: number): number {
  const target = k - 1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const x = a[lo]!;
    const y = a[(lo + hi) >>> 1]!;
    const z = a[hi]!;
    const pivot = x > y ? (y > z ? y : x > z ? z : x) : x > z ? x : y > z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const tmp = a[i]!;
        a[i] = a[j]!;
        a[j] = tmp;
        i++;
        j--;
      }
    }
    // Now a[lo..j] ≥ pivot ≥ a[i..hi], and a[j+1..i−1] = pivot.
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target]!;
  }
  return a[target]!;
}
