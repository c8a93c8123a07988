/**
 * Two-level runs (config `charge`): the run keeps training its small backend for real, so the
 * loss curve is the backend's, while every byte it moves is charged as for a TARGET layout (e.g.
 * Covenant-72B): each message at the exact size core/wire-size.ts gives the target under the
 * run's codec config, each sync share as the target's communicator computes it, each checkpoint
 * at the target's dense fp32 size. Links are never rescaled: the charged sizes cross the real
 * links, so transfer times, round times, utilisation and network energy follow from them.
 * Compute time is the `compute` section's (core/compute-model.ts), whose `params` must then be
 * the target's parameter count.
 *
 * Without `charge` the sizes are the real encodings (`uncharged`), exactly as before.
 *
 * @example
 * resolveSimConfig({ ...base, charge: { layout: 'covenant-72b' } });
 * // every sparseloco message crosses the network as 1.99 GB (packed12, SPEC defaults)
 */
import { createCommunicator } from '../core/baselines/index.ts';
import type { CommunicatorConfig, Communicator, WireBytes } from '../core/baselines/index.ts';
import { DENSE_HEADER_BYTES, densePayloadBytes } from '../core/baselines/dense-codec.ts';
import { ConfigError } from '../core/errors.ts';
import type { ParamLayout, TensorSpec } from '../core/layout.ts';
import { llamaLayout, shapesLayout, TRILLION_SIZES } from '../core/model-layout.ts';
import type { LlamaArchitecture } from '../core/model-layout.ts';
import { messageEncodedBytes } from '../core/wire-size.ts';

/** Named target layouts (core/model-layout.ts): covenant-72b, scaled-200b, scaled-500b, scaled-1t. */
export const CHARGE_LAYOUTS: Readonly<Record<string, LlamaArchitecture>> = Object.freeze(
  Object.fromEntries(TRILLION_SIZES.map((s) => [s.id, s.arch])),
);

/** A target layout: a name in {@link CHARGE_LAYOUTS}, a LLaMA-style architecture, or a plain list of shapes. */
export type ChargeLayoutInput = string | { readonly llama: LlamaArchitecture } | { readonly shapes: readonly TensorSpec[] };

/** The `charge` section. */
export interface ChargeConfigInput {
  readonly layout: ChargeLayoutInput;
  /** Chunk side of the target layout (default 64 → 64×64 chunks, SPEC §2). */
  readonly targetChunk?: number;
}

/** A validated `charge` section (the input, defaults filled). */
export interface ChargeConfig {
  readonly layout: ChargeLayoutInput;
  readonly targetChunk: number;
}

const CHARGE_KEYS = ['layout', 'targetChunk'];

/** Validates a `charge` section against the run's optim config (builds the target layout once to check it). */
export function resolveChargeConfig(input: ChargeConfigInput, optim: CommunicatorConfig, key = 'charge'): ChargeConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ConfigError(key, input, "must be an object { layout: 'covenant-72b' | 'scaled-200b' | 'scaled-500b' | 'scaled-1t' | { llama } | { shapes }, targetChunk? }");
  for (const k of Object.keys(input)) {
    if (!CHARGE_KEYS.includes(k)) throw new ConfigError(`${key}.${k}`, (input as unknown as Record<string, unknown>)[k], `is not a charge key (expected one of ${CHARGE_KEYS.join(', ')})`);
  }
  const cfg: ChargeConfig = { layout: input.layout, targetChunk: input.targetChunk ?? 64 };
  chargedMessageBytes(targetLayoutOf(cfg, key), optim); // the target must fit the codec config (topK ≤ chunks, …)
  return cfg;
}

