import { expect } from 'chai';
import fc from 'fast-check';
import { defineLayout } from '../../../core/layout.ts';
import { DENSE_HEADER_BYTES, DenseCodecError, decodeDense, encodeDense, fp32BitsToBf16, roundToBf16 } from '../../../core/baselines/dense-codec.ts';
import type { DenseCodecReason } from '../../../core/baselines/dense-codec.ts';

const layout = defineLayout([{ name: 'w', shape: [3, 4] }, { name: 'b', shape: [4] }]);

function bitsOf(x: number): number {
  return new Uint32Array(Float32Array.of(x).buffer)[0]!;
}

function expectReason(fn: () => unknown, reason: DenseCodecReason): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(DenseCodecError);
    expect((err as DenseCodecError).reason).to.equal(reason);
    return;
  }
  expect.fail(`expected DenseCodecError(${reason})`);
}

describe('core/baselines/dense-codec', () => {
  describe('bf16 rounding (round-to-nearest-even of the fp32 bits)', () => {
    it('keeps values bf16 can hold', () => {
      expect(roundToBf16(1)).to.equal(1);
      expect(roundToBf16(-0.375)).to.equal(-0.375);
      expect(Object.is(roundToBf16(-0), -0)).to.equal(true);
      expect(roundToBf16(Infinity)).to.equal(Infinity);
    });
    it('rounds exact halves to the even mantissa', () => {
      expect(roundToBf16(1 + 2 ** -8)).to.equal(1); // 0x3F80|8000 → 0x3F80 (even)
      expect(roundToBf16(1 + 3 * 2 ** -8)).to.equal(1 + 2 ** -6); // 0x3F81|8000 → 0x3F82 (even)
      expect(roundToBf16(-(1 + 2 ** -8))).to.equal(-1);
    });
    it('rounds to nearest off the half', () => {
      expect(roundToBf16(1 + 2 ** -8 + 2 ** -20)).to.equal(1 + 2 ** -7);
      expect(roundToBf16(1 + 2 ** -8 - 2 ** -20)).to.equal(1);
    });
    it('overflows the largest fp32 to Inf and keeps NaN a NaN', () => {
      expect(roundToBf16(3.4028234663852886e38)).to.equal(Infinity);
      expect(Number.isNaN(roundToBf16(NaN))).to.equal(true);
      expect(fp32BitsToBf16(0x7f800001)).to.equal(0x7fc0); // signalling NaN → quiet NaN, not Inf
    });
    it('is within half a bf16 ulp of the input', () => {
      fc.assert(
        fc.property(fc.float({ min: Math.fround(-1e30), max: Math.fround(1e30), noNaN: true, noDefaultInfinity: true }), (x) => {
          const r = roundToBf16(x);
          const ulp = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(x), 2 ** -126))) - 7);
          expect(Math.abs(r - x)).to.be.at.most(ulp / 2);
          expect(bitsOf(r) & 0xffff).to.equal(0);
        }),
        { seed: 3, numRuns: 300 },
      );
    });
  });

  describe('encode / decode', () => {
    const values = Float32Array.from({ length: 16 }, (_, i) => (i - 7.5) / 3);
    it('round-trips fp32 exactly; bf16 to the rounded values', () => {
      const fp32 = encodeDense(values, layout, 'fp32');
      expect(fp32.length).to.equal(DENSE_HEADER_BYTES + 64);
      expect(decodeDense(fp32, layout)).to.deep.equal({ dtype: 'fp32', values });
      const bf16 = encodeDense(values, layout, 'bf16');
      expect(bf16.length).to.equal(DENSE_HEADER_BYTES + 32);
      const back = decodeDense(bf16, layout);
      expect(back.dtype).to.equal('bf16');
      expect([...back.values]).to.deep.equal([...values].map(roundToBf16));
    });
    it('decodes from an unaligned view', () => {
      const bytes = encodeDense(values, layout);
      const shifted = new Uint8Array(bytes.length + 1);
      shifted.set(bytes, 1);
      expect(decodeDense(shifted.subarray(1), layout).values).to.deep.equal(values);
    });
    it('rejects every defect with a typed reason', () => {
      const good = encodeDense(values, layout);
      const mutate = (f: (b: Uint8Array) => void): Uint8Array => {
        const b = good.slice();
        f(b);
        return b;
      };
      expectReason(() => decodeDense(good.subarray(0, 10), layout), 'truncated');
      expectReason(() => decodeDense(mutate((b) => (b[0] = 0)), layout), 'bad-magic');
      expectReason(() => decodeDense(mutate((b) => (b[4] = 2)), layout), 'unsupported-version');
      expectReason(() => decodeDense(mutate((b) => (b[5] = 7)), layout), 'bad-dtype');
      expectReason(() => decodeDense(mutate((b) => (b[7] = 1)), layout), 'bad-reserved');
      expectReason(() => decodeDense(mutate((b) => (b[8] ^= 1)), layout), 'layout-mismatch');
      expectReason(() => decodeDense(mutate((b) => (b[12] = 15)), layout), 'length-mismatch');
      expectReason(() => decodeDense(good.subarray(0, good.length - 1), layout), 'size-mismatch');
      expectReason(() => decodeDense(encodeDense(Float32Array.from(values).fill(NaN, 3, 4), layout), layout), 'non-finite');
      expectReason(() => decodeDense(encodeDense(Float32Array.from(values).fill(3.4e38, 0, 1), layout, 'bf16'), layout), 'non-finite');
    });
    it('never throws anything but DenseCodecError on random bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 100 }), fc.boolean(), (junk, withHeader) => {
          const bytes = withHeader ? Uint8Array.from([...encodeDense(values, layout).subarray(0, 16), ...junk]) : junk;
          try {
            decodeDense(bytes, layout);
          } catch (err) {
            expect(err).to.be.instanceOf(DenseCodecError);
          }
        }),
        { seed: 5, numRuns: 300 },
      );
    });
  });
});
