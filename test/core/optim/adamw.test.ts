import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError } from '../../../core/errors.ts';
import {
  ADAMW_DEFAULTS,
  LR_SCHEDULE_DEFAULTS,
  adamwStep,
  clipCoefficient,
  createAdamWState,
  lrAt,
  resolveAdamWConfig,
  resolveLrSchedule,
} from '../../../core/optim/adamw.ts';
import { createRng } from '../../../core/rng.ts';

/**
 * torch.optim.AdamW (single tensor), written out in float64:
 *   p *= 1 - lr*wd
 *   m = b1*m + (1-b1)*g ;  v = b2*v + (1-b2)*g*g
 *   p -= (lr / (1 - b1**t)) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)
 */
function torchAdamW64(p: number[], grads: number[][], lrs: number[], hp = ADAMW_DEFAULTS): number[] {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const out = [...p];
  grads.forEach((g, s) => {
    const t = s + 1;
    const lr = lrs[s]!;
    for (let i = 0; i < out.length; i++) {
      out[i] = out[i]! * (1 - lr * hp.weightDecay);
      m[i] = hp.beta1 * m[i]! + (1 - hp.beta1) * g[i]!;
      v[i] = hp.beta2 * v[i]! + (1 - hp.beta2) * g[i]! * g[i]!;
      const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - hp.beta2 ** t) + hp.eps;
      out[i] = out[i]! - (lr / (1 - hp.beta1 ** t)) * (m[i]! / denom);
    }
  });
  return out;
}

