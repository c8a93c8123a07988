/**
 * A GPT-style decoder-only transformer language model written with tfjs ops (no layers API), so
 * its parameters are a plain list of named tensors that map one-to-one onto the core's flat
 * `ParamLayout`:
 *
 *   tokens ─ wte (one-hot matmul) + wpe ─┬─ N × [ x += attn(LN1(x)); x += mlp(LN2(x)) ] ─ ln_f ─ head ─ logits
 *
 * pre-LayerNorm blocks, causal multi-head self-attention with a fused q|k|v projection, an MLP with
 * GELU (GPT-2's tanh form: tfjs has no GELU op), a final LayerNorm and an LM head that is either
 * tied to wte (logits = h·wteᵀ) or its own [d, V] matrix. Weights are stored [in, out] (x·W), the
 * tfjs convention, e.g. 'blocks.0.attn.qkv.weight' is [d, 3d].
 *
 * Why the one-hot matmul for the token embedding: gather's gradient needs UnsortedSegmentSum,
 * which the wasm engine lacks; a [N, V]·[V, d] matmul is cheap at V ≤ 256 and its gradient is
 * another matmul on every engine.
 */
import type { Scalar, Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs';
import { ConfigError } from '../../core/errors.ts';
import { defineLayout } from '../../core/layout.ts';
import type { ParamLayout, TensorSpec } from '../../core/layout.ts';
import type { Rng } from '../../core/rng.ts';
import type { Tf } from './engine.ts';

/** Architecture of the model. */
export interface GptShape {
  /** Tokens in the vocabulary (≤ 256: ids are bytes). */
  readonly vocabSize: number;
  /** Tokens per training sequence (the learned position table has this many rows). */
  readonly contextLength: number;
  readonly dModel: number;
  readonly numLayers: number;
  /** Attention heads; must divide dModel. */
  readonly numHeads: number;
  /** MLP hidden width = mlpRatio · dModel. */
  readonly mlpRatio: number;
  /** Share the token embedding with the LM head (GPT-2 does). */
  readonly tiedEmbeddings: boolean;
}

const LAYER_NORM_EPS = 1e-5;
const INIT_STD = 0.02;
/** Added to the scores above the diagonal; exp() of it underflows to exactly 0 in fp32. */
const MASKED_SCORE = -1e9;

/** Throws {@link ConfigError} naming the first field that breaks a constraint. */
export function validateGptShape(shape: GptShape): void {
  const positive: (keyof GptShape)[] = ['vocabSize', 'contextLength', 'dModel', 'numLayers', 'numHeads', 'mlpRatio'];
  for (const key of positive) {
    const value = shape[key];
    if (!Number.isSafeInteger(value) || (value as number) < 1) throw new ConfigError(`model.${key}`, value, 'must be an integer ≥ 1');
  }
  if (shape.vocabSize > 256) throw new ConfigError('model.vocabSize', shape.vocabSize, 'must be ≤ 256 (token ids are bytes)');
  if (shape.dModel % shape.numHeads !== 0) {
    throw new ConfigError('model.numHeads', shape.numHeads, `must divide dModel (${shape.dModel})`);
  }
  if (typeof shape.tiedEmbeddings !== 'boolean') throw new ConfigError('model.tiedEmbeddings', shape.tiedEmbeddings, 'must be a boolean');
}

/** The named tensors of the model, in the order of the flat vector. */
export function gptTensorSpecs(shape: GptShape): TensorSpec[] {
  validateGptShape(shape);
  const { vocabSize: v, contextLength: t, dModel: d } = shape;
  const hidden = shape.mlpRatio * d;
  const specs: TensorSpec[] = [
    { name: 'wte.weight', shape: [v, d] },
    { name: 'wpe.weight', shape: [t, d] },
  ];
  for (let l = 0; l < shape.numLayers; l++) {
    const p = `blocks.${l}`;
    specs.push(
      { name: `${p}.ln1.weight`, shape: [d] },
      { name: `${p}.ln1.bias`, shape: [d] },
      { name: `${p}.attn.qkv.weight`, shape: [d, 3 * d] },
      { name: `${p}.attn.qkv.bias`, shape: [3 * d] },
      { name: `${p}.attn.proj.weight`, shape: [d, d] },
      { name: `${p}.attn.proj.bias`, shape: [d] },
      { name: `${p}.ln2.weight`, shape: [d] },
      { name: `${p}.ln2.bias`, shape: [d] },
      { name: `${p}.mlp.fc.weight`, shape: [d, hidden] },
      { name: `${p}.mlp.fc.bias`, shape: [hidden] },
      { name: `${p}.mlp.proj.weight`, shape: [hidden, d] },
      { name: `${p}.mlp.proj.bias`, shape: [d] },
    );
  }
  specs.push({ name: 'ln_f.weight', shape: [d] }, { name: 'ln_f.bias', shape: [d] });
  if (!shape.tiedEmbeddings) specs.push({ name: 'lm_head.weight', shape: [d, v] });
  return specs;
}

/** The model's flat parameter layout (SparseLoCo chunks it with `targetChunk`, default 64). */
export function gptLayout(shape: GptShape, options: { targetChunk?: number } = {}): ParamLayout {
  return defineLayout(gptTensorSpecs(shape), options);
}

/**
 * GPT-2 initialisation into a fresh flat vector: weights N(0, 0.02²), the two residual output
 * projections per block N(0, (0.02/√(2N))²) so the residual stream's variance does not grow with
 * depth, biases 0, LayerNorm gains 1. Each tensor draws from its own fork `rng.fork(name)`.
 */
export function initGptParams(shape: GptShape, layout: ParamLayout, rng: Rng): Float32Array {
  const flat = new Float32Array(layout.size);
  const residualStd = INIT_STD / Math.sqrt(2 * shape.numLayers);
  for (const t of layout.tensors) {
    const view = flat.subarray(t.offset, t.offset + t.size);
    if (/ln(1|2|_f)?\.weight$/.test(t.name) && t.shape.length === 1) view.fill(1);
    else if (t.name.endsWith('.bias')) view.fill(0);
    else rng.fork(t.name).fillNormal(view, /(attn|mlp)\.proj\.weight$/.test(t.name) ? residualStd : INIT_STD);
  }
  return flat;
}

/** The model's tensors by layout name. */
export type GptWeights = Readonly<Record<string, Tensor>>;

/**
 * Next-token cross-entropy (nats) of every position: `inputs` and `targets` are [B, T] int32
 * token ids (targets = inputs shifted by one); returns [B·T] losses. T may be ≤ contextLength.
 * Call inside `tf.tidy`: every intermediate is left to the caller's scope.
 */
export function gptTokenLosses(tf: Tf, shape: GptShape, w: GptWeights, inputs: Tensor2D, targets: Tensor2D): Tensor1D {
  const [batch, seq] = inputs.shape;
  const { dModel: d, numHeads: heads, vocabSize: v } = shape;
  const headDim = d / heads;
  const n = batch * seq;
  const weight = (name: string): Tensor => {
    const t = w[name];
    if (t === undefined) throw new ConfigError('model weight', name, 'is missing from the weights passed to the model');
    return t;
  };

  const mm = plainMatMul(tf);
  const oneHot = tf.oneHot(inputs.reshape([n]), v).toFloat(); // [N, V]
  const positions = weight('wpe.weight').slice([0, 0], [seq, d]); // [T, d]
  let x = mm(oneHot, weight('wte.weight')).reshape([batch, seq, d]).add(positions).reshape([n, d]);
  const mask = causalMask(tf, seq); // [T, T]
  const scale = 1 / Math.sqrt(headDim);
  const toHeads = (t: Tensor): Tensor => t.reshape([batch, seq, heads, headDim]).transpose([0, 2, 1, 3]); // [B, H, T, hd]

  for (let l = 0; l < shape.numLayers; l++) {
    const p = `blocks.${l}`;
    const h = layerNorm(tf, x, weight(`${p}.ln1.weight`), weight(`${p}.ln1.bias`));
    const qkv = mm(h, weight(`${p}.attn.qkv.weight`)).add(weight(`${p}.attn.qkv.bias`));
    const [q, k, vals] = tf.split(qkv, 3, 1);
    const keysT = k!.reshape([batch, seq, heads, headDim]).transpose([0, 2, 3, 1]); // [B, H, hd, T]
    const scores = mm(toHeads(q!), keysT).mul(scale).add(mask); // [B, H, T, T]
    const attended = mm(tf.softmax(scores), toHeads(vals!)); // [B, H, T, hd]
    const merged = attended.transpose([0, 2, 1, 3]).reshape([n, d]);
    x = x.add(mm(merged, weight(`${p}.attn.proj.weight`)).add(weight(`${p}.attn.proj.bias`)));

    const h2 = layerNorm(tf, x, weight(`${p}.ln2.weight`), weight(`${p}.ln2.bias`));
    const fc = gelu(tf, mm(h2, weight(`${p}.mlp.fc.weight`)).add(weight(`${p}.mlp.fc.bias`)));
    x = x.add(mm(fc, weight(`${p}.mlp.proj.weight`)).add(weight(`${p}.mlp.proj.bias`)));
  }

  const final = layerNorm(tf, x, weight('ln_f.weight'), weight('ln_f.bias'));
  const head = shape.tiedEmbeddings ? weight('wte.weight').transpose() : weight('lm_head.weight');
  const logits = mm(final, head); // [N, V]
  const logProbs = tf.logSoftmax(logits);
  const picked = tf.oneHot(targets.reshape([n]), v).toFloat();
  return logProbs.mul(picked).sum(1).neg() as Tensor1D;
}

/** Mean of {@link gptTokenLosses}: the training objective. */
export function gptMeanLoss(tf: Tf, shape: GptShape, w: GptWeights, inputs: Tensor2D, targets: Tensor2D): Scalar {
  return gptTokenLosses(tf, shape, w, inputs, targets).mean() as Scalar;
}

/**
 * a·b (rank 2, or rank 4 batched over the leading two axes) whose backward pass transposes
 * explicitly and then multiplies without transpose flags. Why: the wasm engine's BatchMatMul is
 * ~15× slower with transposeA/transposeB than without (measured on [1024, 256]·[256, 64]), and
 * tfjs's own matMul gradient uses those flags; a transpose is a cheap copy by comparison.
 */
function plainMatMul(tf: Tf): (a: Tensor, b: Tensor) => Tensor {
  const swapLast = (t: Tensor): Tensor => (t.rank === 2 ? t.transpose() : t.transpose([0, 1, 3, 2]));
  return tf.customGrad((a, b, save) => {
    const [ta, tb] = [a as Tensor, b as Tensor];
    (save as (tensors: Tensor[]) => void)([ta, tb]);
    return {
      value: tf.matMul(ta, tb),
      gradFunc: (dy: Tensor, saved: Tensor[]) => [tf.matMul(dy, swapLast(saved[1]!)), tf.matMul(swapLast(saved[0]!), dy)],
    };
  }) as (a: Tensor, b: Tensor) => Tensor;
}

/** LayerNorm over the last axis of [N, d], with learned gain and bias (biased variance, as torch). */
function layerNorm(tf: Tf, x: Tensor, gain: Tensor, bias: Tensor): Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(variance.add(LAYER_NORM_EPS).rsqrt()).mul(gain).add(bias);
}

/** GELU, GPT-2's tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
function gelu(tf: Tf, x: Tensor): Tensor {
  const inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
  return x.mul(0.5).mul(tf.tanh(inner).add(1));
}

/** Additive causal mask [T, T]: 0 on and below the diagonal, {@link MASKED_SCORE} above. */
function causalMask(tf: Tf, seq: number): Tensor2D {
  const values = new Float32Array(seq * seq);
  for (let i = 0; i < seq; i++) for (let j = i + 1; j < seq; j++) values[i * seq + j] = MASKED_SCORE;
  return tf.tensor2d(values, [seq, seq]);
}
