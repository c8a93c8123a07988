import { expect } from 'chai';
import { ConfigError } from '../../core/errors.ts';
import { adamwStep, createAdamWState, lrAt } from '../../core/optim/adamw.ts';
import { peerDataRng } from '../../core/protocol/shards.ts';
import { createRng } from '../../core/rng.ts';
import { drawBatch } from '../../backends/data.ts';
import { createTextCorpus, loadTinyShakespeare } from '../../backends/corpus/corpus.ts';
import { createCharTokenizer } from '../../backends/corpus/tokenizer.ts';
import { createTfjsBackend, perplexity } from '../../backends/tfjs/backend.ts';
import type { TfjsBackendOptions } from '../../backends/tfjs/backend.ts';
import { EngineUnavailableError, selectEngine } from '../../backends/tfjs/engine.ts';
import type { ModuleImporter, TfjsEngine } from '../../backends/tfjs/engine.ts';
import { gptLayout, initGptParams } from '../../backends/tfjs/model.ts';
import type { GptShape } from '../../backends/tfjs/model.ts';
import { lossAndGradient } from '../../backends/tfjs/objective.ts';
import type { TokenBatch } from '../../backends/tfjs/objective.ts';
import { runBackendConformance } from './conformance.ts';

/** A tiny model on the first 40 k characters: every inner step takes a few milliseconds. */
const TINY: TfjsBackendOptions = {
  text: loadTinyShakespeare().slice(0, 40_000),
  model: { contextLength: 16, dModel: 16, numLayers: 1, numHeads: 2, mlpRatio: 2 },
  batchSize: 4,
  numShards: 8,
  heldoutWindows: 16,
  shardEvalWindows: 8,
  schedule: { peakLr: 1e-2 },
};