/** The target's {@link ParamLayout} (≈ one record per tensor; nothing per parameter is allocated). */
export function targetLayoutOf(cfg: ChargeConfig, key = 'charge'): ParamLayout {
  const l = cfg.layout;
  const options = { targetChunk: cfg.targetChunk };
  if (typeof l === 'string') {
    const arch = Object.hasOwn(CHARGE_LAYOUTS, l) ? CHARGE_LAYOUTS[l] : undefined;
    if (arch === undefined) throw new ConfigError(`${key}.layout`, l, `must be one of ${Object.keys(CHARGE_LAYOUTS).join(', ')}, { llama: {…} } or { shapes: [...] }`);
    return llamaLayout(arch, options);
  }
  if (typeof l === 'object' && l !== null && 'llama' in l && Object.keys(l).length === 1) return llamaLayout(l.llama, options);
  if (typeof l === 'object' && l !== null && 'shapes' in l && Object.keys(l).length === 1) {
    if (!Array.isArray(l.shapes) || l.shapes.length === 0) throw new ConfigError(`${key}.layout.shapes`, l.shapes, 'must be a non-empty list of { name, shape }');
    return shapesLayout(l.shapes, options);
  }
  throw new ConfigError(`${key}.layout`, l, `must be one of ${Object.keys(CHARGE_LAYOUTS).join(', ')}, { llama: {…} } or { shapes: [...] }`);
}

/**
 * One peer's message for `optim` on `layout`, bytes: core/wire-size.ts's figure. A dense message
 * (DDP, DiLoCo) of more than 2³² elements has no single-message framing (u32 element count): it is
 * charged header + payload, i.e. what sending it in parts costs beyond one header, to within a few
 * bytes per part.
 */
export function chargedMessageBytes(layout: ParamLayout, optim: CommunicatorConfig): number {
  if ((optim.method === 'ddp' || optim.method === 'diloco') && layout.size > 0xffffffff) {
    return DENSE_HEADER_BYTES + densePayloadBytes(layout, optim.wireDtype ?? 'fp32');
  }
  return messageEncodedBytes(layout, optim).bytes;
}

/** The sizes a run's transfers are charged at; the simulator reads every size through this. */
export interface WireCharge {
  /** Bytes charged for a message whose real encoding is `encoded`. */
  message(encoded: Uint8Array): number;
  /** Each syncing peer's up/down share for messages of these (charged) sizes, as the charged model's communicator computes it. */
  wireBytes(messageSizes: readonly number[]): readonly WireBytes[];
  /** Bytes of one checkpoint (dense fp32 params). */
  readonly checkpointBytes: number;
  /** The row columns of a charged run; null for an uncharged one (its rows are unchanged). */
  readonly columns: ChargeColumns | null;
}

/** What a charged run's rows say about the two levels. */
export interface ChargeColumns {
  /** Parameters of the model actually trained (the backend's). */
  readonly trainedParams: number;
  /** Parameters the bytes and compute are charged for (the target layout's). */
  readonly chargedParams: number;
  /** One honest message of the trained model as encoded, bytes (packed12 / dense exact; Rice: wire-size's estimate). */
  readonly trainedMessageBytes: number;
  /** One message of the target, bytes: what every message in the byte columns is counted as. */
  readonly chargedMessageBytes: number;
}

/** Real sizes: the encodings' lengths, the run's communicator, the backend's dense params. */
export function uncharged(comm: Communicator, layout: ParamLayout): WireCharge {
  return {
    message: (encoded) => encoded.length,
    wireBytes: (sizes) => comm.wireBytes(sizes),
    checkpointBytes: 4 * layout.size,
    columns: null,
  };
}

/**
 * Target sizes: every message (honest or forged, whatever its real length) costs the target's
 * message, shares come from the target's communicator (which allocates nothing until a peer state
 * is made), checkpoints are 4 × target params.
 */
export function chargedTo(cfg: ChargeConfig, trainedLayout: ParamLayout, optim: CommunicatorConfig): WireCharge {
  const target = targetLayoutOf(cfg);
  const targetComm = createCommunicator(target, optim);
  const bytes = chargedMessageBytes(target, optim);
  return {
    message: () => bytes,
    wireBytes: (sizes) => targetComm.wireBytes(sizes),
    checkpointBytes: 4 * target.size,
    columns: Object.freeze({
      trainedParams: trainedLayout.size,
      chargedParams: target.size,
      trainedMessageBytes: chargedMessageBytes(trainedLayout, optim),
      chargedMessageBytes: bytes,
    }),
  };
}
