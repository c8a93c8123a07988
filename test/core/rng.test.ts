import { expect } from 'chai';
import { createRng } from '../../core/rng.ts';
import { ConfigError } from '../../core/errors.ts';

const draw = (rng: { next(): number }, n: number) => Array.from({ length: n }, () => rng.next());

describe('core/rng', () => {
  it('replays the same stream for the same seed', () => {
    expect(draw(createRng(7), 20)).to.deep.equal(draw(createRng(7), 20));
  });

  it('gives different streams for different seeds', () => {
    expect(draw(createRng(7), 5)).to.not.deep.equal(draw(createRng(8), 5));
  });

  it('derives a fork from its name, not from how much the parent has drawn', () => {
    const a = createRng(1);
    const b = createRng(1);
    draw(b, 1000); // b's parent stream is far ahead of a's
    expect(draw(a.fork('peer:17'), 10)).to.deep.equal(draw(b.fork('peer:17'), 10));
    expect(a.fork('peer:17').path).to.equal('1/peer:17');
  });

  it('gives independent forks for different names and nesting levels', () => {
    const root = createRng(3);
    const x = draw(root.fork('net'), 5);
    expect(x).to.not.deep.equal(draw(root.fork('churn'), 5));
    expect(x).to.not.deep.equal(draw(root.fork('net').fork('net'), 5));
  });

  it('rejects fork names that would make paths ambiguous', () => {
    expect(() => createRng(1).fork('a/b')).to.throw(ConfigError, /must be non-empty and must not contain/);
    expect(() => createRng(1).fork('')).to.throw(ConfigError);
  });

  it('draws integers inside the inclusive range and reaches both ends', () => {
    const rng = createRng('ints');
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = rng.int(-2, 2);
      expect(Number.isInteger(v) && v >= -2 && v <= 2).to.equal(true);
      seen.add(v);
    }
    expect([...seen].sort()).to.deep.equal([-1, -2, 0, 1, 2]);
    expect(() => rng.int(3, 1)).to.throw(ConfigError, /lo ≤ hi/);
  });

  it('draws normals with mean ≈ 0 and variance ≈ 1', () => {
    const rng = createRng('normal');
    const n = 20000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      sum += z;
      sq += z * z;
    }
    const mean = sum / n;
    expect(Math.abs(mean)).to.be.lessThan(0.05);
    expect(Math.abs(sq / n - mean * mean - 1)).to.be.lessThan(0.05);
  });

  it('shuffles into a permutation, deterministically', () => {
    const a = createRng(5).shuffle([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...a].sort()).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(createRng(5).shuffle([1, 2, 3, 4, 5, 6, 7, 8])).to.deep.equal(a);
  });

  it('rejects a non-finite seed', () => {
    expect(() => createRng(Number.NaN)).to.throw(ConfigError, /seed \(NaN\)/);
  });
});