/** Native packages reported missing, so 'auto' behaves the same on any host. */
const withoutNative: ModuleImporter = (specifier) =>
  specifier.startsWith('@tensorflow/tfjs-node') ? Promise.reject(Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' })) : import(specifier);

describe('tfjs backend', function () {
  let wasm: TfjsEngine;
  let cpu: TfjsEngine;

  before(async () => {
    cpu = await selectEngine('cpu');
    wasm = await selectEngine('wasm');
  });

  runBackendConformance('tfjs-gpt (wasm)', () => createTfjsBackend(wasm, createRng(11).fork('backend'), TINY), { innerSteps: 3 });
  runBackendConformance('tfjs-gpt (cpu, untied head)', () => createTfjsBackend(cpu, createRng(11).fork('backend'), { ...TINY, model: { ...TINY.model, tiedEmbeddings: false } }), {
    innerSteps: 3,
  });

  describe('engine selection', () => {
    it("'gpu' without @tensorflow/tfjs-node-gpu throws EngineUnavailableError saying how to install it", async () => {
      let caught: unknown;
      try {
        await selectEngine('gpu', { importModule: withoutNative });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(EngineUnavailableError);
      const error = caught as EngineUnavailableError;
      expect(error.engine).to.equal('tfjs-node-gpu');
      expect(error.packageName).to.equal('@tensorflow/tfjs-node-gpu');
      expect(error.message).to.contain('npm install @tensorflow/tfjs-node-gpu').and.contain('ERR_MODULE_NOT_FOUND');
    });

    it("'gpu' on this host (no tfjs-node-gpu installed) fails the same way, without crashing", async () => {
      const error = await selectEngine('gpu').then(
        () => null,
        (err: unknown) => err,
      );
      // A GPU host with the package installed legitimately succeeds; here it is not installed.
      if (error !== null) expect(error).to.be.instanceOf(EngineUnavailableError);
    });

    it("'auto' falls through tfjs-node-gpu, webgpu (no adapter here) and tfjs-node to wasm and records why", async () => {
      const engine = await selectEngine('auto', { importModule: withoutNative });
      expect(engine.name).to.equal('wasm');
      expect(engine.backendName).to.equal('wasm');
      expect(engine.device.kind).to.equal('cpu');
      expect(engine.device.label).to.contain('wasm');
      expect(engine.remote).to.equal(null);
      expect(engine.attempts.map((a) => a.engine)).to.deep.equal(['tfjs-node-gpu', 'webgpu', 'tfjs-node']);
      expect(engine.attempts[0]!.error).to.contain('@tensorflow/tfjs-node-gpu');
      expect(engine.attempts[1]!.error).to.contain('no GPU found').and.contain('requestAdapter');
    });

    it("'auto' skips wasm when it cannot load, ending on the pure-JS cpu engine", async () => {
      const noWasm: ModuleImporter = (specifier) => (specifier === '@tensorflow/tfjs-backend-wasm' ? Promise.reject(new Error('broken')) : withoutNative(specifier));
      const engine = await selectEngine('auto', { importModule: noWasm });
      expect(engine.name).to.equal('cpu');
      expect(engine.attempts.map((a) => a.engine)).to.deep.equal(['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm']);
      expect(engine.device.label).to.contain('pure JS');
    });

    it('a native package that loads but registers no backend is a clear error, not a crash', async () => {
      const broken: ModuleImporter = (specifier) => (specifier.startsWith('@tensorflow/tfjs-node') ? Promise.resolve({}) : import(specifier));
      let caught: unknown;
      try {
        await selectEngine('gpu', { importModule: broken });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(EngineUnavailableError);
      expect((caught as Error).message).to.contain('no backend named "tensorflow"');
    });

    it('an unknown kind is a ConfigError', async () => {
      const error = await selectEngine('tpu' as 'gpu').catch((err: unknown) => err);
      expect(error).to.be.instanceOf(ConfigError);
    });

    it('a backend re-activates its own engine after another was selected', () => {
      const onWasm = createTfjsBackend(wasm, createRng(1), TINY);
      const onCpu = createTfjsBackend(cpu, createRng(1), TINY);
      const theta = onWasm.initParams(createRng(2));
      const a = onWasm.evaluate(theta, 'heldout');
      expect(wasm.tf.getBackend()).to.equal('wasm');
      const b = onCpu.evaluate(theta, 'heldout');
      expect(cpu.tf.getBackend()).to.equal('cpu');
      expect(b).to.be.closeTo(a, 1e-5); // same model, two engines: fp32 rounding differences only
    });
  });

  describe('corpus', () => {
    it('tokenizes the shipped text per character and round-trips it', () => {
      const text = loadTinyShakespeare();
      expect(text.length).to.be.within(100_000, 500_000);
      const tok = createCharTokenizer(text);
      expect(tok.vocabSize).to.equal(63);
      expect(tok.decode(tok.encode(text.slice(0, 200)))).to.equal(text.slice(0, 200));
      expect(() => tok.encode('café')).to.throw(ConfigError, 'é');
    });

    it('splits a held-out tail and cuts the rest into equal contiguous shards', () => {
      const corpus = createTextCorpus(loadTinyShakespeare(), { numShards: 10, heldoutFraction: 0.1 });
      const total = corpus.train.length + corpus.heldout.length;
      expect(corpus.heldout.length).to.equal(total - Math.floor(total * 0.9));
      expect(corpus.shardLength).to.equal(Math.floor(corpus.train.length / 10));
      expect(corpus.shard(3)).to.deep.equal(corpus.train.subarray(3 * corpus.shardLength, 4 * corpus.shardLength));
      expect(() => corpus.shard(10)).to.throw(ConfigError);
      expect(() => createTextCorpus('abc', { numShards: 5 })).to.throw(ConfigError, 'numShards');
    });
  });

  describe('model', () => {
    it('names its tensors like GPT-2 and sizes them [in, out]; untied adds an LM head', () => {
      const shape: GptShape = { vocabSize: 63, contextLength: 64, dModel: 64, numLayers: 2, numHeads: 4, mlpRatio: 4, tiedEmbeddings: true };
      const layout = gptLayout(shape);
      const byName = new Map(layout.tensors.map((t) => [t.name, t.shape]));
      expect(byName.get('wte.weight')).to.deep.equal([63, 64]);
      expect(byName.get('wpe.weight')).to.deep.equal([64, 64]);
      expect(byName.get('blocks.1.attn.qkv.weight')).to.deep.equal([64, 192]);
      expect(byName.get('blocks.0.mlp.proj.weight')).to.deep.equal([256, 64]);
      expect(byName.has('lm_head.weight')).to.equal(false);
      expect(layout.size).to.equal(108_224);
      expect(gptLayout({ ...shape, tiedEmbeddings: false }).size).to.equal(108_224 + 64 * 63);
      expect(() => gptLayout({ ...shape, numHeads: 5 })).to.throw(ConfigError, 'numHeads');
      expect(() => gptLayout({ ...shape, vocabSize: 300 })).to.throw(ConfigError, 'vocabSize');
    });

    for (const tiedEmbeddings of [true, false]) {
      it(`gradient matches central finite differences on sampled coordinates (${tiedEmbeddings ? 'tied' : 'untied'} head)`, () => {
        const shape: GptShape = { vocabSize: 11, contextLength: 6, dModel: 8, numLayers: 2, numHeads: 2, mlpRatio: 2, tiedEmbeddings };
        const layout = gptLayout(shape);
        const rng = createRng(`grad-check-${tiedEmbeddings}`);
        const params = initGptParams(shape, layout, rng.fork('init'));
        // Larger, non-trivial weights (LayerNorm gains ≠ 1, biases ≠ 0) so every path carries gradient.
        for (let i = 0; i < params.length; i++) params[i] = params[i]! + 0.2 * rng.normal();
        const batch = 3;
        const tokens = Int32Array.from({ length: batch * (shape.contextLength + 1) }, () => rng.int(0, shape.vocabSize - 1));
        const data: TokenBatch = {
          inputs: Int32Array.from({ length: batch * shape.contextLength }, (_, i) => tokens[i + Math.floor(i / shape.contextLength)]!),
          targets: Int32Array.from({ length: batch * shape.contextLength }, (_, i) => tokens[i + Math.floor(i / shape.contextLength) + 1]!),
          batch,
        };
        const grad = new Float32Array(layout.size);
        lossAndGradient(wasm, shape, layout, params, data, grad);
        const scratch = new Float32Array(layout.size);
        const lossAt = (p: Float32Array) => lossAndGradient(wasm, shape, layout, p, data, scratch);
        // The largest-|g| coordinate of every tensor: FD in fp32 resolves those reliably.
        const h = 1e-2;
        for (const t of layout.tensors) {
          let best = t.offset;
          for (let i = t.offset; i < t.offset + t.size; i++) if (Math.abs(grad[i]!) > Math.abs(grad[best]!)) best = i;
          const p = params.slice();
          p[best] = params[best]! + h;
          const up = lossAt(p);
          p[best] = params[best]! - h;
          const down = lossAt(p);
          const numeric = (up - down) / (2 * h);
          expect(grad[best], `∂loss/∂${t.name}[${best - t.offset}]`).to.be.closeTo(numeric, 3e-4 + 1e-3 * Math.abs(numeric));
        }
      });
    }
  });

  describe('training', () => {
    it('held-out loss starts at ≈ ln(vocab) and falls after a few rounds', () => {
      const backend = createTfjsBackend(wasm, createRng(5).fork('backend'), TINY);
      let theta = backend.initParams(createRng(5).fork('init'));
      const initial = backend.evaluate(theta, 'heldout');
      expect(initial).to.be.closeTo(Math.log(backend.config.model.vocabSize), 0.05);
      expect(perplexity(initial)).to.be.closeTo(backend.config.model.vocabSize, 3);
      const trainer = backend.createTrainer(0);
      for (let round = 0; round < 6; round++) {
        const { delta } = trainer.runInnerLoop({ params: theta, round, shards: [round % 8], innerSteps: 10 });
        theta = theta.map((x, i) => x - delta[i]!);
      }
      expect(backend.evaluate(theta, 'heldout')).to.be.lessThan(initial - 0.5);
    });

    it('leaks no tensors across inner loops, gradients and evaluations', () => {
      const backend = createTfjsBackend(wasm, createRng(6).fork('backend'), TINY);
      const theta = backend.initParams(createRng(6).fork('init'));
      const trainer = backend.createTrainer(1);
      const once = () => {
        trainer.runInnerLoop({ params: theta, round: 0, shards: [0, 1], innerSteps: 2 });
        trainer.computeGradient({ params: theta, round: 0, step: 1, shards: [2] });
        backend.evaluate(theta, 'heldout');
        backend.evaluate(theta, { shards: [3] });
      };
      once(); // warm-up: an engine may cache something on first use
      const tensors = wasm.tf.memory().numTensors;
      for (let i = 0; i < 3; i++) once();
      expect(wasm.tf.memory().numTensors).to.equal(tensors);
    });

    it('Δ is bit-exactly θ_start − θ_end of an inner loop a validator rebuilds by hand', () => {
      const root = createRng(3).fork('backend');
      const backend = createTfjsBackend(wasm, root, TINY);
      const { model, batchSize, adamw, schedule } = backend.config;
      const theta = backend.initParams(createRng(3).fork('init'));
      const shards = [5, 2];
      const H = 3;
      const trainer = backend.createTrainer(9);
      trainer.runInnerLoop({ params: theta, round: 0, shards, innerSteps: H }); // give the state a history
      const result = trainer.runInnerLoop({ params: theta, round: 4, shards, innerSteps: H });

      // The replay: the same windows from (seed, peer, round), the same model, core AdamW.
      const seq = model.contextLength;
      const windowsPerShard = backend.corpus.shardLength - seq;
      const state = createAdamWState(theta.length);
      const work = theta.slice();
      const grad = new Float32Array(theta.length);
      const positions = new Int32Array(batchSize);
      const data: TokenBatch = { inputs: new Int32Array(batchSize * seq), targets: new Int32Array(batchSize * seq), batch: batchSize };
      for (const round of [0, 4]) {
        const stream = peerDataRng(root.fork('batches'), round, 9);
        for (let s = 0; s < H; s++) {
          drawBatch(stream, shards.length * windowsPerShard, positions);
          positions.forEach((pos, b) => {
            const tokens = backend.corpus.shard(shards[Math.floor(pos / windowsPerShard)]!);
            const start = pos % windowsPerShard;
            for (let t = 0; t < seq; t++) {
              data.inputs[b * seq + t] = tokens[start + t]!;
              data.targets[b * seq + t] = tokens[start + t + 1]!;
            }
          });
          lossAndGradient(wasm, model, backend.layout, work, data, grad);
          adamwStep(work, grad, state, adamw, lrAt(schedule, state.step));
        }
        if (round === 0) work.set(theta);
      }
      const expected = theta.map((x, i) => x - work[i]!);
      expect(new Uint8Array(result.delta.buffer)).to.deep.equal(new Uint8Array(expected.buffer));
      expect(result.tokens).to.equal(H * batchSize * seq);
    });

    it('rejects a configuration whose shards are shorter than the context', () => {
      expect(() => createTfjsBackend(wasm, createRng(1), { ...TINY, numShards: 4000 })).to.throw(ConfigError, 'numShards');
      expect(() => createTfjsBackend(wasm, createRng(1), { ...TINY, batchSize: 0 })).to.throw(ConfigError, 'batchSize');
    });
  });
});
