/**
 * Compute time from the model instead of a constant: one inner step of training costs
 * 6 · N · tokens FLOPs (forward 2·N·tokens + backward 4·N·tokens, the standard dense-transformer
 * estimate of Kaplan et al. 2020, attention FLOPs ignored), a validator's evaluation forward only,
 * 2 · N · tokens. Seconds = FLOPs / (device peak FLOP/s × MFU × GPUs per peer).
 *
 * The device table holds dense (no structured sparsity) BF16 tensor-core peaks. They are vendor
 * datasheet figures, i.e. assumptions about what a real run reaches only through the MFU factor,
 * which is itself an assumption (default 0.4, labelled). Pass your own table or MFU; every value
 * is validated with a {@link ConfigError} naming it.
 *
 * @example
 * innerStepSeconds({ params: 72.7e9, tokens: 192 * 2048, device: 'B200', gpusPerPeer: 8 }); // ≈ 23.8 s at MFU 0.4
 */
import { ConfigError } from './errors.ts';

/** One accelerator class. */
export interface DeviceSpec {
  /** Dense BF16 tensor peak, FLOP/s (no 2:4 sparsity). */
  readonly peakFlops: number;
  /** Where the figure comes from. */
  readonly source: string;
}

/** Device name → spec. */
export type DeviceTable = Readonly<Record<string, DeviceSpec>>;

/** Assumption: vendor datasheet peaks (dense BF16, the "with sparsity" figures halved where only those are quoted). */
export const DEVICE_TABLE: DeviceTable = Object.freeze({
  'H100-SXM': Object.freeze({ peakFlops: 989.4e12, source: 'NVIDIA H100 Tensor Core GPU datasheet: BF16 1,979 TFLOPS with sparsity → 989.4 dense' }),
  H200: Object.freeze({ peakFlops: 989.4e12, source: 'NVIDIA H200 Tensor Core GPU datasheet (SXM): BF16 1,979 TFLOPS with sparsity → 989.4 dense' }),
  B200: Object.freeze({ peakFlops: 2.25e15, source: 'NVIDIA HGX B200 datasheet: FP16/BF16 36 PFLOPS with sparsity for 8 GPUs → 2.25 PFLOPS dense per GPU' }),
  'A100-SXM': Object.freeze({ peakFlops: 312e12, source: 'NVIDIA A100 Tensor Core GPU datasheet: BF16 312 TFLOPS dense (624 with sparsity)' }),
  'RTX-4090': Object.freeze({ peakFlops: 165.2e12, source: 'NVIDIA Ada Lovelace architecture whitepaper, RTX 4090: BF16 tensor with FP32 accumulate 165.2 TFLOPS dense' }),
  'RTX-3090': Object.freeze({ peakFlops: 71e12, source: 'NVIDIA Ampere GA102 GPU architecture whitepaper, RTX 3090: BF16 tensor with FP32 accumulate 71 TFLOPS dense' }),
});

/**
 * Assumption: model FLOPs utilisation. Large dense LLaMA-style runs report ≈ 38–43 % BF16 MFU on
 * H100 (Llama 3 paper, arXiv 2407.21783, Table 4); 0.4 is a round figure in that range.
 */
export const DEFAULT_MFU = 0.4;

/** FLOPs per token per parameter: training step (forward + backward) and evaluation (forward). */
export const TRAIN_FLOPS_PER_PARAM_TOKEN = 6;
export const EVAL_FLOPS_PER_PARAM_TOKEN = 2;

/** What one peer's compute needs to be costed. */
export interface ComputeParameters {
  /** Model parameters N. */
  readonly params: number;
  /** Tokens processed per step by the whole peer (all its GPUs together). */
  readonly tokens: number;
  /** A name in `table`. */
  readonly device: string;
  /** GPUs per peer (data-parallel inside the peer; default 1). */
  readonly gpusPerPeer?: number;
  /** Model FLOPs utilisation in (0, 1] (default {@link DEFAULT_MFU}). */
  readonly mfu?: number;
  /** Device table (default {@link DEVICE_TABLE}); validate a user table with {@link resolveDeviceTable}. */
  readonly table?: DeviceTable;
}

/**
 * Merges `overrides` into the default table (an override replaces an entry or adds a device) and
 * validates every entry: peakFlops a finite number > 0, source a non-empty string.
 */
export function resolveDeviceTable(overrides: Readonly<Record<string, DeviceSpec>> = {}, base: DeviceTable = DEVICE_TABLE): DeviceTable {
  const table: Record<string, DeviceSpec> = { ...base, ...overrides };
  for (const [name, spec] of Object.entries(table)) {
    if (name.length === 0) throw new ConfigError('compute.devices name', name, 'must be a non-empty string');
    if (typeof spec !== 'object' || spec === null) throw new ConfigError(`compute.devices.${name}`, spec, 'must be { peakFlops, source }');
    if (typeof spec.peakFlops !== 'number' || !Number.isFinite(spec.peakFlops) || spec.peakFlops <= 0) {
      throw new ConfigError(`compute.devices.${name}.peakFlops`, spec.peakFlops, 'must be a finite number > 0 (FLOP/s)');
    }
    if (typeof spec.source !== 'string' || spec.source.length === 0) {
      throw new ConfigError(`compute.devices.${name}.source`, spec.source, 'must name where the figure comes from (non-empty string)');
    }
    table[name] = Object.freeze({ peakFlops: spec.peakFlops, source: spec.source });
  }
  return Object.freeze(table);
}

