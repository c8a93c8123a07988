/**
 * Exact wire sizes computed from a layout alone, without building or encoding a message: the
 * SparseLoCo codec (codec.ts, whose framing rules it calls) for SparseLoCo and DeMo, and the dense codec (dense-codec.ts) for
 * DDP and DiLoCo. Each figure equals, byte for byte, the length the real encoder writes
 * (property-tested in test/core/wire-size.test.ts), so a 72B or 1T layout can be costed without
 * allocating it: the walk is one closed-form step per tensor (chunks × per-chunk bytes).
 *
 * Rice indices depend on which indices were picked, so they are exact only given
 * {@link RiceIndexStats}; without them the size is {@link expectedRiceChunkBits}'s estimate for
 * uniformly random indices and the result says `exact: false`.
 *
 * @example
 * const size = encodedBytes(llamaLayout(COVENANT_72B), { topK: 64, quantBits: 2 });
 * size.bytes; // one peer's packed12 message, exactly
 */
import { ConfigError } from './errors.ts';
import type { ParamLayout } from './layout.ts';
import { validateCommunicatorConfig } from './baselines/index.ts';
import type { CommunicatorConfig } from './baselines/index.ts';
import { DEMO_DEFAULTS } from './baselines/demo.ts';
import { DENSE_HEADER_BYTES, denseElementBytes } from './baselines/dense-codec.ts';
import type { DenseDtype } from './baselines/dense-codec.ts';
import { assertTopKFitsChunks, effectiveTopK, resolveSparseLocoConfig } from './sparseloco/config.ts';
import type { IndexCoding, QuantBits, SparseLocoConfig } from './sparseloco/config.ts';
import { HEADER_BYTES, TENSOR_HEADER_BYTES, packed12IndexBytes, quantParamBytes, valueSectionBytes } from './sparseloco/codec.ts';
import type { CompressedUpdate } from './sparseloco/message.ts';
import { chooseRiceParameter, MAX_RICE_PARAM, RICE_PARAM_BITS, riceChunkBits } from './sparseloco/rice.ts';

/** Largest value a u32 wire field holds (indexBytes, dense element count). */
const U32_MAX = 0xffffffff;

/** A message's size and where the bytes go (all bytes; sections sum to `bytes`). */
export interface WireSize {
  /** Total encoded length. */
  readonly bytes: number;
  /** False only when Rice index sections were estimated (no {@link RiceIndexStats} given). */
  readonly exact: boolean;
  /** Message header plus per-tensor headers. */
  readonly headerBytes: number;
  /** Quantisation parameters (mean, scale, lut) of every tensor; 0 for raw fp32 values. */
  readonly quantBytes: number;
  readonly indexBytes: number;
  readonly valueBytes: number;
  /** Values sent (Σ numChunks · kEff); for dense messages every parameter. */
  readonly valuesSent: number;
}

/**
 * The statistic that makes a Rice message's size exact: per layout tensor, in layout order, the
 * total bits of its index stream, i.e. Σ over its chunks of (4-bit parameter + the Rice codes of
 * the chunk's gaps with the parameter the encoder picks). The byte count only needs this sum
 * because each tensor's stream is padded once, to ⌈bits/8⌉. Measure it with {@link riceIndexStats}.
 */
export interface RiceIndexStats {
  readonly tensorBits: readonly number[];
}

/** The wire-relevant part of a SparseLoCo configuration (SPEC defaults for what is omitted). */
export type SparseLocoWireConfig = Partial<Pick<SparseLocoConfig, 'topK' | 'quantBits' | 'indexCoding'>>;

/**
 * Exact length of `encodeUpdate(compress(layout, cfg, …), layout, { indexCoding })` for every
 * message the compressor can emit (kEff = effectiveTopK(topK, chunkLen) per tensor, so tensors
 * whose chunks are ≤ topK go densely, all chunkLen entries). Rice: exact with `rice`, else the
 * documented estimate. Throws {@link ConfigError} for a bad config, a topK larger than every
 * chunk, `rice` stats that do not fit the layout, or a tensor whose index section overflows u32.
 */
