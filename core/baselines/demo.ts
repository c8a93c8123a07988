/**
 * DeMo baseline (Decoupled Momentum, arXiv 2411.19870 §3, SPEC.md §7). Every inner step each peer:
 *
 *   m ← β·m + g                                   (momentum, β = 0.999 by default)
 *   per chunk: Y = DCT(m_chunk); keep the top-k |Y| (ties: lower index), S = sparse(Y at those)
 *   m_chunk ← m_chunk − IDCT(S)                   (what was sent leaves the momentum)
 *   send S as indices + raw fp32 values (the SparseLoCo codec with quantBits null, packed12 indices)
 *
 * and every node, on the same message set:
 *
 *   Q = Σ_peers IDCT(S_peer)                      (ascending peerUid)
 *   θ ← θ·(1 − lr·wd)                             (optional decoupled weight decay, default 0)
 *   θ ← θ − lr·sign(Q)                            (sign(0) = 0, as torch.sign)
 *
 * The IDCT is linear, so the sum is taken in the DCT domain (fp32, ascending peerUid) and
 * inverted once per chunk: R× cheaper than inverting every message, equal up to rounding, and
 * still identical on every node. Chunking is the layout's (SPEC.md §2.1), the transform dct.ts's.
 * k is clamped like SparseLoCo's (`effectiveTopK`: even, ≥ 2, ≤ chunk length) because the
 * 12-bit index packing writes indices in pairs.
 */
import { ConfigError, SparseLocoError } from '../errors.ts';
import { readChunk, writeChunk } from '../layout.ts';
import type { ParamLayout } from '../layout.ts';
import { effectiveTopK } from '../sparseloco/config.ts';
import type { IndexCoding } from '../sparseloco/config.ts';
import type { CompressedTensor, CompressedUpdate } from '../sparseloco/message.ts';
import { decodeUpdate, encodeUpdate } from '../sparseloco/codec.ts';
import { NonFiniteValueError } from '../sparseloco/compress.ts';
import { lrAt, resolveLrSchedule } from '../optim/adamw.ts';
import type { LrScheduleConfig } from '../optim/adamw.ts';
import { allGatherBytes, assertContributionSize, assertNoNullRound, checkLr, decodeMessages, emptyReport, rejectWeights } from '../communicator.ts';
import type { ApplyOptions, ApplyReport, Communicator, EncodeOptions, PeerMessage, WireBytes } from '../communicator.ts';
import { createDctScratch, forwardDctChunk, inverseDctChunk } from './dct.ts';

export interface DemoConfig {
  readonly method: 'demo';
  /** Top-k per chunk in the DCT domain (DeMo default 32), clamped by `effectiveTopK`. */
  readonly topK?: number;
  /** Momentum decay β (DeMo default 0.999). */
  readonly beta?: number;
  /** Decoupled weight decay applied before the sign step (default 0). */
  readonly weightDecay?: number;
  /** Learning rate schedule over the shared step count (defaults: SPEC.md §1 inner schedule). */
  readonly schedule?: Partial<LrScheduleConfig>;
  readonly indexCoding?: IndexCoding;
}

export const DEMO_DEFAULTS = Object.freeze({ topK: 32, beta: 0.999, weightDecay: 0, indexCoding: 'packed12' as IndexCoding });

/** A DeMo message the receiver cannot use although it decoded. */
export class DemoMessageError extends SparseLocoError {
  override name = 'DemoMessageError';
  constructor(
    readonly reason: 'quantised-values' | 'non-finite' | 'config-mismatch',
    message: string,
  ) {
    super(`DeMo message rejected (${reason}): ${message}`);
  }
}

/** One peer's DeMo state: its momentum and working memory. */
export interface DemoPeerState {
  readonly momentum: Float32Array;
  readonly scratch: DemoScratch;
}

/** Every node's DeMo state: the step count (for the schedule) and working memory. */
export interface DemoSharedState {
  steps: number;
  readonly scratch: DemoScratch;
}

interface DemoScratch {
  readonly chunk: Float32Array;
  readonly spectrum: Float32Array;
  readonly tmp: Float64Array;
  readonly order: Int32Array;
}

