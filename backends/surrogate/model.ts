/**
 * The surrogate's model: a one-hidden-layer tanh MLP classifier (or, with hiddenDim = 0, softmax
 * regression) over a flat parameter vector, with a hand-written backward pass. Plain loops, no
 * allocation per call, so one inner step costs microseconds and 10,000 simulated peers train for
 * real.
 *
 *   h = tanh(W1·x + b1)          fc1.weight [hidden, in], fc1.bias [hidden]
 *   z = W2·h + b2                fc2.weight [classes, hidden], fc2.bias [classes]
 *   loss = mean_n (logsumexp(z) − z_y)
 *
 * Tensors are named like a real model's so SparseLoCo chunks them per tensor. Parameters may be
 * fp32 (training) or fp64 (the finite-difference gradient check); activations and gradient
 * accumulators are fp64, and the gradient is rounded once when written out.
 */
import { ConfigError } from '../../core/errors.ts';
import { defineLayout } from '../../core/layout.ts';
import type { ParamLayout } from '../../core/layout.ts';
import type { Rng } from '../../core/rng.ts';

/** Sizes of the classifier. */
export interface MlpShape {
  readonly inputDim: number;
  /** Hidden width; 0 = softmax regression (tensors 'fc.weight', 'fc.bias'). */
  readonly hiddenDim: number;
  readonly numClasses: number;
}

/** A parameter or gradient vector in the model's layout. */
export type ParamArray = Float32Array | Float64Array;

/** The named tensors of `shape`, in flat order. */
export function mlpLayout(shape: MlpShape): ParamLayout {
  const { inputDim: d, hiddenDim: h, numClasses: c } = shape;
  if (!Number.isSafeInteger(d) || d < 1) throw new ConfigError('model.inputDim', d, 'must be an integer ≥ 1');
  if (!Number.isSafeInteger(h) || h < 0) throw new ConfigError('model.hiddenDim', h, 'must be an integer ≥ 0 (0 = softmax regression)');
  if (!Number.isSafeInteger(c) || c < 2) throw new ConfigError('model.numClasses', c, 'must be an integer ≥ 2');
  if (h === 0) {
    return defineLayout([
      { name: 'fc.weight', shape: [c, d] },
      { name: 'fc.bias', shape: [c] },
    ]);
  }
  return defineLayout([
    { name: 'fc1.weight', shape: [h, d] },
    { name: 'fc1.bias', shape: [h] },
    { name: 'fc2.weight', shape: [c, h] },
    { name: 'fc2.bias', shape: [c] },
  ]);
}

/** LeCun-normal weights (std 1/√fan_in, right for tanh) and zero biases, drawn in flat order. */
export function initMlpParams(shape: MlpShape, rng: Rng): Float32Array {
  const layout = mlpLayout(shape);
  const params = new Float32Array(layout.size);
  for (const t of layout.tensors) {
    if (t.shape.length !== 2) continue; // biases start at 0
    const fanIn = t.shape[1]!;
    rng.fillNormal(params.subarray(t.offset, t.offset + t.size), 1 / Math.sqrt(fanIn));
  }
  return params;
}

/** Per-example working memory (fp64), reused across calls. */
export interface MlpScratch {
  /** Hidden activations (or a copy of the input for softmax regression). */
  readonly features: Float64Array;
  /** Logits, then reused for their gradient. */
  readonly logits: Float64Array;
  /** fp64 gradient accumulator. */
  readonly gradAcc: Float64Array;
}

/** Scratch memory for {@link mlpLossAndGradient} on `shape`. */
export function createMlpScratch(shape: MlpShape): MlpScratch {
  const layout = mlpLayout(shape);
  return {
    features: new Float64Array(shape.hiddenDim === 0 ? shape.inputDim : shape.hiddenDim),
    logits: new Float64Array(shape.numClasses),
    gradAcc: new Float64Array(layout.size),
  };
}

/**
 * Mean cross-entropy of `params` on examples `[0, count)` of (`inputs`, `labels`), and, when `grad`
 * is given, its gradient written into `grad` (overwritten, same layout as `params`).
 * `params` is read only.
 */
export function mlpLossAndGradient(
  shape: MlpShape,
  params: ParamArray,
  inputs: Float32Array,
  labels: Uint16Array,
  count: number,
  grad: ParamArray | null,
  scratch: MlpScratch,
): number {
  const { inputDim: d, hiddenDim: h, numClasses: C } = shape;
  const hasHidden = h > 0;
  const fdim = hasHidden ? h : d;
  // Flat offsets (see mlpLayout): [W1, b1,] W2, b2.
  const w1 = 0;
  const b1 = h * d;
  const w2 = hasHidden ? b1 + h : 0;
  const b2 = w2 + C * fdim;
  const { features, logits, gradAcc } = scratch;
  if (grad !== null) gradAcc.fill(0);
  const invCount = 1 / count;
  let total = 0;
  for (let n = 0; n < count; n++) {
    const xo = n * d;
    if (hasHidden) {
      for (let j = 0; j < h; j++) {
        let s = params[b1 + j]!;
        const row = w1 + j * d;
        for (let i = 0; i < d; i++) s += params[row + i]! * inputs[xo + i]!;
        features[j] = Math.tanh(s);
      }
    } else {
      for (let i = 0; i < d; i++) features[i] = inputs[xo + i]!;
    }
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      let s = params[b2 + c]!;
      const row = w2 + c * fdim;
      for (let j = 0; j < fdim; j++) s += params[row + j]! * features[j]!;
      logits[c] = s;
      if (s > max) max = s;
    }
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp(logits[c]! - max);
    const lse = max + Math.log(z);
    const y = labels[n]!;
    total += lse - logits[y]!;
    if (grad === null) continue;

    // Backward: dz_c = (softmax_c − [c = y]) / count; reuse `logits` to hold dz.
    for (let c = 0; c < C; c++) {
      const g = (Math.exp(logits[c]! - lse) - (c === y ? 1 : 0)) * invCount;
      logits[c] = g;
      gradAcc[b2 + c]! += g;
      const row = w2 + c * fdim;
      for (let j = 0; j < fdim; j++) gradAcc[row + j]! += g * features[j]!;
    }
    if (!hasHidden) continue;
    for (let j = 0; j < h; j++) {
      let back = 0;
      for (let c = 0; c < C; c++) back += params[w2 + c * fdim + j]! * logits[c]!;
      const a = features[j]!;
      const dPre = back * (1 - a * a);
      gradAcc[b1 + j]! += dPre;
      const row = w1 + j * d;
      for (let i = 0; i < d; i++) gradAcc[row + i]! += dPre * inputs[xo + i]!;
    }
  }
  if (grad !== null) grad.set(gradAcc);
  return total * invCount;
}