export function encodedBytes(layout: ParamLayout, config: SparseLocoWireConfig = {}, rice?: RiceIndexStats): WireSize {
  const cfg = resolveSparseLocoConfig(config);
  assertTopKFitsChunks(cfg.topK, layout);
  return sparseMessageBytes(layout, cfg.topK, cfg.quantBits, cfg.indexCoding, rice);
}

/** The SparseLoCo codec's size for `kEff = effectiveTopK(topK, ·)` in every tensor (SparseLoCo and DeMo). */
function sparseMessageBytes(layout: ParamLayout, topK: number, bits: QuantBits | null, coding: IndexCoding, rice?: RiceIndexStats): WireSize {
  if (rice !== undefined) checkRiceStats(layout, coding, rice);
  let indexBytes = 0;
  let valueBytes = 0;
  let valuesSent = 0;
  for (let ti = 0; ti < layout.tensors.length; ti++) {
    const t = layout.tensors[ti]!;
    const { chunkLen, numChunks } = t.chunk;
    const k = effectiveTopK(topK, chunkLen);
    const n = numChunks * k;
    let tensorIndexBytes: number;
    if (coding === 'packed12') tensorIndexBytes = packed12IndexBytes(n);
    else if (rice !== undefined) tensorIndexBytes = Math.ceil(rice.tensorBits[ti]! / 8);
    else tensorIndexBytes = Math.ceil((numChunks * expectedRiceChunkBits(chunkLen, k)) / 8);
    if (tensorIndexBytes > U32_MAX) {
      throw new ConfigError(`tensor "${t.name}" index section`, tensorIndexBytes, `bytes must fit the codec's u32 indexBytes field (≤ ${U32_MAX})`);
    }
    indexBytes += tensorIndexBytes;
    valueBytes += valueSectionBytes(bits, n);
    valuesSent += n;
  }
  const headerBytes = HEADER_BYTES + TENSOR_HEADER_BYTES * layout.tensors.length;
  const quantBytes = quantParamBytes(bits) * layout.tensors.length;
  return {
    bytes: headerBytes + quantBytes + indexBytes + valueBytes,
    exact: coding === 'packed12' || rice !== undefined,
    headerBytes,
    quantBytes,
    indexBytes,
    valueBytes,
    valuesSent,
  };
}

function checkRiceStats(layout: ParamLayout, coding: IndexCoding, rice: RiceIndexStats): void {
  if (coding !== 'rice') throw new ConfigError('rice index stats', 'given', `only apply to indexCoding "rice", not "${coding}"`);
  const bits = rice.tensorBits;
  if (!Array.isArray(bits) || bits.length !== layout.tensors.length) {
    throw new ConfigError('rice.tensorBits.length', (bits as unknown[] | undefined)?.length, `must equal the layout's tensor count (${layout.tensors.length})`);
  }
  for (let ti = 0; ti < bits.length; ti++) {
    const b = bits[ti]!;
    if (!Number.isSafeInteger(b) || b < 0) throw new ConfigError(`rice.tensorBits[${ti}]`, b, 'must be a non-negative integer (bits)');
  }
}

/**
 * Measures {@link RiceIndexStats} of a real message exactly as the encoder will write it: each
 * chunk sorted, its Rice parameter chosen by chooseRiceParameter, its bits by riceChunkBits.
 */
export function riceIndexStats(update: CompressedUpdate, layout: ParamLayout): RiceIndexStats {
  if (update.tensors.length !== layout.tensors.length) {
    throw new ConfigError('update.tensors.length', update.tensors.length, `must equal the layout's tensor count (${layout.tensors.length})`);
  }
  const tensorBits = layout.tensors.map((spec, ti) => {
    const t = update.tensors[ti]!;
    const k = t.kEff;
    const sorted = new Uint16Array(k);
    let bits = 0;
    for (let c = 0; c < spec.chunk.numChunks; c++) {
      sorted.set(t.indices.subarray(c * k, (c + 1) * k));
      sorted.sort();
      bits += riceChunkBits(sorted, 0, k, chooseRiceParameter(sorted, 0, k));
    }
    return bits;
  });
  return { tensorBits };
}

const riceEstimateCache = new Map<number, number>();

