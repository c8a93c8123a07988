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
 * Keys. A candidate is stored as one double, key = bits(|e|)·4096 + (4095 − index): the IEEE bit
 * pattern of a non-negative float orders like its value, and index < 4096 (chunks are at most
 * 64×64), so larger key = better and all keys of a chunk are distinct integers below 2^43 (exact
 * in a double). The signed value is read back from the updated buffer at the end.
 *
 * Non-finite values: the test is written `!(|e| ≤ t)`, which NaN passes (NaN fails every
 * comparison), so NaN and ±Inf both reach the rare branch, where they are flagged instead of
 * pushed. Detection thus costs nothing in the common path, and NaN is never skipped silently: the
 * pass reports it and the caller must reject the tensor.
 */
import type { TensorLayout } from '../layout.ts';
import { ConfigError } from '../errors.ts';

/** Largest chunk the key encoding supports: within-chunk indices must fit 12 bits (SPEC.md §2.3). */
export const MAX_CHUNK_LEN = 4096;

/** Candidate buffer capacity per chunk, in multiples of k (tuned on the benchmark). */
export const CANDIDATE_FACTOR = 4;

/** Preallocated state for {@link accumulateAndSelect}; sized by {@link createTopKScratch}. */
export interface TopKScratch {
  /** Candidate keys, `capacity` per chunk of one row-block of chunks. */
  readonly keys: Float64Array;
  /** Work copy for quickselect (one chunk's buffer). */
  readonly work: Float64Array;
  /** Per chunk of the current row-block: candidates held and the running threshold |e|. */
  readonly counts: Int32Array;
  readonly thresholds: Float64Array;
  /** Reinterprets a float's bits (|e| → uint32) without allocation. */
  readonly f32: Float32Array;
  readonly u32: Uint32Array;
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
  const f32 = new Float32Array(1);
  return {
    keys: new Float64Array(capacity * maxChunksX),
    work: new Float64Array(capacity),
    counts: new Int32Array(maxChunksX),
    thresholds: new Float64Array(maxChunksX),
    f32,
    u32: new Uint32Array(f32.buffer),
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
  const { keys, counts, thresholds } = scratch;
  const betaF = Math.fround(beta);
  let nonFinite = false;

  for (let by = 0; by < chunksY; by++) {
    counts.fill(0, 0, chunksX);
    thresholds.fill(-1, 0, chunksX); // below any |e|: the first elements always enter
    const blockStart = t.offset + by * c1 * cols;
    for (let r = 0; r < c1; r++) {
      const rowStart = blockStart + r * cols;
      const rowIndex = r * c2; // within-chunk index of the row's first element
      for (let j = 0; j < chunksX; j++) {
        const segStart = rowStart + j * c2;
        const segEnd = segStart + c2;
        let threshold = thresholds[j]!;
        for (let p = segStart; p < segEnd; p++) {
          const e = Math.fround(Math.fround(betaF * ef[p]!) + delta[p]!);
          ef[p] = e;
          const a = Math.abs(e);
          // Written as !(a ≤ t) so that NaN (which fails every comparison) also takes this branch.
          if (!(a <= threshold)) {
            if (a < Infinity) threshold = pushCandidate(scratch, j, capacity, kEff, a, rowIndex + (p - segStart), threshold);
            else nonFinite = true;
          }
        }
        thresholds[j] = threshold;
      }
    }
    for (let j = 0; j < chunksX; j++) {
      const keyBase = j * capacity;
      if (counts[j]! > kEff) compact(scratch, j, capacity, counts[j]!, kEff);
      const chunk = by * chunksX + j;
      const chunkStart = blockStart + j * c2;
      const outBase = chunk * kEff;
      for (let n = 0; n < kEff; n++) {
        const w = MAX_CHUNK_LEN - 1 - (keys[keyBase + n]! % MAX_CHUNK_LEN);
        const r = (w / c2) | 0;
        outIndices[outBase + n] = w;
        outValues[outBase + n] = ef[chunkStart + r * cols + (w - r * c2)]!;
      }
    }
  }
  return !nonFinite;
}

/** Appends candidate (|e| = `a`, index `w`) to chunk `j`'s buffer; returns the (maybe raised) threshold. */
function pushCandidate(s: TopKScratch, j: number, capacity: number, k: number, a: number, w: number, threshold: number): number {
  s.f32[0] = a;
  const keyBase = j * capacity;
  const count = s.counts[j]!;
  s.keys[keyBase + count] = s.u32[0]! * MAX_CHUNK_LEN + (MAX_CHUNK_LEN - 1 - w);
  if (count + 1 < capacity) {
    s.counts[j] = count + 1;
    return threshold;
  }
  const kth = compact(s, j, capacity, capacity, k);
  s.u32[0] = Math.floor(kth / MAX_CHUNK_LEN);
  return s.f32[0]!;
}

/**
 * Keeps the k best of the `count` keys of chunk `j` (preserving their order, hence ascending
 * index), sets the chunk's count to k and returns the k-th best key.
 */
function compact(s: TopKScratch, j: number, capacity: number, count: number, k: number): number {
  const { keys, work } = s;
  const keyBase = j * capacity;
  work.set(keys.subarray(keyBase, keyBase + count));
  const kth = kthLargest(work, count, k);
  let write = keyBase;
  for (let read = keyBase; read < keyBase + count; read++) {
    const key = keys[read]!;
    if (key >= kth) keys[write++] = key;
  }
  s.counts[j] = k;
  return kth;
}

/**
 * The k-th largest of a[0..n) (1-based k) for distinct values; reorders a. Iterative Hoare
 * quickselect with a median-of-three pivot (deterministic, no Rng needed: n is small).
 */
export function kthLargest(a: Float64Array, n: number, k: number): number {
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
