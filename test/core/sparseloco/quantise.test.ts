import { expect } from 'chai';
import fc from 'fast-check';
import { quantCode, quantiseValues, quantScale, roundHalfEven, type QuantiseBits } from '../../../core/sparseloco/quantise.ts';

/** v̂ = fround(lut[code] + mean), as message.ts `entryValue`. */
function dequantised(lut: Float32Array, mean: number, code: number): number {
  return Math.fround(lut[code]! + mean);
}

describe('roundHalfEven', () => {
  it('rounds exact halves to the even neighbour (torch.round), unlike Math.round', () => {
    const cases: [number, number][] = [
      [0.5, 0], [1.5, 2], [2.5, 2], [3.5, 4], [-0.5, 0], [-1.5, -2], [-2.5, -2], [-3.5, -4],
    ];
    for (const [x, want] of cases) expect(roundHalfEven(x), `x = ${x}`).to.equal(want);
    expect(Math.round(2.5)).to.equal(3); // the reason this function exists
  });

  it('rounds everything else to the nearest integer', () => {
    const cases: [number, number][] = [[1.4, 1], [1.6, 2], [-1.4, -1], [-1.6, -2], [0.49999999999999994, 0], [7, 7], [-7, -7]];
    for (const [x, want] of cases) expect(roundHalfEven(x), `x = ${x}`).to.equal(want);
  });

  it('is within 0.5 of x and even on ties (property)', () => {
    const halves = fc.integer({ min: -1e6, max: 1e6 }).map((n) => n + 0.5);
    fc.assert(
      fc.property(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), halves), (x) => {
        const r = roundHalfEven(x);
        expect(Number.isInteger(r)).to.equal(true);
        expect(Math.abs(r - x)).to.be.at.most(0.5);
        if (Math.abs(r - x) === 0.5) expect(Math.abs(r % 2)).to.equal(0);
      }),
      { seed: 11, numRuns: 500 },
    );
  });
});

describe('quantCode (SPEC.md §2.4 step 4)', () => {
  it('maps c/scale to the 4 bins with half-even at the edges: 1 ⇔ (−1.5, −0.5), 2 ⇔ [−0.5, 0.5]', () => {
    // code = clamp(roundHalfEven(c/scale + 2), 0, 3)
    const cases: [number, number][] = [
      [-3, 0], [-2.5, 0],
      [-1.5, 0], // 0.5 → 0 (half-even), so −1.5 is NOT in bin 1
      [-1.4, 1], [-1, 1], [-0.6, 1],
      [-0.5, 2], // 1.5 → 2
      [0, 2], [0.4, 2],
      [0.5, 2], // 2.5 → 2
      [0.6, 3], [1, 3],
      [1.5, 3], // 3.5 → 4, clamped to 3
      [10, 3],
    ];
    for (const [ratio, want] of cases) expect(quantCode(ratio, 1, 4), `c/scale = ${ratio}`).to.equal(want);
    expect(quantCode(-3, 2, 4), 'c = −3, scale 2 → −1.5').to.equal(0);
    expect(quantCode(3, 6, 4), 'c = 3, scale 6 → 0.5').to.equal(2);
  });

  it('uses offset bins/2 and clamps for other widths', () => {
    expect(quantCode(-0.6, 1, 2)).to.equal(0); // 0.4 → 0
    expect(quantCode(0.5, 1, 2)).to.equal(1); // 1.5 → 2 → clamped to 1
    expect(quantCode(-0.5, 1, 2)).to.equal(0); // 0.5 → 0
    expect(quantCode(-200, 1, 256)).to.equal(0);
    expect(quantCode(3.2, 1, 256)).to.equal(131);
  });
});

describe('quantScale', () => {
  it('is range·σ/bins with σ = ‖c‖₂/√(N−1)', () => {
    // Σc² = 20, N = 4: σ = √(20/3), scale = 6σ/4.
    expect(quantScale(20, 4, 4, 6)).to.equal(Math.fround(Math.fround(6 * Math.fround(Math.fround(Math.sqrt(20)) / Math.fround(Math.sqrt(3)))) / 4));
  });

  it('falls back to 1 when σ is 0 or not finite, and for N < 2', () => {
    expect(quantScale(0, 10, 4, 6)).to.equal(1);
    expect(quantScale(Infinity, 10, 4, 6)).to.equal(1);
    expect(quantScale(NaN, 10, 4, 6)).to.equal(1);
    expect(quantScale(5, 1, 4, 6)).to.equal(1);
    expect(quantScale(0, 0, 4, 6)).to.equal(1);
  });
});