function createScratch(layout: ParamLayout): DemoScratch {
  let maxLen = 1;
  for (const t of layout.tensors) maxLen = Math.max(maxLen, t.chunk.chunkLen);
  return { chunk: new Float32Array(maxLen), spectrum: new Float32Array(maxLen), tmp: createDctScratch(maxLen), order: new Int32Array(maxLen) };
}

/**
 * Indices of the k largest |y[0..len)|, ties to the lower index, written ascending into
 * `out[0..k)`. Keeps a running best-k list sorted by (|y| desc, index asc): an element enters
 * only if it beats the current k-th, so the common case is one comparison.
 */
export function topKIndices(y: Float32Array, len: number, k: number, out: Int32Array): Int32Array {
  if (k > len || k < 0) throw new ConfigError('demo top-k', k, `must be in [0, ${len}]`);
  if (k === 0) return out;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const a = Math.abs(y[i]!);
    // Scanning in ascending index, a later equal magnitude never beats an earlier one.
    if (n === k && !(a > Math.abs(y[out[k - 1]!]!))) continue;
    let pos = n === k ? k - 1 : n++;
    while (pos > 0 && a > Math.abs(y[out[pos - 1]!]!)) {
      out[pos] = out[pos - 1]!;
      pos--;
    }
    out[pos] = i;
  }
  const sel = out.subarray(0, k);
  sel.sort();
  return out;
}

