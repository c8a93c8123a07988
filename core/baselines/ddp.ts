/**
 * DDP baseline (SPEC.md §7): every inner step each peer sends its dense fp32 gradient, the
 * gradients are averaged (ring all-reduce), and one AdamW step with grad-norm clipping is taken on
 * the mean. The AdamW state is shared state: every node runs the same step on the same mean, so
 * all replicas stay identical, as in torch DDP.
 */
import { adamwStep, createAdamWState, lrAt, resolveAdamWConfig, resolveLrSchedule } from '../optim/adamw.ts';
import type { AdamWConfig, AdamWState, LrScheduleConfig } from '../optim/adamw.ts';
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

export interface DdpConfig {
  readonly method: 'ddp';
  readonly adamw?: Partial<AdamWConfig>;
  /** Learning rate schedule over the shared optimiser's step count. */
  readonly schedule?: Partial<LrScheduleConfig>;
  /** Gradient dtype on the wire; 'fp32' by default (torch DDP all-reduces in the grad dtype). */
  readonly wireDtype?: DenseDtype;
}

/** DDP's shared state: one AdamW state for the (identical) global model, and a scratch mean. */
export interface DdpSharedState {
  readonly adamw: AdamWState;
  readonly mean: Float32Array;
}

/** DDP peers keep no state of their own. */
export type DdpPeerState = Record<string, never>;

/** Builds the DDP communicator for `layout`. */
export function createDdpCommunicator(layout: ParamLayout, config: DdpConfig = { method: 'ddp' }): Communicator<DdpPeerState, DdpSharedState> {
  const adamw = resolveAdamWConfig(config.adamw);
  const schedule = resolveLrSchedule(config.schedule);
  const dtype: DenseDtype = config.wireDtype ?? 'fp32';
  const payloadBytes = densePayloadBytes(layout, dtype);
  return {
    method: 'ddp',
    cadence: 'inner-step',
    layout,
    createPeerState: () => ({}),
    createSharedState: () => ({ adamw: createAdamWState(layout.size), mean: new Float32Array(layout.size) }),
    encode(_peer: DdpPeerState, gradient: Float32Array, options?: EncodeOptions): Uint8Array {
      assertNoNullRound('ddp', options);
      assertContributionSize(layout, gradient);
      return encodeDense(gradient, layout, dtype);
    },
    apply(params: Float32Array, shared: DdpSharedState, messages: readonly PeerMessage[], options?: ApplyOptions): ApplyReport {
      assertContributionSize(layout, params);
      rejectWeights('ddp', options);
      const lr = checkLr(options?.lr ?? lrAt(schedule, shared.adamw.step));
      const { accepted, rejected } = decodeMessages(messages, (bytes) => decodeDense(bytes, layout).values);
      if (accepted.length === 0) return emptyReport(rejected, lr);
      meanInto(shared.mean, accepted.map((m) => m.value));
      adamwStep(params, shared.mean, shared.adamw, adamw, lr);
      return { applied: true, contributors: accepted.map((m) => m.peerUid), rejected, skippedTensors: [], lr };
    },
    wireBytes: (messageSizes: readonly number[]): readonly WireBytes[] => ringAllReduceBytes(payloadBytes, messageSizes.length),
  };
}
