import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError } from '../../../core/errors.ts';
import { createRng } from '../../../core/rng.ts';
import {
  CenteredClippingAggregator,
  CoordinateMedianAggregator,
  createRobustAggregator,
  KrumAggregator,
  MeanAggregator,
  NormClippingAggregator,
  RobustAggregateError,
  TrimmedMeanAggregator,
} from '../../../core/robust/index.ts';
import type { RobustAggregator, RobustUpdate } from '../../../core/robust/index.ts';

// ---- slow, obviously right references (plain number arrays, sort-and-read) ----
const vecs = (us: readonly RobustUpdate[]): number[][] => [...us].sort((a, b) => a.uid - b.uid).map((u) => Array.from(u.vector));
const mean = (xs: number[][]): number[] => xs[0]!.map((_, i) => xs.reduce((s, x) => s + x[i]!, 0) / xs.length);
const norm = (x: number[]): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0));
const sortedCol = (xs: number[][], i: number): number[] => xs.map((x) => x[i]!).sort((a, b) => a - b);

function refMedian(us: readonly RobustUpdate[]): number[] {
  const xs = vecs(us);
  return xs[0]!.map((_, i) => {
    const c = sortedCol(xs, i);
    const n = c.length;
    return n % 2 ? c[(n - 1) / 2]! : (c[n / 2 - 1]! + c[n / 2]!) / 2;
  });
}
function refTrimmed(us: readonly RobustUpdate[], beta: number): number[] {
  const xs = vecs(us);
  const b = Math.floor(beta * xs.length);
  return xs[0]!.map((_, i) => {
    const kept = sortedCol(xs, i).slice(b, xs.length - b);
    return kept.reduce((s, v) => s + v, 0) / kept.length;
  });
}
function refNormClip(us: readonly RobustUpdate[], bound: number | 'median'): number[] {
  const xs = vecs(us);
  const norms = xs.map(norm);
  const c = bound === 'median' ? [...norms].sort((a, b) => a - b)[Math.floor((norms.length - 1) / 2)]! : bound;
  return mean(xs.map((x, k) => x.map((v) => v * Math.min(1, c / norms[k]!))));
}
function refCenteredClip(us: readonly RobustUpdate[], tau: number, iters: number, start: number[]): number[] {
  const xs = vecs(us);
  let v = [...start];
  for (let t = 0; t < iters; t++) {
    const moves = xs.map((x) => {
      const d = x.map((xi, i) => xi - v[i]!);
      const s = Math.min(1, tau / norm(d));
      return d.map((di) => di * s);
    });
    const m = mean(moves);
    v = v.map((vi, i) => vi + m[i]!);
  }
  return v;
}
function refKrum(us: readonly RobustUpdate[], f: number, m: number): number[] {
  const sorted = [...us].sort((a, b) => a.uid - b.uid);
  const xs = sorted.map((u) => Array.from(u.vector));
  const d2 = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0);
  const scores = xs.map((x, a) =>
    xs
      .filter((_, b) => b !== a)
      .map((y) => d2(x, y))
      .sort((p, q) => p - q)
      .slice(0, xs.length - f - 2)
      .reduce((s, v) => s + v, 0),
  );
  const order = scores.map((s, k) => [s, k] as const).sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  return mean(order.slice(0, m).map(([, k]) => xs[k]!));
}

function randomUpdates(seed: number, n: number, dim: number, std = 1): RobustUpdate[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, k) => ({ uid: 3 * k + 1, vector: rng.fork(`u${k}`).fillNormal(new Float32Array(dim), std) }));
}

function closeTo(actual: Float32Array, expected: number[], tol = 1e-5): void {
  expect(actual.length).to.equal(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).to.be.closeTo(expected[i]!, tol * (1 + Math.abs(expected[i]!)));
}

