/**
 * The two numeric entry points of the tfjs model over the flat parameter vector: the training
 * objective with its gradient (one inner step's forward + backward), and the summed token loss
 * used by evaluation. Each runs in one `tf.tidy`, so no tensor outlives the call.
 *
 * @example
 * const loss = lossAndGradient(engine, shape, layout, theta, { inputs, targets, batch: 8 }, grad);
 */
import { ensureActive } from './engine.ts';
import type { TfjsEngine } from './engine.ts';
import type { ParamLayout } from '../../core/layout.ts';
import { gptMeanLoss, gptTokenLosses } from './model.ts';
import type { GptShape } from './model.ts';
import { flatToTensors, gradientsToFlat, namedWeights } from './params.ts';

/** `batch` token windows, row-major [batch, seq]; targets are the inputs shifted by one token. */
export interface TokenBatch {
  readonly inputs: Int32Array;
  readonly targets: Int32Array;
  readonly batch: number;
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
  ensureActive(engine);
  const { tf } = engine;
  const seq = data.inputs.length / data.batch;
  return tf.tidy(() => {
    const inputs = tf.tensor2d(data.inputs, [data.batch, seq], 'int32');
    const targets = tf.tensor2d(data.targets, [data.batch, seq], 'int32');
    const objective = tf.valueAndGrads((...weights) => gptMeanLoss(tf, shape, namedWeights(layout, weights), inputs, targets));
    const { value, grads } = objective(flatToTensors(tf, layout, params));
    gradientsToFlat(layout, grads, gradOut);
    return value.dataSync()[0]!;
  });
}

/** Sum over all tokens of `data` of the next-token cross-entropy (nats), accumulated in float64. */
export function summedTokenLoss(engine: TfjsEngine, shape: GptShape, layout: ParamLayout, params: Float32Array, data: TokenBatch): number {
  ensureActive(engine);
  const { tf } = engine;
  const seq = data.inputs.length / data.batch;
  const lossTensor = tf.tidy(() => {
    const inputs = tf.tensor2d(data.inputs, [data.batch, seq], 'int32');
    const targets = tf.tensor2d(data.targets, [data.batch, seq], 'int32');
    return gptTokenLosses(tf, shape, namedWeights(layout, flatToTensors(tf, layout, params)), inputs, targets);
  });
  const losses = lossTensor.dataSync();
  lossTensor.dispose();
  let sum = 0;
  for (let i = 0; i < losses.length; i++) sum += losses[i]!;
  return sum;
}
