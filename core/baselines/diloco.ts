/**
 * DiLoCo baseline (arXiv 2311.08105, SPEC.md §7): once per round each peer sends its dense
 * pseudo-gradient Δ = θ_start − θ_end (fp32 or bf16 on the wire), the Δs are averaged (ring
 * all-reduce), and every node takes the same outer SGD step with Nesterov momentum, torch
 * `SGD(lr, momentum, nesterov=True)` semantics:
 *
 *   buf ← g               on the first step, else  buf ← μ·buf + g
 *   θ   ← θ − lr·(g + μ·buf)
 *
 * Defaults from the paper: lr 0.7, μ 0.9. Arithmetic is fp32, rounded after every operation.
 */
import { ConfigError } from '../errors.ts';
import type { ParamLayout } from '../layout.ts';
import {
  assertContributionSize,
  assertNoNullRound,
  checkLr,
  decodeMessages,
  emptyReport,
  meanInto,
  rejectWeights,
  ringAllReduceBytes,
} from '../communicator.ts';
import type { ApplyOptions, ApplyReport, Communicator, EncodeOptions, PeerMessage, WireBytes } from '../communicator.ts';
import { decodeDense, densePayloadBytes, encodeDense } from './dense-codec.ts';
import type { DenseDtype } from './dense-codec.ts';

export interface DilocoConfig {
  readonly method: 'diloco';
  /** Outer learning rate (default 0.7). */
  readonly outerLr?: number;
  /** Outer Nesterov momentum μ (default 0.9). */
  readonly momentum?: number;
  /** Pseudo-gradient dtype on the wire (default 'fp32'). */
  readonly wireDtype?: DenseDtype;
}

export const DILOCO_DEFAULTS = Object.freeze({ outerLr: 0.7, momentum: 0.9, wireDtype: 'fp32' as DenseDtype });

/** The outer optimiser state every node keeps identical. */
export interface DilocoSharedState {
  /** Momentum buffer; meaningful once `steps` > 0. */
  readonly buf: Float32Array;
  /** Outer steps taken. */
  steps: number;
  readonly mean: Float32Array;
}

/** DiLoCo peers keep no communication state (their inner AdamW lives with the trainer). */
export type DilocoPeerState = Record<string, never>;

/**
 * One torch SGD-Nesterov step. MUTATES `params` and `state.buf`, increments `state.steps`.
 * Exported for tests and for callers that aggregate Δ themselves.
 */
export function nesterovStep(params: Float32Array, grad: Float32Array, state: DilocoSharedState, lr: number, momentum: number): void {
  const f = Math.fround;
  const buf = state.buf;
  const first = state.steps === 0;
  for (let i = 0; i < params.length; i++) {
    const g = grad[i]!;
    const b = first ? g : f(f(momentum * buf[i]!) + g);
    buf[i] = b;
    const update = f(g + f(momentum * b));
    params[i] = f(params[i]! - f(lr * update));
  }
  state.steps += 1;
}

/** Builds the DiLoCo communicator for `layout`. */
export function createDilocoCommunicator(layout: ParamLayout, config: DilocoConfig = { method: 'diloco' }): Communicator<DilocoPeerState, DilocoSharedState> {
  const outerLr = config.outerLr ?? DILOCO_DEFAULTS.outerLr;
  const momentum = config.momentum ?? DILOCO_DEFAULTS.momentum;
  const dtype = config.wireDtype ?? DILOCO_DEFAULTS.wireDtype;
  if (!(outerLr > 0) || !Number.isFinite(outerLr)) throw new ConfigError('diloco.outerLr', outerLr, 'must be a finite number > 0');
  if (!(momentum >= 0 && momentum < 1)) throw new ConfigError('diloco.momentum', momentum, 'must be in [0, 1)');
  if (dtype !== 'fp32' && dtype !== 'bf16') throw new ConfigError('diloco.wireDtype', dtype, 'must be "fp32" or "bf16"');
  const payloadBytes = densePayloadBytes(layout, dtype);
  return {
    method: 'diloco',
    cadence: 'round',
    layout,
    createPeerState: () => ({}),
    createSharedState: () => ({ buf: new Float32Array(layout.size), steps: 0, mean: new Float32Array(layout.size) }),
    encode(_peer: DilocoPeerState, delta: Float32Array, options?: EncodeOptions): Uint8Array {
      assertNoNullRound('diloco', options);
      assertContributionSize(layout, delta);
      return encodeDense(delta, layout, dtype);
    },
    apply(params: Float32Array, shared: DilocoSharedState, messages: readonly PeerMessage[], options?: ApplyOptions): ApplyReport {
      assertContributionSize(layout, params);
      rejectWeights('diloco', options);
      const lr = checkLr(options?.lr ?? outerLr);
      const { accepted, rejected } = decodeMessages(messages, (bytes) => decodeDense(bytes, layout).values);
      if (accepted.length === 0) return emptyReport(rejected, lr);
      meanInto(shared.mean, accepted.map((m) => m.value));
      nesterovStep(params, shared.mean, shared, lr, momentum);
      return { applied: true, contributors: accepted.map((m) => m.peerUid), rejected, skippedTensors: [], lr };
    },
    wireBytes: (messageSizes: readonly number[]): readonly WireBytes[] => ringAllReduceBytes(payloadBytes, messageSizes.length),
  };
}

/**
 * The outer optimiser state as bytes, for a checkpoint (the cluster writes it beside the params):
 * outer steps taken (uint32 little-endian), then the momentum buffer's float32 bytes. The mean is
 * scratch and is not kept.
 */
export function dilocoStateBytes(state: DilocoSharedState): Uint8Array {
  const out = new Uint8Array(4 + state.buf.byteLength);
  new DataView(out.buffer).setUint32(0, state.steps, true);
  out.set(new Uint8Array(state.buf.buffer, state.buf.byteOffset, state.buf.byteLength), 4);
  return out;
}

/**
 * Restores {@link dilocoStateBytes} into `state`. MUTATES state.buf and state.steps.
 *
 * @throws {ConfigError} when the bytes do not hold a buffer of the state's length.
 */
export function restoreDilocoState(state: DilocoSharedState, bytes: Uint8Array): void {
  if (bytes.length !== 4 + state.buf.byteLength) throw new ConfigError('diloco outer state', bytes.length, `must be ${4 + state.buf.byteLength} bytes (4 + 4 × ${state.buf.length} params)`);
  const copy = bytes.slice();
  state.steps = new DataView(copy.buffer).getUint32(0, true);
  state.buf.set(new Float32Array(copy.buffer, 4, state.buf.length));
}
