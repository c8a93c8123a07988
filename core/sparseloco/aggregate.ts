/**
 * Receiving-side aggregation of SparseLoCo messages and the outer SGD step (SPEC.md §3,
 * templar `compress.py::batch_decompress` and `neurons.py::outer_step`). Every node runs this on
 * the same message set, so the result must be bit-identical everywhere: messages are processed in
 * ascending peer uid, whatever order they arrived in.
 *
 * Numerics (fp32 semantics throughout, each step rounded with `Math.fround` or by storing into a
 * Float32Array; a double result of one +, −, ×, ÷ on two fp32 operands rounds to the correctly
 * rounded fp32 result, so this is exactly torch's fp32 arithmetic):
 * - v_i = lut_i[code] + μ_i in fp32 (message.ts `dequantise`).
 * - n_i = fp32(√(Σ v²)), the sum of squares accumulated **in double** in entry order (one rounding
 *   at the end; torch's reduction order is unspecified anyway, this one is fixed).
 * - m = lower median of n_1..n_R (torch.median); NaN if any n_i is NaN (torch propagates NaN).
 * - f_i = min(1, fp32(m / fp32(n_i + fp32(1e-8)))); v_i ← fp32(v_i · f_i) when f_i ≠ 1.
 * - per position: s = fp32 running sum of the contributions, ascending uid then entry order,
 *   starting from the first contribution (`scatter_reduce(include_self=False)`);
 *   'sparse': g = fp32(s / count), 'dense': g = fp32(s / R). Untouched positions are 0.
 * - any non-finite g in a tensor ⇒ the whole tensor's gradient is zeroed and listed as skipped.
 * - per-peer weights (optional, core/weighting): r_i = fp32(w_i / max_j w_j) in double, then per
 *   position s = fp32 running sum of fp32(v · r_i) and ρ = fp32 running sum of r_i over the same
 *   contributions; 'sparse': g = fp32(s / ρ) (0 where ρ = 0: only zero-weight peers touched it),
 *   'dense': g = fp32(s / Σ_i r_i). Clipping is unchanged (the median of the unweighted norms).
 *   Equal weights make every r_i exactly 1, so v · 1 = v and ρ = count: today's aggregate bit for bit.
 *
 * The fast path works chunk by chunk: the sums and counts of one chunk live in small L1-resident
 * buffers (chunkLen ≤ 4096), and a per-tensor table maps an index within the chunk to its offset
 * from the chunk's first element, so the hot loop has no division and no allocation. Chunk-major
 * order gives the same per-position summation order as peer-major order (chunks are disjoint).
 *
 * @example
 * const result = aggregate(layout, cfg, [{ peerUid: 3, update: msgA }, { peerUid: 1, update: msgB }]);
 * if (result.contributors.length > 0) outerStep(layout, params, result, cfg.outerLr);
 */
import { ConfigError, SparseLocoError } from '../errors.ts';
import type { ParamLayout, TensorLayout } from '../layout.ts';
import type { SparseLocoConfig } from './config.ts';
import { dequantise } from './message.ts';
import type { CompressedTensor, CompressedUpdate } from './message.ts';

/** One gathered message and the uid of the peer that sent it. */
export interface PeerUpdate {
  readonly peerUid: number;
  readonly update: CompressedUpdate;
}

export interface AggregateResult {
  /** The aggregated pseudo-gradient g, flat, `layout.size` long; zero for skipped tensors. */
  readonly gradient: Float32Array;
  /** Names of tensors whose gradient had a non-finite entry (not to be applied), in layout order. */
  readonly skippedTensors: readonly string[];
  /**
   * Uids of the peers aggregated, ascending. Empty when no message was given: then the gradient is
   * all zeros and, per SPEC.md §3, the caller takes no outer step (`outerStep` is a no-op then).
   */
  readonly contributors: readonly number[];
}

/** Why a message set was rejected; machine-readable, for callers and tests. */
export type AggregateErrorReason =
  | 'duplicate-peer'
  | 'bad-peer-uid'
  | 'layout-mismatch'
  | 'tensor-count'
  | 'bad-k'
  | 'length-mismatch'
  | 'index-range'
  | 'quant-mismatch'
  | 'code-range';

/** A message that cannot be aggregated. Names the peer and, where it applies, the tensor. */
export class AggregateError extends SparseLocoError {
  override name = 'AggregateError';
  constructor(
    readonly reason: AggregateErrorReason,
    readonly peerUid: number,
    readonly tensor: string | null,
    detail: string,
  ) {
    super(`peer ${peerUid}${tensor === null ? '' : `, tensor "${tensor}"`}: ${detail}`);
  }
}

