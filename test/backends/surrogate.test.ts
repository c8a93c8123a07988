import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError } from '../../core/errors.ts';
import { adamwStep, createAdamWState, lrAt } from '../../core/optim/adamw.ts';
import { createRng } from '../../core/rng.ts';
import { createSparseLocoCommunicator } from '../../core/sparseloco/communicator.ts';
import { createSyntheticDataset, drawBatch, sampleDirichlet } from '../../backends/data.ts';
import { assignShards, peerDataRng } from '../../core/protocol/shards.ts';
import { createSurrogateBackend, resolveSurrogateConfig } from '../../backends/surrogate/backend.ts';
import type { SurrogateOptions } from '../../backends/surrogate/backend.ts';
import { createMlpScratch, initMlpParams, mlpLayout, mlpLossAndGradient } from '../../backends/surrogate/model.ts';
import type { MlpShape } from '../../backends/surrogate/model.ts';
import { runBackendConformance } from './conformance.ts';

const SMALL: SurrogateOptions = { inputDim: 8, numClasses: 4, hiddenDim: 6, numShards: 8, shardSize: 32, heldoutSize: 256 };

runBackendConformance('surrogate-mlp', () => createSurrogateBackend(createRng(11).fork('backend'), SMALL));
runBackendConformance('surrogate-softmax', () => createSurrogateBackend(createRng(11).fork('backend'), { ...SMALL, hiddenDim: 0 }));
runBackendConformance('surrogate-mlp non-IID', () => createSurrogateBackend(createRng(11).fork('backend'), { ...SMALL, nonIidAlpha: 0.3 }));

describe('surrogate model', () => {
  it('names its tensors like a model and sizes them [out, in]', () => {
    const layout = mlpLayout({ inputDim: 32, hiddenDim: 16, numClasses: 10 });
    expect(layout.tensors.map((t) => [t.name, t.shape])).to.deep.equal([
      ['fc1.weight', [16, 32]],
      ['fc1.bias', [16]],
      ['fc2.weight', [10, 16]],
      ['fc2.bias', [10]],
    ]);
    expect(layout.size).to.equal(698);
    expect(mlpLayout({ inputDim: 32, hiddenDim: 0, numClasses: 10 }).tensors.map((t) => t.name)).to.deep.equal(['fc.weight', 'fc.bias']);
  });

  it('rejects bad shapes with a ConfigError naming the value', () => {
    expect(() => mlpLayout({ inputDim: 4, hiddenDim: -1, numClasses: 3 })).to.throw(ConfigError, '-1');
    expect(() => mlpLayout({ inputDim: 4, hiddenDim: 2, numClasses: 1 })).to.throw(ConfigError, 'numClasses');
  });

  for (const hiddenDim of [0, 5]) {
    it(`backward pass matches central finite differences (hiddenDim ${hiddenDim})`, () => {
      const shape: MlpShape = { inputDim: 6, hiddenDim, numClasses: 4 };
      const layout = mlpLayout(shape);
      const rng = createRng(`fd-${hiddenDim}`);
      // fp64 parameters so the finite difference is not limited by fp32 rounding.
      const params = Float64Array.from(initMlpParams(shape, rng.fork('init')));
      for (let i = 0; i < params.length; i++) params[i]! += 0.1 * rng.normal(); // non-zero biases too
      const count = 7;
      const inputs = rng.fork('x').fillNormal(new Float32Array(count * shape.inputDim));
      const labels = Uint16Array.from({ length: count }, (_, n) => n % shape.numClasses);
      const scratch = createMlpScratch(shape);
      const grad = new Float64Array(layout.size);
      mlpLossAndGradient(shape, params, inputs, labels, count, grad, scratch);
      const h = 1e-5;
      for (let i = 0; i < params.length; i++) {
        const saved = params[i]!;
        params[i] = saved + h;
        const up = mlpLossAndGradient(shape, params, inputs, labels, count, null, scratch);
        params[i] = saved - h;
        const down = mlpLossAndGradient(shape, params, inputs, labels, count, null, scratch);
        params[i] = saved;
        const numeric = (up - down) / (2 * h);
        expect(grad[i], `d loss / d param ${i}`).to.be.closeTo(numeric, 1e-7 + 1e-5 * Math.abs(numeric));
      }
    });
  }

  it('loss at zero parameters is log C', () => {
    const shape: MlpShape = { inputDim: 3, hiddenDim: 2, numClasses: 5 };
    const params = new Float32Array(mlpLayout(shape).size);
    const loss = mlpLossAndGradient(shape, params, new Float32Array([1, 2, 3]), new Uint16Array([4]), 1, null, createMlpScratch(shape));
    expect(loss).to.be.closeTo(Math.log(5), 1e-12);
  });
});

