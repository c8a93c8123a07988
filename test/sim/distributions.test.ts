import { expect } from 'chai';
import fc from 'fast-check';
import { createRng } from '../../core/rng.ts';
import { chooseIndex, distributionMean, gamma, sample, validateDistribution, type Distribution } from '../../sim/distributions.ts';
import { configError } from './helpers.ts';

function draws(d: Distribution, n: number, seed = 1): number[] {
  const rng = createRng(seed).fork('dist');
  return Array.from({ length: n }, () => sample(d, rng));
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

describe('sim/distributions', () => {
  const N = 40_000;

  it('fixed always returns its value and consumes no draws', () => {
    const rng = createRng(3);
    const probe = createRng(3);
    expect(sample({ kind: 'fixed', value: 7 }, rng)).to.equal(7);
    expect(rng.next()).to.equal(probe.next());
  });

  it('uniform draws lie in [min, max) with mean (min+max)/2', () => {
    const xs = draws({ kind: 'uniform', min: 2, max: 6 }, N);
    expect(Math.min(...xs)).to.be.at.least(2);
    expect(Math.max(...xs)).to.be.below(6);
    expect(mean(xs)).to.be.closeTo(4, 0.03);
  });

  it('normal has the right mean and is clamped at min', () => {
    expect(mean(draws({ kind: 'normal', mean: 10, std: 2 }, N))).to.be.closeTo(10, 0.05);
    const clamped: Distribution = { kind: 'normal', mean: 1, std: 2, min: 0.5 };
    const xs = draws(clamped, N);
    expect(Math.min(...xs)).to.equal(0.5);
    // Clamping moves mass up: the mean matches E[max(X, min)], not the raw mean.
    expect(mean(xs)).to.be.closeTo(distributionMean(clamped), 0.03);
    expect(distributionMean(clamped)).to.be.above(1);
  });

  it('lognormal has median `median` and mean median·exp(σ²/2)', () => {
    const d: Distribution = { kind: 'lognormal', median: 20, sigma: 0.5 };
    const xs = draws(d, N);
    expect(median(xs)).to.be.closeTo(20, 0.4);
    expect(mean(xs)).to.be.closeTo(20 * Math.exp(0.125), 0.4);
  });

  it('exponential has mean `mean` and median mean·ln 2', () => {
    const xs = draws({ kind: 'exponential', mean: 3 }, N);
    expect(mean(xs)).to.be.closeTo(3, 0.06);
    expect(median(xs)).to.be.closeTo(3 * Math.LN2, 0.05);
  });

  it('weibull has mean scale·Γ(1+1/k) and median scale·(ln 2)^(1/k)', () => {
    for (const shape of [0.6, 1, 2.5]) {
      const d: Distribution = { kind: 'weibull', shape, scale: 100 };
      const xs = draws(d, N, shape * 10);
      expect(mean(xs) / distributionMean(d)).to.be.closeTo(1, 0.03);
      expect(median(xs)).to.be.closeTo(100 * Math.pow(Math.LN2, 1 / shape), 2);
    }
    // shape 1 is the exponential.
    expect(distributionMean({ kind: 'weibull', shape: 1, scale: 5 })).to.be.closeTo(5, 1e-9);
  });

  it('gamma matches known values', () => {
    expect(gamma(1)).to.be.closeTo(1, 1e-12);
    expect(gamma(5)).to.be.closeTo(24, 1e-9);
    expect(gamma(0.5)).to.be.closeTo(Math.sqrt(Math.PI), 1e-12);
    expect(gamma(1.5)).to.be.closeTo(Math.sqrt(Math.PI) / 2, 1e-12);
  });

  it('choice picks values with frequency ∝ weights, and never a zero-weight value', () => {
    const xs = draws({ kind: 'choice', values: [1, 2, 3], weights: [1, 0, 3] }, N);
    const freq = (v: number) => xs.filter((x) => x === v).length / N;
    expect(freq(1)).to.be.closeTo(0.25, 0.01);
    expect(freq(2)).to.equal(0);
    expect(freq(3)).to.be.closeTo(0.75, 0.01);
    const uniform = draws({ kind: 'choice', values: [4, 5] }, N);
    expect(uniform.filter((x) => x === 4).length / N).to.be.closeTo(0.5, 0.01);
  });

  it('chooseIndex stays in range for any weights (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 8 }), fc.integer(), (ws, seed) => {
        fc.pre(ws.some((w) => w > 0));
        const rng = createRng(seed);
        for (let i = 0; i < 20; i++) {
          const k = chooseIndex(ws, ws.length, rng);
          expect(ws[k]).to.be.above(0);
        }
      }),
      { seed: 11, numRuns: 100 },
    );
  });

  it('is deterministic for a seed', () => {
    const d: Distribution = { kind: 'lognormal', median: 1, sigma: 1 };
    expect(draws(d, 50, 9)).to.deep.equal(draws(d, 50, 9));
    expect(draws(d, 50, 9)).to.not.deep.equal(draws(d, 50, 10));
  });

  describe('validateDistribution', () => {
    it('accepts well-formed distributions', () => {
      validateDistribution('x', { kind: 'fixed', value: 0 }, 'nonNegative');
      validateDistribution('x', { kind: 'normal', mean: 0, std: 1 });
      validateDistribution('x', { kind: 'normal', mean: 5, std: 1, min: 0.1 }, 'positive');
      validateDistribution('x', { kind: 'choice', values: [1, 2], weights: [0, 1] }, 'positive');
    });

    const bad: [Distribution, Parameters<typeof validateDistribution>[2], string][] = [
      [{ kind: 'fixed', value: Number.NaN }, 'any', 'net.up.value'],
      [{ kind: 'fixed', value: 0 }, 'positive', 'net.up.value'],
      [{ kind: 'uniform', min: 3, max: 3 }, 'any', 'net.up.max'],
      [{ kind: 'uniform', min: -1, max: 3 }, 'nonNegative', 'net.up.min'],
      [{ kind: 'normal', mean: 1, std: 0 }, 'any', 'net.up.std'],
      [{ kind: 'normal', mean: 1, std: 1 }, 'positive', 'net.up.min'],
      [{ kind: 'normal', mean: 1, std: 1, min: 0 }, 'positive', 'net.up.min'],
      [{ kind: 'lognormal', median: 0, sigma: 1 }, 'any', 'net.up.median'],
      [{ kind: 'lognormal', median: 1, sigma: -1 }, 'any', 'net.up.sigma'],
      [{ kind: 'exponential', mean: -2 }, 'any', 'net.up.mean'],
      [{ kind: 'weibull', shape: 0, scale: 1 }, 'any', 'net.up.shape'],
      [{ kind: 'weibull', shape: 1, scale: Infinity }, 'any', 'net.up.scale'],
      [{ kind: 'choice', values: [] }, 'any', 'net.up.values'],
      [{ kind: 'choice', values: [1, -1] }, 'positive', 'net.up.values[1]'],
      [{ kind: 'choice', values: [1, 2], weights: [1] }, 'any', 'net.up.weights'],
      [{ kind: 'choice', values: [1, 2], weights: [0, 0] }, 'any', 'net.up.weights'],
      [{ kind: 'choice', values: [1, 2], weights: [1, -1] }, 'any', 'net.up.weights[1]'],
      [{ kind: 'gaussian' } as unknown as Distribution, 'any', 'net.up.kind'],
    ];
    for (const [d, support, key] of bad) {
      it(`rejects ${JSON.stringify(d)} (${support}) naming ${key}`, () => {
        const error = configError(() => validateDistribution('net.up', d, support));
        expect(error.key).to.equal(key);
        expect(error.message).to.contain(key);
      });
    }
  });
});
