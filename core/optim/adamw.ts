/**
 * The inner optimiser of every method: AdamW with torch.optim.AdamW semantics (decoupled weight
 * decay, bias correction, eps added to √v̂), global L2 grad-norm clipping as torch's
 * `clip_grad_norm_`, and the inner learning-rate schedule of SPEC.md §1. Pure functions over
 * Float32Arrays; state is plain data so a simulator can copy, hash or checkpoint it.
 *
 * fp32 semantics: every elementwise result is rounded to fp32 (`Math.fround`) after each torch
 * operation, and host scalars (step size, √bias-correction) are cast to fp32 as torch casts a
 * Python float, so the arithmetic follows torch's single-tensor path op by op. Bit equality with
 * torch is not claimed (its vectorised kernels may fuse or reorder), agreement to a few fp32 ulps
 * is. Reductions (the gradient norm) are accumulated in float64 and rounded once.
 */
import { ConfigError } from '../errors.ts';

/** AdamW hyper-parameters. Defaults: SPEC.md §1 (templar `hparams.json`). */
export interface AdamWConfig {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Decoupled weight decay λ: θ ← θ·(1 − lr·λ) before the Adam update. */
  readonly weightDecay: number;
  /** Global L2 grad-norm cap (`clip_grad_norm_(…, 1.0)`); `null` disables clipping. */
  readonly maxGradNorm: number | null;
}

export const ADAMW_DEFAULTS: AdamWConfig = Object.freeze({
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.1,
  maxGradNorm: 1.0,
});

/** Merges `overrides` into {@link ADAMW_DEFAULTS}, validates every field and freezes the result. */
export function resolveAdamWConfig(overrides: Partial<AdamWConfig> = {}): AdamWConfig {
  const cfg = { ...ADAMW_DEFAULTS, ...overrides };
  if (!(cfg.beta1 >= 0 && cfg.beta1 < 1)) throw new ConfigError('adamw.beta1', cfg.beta1, 'must be in [0, 1)');
  if (!(cfg.beta2 >= 0 && cfg.beta2 < 1)) throw new ConfigError('adamw.beta2', cfg.beta2, 'must be in [0, 1)');
  if (!(cfg.eps > 0) || !Number.isFinite(cfg.eps)) throw new ConfigError('adamw.eps', cfg.eps, 'must be a finite number > 0');
  if (!(cfg.weightDecay >= 0) || !Number.isFinite(cfg.weightDecay)) {
    throw new ConfigError('adamw.weightDecay', cfg.weightDecay, 'must be a finite number ≥ 0');
  }
  if (cfg.maxGradNorm !== null && (!(cfg.maxGradNorm > 0) || !Number.isFinite(cfg.maxGradNorm))) {
    throw new ConfigError('adamw.maxGradNorm', cfg.maxGradNorm, 'must be a finite number > 0 or null');
  }
  return Object.freeze(cfg);
}