describe('core/optim/adamw', () => {
  describe('adamwStep', () => {
    it('matches hand-computed values for two steps (θ=1, g=0.5, lr=0.1, wd=0.1)', () => {
      const hp = resolveAdamWConfig({ maxGradNorm: null });
      const params = new Float32Array([1]);
      const state = createAdamWState(1);
      adamwStep(params, new Float32Array([0.5]), state, hp, 0.1);
      // θ = 1·0.99 − 0.1·(0.05/0.1)/(√(0.0125/0.05) + 1e-8) = 0.99 − 0.1 = 0.89
      expect(params[0]).to.be.closeTo(0.89, 1e-6);
      expect(state.m[0]).to.be.closeTo(0.05, 1e-9);
      expect(state.v[0]).to.be.closeTo(0.0125, 1e-9);
      adamwStep(params, new Float32Array([0.5]), state, hp, 0.1);
      // θ = 0.89·0.99 − 0.1·(0.095/0.19)/(√(0.024375/0.0975)) = 0.8811 − 0.1
      expect(params[0]).to.be.closeTo(0.7811, 1e-6);
      expect(state.step).to.equal(2);
    });

    it('follows the torch formula over several steps with varying lr and gradients', () => {
      const rng = createRng('adamw-torch');
      const n = 16;
      const p0 = Array.from({ length: n }, () => rng.normal());
      const grads = Array.from({ length: 6 }, () => Array.from({ length: n }, () => 0.1 * rng.normal()));
      const lrs = [1e-3, 2e-3, 3e-3, 3e-3, 2e-3, 1e-3];
      const hp = resolveAdamWConfig({ maxGradNorm: null });
      const params = Float32Array.from(p0);
      const state = createAdamWState(n);
      grads.forEach((g, s) => adamwStep(params, Float32Array.from(g), state, hp, lrs[s]!));
      const expected = torchAdamW64(p0.map(Math.fround), grads.map((g) => g.map(Math.fround)), lrs, hp);
      for (let i = 0; i < n; i++) expect(params[i]).to.be.closeTo(expected[i]!, 1e-6 * Math.max(1, Math.abs(expected[i]!)));
    });

    it('with a zero gradient only applies weight decay: |θ| shrinks by (1 − lr·wd)', () => {
      fc.assert(
        fc.property(fc.array(fc.float({ min: -100, max: 100, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 20 }), fc.float({ min: Math.fround(1e-4), max: 1, noNaN: true }), (values, lr) => {
          const params = Float32Array.from(values);
          const before = Float32Array.from(values);
          adamwStep(params, new Float32Array(values.length), createAdamWState(values.length), ADAMW_DEFAULTS, lr);
          for (let i = 0; i < values.length; i++) {
            expect(Math.abs(params[i]!)).to.be.at.most(Math.abs(before[i]!));
            expect(params[i]).to.be.closeTo(before[i]! * (1 - lr * 0.1), 1e-5 * Math.abs(before[i]!) + 1e-30);
          }
        }),
        { seed: 7, numRuns: 100 },
      );
    });

    it('clips the global gradient norm to maxGradNorm (torch clip_grad_norm_)', () => {
      const state = createAdamWState(2);
      const info = adamwStep(new Float32Array(2), new Float32Array([3, 4]), state, ADAMW_DEFAULTS, 0.01);
      expect(info.gradNorm).to.equal(5);
      expect(info.clipCoef).to.equal(Math.fround(1 / Math.fround(5 + 1e-6)));
      // m = (1 − β1)·g_clipped = 0.1·(0.6, 0.8)
      expect(state.m[0]).to.be.closeTo(0.06, 1e-7);
      expect(state.m[1]).to.be.closeTo(0.08, 1e-7);
      // below the cap: untouched
      expect(clipCoefficient(new Float32Array([0.3, 0.4]), 1).clipCoef).to.equal(1);
    });

    it('clipping caps the norm of any gradient at maxGradNorm', () => {
      fc.assert(
        fc.property(fc.array(fc.float({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 30 }), fc.float({ min: Math.fround(0.01), max: 10, noNaN: true }), (values, maxNorm) => {
          const g = Float32Array.from(values);
          const { clipCoef } = clipCoefficient(g, maxNorm);
          let sq = 0;
          for (const x of g) sq += Math.fround(x * clipCoef) ** 2;
          expect(Math.sqrt(sq)).to.be.at.most(maxNorm * (1 + 1e-6));
          expect(clipCoef).to.be.at.most(1);
        }),
        { seed: 11, numRuns: 200 },
      );
    });

    it('rejects mismatched sizes and bad hyper-parameters with ConfigError', () => {
      expect(() => adamwStep(new Float32Array(2), new Float32Array(3), createAdamWState(2), ADAMW_DEFAULTS, 0.1)).to.throw(ConfigError);
      expect(() => resolveAdamWConfig({ beta2: 1 })).to.throw(ConfigError, /adamw.beta2/);
      expect(() => resolveAdamWConfig({ maxGradNorm: 0 })).to.throw(ConfigError);
    });
  });

  describe('lrAt', () => {
    const peak = LR_SCHEDULE_DEFAULTS.peakLr;
    it('warms up linearly over 1500 steps to the peak', () => {
      expect(lrAt(LR_SCHEDULE_DEFAULTS, 0)).to.be.closeTo(peak / 1500, 1e-18);
      expect(lrAt(LR_SCHEDULE_DEFAULTS, 749)).to.be.closeTo(peak / 2, 1e-18);
      expect(lrAt(LR_SCHEDULE_DEFAULTS, 1499)).to.equal(peak);
    });
    it('decays by cosine to 0.1·peak at t_max and stays there', () => {
      expect(lrAt(LR_SCHEDULE_DEFAULTS, 1500)).to.equal(peak);
      expect(lrAt(LR_SCHEDULE_DEFAULTS, 1500 + 70_000)).to.be.closeTo(0.55 * peak, 1e-15);
      expect(lrAt(LR_SCHEDULE_DEFAULTS, 1500 + 140_000)).to.be.closeTo(0.1 * peak, 1e-18);
      expect(lrAt(LR_SCHEDULE_DEFAULTS, 10_000_000)).to.be.closeTo(0.1 * peak, 1e-18);
    });
    it('is monotone: up during warm-up, down afterwards', () => {
      const cfg = resolveLrSchedule({ warmupSteps: 10, tMax: 50, peakLr: 1 });
      for (let s = 1; s < 10; s++) expect(lrAt(cfg, s)).to.be.greaterThan(lrAt(cfg, s - 1));
      for (let s = 11; s < 70; s++) expect(lrAt(cfg, s)).to.be.at.most(lrAt(cfg, s - 1));
    });
    it('validates its configuration and step', () => {
      expect(() => resolveLrSchedule({ tMax: 0 })).to.throw(ConfigError, /schedule.tMax/);
      expect(() => lrAt(LR_SCHEDULE_DEFAULTS, -1)).to.throw(ConfigError);
    });
  });
});