/** Sustained FLOP/s of one peer: peak × MFU × GPUs. Validates every input. */
export function peerFlops(p: Omit<ComputeParameters, 'params' | 'tokens'>): number {
  const table = p.table ?? DEVICE_TABLE;
  const spec = Object.hasOwn(table, p.device) ? table[p.device] : undefined;
  if (spec === undefined) throw new ConfigError('compute.device', p.device, `must be one of ${Object.keys(table).join(', ')}`);
  const gpus = p.gpusPerPeer ?? 1;
  if (!Number.isSafeInteger(gpus) || gpus < 1) throw new ConfigError('compute.gpusPerPeer', gpus, 'must be a positive integer');
  const mfu = p.mfu ?? DEFAULT_MFU;
  if (typeof mfu !== 'number' || !(mfu > 0 && mfu <= 1)) throw new ConfigError('compute.mfu', mfu, 'must be in (0, 1]');
  return spec.peakFlops * mfu * gpus;
}

function checkWork(p: ComputeParameters): void {
  if (typeof p.params !== 'number' || !Number.isFinite(p.params) || p.params <= 0) throw new ConfigError('compute.params', p.params, 'must be a finite number > 0 (parameters)');
  if (typeof p.tokens !== 'number' || !Number.isFinite(p.tokens) || p.tokens <= 0) throw new ConfigError('compute.tokens', p.tokens, 'must be a finite number > 0 (tokens per step)');
}

/** Seconds of one inner training step of one peer: 6 · N · tokens / (peak × MFU × GPUs). */
export function innerStepSeconds(p: ComputeParameters): number {
  checkWork(p);
  return (TRAIN_FLOPS_PER_PARAM_TOKEN * p.params * p.tokens) / peerFlops(p);
}

/** Seconds a validator spends evaluating `tokens` (forward only): 2 · N · tokens / (peak × MFU × GPUs). */
export function evaluationSeconds(p: ComputeParameters): number {
  checkWork(p);
  return (EVAL_FLOPS_PER_PARAM_TOKEN * p.params * p.tokens) / peerFlops(p);
}

/** The simulator's opt-in compute section (sim config `compute`): the model and hardware of every peer. */
export interface ComputeModelInput {
  /** Model parameters N the step time is charged for (e.g. 72.7e9). */
  readonly params: number;
  /** Tokens per inner step per peer (all its GPUs together), e.g. 192 × 2048. */
  readonly tokensPerStep: number;
  /** A device name in the table. */
  readonly device: string;
  /** GPUs per peer (default 1). */
  readonly gpusPerPeer?: number;
  /** Model FLOPs utilisation (default {@link DEFAULT_MFU}, an assumption). */
  readonly mfu?: number;
  /** Entries that replace or extend {@link DEVICE_TABLE}. */
  readonly devices?: Readonly<Record<string, DeviceSpec>>;
}

/** A validated compute section: the inputs, the device's figure and its source, and the modelled step. */
export interface ComputeModel {
  readonly params: number;
  /** The user's entries that replace or extend {@link DEVICE_TABLE} (kept, so a resolved model resolves again to itself). */
  readonly devices: Readonly<Record<string, DeviceSpec>>;
  readonly tokensPerStep: number;
  readonly device: string;
  readonly gpusPerPeer: number;
  readonly mfu: number;
  /** The chosen device's dense BF16 peak, FLOP/s, and where it comes from. */
  readonly peakFlops: number;
  readonly source: string;
  /** Modelled seconds of one inner step ({@link innerStepSeconds}) before heterogeneity. */
  readonly innerStepS: number;
}

const COMPUTE_KEYS = ['params', 'tokensPerStep', 'device', 'gpusPerPeer', 'mfu', 'devices'];
/** Fields a resolved model adds; an input may carry them (a resolved config resolved again) only with the values they derive to. */
const DERIVED_KEYS = ['peakFlops', 'source', 'innerStepS'] as const;

/**
 * Validates a compute section (unknown keys are errors) and computes its modelled inner step.
 * Idempotent: a resolved model resolves to itself (worker threads and queue workers re-resolve
 * configs); a derived field that disagrees with what the inputs give is an error, never kept.
 */
export function resolveComputeModel(input: ComputeModelInput, key = 'compute'): ComputeModel {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ConfigError(key, input, 'must be an object { params, tokensPerStep, device, gpusPerPeer?, mfu?, devices? }');
  for (const k of Object.keys(input)) {
    if (!COMPUTE_KEYS.includes(k) && !(DERIVED_KEYS as readonly string[]).includes(k)) {
      throw new ConfigError(`${key}.${k}`, (input as unknown as Record<string, unknown>)[k], `is not a compute key (expected one of ${COMPUTE_KEYS.join(', ')})`);
    }
  }
  const table = resolveDeviceTable(input.devices ?? {});
  const gpusPerPeer = input.gpusPerPeer ?? 1;
  const mfu = input.mfu ?? DEFAULT_MFU;
  const innerStepS = innerStepSeconds({ params: input.params, tokens: input.tokensPerStep, device: input.device, gpusPerPeer, mfu, table });
  const spec = table[input.device]!;
  const resolved: ComputeModel = Object.freeze({ params: input.params, devices: input.devices ?? {}, tokensPerStep: input.tokensPerStep, device: input.device, gpusPerPeer, mfu, peakFlops: spec.peakFlops, source: spec.source, innerStepS });
  const given = input as unknown as Record<string, unknown>;
  for (const k of DERIVED_KEYS) {
    if (k in given && given[k] !== resolved[k]) throw new ConfigError(`${key}.${k}`, given[k], `is derived from the other compute keys: it must be ${JSON.stringify(resolved[k])} or left out`);
  }
  return resolved;
}