/** Optimiser state: first and second moments and the number of steps taken so far. */
export interface AdamWState {
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** Steps taken (torch's `state['step']`); the next step uses bias correction for step + 1. */
  step: number;
}

/** Fresh state for `size` parameters (moments 0, step 0), as torch creates lazily on first step. */
export function createAdamWState(size: number): AdamWState {
  return { m: new Float32Array(size), v: new Float32Array(size), step: 0 };
}

/** What one step saw: the pre-clip global gradient norm and the factor applied to the gradient. */
export interface AdamWStepInfo {
  /** ‖g‖₂ before clipping (fp32). */
  readonly gradNorm: number;
  /** 1 when not clipped, else maxGradNorm / (gradNorm + 1e-6). */
  readonly clipCoef: number;
}

/**
 * Global L2 norm of `grad` and torch's clip coefficient for it: coef = max / (norm + 1e-6),
 * used only when < 1 (`clip_grad_norm_` clamps it at 1). A non-finite norm yields a non-finite
 * coefficient, as in torch (with `error_if_nonfinite=False`).
 */
export function clipCoefficient(grad: Float32Array, maxGradNorm: number | null): AdamWStepInfo {
  let sumSq = 0;
  for (let i = 0; i < grad.length; i++) sumSq += grad[i]! * grad[i]!;
  const gradNorm = Math.fround(Math.sqrt(sumSq));
  if (maxGradNorm === null) return { gradNorm, clipCoef: 1 };
  const coef = Math.fround(maxGradNorm / Math.fround(gradNorm + 1e-6));
  return { gradNorm, clipCoef: coef < 1 || Number.isNaN(coef) ? coef : 1 };
}

/**
 * One AdamW step at learning rate `lr`, torch semantics, after global grad-norm clipping.
 * MUTATES `params` and `state` (m, v, step); `grad` is read only (the clip factor is applied on the
 * fly instead of scaling the gradient in place as torch does, with the same fp32 result).
 *
 *   g ← g · clipCoef                       (only when the norm exceeds maxGradNorm)
 *   θ ← θ · (1 − lr·λ)                     (decoupled weight decay, first)
 *   m ← m + (1 − β1)(g − m)                (torch `lerp_`, = β1·m + (1 − β1)·g)
 *   v ← β2·v + (1 − β2)·g²
 *   θ ← θ − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps)
 *
 * @example
 * const state = createAdamWState(params.length);
 * adamwStep(params, grad, state, ADAMW_DEFAULTS, lrAt(LR_SCHEDULE_DEFAULTS, state.step));
 */
export function adamwStep(
  params: Float32Array,
  grad: Float32Array,
  state: AdamWState,
  cfg: AdamWConfig,
  lr: number,
): AdamWStepInfo {
  const n = params.length;
  if (grad.length !== n || state.m.length !== n || state.v.length !== n) {
    throw new ConfigError('adamw sizes', [n, grad.length, state.m.length, state.v.length], 'params, grad, m and v must have equal lengths');
  }
  if (!(lr >= 0) || !Number.isFinite(lr)) throw new ConfigError('adamw lr', lr, 'must be a finite number ≥ 0');
  const info = clipCoefficient(grad, cfg.maxGradNorm);
  const coef = info.clipCoef;
  state.step += 1;
  const t = state.step;
  const f = Math.fround;
  const b1 = cfg.beta1;
  const b2 = cfg.beta2;
  const oneMinusB1 = f(1 - b1);
  const oneMinusB2 = f(1 - b2);
  const decay = f(1 - lr * cfg.weightDecay);
  // Python-float scalars, as torch computes them (step_size and √bc2 are host doubles).
  const stepSize = f(lr / (1 - b1 ** t));
  const bc2Sqrt = f(Math.sqrt(1 - b2 ** t));
  const eps = cfg.eps;
  const { m, v } = state;
  for (let i = 0; i < n; i++) {
    const g = coef === 1 ? grad[i]! : f(grad[i]! * coef);
    const p = f(params[i]! * decay);
    const mi = f(m[i]! + f(oneMinusB1 * f(g - m[i]!)));
    const vi = f(f(v[i]! * b2) + f(oneMinusB2 * f(g * g)));
    m[i] = mi;
    v[i] = vi;
    const denom = f(f(f(Math.sqrt(vi)) / bc2Sqrt) + eps);
    params[i] = f(p - f(stepSize * f(mi / denom)));
  }
  return info;
}

/** The inner learning-rate schedule of SPEC.md §1: linear warm-up, then cosine to a floor. */
export interface LrScheduleConfig {
  /** Peak learning rate (`learning_rate`). */
  readonly peakLr: number;
  /** Linear warm-up length in optimiser steps (`warmup_steps`). */
  readonly warmupSteps: number;
  /** Length of the cosine phase in optimiser steps after warm-up (`t_max`). */
  readonly tMax: number;
  /** Floor as a fraction of the peak (`eta_min_factor`). */
  readonly etaMinFactor: number;
}

export const LR_SCHEDULE_DEFAULTS: LrScheduleConfig = Object.freeze({
  peakLr: 1.17e-4,
  warmupSteps: 1500,
  tMax: 140_000,
  etaMinFactor: 0.1,
});

/** Merges `overrides` into {@link LR_SCHEDULE_DEFAULTS}, validates and freezes. */
export function resolveLrSchedule(overrides: Partial<LrScheduleConfig> = {}): LrScheduleConfig {
  const cfg = { ...LR_SCHEDULE_DEFAULTS, ...overrides };
  if (!(cfg.peakLr > 0) || !Number.isFinite(cfg.peakLr)) throw new ConfigError('schedule.peakLr', cfg.peakLr, 'must be a finite number > 0');
  if (!Number.isInteger(cfg.warmupSteps) || cfg.warmupSteps < 0) {
    throw new ConfigError('schedule.warmupSteps', cfg.warmupSteps, 'must be an integer ≥ 0');
  }
  if (!Number.isInteger(cfg.tMax) || cfg.tMax < 1) throw new ConfigError('schedule.tMax', cfg.tMax, 'must be an integer ≥ 1');
  if (!(cfg.etaMinFactor >= 0 && cfg.etaMinFactor <= 1)) {
    throw new ConfigError('schedule.etaMinFactor', cfg.etaMinFactor, 'must be in [0, 1]');
  }
  return Object.freeze(cfg);
}

/**
 * Learning rate for optimiser step `step` (0-based: the number of steps already taken).
 * Warm-up: peak·(step + 1)/warmupSteps, so the first step is not wasted at lr 0 and step
 * warmupSteps − 1 runs at the peak. Cosine: with s = step − warmupSteps,
 * lr = floor + (peak − floor)·(1 + cos(π·s/tMax))/2 with floor = etaMinFactor·peak; held at the
 * floor for s ≥ tMax (no restarts).
 *
 * @example
 * lrAt(LR_SCHEDULE_DEFAULTS, 1499); // 1.17e-4
 */
export function lrAt(cfg: LrScheduleConfig, step: number): number {
  if (!Number.isInteger(step) || step < 0) throw new ConfigError('schedule step', step, 'must be an integer ≥ 0');
  if (step < cfg.warmupSteps) return (cfg.peakLr * (step + 1)) / cfg.warmupSteps;
  const floor = cfg.etaMinFactor * cfg.peakLr;
  const s = Math.min(step - cfg.warmupSteps, cfg.tMax);
  return floor + ((cfg.peakLr - floor) * (1 + Math.cos((Math.PI * s) / cfg.tMax))) / 2;
}