/** Reusable buffers for {@link aggregate}; grows on demand, so one scratch serves any message set. */
export interface AggregateScratch {
  /** Dequantised (then clipped) values of every peer for the current tensor, peer after peer. */
  values: Float32Array;
  /** Per-chunk running sums and contribution counts, indexed by position within the chunk. */
  readonly sum: Float32Array;
  readonly count: Uint32Array;
  /** Per-chunk running sums of the contributors' relative weights (weighted aggregation only). */
  readonly weightSum: Float32Array;
  /** Positions within the chunk touched so far, in first-touch order. */
  readonly touched: Int32Array;
  /** Within-chunk index w → offset of that element from the chunk's first element (r·cols + c). */
  readonly offsetOf: Int32Array;
}

/** Scratch sized for `layout` (the value buffer grows with the number of peers on first use). */
export function createAggregateScratch(layout: ParamLayout): AggregateScratch {
  let maxChunk = 1;
  for (const t of layout.tensors) maxChunk = Math.max(maxChunk, t.chunk.chunkLen);
  return {
    values: new Float32Array(0),
    sum: new Float32Array(maxChunk),
    count: new Uint32Array(maxChunk),
    weightSum: new Float32Array(maxChunk),
    touched: new Int32Array(maxChunk),
    offsetOf: new Int32Array(maxChunk),
  };
}

const NORM_EPS = Math.fround(1e-8);

/**
 * Aggregates the gathered messages into one pseudo-gradient (SPEC.md §3 steps 1–5). Pure apart
 * from writing `out` (every entry is overwritten) and `scratch` (pass one from
 * {@link createAggregateScratch} to avoid allocating per call in a loop). Messages are validated
 * before anything is written. `weights` (uid → weight ≥ 0, one per message, not all 0; any scale)
 * makes the mean weighted; null is today's unweighted mean. Throws {@link AggregateError} for a
 * malformed or duplicate message and {@link ConfigError} for a wrongly sized `out` or `scratch`
 * or a missing, negative or non-finite weight.
 */
export function aggregate(
  layout: ParamLayout,
  cfg: SparseLocoConfig,
  messages: readonly PeerUpdate[],
  out: Float32Array = new Float32Array(layout.size),
  scratch: AggregateScratch = createAggregateScratch(layout),
  weights: ReadonlyMap<number, number> | null = null,
): AggregateResult {
  checkConfig(layout, cfg, out, scratch);
  const peers = sortedValidPeers(layout, messages);
  const relative = weights === null || peers.length === 0 ? null : relativeWeights(peers, weights);
  const skippedTensors: string[] = [];
  if (peers.length === 0) {
    out.fill(0);
  } else {
    for (let ti = 0; ti < layout.tensors.length; ti++) {
      if (!aggregateTensor(layout.tensors[ti]!, ti, cfg, peers, out, scratch, relative)) {
        skippedTensors.push(layout.tensors[ti]!.name);
      }
    }
  }
  return { gradient: out, skippedTensors, contributors: peers.map((p) => p.peerUid) };
}

/**
 * The outer step θ ← θ − α·g (SPEC.md §3 step 6; plain SGD, no momentum, no weight decay), in
 * place, fp32: θ = fp32(θ − fp32(fp32(α)·g)). Skipped tensors are left untouched; with no
 * contributors it does nothing (SPEC.md §3: no valid message ⇒ no outer step).
 */
export function outerStep(layout: ParamLayout, params: Float32Array, result: AggregateResult, lr: number): void {
  if (params.length !== layout.size) throw new ConfigError('params.length', params.length, `must equal layout.size (${layout.size})`);
  if (result.gradient.length !== layout.size) {
    throw new ConfigError('gradient.length', result.gradient.length, `must equal layout.size (${layout.size})`);
  }
  if (!(lr > 0) || !Number.isFinite(lr)) throw new ConfigError('outer lr', lr, 'must be a finite number > 0');
  if (result.contributors.length === 0) return;
  const skipped = new Set(result.skippedTensors);
  const alpha = Math.fround(lr);
  const g = result.gradient;
  for (const t of layout.tensors) {
    if (skipped.has(t.name)) continue;
    const end = t.offset + t.size;
    for (let k = t.offset; k < end; k++) params[k] = params[k]! - Math.fround(alpha * g[k]!);
  }
}