/**
 * Expected Rice bits of one chunk (4-bit parameter included) when its k indices are a uniformly
 * random k-subset of [0, n): min over p of E[bits at p] = 4 + k·(p + 1) + k·E[⌊g/2^p⌋], where a
 * gap g (the k gaps and the tail are exchangeable; they sum to n − k) has
 * P(g = m) = C(n − m − 1, k − 1) / C(n, k). The encoder picks p per chunk after seeing the gaps,
 * which can only do better than the best fixed p, so this slightly over-estimates (measured in
 * the tests: mean relative error on the index section is reported there). Real top-k sets
 * cluster and code shorter still; give {@link RiceIndexStats} for an exact figure.
 */
export function expectedRiceChunkBits(n: number, k: number): number {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('chunk length', n, 'must be a positive integer');
  if (!Number.isInteger(k) || k < 1 || k > n) throw new ConfigError('kEff', k, `must be an integer in [1, chunk length ${n}]`);
  const key = n * 8192 + k;
  const cached = riceEstimateCache.get(key);
  if (cached !== undefined) return cached;
  // quotientSum[p] = E[⌊g/2^p⌋], accumulated over the gap distribution by its ratio recurrence.
  const quotientSum = new Float64Array(MAX_RICE_PARAM + 1);
  let prob = k / n; // P(g = 0)
  for (let m = 0; m <= n - k && prob > 0; m++) {
    for (let p = 0; p <= MAX_RICE_PARAM; p++) quotientSum[p]! += prob * (m >> p);
    prob *= (n - m - k) / (n - m - 1); // P(m + 1) / P(m)
  }
  let best = Infinity;
  for (let p = 0; p <= MAX_RICE_PARAM; p++) best = Math.min(best, RICE_PARAM_BITS + k * (p + 1) + k * quotientSum[p]!);
  riceEstimateCache.set(key, best);
  return best;
}

/**
 * Exact length of `encodeDense(values, layout, dtype)`: the 16-byte header plus size × 2 or 4.
 * Throws {@link ConfigError} when the layout has more elements than the header's u32 count holds
 * (≈ 4.29e9: every 72B-class model; the dense codec cannot frame it as one message).
 */
export function denseEncodedBytes(layout: ParamLayout, dtype: DenseDtype = 'fp32'): WireSize {
  if (dtype !== 'fp32' && dtype !== 'bf16') throw new ConfigError('dense dtype', dtype, 'must be "fp32" or "bf16"');
  if (layout.size > U32_MAX) {
    throw new ConfigError('layout.size', layout.size, `must be ≤ ${U32_MAX} for one dense message (u32 element count); use densePayloadBytes for the all-reduce payload`);
  }
  const valueBytes = layout.size * denseElementBytes(dtype);
  return { bytes: DENSE_HEADER_BYTES + valueBytes, exact: true, headerBytes: DENSE_HEADER_BYTES, quantBytes: 0, indexBytes: 0, valueBytes, valuesSent: layout.size };
}

/**
 * One peer's message for any method, as its communicator's `encode` writes it: DDP (per inner
 * step, dense gradient), DiLoCo (per round, dense Δ in fp32 or bf16), DeMo (per inner step, raw
 * fp32 DCT coefficients through the SparseLoCo codec, topK default 32), SparseLoCo (per round).
 * Unset options take each method's defaults. `rice` as {@link encodedBytes}.
 */
export function messageEncodedBytes(layout: ParamLayout, config: CommunicatorConfig, rice?: RiceIndexStats): WireSize {
  // The methods' own constructors hold the rules (and allocate nothing until a peer state is made).
  validateCommunicatorConfig(layout, config);
  switch (config.method) {
    case 'ddp':
    case 'diloco':
      return denseEncodedBytes(layout, config.wireDtype ?? 'fp32');
    case 'demo':
      return sparseMessageBytes(layout, config.topK ?? DEMO_DEFAULTS.topK, null, config.indexCoding ?? DEMO_DEFAULTS.indexCoding, rice);
    case 'sparseloco': {
      const { method: _method, ...overrides } = config;
      const cfg = resolveSparseLocoConfig(overrides);
      return sparseMessageBytes(layout, cfg.topK, cfg.quantBits, cfg.indexCoding, rice);
    }
  }
}
