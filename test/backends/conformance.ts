/**
 * The conformance suite every {@link TrainingBackend} passes (surrogate now; tfjs and the cluster
 * runner later). Call it from a test file: it registers one mocha `describe` block.
 *
 * @example
 * runBackendConformance('surrogate', () => createSurrogateBackend(createRng(1), { numShards: 8 }));
 */
import { expect } from 'chai';
import { ConfigError } from '../../core/errors.ts';
import { createRng } from '../../core/rng.ts';
import type { GradientRequest, InnerLoopRequest, TrainingBackend } from '../../backends/backend.ts';

export interface ConformanceOptions {
  /** H used by the suite (small: the suite runs many inner loops). Default 5. */
  readonly innerSteps?: number;
}

/**
 * Registers `describe(\`TrainingBackend conformance: ${name}\`)`. `makeBackend` must return a
 * fresh backend, identically configured on every call (same data seed), with at least 2 shards.
 */
export function runBackendConformance(name: string, makeBackend: () => TrainingBackend, options: ConformanceOptions = {}): void {
  const H = options.innerSteps ?? 5;

  describe(`TrainingBackend conformance: ${name}`, () => {
    let backend: TrainingBackend;
    let theta0: Float32Array;

    beforeEach(() => {
      backend = makeBackend();
      theta0 = backend.initParams(createRng('conformance').fork('init'));
    });

    const request = (over: Partial<InnerLoopRequest> = {}): InnerLoopRequest => ({
      params: theta0,
      round: 0,
      shards: [0],
      innerSteps: H,
      ...over,
    });

    it('has a layout, a name and at least two shards', () => {
      expect(backend.name).to.be.a('string').and.not.empty;
      expect(backend.layout.size).to.be.greaterThan(0);
      expect(backend.numShards).to.be.at.least(2);
    });

    it('initParams is deterministic in its rng, finite, and of layout size', () => {
      const a = backend.initParams(createRng(5).fork('init'));
      const b = makeBackend().initParams(createRng(5).fork('init'));
      const c = backend.initParams(createRng(6).fork('init'));
      expect(a).to.be.instanceOf(Float32Array);
      expect(a.length).to.equal(backend.layout.size);
      expect(bytes(a)).to.deep.equal(bytes(b));
      expect(bytes(a)).to.not.deep.equal(bytes(c));
      expect(a.every(Number.isFinite)).to.equal(true);
    });

    it('leaves θ_start untouched and returns a finite Δ of layout size', () => {
      const before = theta0.slice();
      const result = backend.createTrainer(0).runInnerLoop(request());
      expect(bytes(theta0)).to.deep.equal(bytes(before));
      expect(result.delta).to.be.instanceOf(Float32Array);
      expect(result.delta.length).to.equal(backend.layout.size);
      expect(result.delta.every(Number.isFinite)).to.equal(true);
      expect(result.delta.some((x) => x !== 0)).to.equal(true);
      expect(Number.isFinite(result.meanLoss)).to.equal(true);
      expect(result.samples).to.be.greaterThan(0);
      expect(result.tokens).to.be.at.least(result.samples);
    });

    it('Δ has the sign θ_start − θ_end: stepping θ − Δ lowers the training loss on the shards', () => {
      // Averaged over peers so one unlucky batch cannot flip the test.
      let before = 0;
      let after = 0;
      for (let peer = 0; peer < 4; peer++) {
        const shards = [peer % backend.numShards];
        const { delta } = backend.createTrainer(peer).runInnerLoop(request({ shards }));
        before += backend.evaluate(theta0, { shards });
        after += backend.evaluate(subtract(theta0, delta), { shards });
      }
      expect(after).to.be.lessThan(before);
    });

    it('writes Δ into deltaOut when given, with the same bits as an allocated Δ', () => {
      const out = new Float32Array(backend.layout.size);
      const a = backend.createTrainer(3).runInnerLoop(request({ deltaOut: out }));
      const b = backend.createTrainer(3).runInnerLoop(request());
      expect(a.delta).to.equal(out);
      expect(bytes(out)).to.deep.equal(bytes(b.delta));
    });

    it('same (seed, peer, round, shards) ⇒ bit-identical Δ and loss, across backend instances', () => {
      const a = backend.createTrainer(7).runInnerLoop(request({ round: 3, shards: [1, 0] }));
      const b = makeBackend().createTrainer(7).runInnerLoop(request({ round: 3, shards: [1, 0] }));
      expect(bytes(a.delta)).to.deep.equal(bytes(b.delta));
      expect(a.meanLoss).to.equal(b.meanLoss);
      expect(a.samples).to.equal(b.samples);
    });

    it('another trainer in between does not perturb a peer (trainers share no hidden state)', () => {
      const alone = makeBackend().createTrainer(2).runInnerLoop(request({ round: 1 }));
      backend.createTrainer(9).runInnerLoop(request({ round: 1, shards: [1] }));
      const after = backend.createTrainer(2).runInnerLoop(request({ round: 1 }));
      expect(bytes(after.delta)).to.deep.equal(bytes(alone.delta));
    });

    it('different peers, rounds or shards ⇒ different data ⇒ different Δ', () => {
      const base = backend.createTrainer(0).runInnerLoop(request());
      const otherPeer = backend.createTrainer(1).runInnerLoop(request());
      const otherRound = backend.createTrainer(0).runInnerLoop(request({ round: 1 }));
      const otherShard = backend.createTrainer(0).runInnerLoop(request({ shards: [1] }));
      for (const other of [otherPeer, otherRound, otherShard]) {
        expect(bytes(other.delta)).to.not.deep.equal(bytes(base.delta));
      }
    });

    it('H inner steps lower the training loss from a fresh init on average', () => {
      // Mean loss of the last of several rounds (optimizer state carried) vs the first.
      const trainer = backend.createTrainer(4);
      let theta = theta0;
      const losses: number[] = [];
      for (let round = 0; round < 4; round++) {
        const result = trainer.runInnerLoop(request({ params: theta, round, shards: [0, 1] }));
        losses.push(result.meanLoss);
        theta = subtract(theta, result.delta);
      }
      expect(losses[3]).to.be.lessThan(losses[0]!);
      expect(backend.evaluate(theta, { shards: [0, 1] })).to.be.lessThan(backend.evaluate(theta0, { shards: [0, 1] }));
    });

    it('evaluate is pure: same input ⇒ same output, params not mutated', () => {
      const before = theta0.slice();
      const h1 = backend.evaluate(theta0, 'heldout');
      const s1 = backend.evaluate(theta0, { shards: [0, 1] });
      backend.createTrainer(0).runInnerLoop(request()); // shared buffers must not leak into evaluate
      const h2 = backend.evaluate(theta0, 'heldout');
      const s2 = backend.evaluate(theta0, { shards: [0, 1] });
      expect(h1).to.equal(h2);
      expect(s1).to.equal(s2);
      expect(Number.isFinite(h1) && h1 > 0).to.equal(true);
      expect(bytes(theta0)).to.deep.equal(bytes(before));
      expect(makeBackend().evaluate(theta0, 'heldout')).to.equal(h1);
    });

    it('AdamW state persists across rounds (and is itself deterministic)', () => {
      const trainer = backend.createTrainer(5);
      const r0 = trainer.runInnerLoop(request({ round: 0 }));
      expect(trainer.optimizerSteps).to.equal(H);
      const theta1 = subtract(theta0, r0.delta);
      const r1 = trainer.runInnerLoop(request({ params: theta1, round: 1 }));
      expect(trainer.optimizerSteps).to.equal(2 * H);
      const fresh = backend.createTrainer(5).runInnerLoop(request({ params: theta1, round: 1 }));
      expect(bytes(r1.delta)).to.not.deep.equal(bytes(fresh.delta));
      // Replaying both rounds on a new trainer reproduces the second round exactly.
      const replay = makeBackend().createTrainer(5);
      replay.runInnerLoop(request({ round: 0 }));
      expect(bytes(replay.runInnerLoop(request({ params: theta1, round: 1 })).delta)).to.deep.equal(bytes(r1.delta));
    });

    describe('computeGradient (inner-step methods)', () => {
      const gradRequest = (over: Partial<GradientRequest> = {}): GradientRequest => ({ params: theta0, round: 2, step: 0, shards: [1, 0], ...over });

      it('is deterministic, leaves params and optimiser state alone, and honours gradOut', () => {
        const before = theta0.slice();
        const trainer = backend.createTrainer(3);
        const a = trainer.computeGradient(gradRequest({ step: 2 }));
        const out = new Float32Array(backend.layout.size);
        const b = makeBackend().createTrainer(3).computeGradient(gradRequest({ step: 2, gradOut: out }));
        expect(b.grad).to.equal(out);
        expect(bytes(a.grad)).to.deep.equal(bytes(b.grad));
        expect(a.loss).to.equal(b.loss);
        expect(a.grad.length).to.equal(backend.layout.size);
        expect(a.grad.every(Number.isFinite) && a.grad.some((g) => g !== 0)).to.equal(true);
        expect(trainer.optimizerSteps).to.equal(0);
        expect(bytes(theta0)).to.deep.equal(bytes(before));
        const other = trainer.computeGradient(gradRequest({ step: 3 }));
        expect(bytes(other.grad)).to.not.deep.equal(bytes(a.grad));
      });

      it("step s uses the inner loop's batch of step s: its loss is the loop's s-th step loss", () => {
        // The loss of step s at the loop's working params θ_s is s₊₁·meanLoss(H = s + 1) − s·meanLoss(H = s),
        // and θ_s = θ⁰ − Δ(H = s) up to one fp32 rounding; another batch would give a clearly different loss.
        const req = (innerSteps: number) => request({ round: 2, shards: [1, 0], innerSteps });
        let prevSum = 0;
        let thetaS = theta0;
        for (let s = 0; s < 3; s++) {
          const loop = backend.createTrainer(6).runInnerLoop(req(s + 1));
          const stepLoss = (s + 1) * loop.meanLoss - prevSum;
          const { loss } = backend.createTrainer(6).computeGradient(gradRequest({ params: thetaS, step: s }));
          if (s === 0) expect(loss).to.equal(loop.meanLoss);
          else expect(loss).to.be.closeTo(stepLoss, 1e-4 * Math.abs(stepLoss));
          const otherBatch = backend.createTrainer(6).computeGradient(gradRequest({ params: thetaS, step: s + 5 })).loss;
          expect(Math.abs(otherBatch - stepLoss)).to.be.greaterThan(1e-3 * Math.abs(stepLoss));
          prevSum = (s + 1) * loop.meanLoss;
          thetaS = subtract(theta0, loop.delta);
        }
      });

      it('is the gradient of the batch loss: a small step along −g lowers that loss', () => {
        for (let step = 0; step < 3; step++) {
          const { grad, loss } = backend.createTrainer(4).computeGradient(gradRequest({ step }));
          const norm = Math.sqrt(grad.reduce((a, g) => a + g * g, 0));
          const moved = theta0.map((x, i) => x - (1e-2 / norm) * grad[i]!);
          const after = backend.createTrainer(4).computeGradient(gradRequest({ params: moved, step })).loss;
          expect(after).to.be.lessThan(loss);
        }
      });

      it('bad step, round or gradOut length throw ConfigError', () => {
        const trainer = backend.createTrainer(0);
        expect(() => trainer.computeGradient(gradRequest({ step: -1 }))).to.throw(ConfigError);
        expect(() => trainer.computeGradient(gradRequest({ step: 0.5 }))).to.throw(ConfigError);
        expect(() => trainer.computeGradient(gradRequest({ round: -1 }))).to.throw(ConfigError);
        expect(() => trainer.computeGradient(gradRequest({ gradOut: new Float32Array(1) }))).to.throw(ConfigError);
        expect(() => trainer.computeGradient(gradRequest({ shards: [] }))).to.throw(ConfigError);
      });
    });

    describe('bad inputs throw ConfigError naming the value', () => {
      const expectConfigError = (fn: () => unknown, value: unknown) => {
        let caught: unknown;
        try {
          fn();
        } catch (err) {
          caught = err;
        }
        expect(caught, 'expected a ConfigError').to.be.instanceOf(ConfigError);
        expect((caught as ConfigError).value).to.deep.equal(value);
      };

      it('wrong params length (train and evaluate)', () => {
        const short = new Float32Array(backend.layout.size - 1);
        expectConfigError(() => backend.createTrainer(0).runInnerLoop(request({ params: short })), short.length);
        expectConfigError(() => backend.evaluate(short, 'heldout'), short.length);
      });

      it('H ≤ 0 or not an integer', () => {
        for (const innerSteps of [0, -1, 1.5, Number.NaN]) {
          expectConfigError(() => backend.createTrainer(0).runInnerLoop(request({ innerSteps })), innerSteps);
        }
      });

      it('unknown shard ids, an empty shard list, a bad round or peer id', () => {
        for (const id of [backend.numShards, -1, 0.5]) {
          expectConfigError(() => backend.createTrainer(0).runInnerLoop(request({ shards: [0, id] })), id);
          expectConfigError(() => backend.evaluate(theta0, { shards: [id] }), id);
        }
        expectConfigError(() => backend.createTrainer(0).runInnerLoop(request({ shards: [] })), []);
        expectConfigError(() => backend.createTrainer(0).runInnerLoop(request({ round: -1 })), -1);
        expectConfigError(() => backend.createTrainer(-2), -2);
      });

      it('a rejected request leaves the optimiser state untouched', () => {
        const trainer = backend.createTrainer(0);
        expect(() => trainer.runInnerLoop(request({ shards: [backend.numShards] }))).to.throw(ConfigError);
        expect(trainer.optimizerSteps).to.equal(0);
      });
    });
  });
}

function bytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function subtract(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}
