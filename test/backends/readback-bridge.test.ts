import { expect } from 'chai';
import { NoGpuError, selectEngine } from '../../backends/tfjs/engine.ts';
import type { TfjsEngine } from '../../backends/tfjs/engine.ts';
import { gptLayout, initGptParams } from '../../backends/tfjs/model.ts';
import type { GptShape } from '../../backends/tfjs/model.ts';
import { lossAndGradient, summedTokenLoss } from '../../backends/tfjs/objective.ts';
import { startReadbackWorker } from '../../backends/tfjs/readback-bridge.ts';
import type { RemoteObjective } from '../../backends/tfjs/readback-bridge.ts';
import { createRng } from '../../core/rng.ts';

const SHAPE: GptShape = { vocabSize: 11, contextLength: 6, dModel: 8, numLayers: 2, numHeads: 2, mlpRatio: 2, tiedEmbeddings: false };

describe('tfjs readback bridge (an engine in a worker thread, called synchronously)', function () {
  this.timeout(60_000);
  let local: TfjsEngine;
  let remote: RemoteObjective;

  before(async () => {
    local = await selectEngine('wasm');
    remote = await startReadbackWorker('wasm');
  });
  after(async () => {
    await remote.close();
  });

  it('gives bit-identical loss, gradient and eval loss to the same engine in this thread', () => {
    const layout = gptLayout(SHAPE);
    const rng = createRng('bridge');
    const params = initGptParams(SHAPE, layout, rng.fork('init'));
    const tokens = Int32Array.from({ length: 3 * 7 }, () => rng.int(0, SHAPE.vocabSize - 1));
    const data = {
      inputs: Int32Array.from({ length: 18 }, (_, i) => tokens[i + Math.floor(i / 6)]!),
      targets: Int32Array.from({ length: 18 }, (_, i) => tokens[i + Math.floor(i / 6) + 1]!),
      batch: 3,
    };
    const here = new Float32Array(layout.size);
    const there = new Float32Array(layout.size);
    const lossHere = lossAndGradient(local, SHAPE, layout, params, data, here);
    const lossThere = remote.lossAndGradient(SHAPE, layout, params, data, there);
    expect(lossThere).to.equal(lossHere);
    expect(Buffer.from(there.buffer).equals(Buffer.from(here.buffer))).to.equal(true);
    expect(there.some((g) => g !== 0)).to.equal(true);
    expect(remote.summedTokenLoss(SHAPE, layout, params, data)).to.equal(summedTokenLoss(local, SHAPE, layout, params, data));
  });

  it('leaks no tensors in the worker and reports a wrong layout as an error, not a hang', () => {
    const layout = gptLayout(SHAPE);
    const params = initGptParams(SHAPE, layout, createRng(1));
    const data = { inputs: new Int32Array(6), targets: new Int32Array(6), batch: 1 };
    const grad = new Float32Array(layout.size);
    remote.lossAndGradient(SHAPE, layout, params, data, grad);
    const before = remote.numTensors();
    for (let i = 0; i < 5; i++) remote.lossAndGradient(SHAPE, layout, params, data, grad);
    expect(remote.numTensors()).to.equal(before);
    const wrong = gptLayout({ ...SHAPE, numLayers: 1 });
    expect(() => remote.lossAndGradient(SHAPE, wrong, params.subarray(0, wrong.size), data, new Float32Array(wrong.size))).to.throw(/layout has \d+ parameters/);
  });

  it("a worker whose engine finds no GPU rethrows the worker's NoGpuError here", async function () {
    const error = await startReadbackWorker('webgpu').then(
      async (r) => {
        await r.close();
        return null; // a GPU host: the worker found an adapter
      },
      (err: unknown) => err,
    );
    if (error !== null) {
      expect(error).to.be.instanceOf(NoGpuError);
      expect((error as NoGpuError).probe).to.contain('requestAdapter');
    }
  });
});