describe('surrogate backend', () => {
  it('Δ is bit-exactly θ_start − θ_end of an inner loop rebuilt by hand (validator replay)', () => {
    const root = createRng(3).fork('backend');
    const backend = createSurrogateBackend(root, SMALL);
    const { model, batchSize, adamw, schedule, data } = backend.config;
    const theta = backend.initParams(createRng(3).fork('init'));
    const shards = [5, 2];
    const H = 6;
    const trainer = backend.createTrainer(9);
    trainer.runInnerLoop({ params: theta, round: 0, shards, innerSteps: H }); // give the state a history
    const result = trainer.runInnerLoop({ params: theta, round: 4, shards, innerSteps: H });

    // The replay: the same batches from (seed, peer, round), the same model, core AdamW.
    const state = createAdamWState(theta.length);
    const work = theta.slice();
    const grad = new Float32Array(theta.length);
    const scratch = createMlpScratch(model);
    const examples = shards.map((id) => backend.dataset.shard(id));
    const positions = new Int32Array(batchSize);
    const xs = new Float32Array(batchSize * model.inputDim);
    const ys = new Uint16Array(batchSize);
    let lossSum = 0;
    for (const round of [0, 4]) {
      work.set(theta);
      lossSum = 0;
      const stream = peerDataRng(root.fork('batches'), round, 9);
      for (let s = 0; s < H; s++) {
        drawBatch(stream, shards.length * data.shardSize, positions);
        positions.forEach((pos, b) => {
          const ex = examples[Math.floor(pos / data.shardSize)]!;
          const row = pos % data.shardSize;
          xs.set(ex.inputs.subarray(row * model.inputDim, (row + 1) * model.inputDim), b * model.inputDim);
          ys[b] = ex.labels[row]!;
        });
        lossSum += mlpLossAndGradient(model, work, xs, ys, batchSize, grad, scratch);
        adamwStep(work, grad, state, adamw, lrAt(schedule, state.step));
      }
    }
    const expected = theta.map((x, i) => x - work[i]!);
    expect(Buffer.from(result.delta.buffer)).to.deep.equal(Buffer.from(expected.buffer));
    expect(result.meanLoss).to.equal(lossSum / H);
    expect(result.samples).to.equal(H * batchSize);
  });

  it('reaches a held-out loss between the Bayes floor and the initial loss', () => {
    const backend = createSurrogateBackend(createRng(4).fork('backend'), { numShards: 16, heldoutSize: 512 });
    const bayes = backend.dataset.bayesLoss(backend.dataset.heldout());
    let theta = backend.initParams(createRng(4).fork('init'));
    const initial = backend.evaluate(theta, 'heldout');
    const trainer = backend.createTrainer(0);
    for (let round = 0; round < 20; round++) {
      const { delta } = trainer.runInnerLoop({ params: theta, round, shards: [round % 16], innerSteps: 20 });
      theta = theta.map((x, i) => x - delta[i]!);
    }
    const final = backend.evaluate(theta, 'heldout');
    expect(bayes).to.be.greaterThan(0.1); // label noise keeps the optimum above 0
    expect(final).to.be.lessThan(0.6 * initial);
    expect(final).to.be.greaterThan(bayes);
  });

  it('rejects bad configuration with a ConfigError naming the key', () => {
    expect(() => resolveSurrogateConfig({ batchSize: 0 })).to.throw(ConfigError, 'batchSize (0)');
    expect(() => resolveSurrogateConfig({ labelNoise: 1 })).to.throw(ConfigError, 'data.labelNoise');
    expect(() => resolveSurrogateConfig({ nonIidAlpha: 0 })).to.throw(ConfigError, 'data.nonIidAlpha');
    expect(() => resolveSurrogateConfig({ schedule: { peakLr: -1 } })).to.throw(ConfigError, 'schedule.peakLr');
    expect(() => resolveSurrogateConfig({ adamw: { beta1: 1 } })).to.throw(ConfigError, 'adamw.beta1');
  });
});