function checkConfig(layout: ParamLayout, cfg: SparseLocoConfig, out: Float32Array, scratch: AggregateScratch): void {
  const maxChunk = Math.max(...layout.tensors.map((t) => t.chunk.chunkLen));
  if (scratch.sum.length < maxChunk) {
    throw new ConfigError('aggregate scratch chunk length', scratch.sum.length, `must be ≥ the layout's largest chunk (${maxChunk})`);
  }
  if (cfg.aggregation !== 'sparse' && cfg.aggregation !== 'dense') {
    throw new ConfigError('optim.aggregation', cfg.aggregation, 'must be "sparse" or "dense"');
  }
  if (!(out instanceof Float32Array) || out.length !== layout.size) {
    throw new ConfigError('aggregate out.length', out?.length, `must be a Float32Array of layout.size (${layout.size})`);
  }
}

/**
 * r_p = fp32(w_p / max w) for the peers in ascending uid: the largest weight maps to exactly 1, so
 * equal weights give r = 1 for all (the unweighted sums). Throws {@link ConfigError} on a missing,
 * negative or non-finite weight, or when every weight is 0.
 */
function relativeWeights(peers: readonly PeerUpdate[], weights: ReadonlyMap<number, number>): Float32Array {
  let max = 0;
  for (const p of peers) {
    const w = weights.get(p.peerUid);
    if (w === undefined || !Number.isFinite(w) || w < 0) throw new ConfigError(`aggregate weight of peer ${p.peerUid}`, w, 'must be a finite number ≥ 0 for every message');
    if (w > max) max = w;
  }
  if (!(max > 0)) throw new ConfigError('aggregate weights', max, 'must not all be 0');
  return Float32Array.from(peers, (p) => weights.get(p.peerUid)! / max);
}

/** Validates every message and returns them in ascending peer uid (the fixed summation order). */
function sortedValidPeers(layout: ParamLayout, messages: readonly PeerUpdate[]): PeerUpdate[] {
  const seen = new Set<number>();
  for (const m of messages) {
    const uid = m.peerUid;
    if (!Number.isSafeInteger(uid) || uid < 0) throw new AggregateError('bad-peer-uid', uid, null, 'peer uid must be a non-negative integer');
    if (seen.has(uid)) throw new AggregateError('duplicate-peer', uid, null, 'two messages carry this peer uid');
    seen.add(uid);
    validateUpdate(layout, uid, m.update);
  }
  return [...messages].sort((a, b) => a.peerUid - b.peerUid);
}

/** Shapes, lengths and ranges; everything the hot loop relies on without checking. */
function validateUpdate(layout: ParamLayout, uid: number, u: CompressedUpdate): void {
  if (u.layoutId !== layout.id) {
    throw new AggregateError('layout-mismatch', uid, null, `layoutId ${u.layoutId} differs from the layout's ${layout.id}`);
  }
  if (u.tensors.length !== layout.tensors.length) {
    throw new AggregateError('tensor-count', uid, null, `${u.tensors.length} tensors, layout has ${layout.tensors.length}`);
  }
  for (let ti = 0; ti < layout.tensors.length; ti++) {
    const t = layout.tensors[ti]!;
    const m = u.tensors[ti]!;
    const g = t.chunk;
    const fail = (reason: AggregateErrorReason, detail: string): never => {
      throw new AggregateError(reason, uid, t.name, detail);
    };
    if (!Number.isInteger(m.kEff) || m.kEff < 1 || m.kEff > g.chunkLen) fail('bad-k', `kEff ${m.kEff} must be an integer in [1, ${g.chunkLen}]`);
    const n = g.numChunks * m.kEff;
    if (m.indices.length !== n) fail('length-mismatch', `${m.indices.length} indices, expected ${g.numChunks} chunks × ${m.kEff}`);
    const maxIndex = maxOfIndices(m.indices);
    if (maxIndex >= g.chunkLen) fail('index-range', `index ${maxIndex} ≥ chunk length ${g.chunkLen}`);
    if (u.quantBits === null) {
      if (m.quant !== null || m.values === null) fail('quant-mismatch', 'an unquantised message needs raw values and no quant params');
      if (m.values!.length !== n) fail('length-mismatch', `${m.values!.length} values for ${n} indices`);
    } else {
      if (m.quant === null) fail('quant-mismatch', `a ${u.quantBits}-bit message needs quant params`);
      if (m.codes.length !== n) fail('length-mismatch', `${m.codes.length} codes for ${n} indices`);
      const bins = m.quant!.lut.length;
      if (bins < 1 || bins > 1 << u.quantBits) fail('quant-mismatch', `lut has ${bins} entries, must be in [1, ${1 << u.quantBits}]`);
      const maxCode = maxOfCodes(m.codes);
      if (maxCode >= bins) fail('code-range', `code ${maxCode} ≥ lut length ${bins}`);
    }
  }
}

