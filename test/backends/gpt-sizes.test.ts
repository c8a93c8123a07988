import { expect } from 'chai';
import fc from 'fast-check';
import { createTfjsBackend, TFJS_DEFAULTS } from '../../backends/tfjs/backend.ts';
import { selectEngine } from '../../backends/tfjs/engine.ts';
import type { TfjsEngine } from '../../backends/tfjs/engine.ts';
import { gptLayout } from '../../backends/tfjs/model.ts';
import { GPT_SIZES, gptParamCount } from '../../backends/tfjs/sizes.ts';
import { loadTinyShakespeare } from '../../backends/corpus/corpus.ts';
import { createRng } from '../../core/rng.ts';

describe('tfjs GPT sizes', () => {
  let wasm: TfjsEngine;
  before(async () => {
    wasm = await selectEngine('wasm');
  });

  it('the closed-form count equals the layout size of every shape (property)', () => {
    let cases = 0;
    fc.assert(
      fc.property(
        fc.record({
          vocabSize: fc.integer({ min: 1, max: 256 }),
          contextLength: fc.integer({ min: 1, max: 512 }),
          heads: fc.integer({ min: 1, max: 8 }),
          headDim: fc.integer({ min: 1, max: 32 }),
          numLayers: fc.integer({ min: 1, max: 24 }),
          mlpRatio: fc.integer({ min: 1, max: 4 }),
          tiedEmbeddings: fc.boolean(),
        }),
        ({ heads, headDim, ...rest }) => {
          cases++;
          const shape = { ...rest, numHeads: heads, dModel: heads * headDim };
          expect(gptParamCount(shape)).to.equal(gptLayout(shape).size);
        },
      ),
      { numRuns: 200, seed: 18 },
    );
    expect(cases).to.equal(200);
  });

  it('spans 108k (the default) to ≥ 50M parameters with the 63-character vocabulary', () => {
    expect(GPT_SIZES['gpt-108k']).to.equal(TFJS_DEFAULTS.model);
    expect(gptParamCount({ ...GPT_SIZES['gpt-108k'], vocabSize: 63 })).to.equal(108_224);
    expect(gptParamCount({ ...GPT_SIZES['gpt-3m'], vocabSize: 63 })).to.equal(3_208_448);
    // 63·512 + 256·512 + 16·(12·512² + 13·512) + 2·512
    expect(gptParamCount({ ...GPT_SIZES['gpt-50m'], vocabSize: 63 })).to.equal(50_602_496);
  });

  it('the 50M configuration builds and runs a forward pass (held-out loss ≈ ln 63 at init)', function () {
    this.timeout(180_000);
    const backend = createTfjsBackend(wasm, createRng(50).fork('backend'), { model: GPT_SIZES['gpt-50m'], numShards: 8, heldoutWindows: 1, evalBatchSize: 1 });
    expect(backend.layout.size).to.equal(50_602_496);
    const theta = backend.initParams(createRng(50).fork('init'));
    const loss = backend.evaluate(theta, 'heldout');
    expect(loss).to.be.closeTo(Math.log(63), 0.1);
  });

  it('leaks no tensors over 100 training steps after a warm-up (tf.memory().numTensors constant)', function () {
    this.timeout(120_000);
    const backend = createTfjsBackend(wasm, createRng(7).fork('backend'), {
      text: loadTinyShakespeare().slice(0, 40_000),
      model: { contextLength: 16, dModel: 16, numLayers: 1, numHeads: 2, mlpRatio: 2 },
      batchSize: 4,
      numShards: 8,
    });
    const theta = backend.initParams(createRng(7).fork('init'));
    const trainer = backend.createTrainer(0);
    trainer.runInnerLoop({ params: theta, round: 0, shards: [0], innerSteps: 1 }); // warm-up
    const before = wasm.tf.memory().numTensors;
    const counts: number[] = [];
    for (let step = 0; step < 100; step++) {
      trainer.runInnerLoop({ params: theta, round: 1 + step, shards: [1], innerSteps: 1 });
      counts.push(wasm.tf.memory().numTensors);
    }
    expect(counts).to.have.length(100);
    expect(new Set(counts)).to.deep.equal(new Set([before]));
  });
});