describe('synthetic data', () => {
  it('a shard does not depend on which shards were generated before it', () => {
    const a = createSyntheticDataset(createRng(1), { numShards: 10, shardSize: 16 });
    const b = createSyntheticDataset(createRng(1), { numShards: 10, shardSize: 16 });
    a.shard(3);
    a.shard(0);
    expect(a.shard(7)).to.deep.equal(b.shard(7));
    expect(a.shard(7).inputs).to.not.deep.equal(a.shard(6).inputs);
  });

  it('IID shards mix classes evenly; non-IID shards concentrate on few classes', () => {
    const labelShare = (alpha: number | null) => {
      const ds = createSyntheticDataset(createRng(2), { numShards: 20, shardSize: 200, numClasses: 10, labelNoise: 0, nonIidAlpha: alpha });
      let topShare = 0;
      for (let s = 0; s < 20; s++) {
        const counts = new Array<number>(10).fill(0);
        for (const y of ds.shard(s).labels) counts[y]!++;
        topShare += Math.max(...counts) / 200;
      }
      return topShare / 20;
    };
    expect(labelShare(null)).to.be.lessThan(0.2);
    expect(labelShare(0.1)).to.be.greaterThan(0.6);
  });

  it('Dirichlet draws are probability vectors', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 12 }), fc.double({ min: 0.01, max: 20, noNaN: true }), fc.nat(1000), (n, alpha, seed) => {
        const q = sampleDirichlet(createRng(seed), n, alpha);
        const sum = q.reduce((s, x) => s + x, 0);
        return q.every((x) => x >= 0) && Math.abs(sum - 1) < 1e-9;
      }),
      { seed: 42, numRuns: 100 },
    );
  });
});

describe('surrogate end-to-end: peers training together', () => {
  const options: SurrogateOptions = { numShards: 16, heldoutSize: 512 };
  const PEERS = 4;
  const ROUNDS = 10;
  const H = 5;

  it('plain averaging of Δ over 4 peers × 10 rounds × H=5 clearly lowers the held-out loss', () => {
    const backend = createSurrogateBackend(createRng(21).fork('backend'), options);
    const theta = backend.initParams(createRng(21).fork('init'));
    const initial = backend.evaluate(theta, 'heldout');
    const trainers = Array.from({ length: PEERS }, (_, p) => backend.createTrainer(p));
    for (let round = 0; round < ROUNDS; round++) {
      const shards = assignShards({ seed: 21, round, activePeers: [0, 1, 2, 3], numShards: backend.numShards, shardsPerPeer: 1 });
      const mean = new Float32Array(theta.length);
      for (const t of trainers) {
        const { delta } = t.runInnerLoop({ params: theta, round, shards: shards.get(t.peerId)!, innerSteps: H });
        for (let i = 0; i < mean.length; i++) mean[i]! += delta[i]! / PEERS;
      }
      for (let i = 0; i < theta.length; i++) theta[i]! -= mean[i]!;
    }
    const final = backend.evaluate(theta, 'heldout');
    expect(final).to.be.lessThan(0.75 * initial);
  });

  it('SparseLoCo (core communicator: EF, top-k, 2-bit, median clip) also lowers the held-out loss', () => {
    const backend = createSurrogateBackend(createRng(22).fork('backend'), options);
    const theta = backend.initParams(createRng(22).fork('init'));
    const initial = backend.evaluate(theta, 'heldout');
    // fc1.weight [16, 32] is one 512-element chunk: k = 32 sends 6.25 % of it.
    const comm = createSparseLocoCommunicator(backend.layout, { method: 'sparseloco', topK: 32, outerLr: 1 });
    const shared = comm.createSharedState();
    const peers = Array.from({ length: PEERS }, (_, p) => ({ trainer: backend.createTrainer(p), state: comm.createPeerState() }));
    for (let round = 0; round < ROUNDS; round++) {
      const shards = assignShards({ seed: 22, round, activePeers: [0, 1, 2, 3], numShards: backend.numShards, shardsPerPeer: 1 });
      const messages = peers.map(({ trainer, state }) => {
        const { delta } = trainer.runInnerLoop({ params: theta, round, shards: shards.get(trainer.peerId)!, innerSteps: H });
        return { peerUid: trainer.peerId, bytes: comm.encode(state, delta) };
      });
      const report = comm.apply(theta, shared, messages);
      expect(report.rejected).to.deep.equal([]);
    }
    const final = backend.evaluate(theta, 'heldout');
    expect(final).to.be.lessThan(0.8 * initial);
  });
});