// Two monomorphic copies: one function over both array types would be megamorphic and ~5× slower.
function maxOfIndices(a: Uint16Array): number {
  let max = 0;
  for (let n = 0; n < a.length; n++) if (a[n]! > max) max = a[n]!;
  return max;
}
function maxOfCodes(a: Uint8Array): number {
  let max = 0;
  for (let n = 0; n < a.length; n++) if (a[n]! > max) max = a[n]!;
  return max;
}

/** Aggregates tensor `ti` into `out`; returns false (and zeroes the slice) if the result is non-finite. */
function aggregateTensor(
  t: TensorLayout,
  ti: number,
  cfg: SparseLocoConfig,
  peers: readonly PeerUpdate[],
  out: Float32Array,
  scratch: AggregateScratch,
  relative: Float32Array | null,
): boolean {
  const R = peers.length;
  const msgs: CompressedTensor[] = peers.map((p) => p.update.tensors[ti]!);
  // Each peer's values, dequantised then clipped, at starts[p] in the shared value buffer.
  const starts = new Int32Array(R + 1);
  for (let p = 0; p < R; p++) starts[p + 1] = starts[p]! + msgs[p]!.indices.length;
  if (scratch.values.length < starts[R]!) scratch.values = new Float32Array(starts[R]!);
  const values = scratch.values;
  for (let p = 0; p < R; p++) dequantise(msgs[p]!, values.subarray(starts[p]!, starts[p + 1]!));
  if (cfg.clipNorm) clipToMedianNorm(values, starts, R);

  const kEffs = msgs.map((m) => m.kEff);
  const indexArrays = msgs.map((m) => m.indices);
  const valueArrays = msgs.map((_, p) => values.subarray(starts[p]!, starts[p + 1]!));

  const g = t.chunk;
  const offsetOf = scratch.offsetOf;
  for (let w = 0, r = 0; r < g.c1; r++) for (let c = 0; c < g.c2; c++, w++) offsetOf[w] = r * g.cols + c;
  const { sum, count, touched, weightSum } = scratch;
  const dense = cfg.aggregation === 'dense';
  let totalWeight = 0; // dense weighted divisor: fp32 sum of r in ascending uid
  if (relative !== null) for (let p = 0; p < R; p++) totalWeight = Math.fround(totalWeight + relative[p]!);
  const bandSize = g.c1 * g.cols; // one row of chunks
  let finite = true;
  for (let chunk = 0; chunk < g.numChunks; chunk++) {
    const i = (chunk / g.chunksX) | 0;
    const j = chunk - i * g.chunksX;
    const bandStart = t.offset + i * bandSize;
    // Zero a band of rows just before scattering into it, so it is still in cache for the writes.
    if (j === 0) out.fill(0, bandStart, bandStart + bandSize);
    const base = bandStart + j * g.c2;
    let nTouched = 0;
    if (relative === null) {
      for (let p = 0; p < R; p++) {
        const k = kEffs[p]!;
        nTouched = scatterChunk(indexArrays[p]!, valueArrays[p]!, chunk * k, chunk * k + k, sum, count, touched, nTouched);
      }
      if (!writeChunkMeans(out, base, offsetOf, sum, count, touched, nTouched, dense ? R : 0)) finite = false;
    } else {
      for (let p = 0; p < R; p++) {
        const k = kEffs[p]!;
        nTouched = scatterChunkWeighted(indexArrays[p]!, valueArrays[p]!, relative[p]!, chunk * k, chunk * k + k, sum, count, weightSum, touched, nTouched);
      }
      if (!writeChunkWeightedMeans(out, base, offsetOf, sum, count, weightSum, touched, nTouched, dense ? totalWeight : 0)) finite = false;
    }
  }
  if (!finite) out.fill(0, t.offset, t.offset + t.size);
  return finite;
}

/**
 * Adds entries [from, to) of one peer's chunk into the chunk's sums and counts (first touch
 * overwrites, as `scatter_reduce(include_self=False)`); returns the new number of touched positions.
 */
