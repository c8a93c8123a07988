import { expect } from 'chai';
import { ConfigError } from '../../../core/errors.ts';
import { dctMatrix, forwardDctChunk, inverseDctChunk } from '../../../core/baselines/dct.ts';
import { createRng } from '../../../core/rng.ts';

describe('core/baselines/dct', () => {
  it('builds orthonormal DCT-II matrices: F·Fᵀ = I within 1e-6', () => {
    for (const n of [1, 2, 3, 4, 7, 16, 64]) {
      const F = dctMatrix(n);
      for (let a = 0; a < n; a++) {
        for (let b = 0; b < n; b++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += F[a * n + i]! * F[b * n + i]!;
          expect(s).to.be.closeTo(a === b ? 1 : 0, 1e-6);
        }
      }
    }
  });

  it('matches the DCT-II definition (F[k][i] = s_k cos(π(2i+1)k/2n)) and caches per n', () => {
    const F = dctMatrix(4);
    expect(F[0]).to.be.closeTo(0.5, 1e-12);
    expect(F[1 * 4 + 0]).to.be.closeTo(Math.sqrt(0.5) * Math.cos(Math.PI / 8), 1e-12);
    expect(dctMatrix(4)).to.equal(F);
  });

  it('transforms a constant chunk into its DC coefficient only', () => {
    const x = new Float32Array(12).fill(2);
    const y = forwardDctChunk(x, 3, 4, new Float32Array(12));
    expect(y[0]).to.be.closeTo(2 * Math.sqrt(12), 1e-5);
    for (let i = 1; i < 12; i++) expect(y[i]).to.be.closeTo(0, 1e-6);
  });

  it('inverse(forward(x)) ≈ x for 1-row and 2-D chunks', () => {
    const rng = createRng('dct');
    for (const [c1, c2] of [[1, 8], [4, 4], [3, 5], [8, 16]] as const) {
      const x = rng.fillNormal(new Float32Array(c1 * c2));
      const y = forwardDctChunk(x, c1, c2, new Float32Array(c1 * c2));
      const back = inverseDctChunk(y, c1, c2, new Float32Array(c1 * c2));
      for (let i = 0; i < x.length; i++) expect(back[i]).to.be.closeTo(x[i]!, 1e-5);
      // Orthonormal: energy is preserved.
      const e = (v: Float32Array): number => v.reduce((s, a) => s + a * a, 0);
      expect(e(y)).to.be.closeTo(e(x), 1e-4 * e(x));
    }
  });

  it('a 1-row chunk is the 1-D DCT of the row', () => {
    const x = Float32Array.from([1, -2, 3, 0.5]);
    const y = forwardDctChunk(x, 1, 4, new Float32Array(4));
    const F = dctMatrix(4);
    for (let k = 0; k < 4; k++) {
      let s = 0;
      for (let i = 0; i < 4; i++) s += F[k * 4 + i]! * x[i]!;
      expect(y[k]).to.be.closeTo(s, 1e-6);
    }
  });

  it('rejects bad sizes with ConfigError', () => {
    expect(() => dctMatrix(0)).to.throw(ConfigError);
    expect(() => forwardDctChunk(new Float32Array(3), 2, 2, new Float32Array(4))).to.throw(ConfigError);
  });
});