const cases: { agg: () => RobustAggregator; ref: (us: readonly RobustUpdate[]) => number[] }[] = [
  { agg: () => new MeanAggregator(), ref: (us) => mean(vecs(us)) },
  { agg: () => new CoordinateMedianAggregator(), ref: refMedian },
  { agg: () => new TrimmedMeanAggregator(0.2), ref: (us) => refTrimmed(us, 0.2) },
  { agg: () => new NormClippingAggregator('median'), ref: (us) => refNormClip(us, 'median') },
  { agg: () => new NormClippingAggregator(0.5), ref: (us) => refNormClip(us, 0.5) },
  { agg: () => new CenteredClippingAggregator({ tau: 1, iterations: 3 }), ref: (us) => refCenteredClip(us, 1, 3, Array(us[0]!.vector.length).fill(0)) },
  { agg: () => new KrumAggregator({ f: 1 }), ref: (us) => refKrum(us, 1, 1) },
  { agg: () => new KrumAggregator({ f: 1, m: 3 }), ref: (us) => refKrum(us, 1, 3) },
];

describe('core/robust aggregators', () => {
  for (const { agg, ref } of cases) {
    const name = agg().name;
    describe(name, () => {
      it('matches the slow reference on random small inputs (odd and even n)', () => {
        for (const [seed, n] of [[1, 5], [2, 6], [3, 7], [4, 10]] as const) {
          const us = randomUpdates(seed, n, 9);
          closeTo(agg().aggregate(us), ref(us));
        }
      });

      it('is independent of input order, bit for bit', () => {
        fc.assert(
          fc.property(fc.integer({ min: 0, max: 1000 }), (seed) => {
            const us = randomUpdates(seed, 6, 5);
            const shuffled = createRng(seed).fork('perm').shuffle([...us]);
            expect(Array.from(agg().aggregate(shuffled))).to.deep.equal(Array.from(agg().aggregate(us)));
          }),
          { numRuns: 20, seed: 7 },
        );
      });

      it('writes into out and returns it; leaves inputs untouched', () => {
        const us = randomUpdates(9, 6, 4);
        const copies = us.map((u) => Float32Array.from(u.vector));
        const out = new Float32Array(4);
        expect(agg().aggregate(us, out)).to.equal(out);
        us.forEach((u, k) => expect(Array.from(u.vector)).to.deep.equal(Array.from(copies[k]!)));
      });

      it('rejects empty, mismatched, duplicate and wrongly sized inputs with typed reasons', () => {
        const reason = (fn: () => unknown): string => {
          try {
            fn();
          } catch (e) {
            expect(e).to.be.instanceOf(RobustAggregateError);
            return (e as RobustAggregateError).reason;
          }
          return 'no error';
        };
        const us = randomUpdates(5, 6, 4);
        expect(reason(() => agg().aggregate([]))).to.equal('empty');
        expect(reason(() => agg().aggregate([...us, { uid: 99, vector: new Float32Array(3) }]))).to.equal('length-mismatch');
        expect(reason(() => agg().aggregate([...us, { uid: us[0]!.uid, vector: new Float32Array(4) }]))).to.equal('duplicate-uid');
        expect(reason(() => agg().aggregate(us, new Float32Array(5)))).to.equal('out-length');
      });
    });
  }

  describe('a single huge outlier', () => {
    // 9 honest updates near (1, 1, …, 1); one attacker at 1e6 in every coordinate.
    const dim = 6;
    const honest = randomUpdates(11, 9, dim, 0.1).map((u) => ({ uid: u.uid, vector: u.vector.map((v) => v + 1) }));
    const attacked = [...honest, { uid: 1000, vector: new Float32Array(dim).fill(1e6) }];
    const distanceFromOne = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + (x - 1) ** 2, 0));

    it('moves the mean without bound', () => {
      expect(distanceFromOne(new MeanAggregator().aggregate(attacked))).to.be.greaterThan(1e4);
    });

    const resistant: RobustAggregator[] = [
      new CoordinateMedianAggregator(),
      new TrimmedMeanAggregator(0.1),
      new NormClippingAggregator('median'),
      new CenteredClippingAggregator({ tau: 1, iterations: 5, start: new Float32Array(dim).fill(1) }),
      new KrumAggregator({ f: 1 }),
      new KrumAggregator({ f: 1, m: 5 }),
    ];
    for (const agg of resistant) {
      it(`${agg.name} stays near the honest updates`, () => {
        expect(distanceFromOne(agg.aggregate(attacked))).to.be.lessThan(0.6);
      });
    }

    it('krum picks an honest update exactly', () => {
      const out = new KrumAggregator({ f: 1 }).aggregate(attacked);
      expect(honest.some((u) => u.vector.every((v, i) => v === out[i]))).to.equal(true);
    });
  });

  describe('specific rules', () => {
    it('trimmed mean with β = 0 is the mean; median of two is their mean', () => {
      const us = randomUpdates(21, 5, 7);
      closeTo(new TrimmedMeanAggregator(0).aggregate(us), mean(vecs(us)));
      const two = randomUpdates(22, 2, 3);
      closeTo(new CoordinateMedianAggregator().aggregate(two), mean(vecs(two)));
    });

    it('norm clipping with a large bound is the mean', () => {
      const us = randomUpdates(23, 5, 7);
      closeTo(new NormClippingAggregator(1e9).aggregate(us), mean(vecs(us)));
    });

    it("centered clipping 'previous' starts from its last result", () => {
      const us = randomUpdates(24, 5, 4);
      const cc = new CenteredClippingAggregator({ tau: 0.5, iterations: 1, start: 'previous' });
      const first = Array.from(cc.aggregate(us));
      const second = cc.aggregate(us);
      closeTo(second, refCenteredClip(us, 0.5, 1, first));
      closeTo(new CenteredClippingAggregator({ tau: 0.5, iterations: 1 }).aggregate(us), refCenteredClip(us, 0.5, 1, [0, 0, 0, 0]));
    });

    it('krum requires n > 2f + 2 and n ≥ m', () => {
      const us = randomUpdates(25, 6, 3);
      expect(() => new KrumAggregator({ f: 2 }).aggregate(us)).to.throw(RobustAggregateError, /too-few/);
      expect(() => new KrumAggregator({ f: 1 }).aggregate(us)).to.not.throw();
      expect(() => new KrumAggregator({ f: 0, m: 7 }).aggregate(us)).to.throw(RobustAggregateError, /n ≥ m/);
    });
  });

  describe('constructor and factory validation', () => {
    const bad: [() => unknown, string][] = [
      [() => new TrimmedMeanAggregator(0.5), 'beta'],
      [() => new TrimmedMeanAggregator(-0.1), 'beta'],
      [() => new NormClippingAggregator(0), 'bound'],
      [() => new NormClippingAggregator(Number.POSITIVE_INFINITY), 'bound'],
      [() => new CenteredClippingAggregator({ tau: 0, iterations: 1 }), 'tau'],
      [() => new CenteredClippingAggregator({ tau: 1, iterations: 0 }), 'iterations'],
      [() => new KrumAggregator({ f: -1 }), 'f'],
      [() => new KrumAggregator({ f: 1, m: 0 }), 'm'],
      [() => createRobustAggregator({ kind: 'bogus' } as never), 'kind'],
    ];
    for (const [fn, key] of bad) {
      it(`throws a ConfigError naming ${key}`, () => {
        try {
          fn();
          expect.fail('did not throw');
        } catch (e) {
          expect(e).to.be.instanceOf(ConfigError);
          expect((e as ConfigError).key).to.match(new RegExp(`${key}$`));
        }
      });
    }

    it('the factory builds each kind', () => {
      expect(createRobustAggregator({ kind: 'mean' }).name).to.equal('mean');
      expect(createRobustAggregator({ kind: 'median' }).name).to.equal('median');
      expect(createRobustAggregator({ kind: 'trimmed-mean', beta: 0.1 }).name).to.equal('trimmed-mean(0.1)');
      expect(createRobustAggregator({ kind: 'norm-clip', bound: 'median' }).name).to.equal('norm-clip(median)');
      expect(createRobustAggregator({ kind: 'centered-clip', tau: 1, iterations: 2 }).name).to.equal('centered-clip(1,2)');
      expect(createRobustAggregator({ kind: 'krum', f: 1, m: 2 }).name).to.equal('multi-krum(1,2)');
    });
  });
});
