/**
 * The two numeric entry points of the tfjs model over the flat parameter vector: the training
 * objective with its gradient (one inner step's forward + backward), and the summed token loss
 * used by evaluation. Each builds its tensors in one `tf.tidy`, so no tensor outlives the call.
 *
 * Each comes twice: synchronous (what the TrainingBackend calls; on a worker-hosted engine it goes
 * through `engine.remote`) and asynchronous (`…Async`, reading with `data()`: what the readback
 * worker and the GPU bench run, and the only way to read webgpu on Node). Both run the same graph.
 *
 * @example
 * const loss = lossAndGradient(engine, shape, layout, theta, { inputs, targets, batch: 8 }, grad);
 */
import type { Scalar, Tensor, Tensor1D } from '@tensorflow/tfjs';
import { ensureActive } from './engine.ts';
import type { TfjsEngine } from './engine.ts';
import type { ParamLayout } from '../../core/layout.ts';
import { gptMeanLoss, gptTokenLosses } from './model.ts';
import type { GptShape } from './model.ts';
import { flatToTensors, gradientsToFlat, gradientsToFlatAsync, namedWeights } from './params.ts';

/** `batch` token windows, row-major [batch, seq]; targets are the inputs shifted by one token. */
export interface TokenBatch {
  readonly inputs: Int32Array;
  readonly targets: Int32Array;
  readonly batch: number;
}

/** The loss and gradient tensors of one step, kept out of the tidy: the caller disposes them. */
function lossAndGradientTensors(engine: TfjsEngine, shape: GptShape, layout: ParamLayout, params: Float32Array, data: TokenBatch): { value: Scalar; grads: Tensor[] } {
  ensureActive(engine);
  const { tf } = engine;
  const seq = data.inputs.length / data.batch;
  return tf.tidy(() => {
    const inputs = tf.tensor2d(data.inputs, [data.batch, seq], 'int32');
    const targets = tf.tensor2d(data.targets, [data.batch, seq], 'int32');
    const objective = tf.valueAndGrads((...weights) => gptMeanLoss(tf, shape, namedWeights(layout, weights), inputs, targets));
    const { value, grads } = objective(flatToTensors(tf, layout, params));
    return { value: value as Scalar, grads };
  });
}

/** The per-token losses of `data` (the caller disposes them). */
function tokenLossTensor(engine: TfjsEngine, shape: GptShape, layout: ParamLayout, params: Float32Array, data: TokenBatch): Tensor1D {
  ensureActive(engine);
  const { tf } = engine;
  const seq = data.inputs.length / data.batch;
  return tf.tidy(() => {
    const inputs = tf.tensor2d(data.inputs, [data.batch, seq], 'int32');
    const targets = tf.tensor2d(data.targets, [data.batch, seq], 'int32');
    return gptTokenLosses(tf, shape, namedWeights(layout, flatToTensors(tf, layout, params)), inputs, targets);
  });
}

/**
 * Mean next-token cross-entropy (nats) of `params` on `data`, and its gradient written into
 * `gradOut` (length layout.size). The sequence length is inputs.length / batch.
 */
export function lossAndGradient(
  engine: TfjsEngine,
  shape: GptShape,
  layout: ParamLayout,
  params: Float32Array,
  data: TokenBatch,
  gradOut: Float32Array,
): number {
  if (engine.remote !== null) return engine.remote.lossAndGradient(shape, layout, params, data, gradOut);
  const { value, grads } = lossAndGradientTensors(engine, shape, layout, params, data);
  try {
    gradientsToFlat(layout, grads, gradOut);
    return value.dataSync()[0]!;
  } finally {
    engine.tf.dispose([value, ...grads]);
  }
}

/** {@link lossAndGradient} read asynchronously; on this thread's engine (never `remote`). */
export async function lossAndGradientAsync(
  engine: TfjsEngine,
  shape: GptShape,
  layout: ParamLayout,
  params: Float32Array,
  data: TokenBatch,
  gradOut: Float32Array,
): Promise<number> {
  const { value, grads } = lossAndGradientTensors(engine, shape, layout, params, data);
  try {
    await gradientsToFlatAsync(layout, grads, gradOut);
    return (await value.data())[0]!;
  } finally {
    engine.tf.dispose([value, ...grads]);
  }
}

/** Sum over all tokens of `data` of the next-token cross-entropy (nats), accumulated in float64. */
export function summedTokenLoss(engine: TfjsEngine, shape: GptShape, layout: ParamLayout, params: Float32Array, data: TokenBatch): number {
  if (engine.remote !== null) return engine.remote.summedTokenLoss(shape, layout, params, data);
  const lossTensor = tokenLossTensor(engine, shape, layout, params, data);
  try {
    return sumFloat64(lossTensor.dataSync() as Float32Array);
  } finally {
    lossTensor.dispose();
  }
}

/** {@link summedTokenLoss} read asynchronously; on this thread's engine (never `remote`). */
export async function summedTokenLossAsync(engine: TfjsEngine, shape: GptShape, layout: ParamLayout, params: Float32Array, data: TokenBatch): Promise<number> {
  const lossTensor = tokenLossTensor(engine, shape, layout, params, data);
  try {
    return sumFloat64((await lossTensor.data()) as Float32Array);
  } finally {
    lossTensor.dispose();
  }
}

function sumFloat64(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum;
}
