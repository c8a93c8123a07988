import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { selectEngine } from '../../backends/tfjs/engine.ts';
import { gptLayout, gptMeanLoss, initGptParams } from '../../backends/tfjs/model.ts';
import type { GptShape } from '../../backends/tfjs/model.ts';
import { flatToTensors, namedWeights } from '../../backends/tfjs/params.ts';
import { createRng } from '../../core/rng.ts';

/**
 * The kernels the GPT's forward + backward dispatches (recorded on the cpu engine with tf.profile,
 * kept to names that are kernels: tf.profile also lists op wrappers such as customGrad's), checked
 * against those tfjs-backend-webgpu registers — importing it registers its kernels without an
 * adapter, so this runs on any machine.
 */
async function kernelsOfOneStep(shape: GptShape): Promise<string[]> {
  await selectEngine('cpu');
  const layout = gptLayout(shape);
  const params = initGptParams(shape, layout, createRng(1));
  const tokens = new Int32Array(2 * shape.contextLength).map((_, i) => i % shape.vocabSize);
  const info = await tf.profile(() =>
    tf.tidy(() => {
      const inputs = tf.tensor2d(tokens, [2, shape.contextLength], 'int32');
      const { value } = tf.valueAndGrads((...ws) => gptMeanLoss(tf, shape, namedWeights(layout, ws), inputs, inputs))(flatToTensors(tf, layout, params));
      return value;
    }),
  );
  const kernels = new Set(tf.getKernelsForBackend('cpu').map((k) => k.kernelName));
  return [...new Set(info.kernelNames)].filter((name) => kernels.has(name)).sort();
}

describe('tfjs GPT kernels on webgpu', () => {
  it('every kernel the forward + backward pass dispatches is registered by tfjs-backend-webgpu (and wasm)', async function () {
    this.timeout(60_000);
    await import('@tensorflow/tfjs-backend-webgpu');
    await import('@tensorflow/tfjs-backend-wasm');
    const used = [
      ...new Set([
        ...(await kernelsOfOneStep({ vocabSize: 11, contextLength: 6, dModel: 8, numLayers: 1, numHeads: 2, mlpRatio: 2, tiedEmbeddings: true })),
        ...(await kernelsOfOneStep({ vocabSize: 11, contextLength: 6, dModel: 8, numLayers: 1, numHeads: 2, mlpRatio: 2, tiedEmbeddings: false })),
      ]),
    ].sort();
    // The model's op set, so a change to it shows up here.
    expect(used).to.deep.equal(['Add', 'BatchMatMul', 'Cast', 'Concat', 'Exp', 'Identity', 'Log', 'Max', 'Mean', 'Multiply', 'Neg', 'OneHot', 'PadV2', 'Pow', 'RealDiv', 'Reshape', 'Rsqrt', 'Slice', 'Softmax', 'SplitV', 'Square', 'Sub', 'Sum', 'Tanh', 'Transpose']);
    const webgpu = new Set(tf.getKernelsForBackend('webgpu').map((k) => k.kernelName));
    expect(webgpu.size).to.be.greaterThan(100);
    expect(used.filter((k) => !webgpu.has(k))).to.deep.equal([]);
    const wasm = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
    expect(used.filter((k) => !wasm.has(k))).to.deep.equal([]);
    // Why the token embedding is a one-hot matmul: gather's gradient kernel is missing on wasm.
    expect(wasm.has('UnsortedSegmentSum')).to.equal(false);
    expect(webgpu.has('UnsortedSegmentSum')).to.equal(true);
  });
});