function scatterChunk(
  indices: Uint16Array,
  values: Float32Array,
  from: number,
  to: number,
  sum: Float32Array,
  count: Uint32Array,
  touched: Int32Array,
  nTouched: number,
): number {
  for (let n = from; n < to; n++) {
    const w = indices[n]!;
    const seen = count[w]!;
    if (seen === 0) {
      sum[w] = values[n]!;
      touched[nTouched++] = w;
    } else {
      sum[w] = sum[w]! + values[n]!; // fp32 add: the store into a Float32Array rounds
    }
    count[w] = seen + 1;
  }
  return nTouched;
}

/** {@link scatterChunk} with one peer's relative weight r: adds fp32(v · r) to the sums and r to the weight sums. */
function scatterChunkWeighted(
  indices: Uint16Array,
  values: Float32Array,
  r: number,
  from: number,
  to: number,
  sum: Float32Array,
  count: Uint32Array,
  weightSum: Float32Array,
  touched: Int32Array,
  nTouched: number,
): number {
  for (let n = from; n < to; n++) {
    const w = indices[n]!;
    const seen = count[w]!;
    const v = Math.fround(values[n]! * r);
    if (seen === 0) {
      sum[w] = v;
      weightSum[w] = r;
      touched[nTouched++] = w;
    } else {
      sum[w] = sum[w]! + v; // fp32 adds: the stores round
      weightSum[w] = weightSum[w]! + r;
    }
    count[w] = seen + 1;
  }
  return nTouched;
}

/**
 * {@link writeChunkMeans} for weighted sums: sum / weightSum (0 where only zero-weight peers
 * touched the position), or sum / divisor when divisor > 0 ('dense'). Clears the counts.
 */
function writeChunkWeightedMeans(
  out: Float32Array,
  base: number,
  offsetOf: Int32Array,
  sum: Float32Array,
  count: Uint32Array,
  weightSum: Float32Array,
  touched: Int32Array,
  nTouched: number,
  divisor: number,
): boolean {
  let finite = true;
  for (let q = 0; q < nTouched; q++) {
    const w = touched[q]!;
    const rho = divisor > 0 ? divisor : weightSum[w]!;
    const v = rho > 0 ? Math.fround(sum[w]! / rho) : 0;
    if (v - v !== 0) finite = false; // NaN or ±Inf
    out[base + offsetOf[w]!] = v;
    count[w] = 0;
  }
  return finite;
}

/**
 * Writes the touched positions' means (sum / count, or sum / divisor when divisor > 0) to `out` at
 * base + offsetOf[w] and clears their counts. Returns false if any mean is non-finite.
 */
function writeChunkMeans(
  out: Float32Array,
  base: number,
  offsetOf: Int32Array,
  sum: Float32Array,
  count: Uint32Array,
  touched: Int32Array,
  nTouched: number,
  divisor: number,
): boolean {
  let finite = true;
  for (let q = 0; q < nTouched; q++) {
    const w = touched[q]!;
    const v = Math.fround(sum[w]! / (divisor > 0 ? divisor : count[w]!));
    if (v - v !== 0) finite = false; // NaN or ±Inf
    out[base + offsetOf[w]!] = v;
    count[w] = 0;
  }
  return finite;
}

/**
 * SPEC.md §3 step 2, in place: scales peer p's values (values[starts[p] .. starts[p+1])) by
 * min(1, m / (n_p + 1e-8)), m the lower median of the per-peer norms.
 */
function clipToMedianNorm(values: Float32Array, starts: Int32Array, R: number): void {
  const norms = new Float32Array(R);
  for (let p = 0; p < R; p++) {
    let squares = 0; // double accumulator, entry order
    for (let n = starts[p]!; n < starts[p + 1]!; n++) squares += values[n]! * values[n]!;
    norms[p] = Math.sqrt(squares);
  }
  const median = lowerMedian(norms);
  for (let p = 0; p < R; p++) {
    const factor = Math.min(1, Math.fround(median / Math.fround(norms[p]! + NORM_EPS)));
    if (factor === 1) continue;
    for (let n = starts[p]!; n < starts[p + 1]!; n++) values[n] = Math.fround(values[n]! * factor);
  }
}

/** torch.median: the lower of the two middle values for an even count; NaN if any value is NaN. */
export function lowerMedian(xs: Float32Array): number {
  if (xs.some((x) => Number.isNaN(x))) return NaN;
  const sorted = Float32Array.from(xs).sort();
  return sorted[(sorted.length - 1) >> 1]!;
}