/** Builds the DeMo communicator for `layout`. */
export function createDemoCommunicator(layout: ParamLayout, config: DemoConfig = { method: 'demo' }): Communicator<DemoPeerState, DemoSharedState> {
  const topK = config.topK ?? DEMO_DEFAULTS.topK;
  const beta = config.beta ?? DEMO_DEFAULTS.beta;
  const weightDecay = config.weightDecay ?? DEMO_DEFAULTS.weightDecay;
  const indexCoding = config.indexCoding ?? DEMO_DEFAULTS.indexCoding;
  const schedule = resolveLrSchedule(config.schedule);
  if (!Number.isInteger(topK) || topK < 1) throw new ConfigError('demo.topK', topK, 'must be a positive integer');
  if (!(beta >= 0 && beta <= 1)) throw new ConfigError('demo.beta', beta, 'must be in [0, 1]');
  if (!(weightDecay >= 0) || !Number.isFinite(weightDecay)) throw new ConfigError('demo.weightDecay', weightDecay, 'must be a finite number ≥ 0');
  if (indexCoding !== 'packed12' && indexCoding !== 'rice') throw new ConfigError('demo.indexCoding', indexCoding, 'must be "packed12" or "rice"');
  const f = Math.fround;
  const betaF = f(beta);
  const expectedK = layout.tensors.map((t) => effectiveTopK(topK, t.chunk.chunkLen));

  function encode(peer: DemoPeerState, gradient: Float32Array, options?: EncodeOptions): Uint8Array {
    assertNoNullRound('demo', options);
    assertContributionSize(layout, gradient);
    const m = peer.momentum;
    for (let i = 0; i < m.length; i++) m[i] = f(f(betaF * m[i]!) + gradient[i]!);
    const { chunk, spectrum, tmp, order } = peer.scratch;
    const tensors: CompressedTensor[] = layout.tensors.map((t, ti) => {
      const { c1, c2, chunkLen, numChunks } = t.chunk;
      const kEff = expectedK[ti]!;
      const indices = new Uint16Array(numChunks * kEff);
      const values = new Float32Array(numChunks * kEff);
      const y = spectrum.subarray(0, chunkLen);
      for (let ci = 0; ci < numChunks; ci++) {
        readChunk(m, t, ci, chunk);
        forwardDctChunk(chunk, c1, c2, y, tmp);
        for (let w = 0; w < chunkLen; w++) if (!Number.isFinite(y[w]!)) throw new NonFiniteValueError(t.name);
        topKIndices(y, chunkLen, kEff, order);
        // Keep only the sent coefficients, invert, and take them out of the momentum.
        const base = ci * kEff;
        for (let n = 0; n < kEff; n++) {
          indices[base + n] = order[n]!;
          values[base + n] = y[order[n]!]!;
        }
        y.fill(0);
        for (let n = 0; n < kEff; n++) y[order[n]!] = values[base + n]!;
        const sent = inverseDctChunk(y, c1, c2, chunk, tmp);
        // readChunk again: `chunk` now holds IDCT(S); subtract it from m in place.
        subtractChunk(m, t, ci, sent, spectrum, chunkLen);
      }
      return { kEff, indices, codes: new Uint8Array(0), quant: null, values };
    });
    const update: CompressedUpdate = { layoutId: layout.id, quantBits: null, tensors };
    return encodeUpdate(update, layout, { indexCoding });
  }

  function decode(bytes: Uint8Array): CompressedUpdate {
    const update = decodeUpdate(bytes, layout);
    if (update.quantBits !== null) throw new DemoMessageError('quantised-values', `DeMo sends raw fp32 values, got ${update.quantBits}-bit codes`);
    for (let ti = 0; ti < update.tensors.length; ti++) {
      // A larger k than configured would buy a peer more influence on the sign.
      if (update.tensors[ti]!.kEff !== expectedK[ti]) {
        throw new DemoMessageError('config-mismatch', `tensor "${layout.tensors[ti]!.name}" carries k = ${update.tensors[ti]!.kEff}, configured ${expectedK[ti]}`);
      }
      const values = update.tensors[ti]!.values!;
      for (let n = 0; n < values.length; n++) {
        if (!Number.isFinite(values[n]!)) throw new DemoMessageError('non-finite', `tensor "${layout.tensors[ti]!.name}" entry ${n} is ${values[n]}`);
      }
    }
    return update;
  }

  function apply(params: Float32Array, shared: DemoSharedState, messages: readonly PeerMessage[], options?: ApplyOptions): ApplyReport {
    assertContributionSize(layout, params);
    rejectWeights('demo', options);
    const lr = checkLr(options?.lr ?? lrAt(schedule, shared.steps));
    const { accepted, rejected } = decodeMessages(messages, decode);
    if (accepted.length === 0) return emptyReport(rejected, lr);
    const { chunk, spectrum, tmp } = shared.scratch;
    const lrF = f(lr);
    const decay = f(1 - lr * weightDecay);
    for (let ti = 0; ti < layout.tensors.length; ti++) {
      const t = layout.tensors[ti]!;
      const { c1, c2, chunkLen, numChunks } = t.chunk;
      const y = spectrum.subarray(0, chunkLen);
      for (let ci = 0; ci < numChunks; ci++) {
        y.fill(0);
        for (const msg of accepted) {
          const mt = msg.value.tensors[ti]!;
          const k = mt.kEff;
          const values = mt.values!;
          for (let n = ci * k; n < (ci + 1) * k; n++) y[mt.indices[n]!] = f(y[mt.indices[n]!]! + values[n]!);
        }
        inverseDctChunk(y, c1, c2, chunk, tmp);
        // Turn the chunk of Q into the chunk of new parameters, then write it back.
        const q = chunk;
        readChunk(params, t, ci, y);
        for (let w = 0; w < chunkLen; w++) {
          const p = weightDecay === 0 ? y[w]! : f(y[w]! * decay);
          q[w] = f(p - lrF * Math.sign(q[w]!));
        }
        writeChunk(params, t, ci, q);
      }
    }
    shared.steps += 1;
    return { applied: true, contributors: accepted.map((m) => m.peerUid), rejected, skippedTensors: [], lr };
  }

  return {
    method: 'demo',
    cadence: 'inner-step',
    layout,
    createPeerState: () => ({ momentum: new Float32Array(layout.size), scratch: createScratch(layout) }),
    createSharedState: () => ({ steps: 0, scratch: createScratch(layout) }),
    encode,
    apply,
    wireBytes: (messageSizes: readonly number[]): readonly WireBytes[] => allGatherBytes(messageSizes),
  };
}

/** m_chunk ← m_chunk − sent, through `buf` (length ≥ chunkLen). */
function subtractChunk(m: Float32Array, t: ParamLayout['tensors'][number], chunk: number, sent: Float32Array, buf: Float32Array, chunkLen: number): void {
  const cur = readChunk(m, t, chunk, buf);
  for (let w = 0; w < chunkLen; w++) cur[w] = Math.fround(cur[w]! - sent[w]!);
  writeChunk(m, t, chunk, cur);
}