describe('quantiseValues', () => {
  it('quantises a worked example: [−3, −1, 1, 3] with 2 bits, range 6', () => {
    // μ = 0, σ = √(20/3) ≈ 2.582, scale ≈ 3.873; c/scale + 2 ≈ 1.23, 1.74, 2.26, 2.77 → 1, 2, 2, 3.
    const { codes, quant } = quantiseValues(new Float32Array([-3, -1, 1, 3]), 2, 6);
    expect(quant.mean).to.equal(0);
    expect(quant.scale).to.be.closeTo(3.873, 1e-3);
    expect([...codes]).to.deep.equal([1, 2, 2, 3]);
    expect([...quant.lut]).to.deep.equal([0, -3, 0, 3]); // bin 2 holds −1 and 1: mean 0; bin 0 empty
  });

  it('sends a single value exactly (N = 1: σ = 0, scale 1, code bins/2)', () => {
    for (const bits of [1, 2, 4, 8] as const) {
      const { codes, quant } = quantiseValues(new Float32Array([0.1234]), bits, 6);
      expect(quant.scale).to.equal(1);
      expect(codes[0]).to.equal((1 << bits) / 2);
      expect(dequantised(quant.lut, quant.mean, codes[0]!)).to.equal(Math.fround(0.1234));
    }
  });

  it('handles N = 0 and constant inputs', () => {
    const empty = quantiseValues(new Float32Array(0), 2, 6);
    expect(empty.codes.length).to.equal(0);
    expect(empty.quant).to.deep.include({ mean: 0, scale: 1 });
    const constant = quantiseValues(new Float32Array(5).fill(-2.5), 2, 6);
    expect(constant.quant.scale).to.equal(1);
    for (const code of constant.codes) expect(dequantised(constant.quant.lut, constant.quant.mean, code)).to.equal(-2.5);
  });

  it('computes mean, codes and lut exactly as the spec formulas (property)', () => {
    const values = fc.float32Array({ minLength: 2, maxLength: 120, noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
    fc.assert(
      fc.property(values, fc.constantFrom<QuantiseBits>(1, 2, 4, 8), fc.constantFrom(1, 6, 10), (v, bits, range) => {
        const bins = 1 << bits;
        const { codes, quant } = quantiseValues(v, bits, range);
        const mean = Math.fround(v.reduce((s, x) => s + x, 0) / v.length);
        expect(quant.mean).to.equal(mean);
        const c = Array.from(v, (x) => Math.fround(x - mean));
        const scale = quantScale(c.reduce((s, x) => s + x * x, 0), v.length, bins, range);
        expect(quant.scale).to.equal(scale);
        for (let i = 0; i < v.length; i++) {
          const want = Math.min(bins - 1, Math.max(0, roundHalfEven(Math.fround(Math.fround(c[i]! / scale) + bins / 2))));
          expect(codes[i]).to.equal(want);
        }
        for (let b = 0; b < bins; b++) {
          const members = c.filter((_, i) => codes[i] === b);
          const want = members.length === 0 ? 0 : Math.fround(members.reduce((s, x) => s + x, 0) / members.length);
          expect(quant.lut[b]).to.equal(want);
        }
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it('bounds the error: |c − lut[code]| ≤ spread of its bin, and ≤ scale for inner bins (property)', () => {
    // Inner bin b (0 < b < bins−1) holds exactly the c with c/scale ∈ [b − bins/2 − ½, b − bins/2 + ½]:
    // an interval of width `scale`, and lut[b], their mean, lies inside it. Edge bins are open on one
    // side, so only the bin's own spread (max − min of its members) bounds their error. The slack
    // covers the fp32 rounding of c/scale near the bin edges and of the lut mean.
    const values = fc.float32Array({ minLength: 2, maxLength: 200, noNaN: true, noDefaultInfinity: true, min: -1e3, max: 1e3 });
    fc.assert(
      fc.property(values, fc.constantFrom<QuantiseBits>(1, 2, 4, 8), (v, bits) => {
        const bins = 1 << bits;
        const { codes, quant } = quantiseValues(v, bits, 6);
        const c = Array.from(v, (x) => Math.fround(x - quant.mean));
        for (let b = 0; b < bins; b++) {
          const members = c.filter((_, i) => codes[i] === b);
          if (members.length === 0) continue;
          const spread = Math.max(...members) - Math.min(...members);
          const slack = 1e-6 * (Math.abs(quant.lut[b]!) + quant.scale * bins);
          if (b > 0 && b < bins - 1) expect(spread).to.be.at.most(quant.scale + slack);
          for (const x of members) expect(Math.abs(x - quant.lut[b]!)).to.be.at.most(spread + slack);
        }
      }),
      { seed: 5, numRuns: 200 },
    );
  });
});
