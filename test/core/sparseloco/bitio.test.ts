import { expect } from 'chai';
import fc from 'fast-check';
import { BitReader, BitWriter } from '../../../core/sparseloco/bitio.ts';

describe('bitio', () => {
  it('writes fields LSB-first: bit i goes to bit i mod 8 of byte ⌊i/8⌋', () => {
    const out = new Uint8Array(3);
    const w = new BitWriter(out, 1);
    w.writeBits(0b101, 3);
    w.writeUnary(2); // 1, 1, 0
    w.writeBits(0b111, 3);
    expect(w.flush()).to.equal(3);
    // bits 0..2 = 101, bits 3..5 = 1,1,0, bits 6..8 = 1,1,1
    expect(Array.from(out)).to.deep.equal([0, 0b11_011_101, 0b1]);
  });

  it('reads back any sequence of fields and unary runs', () => {
    const field = fc.oneof(
      fc.record({ kind: fc.constant('bits' as const), n: fc.integer({ min: 0, max: 16 }), v: fc.nat(0xffff) }),
      fc.record({ kind: fc.constant('unary' as const), n: fc.integer({ min: 0, max: 70 }), v: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(field, { maxLength: 60 }), fc.nat(5), (fields, start) => {
        const totalBits = fields.reduce((s, f) => s + (f.kind === 'bits' ? f.n : f.n + 1), 0);
        const out = new Uint8Array(start + Math.ceil(totalBits / 8));
        const w = new BitWriter(out, start);
        for (const f of fields) f.kind === 'bits' ? w.writeBits(f.v, f.n) : w.writeUnary(f.n);
        expect(w.flush()).to.equal(out.length);
        const r = new BitReader(out, start, out.length);
        for (const f of fields) {
          if (f.kind === 'bits') expect(r.readBits(f.n)).to.equal(f.v & ((1 << f.n) - 1));
          else expect(r.readUnary(1000)).to.equal(f.n);
        }
        expect(r.bitsConsumed).to.equal(totalBits);
        expect(r.overran).to.equal(false);
        expect(r.pendingValue).to.equal(0); // flush leaves zero padding
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it('stops a unary run at limit + 1', () => {
    const bytes = new Uint8Array([0xff, 0xff, 0xff]);
    expect(new BitReader(bytes, 0, 3).readUnary(10)).to.equal(11);
  });

  it('yields zero bits past the end and reports the overrun', () => {
    const r = new BitReader(new Uint8Array([0xff]), 0, 1);
    expect(r.readBits(8)).to.equal(0xff);
    expect(r.overran).to.equal(false);
    expect(r.readBits(4)).to.equal(0);
    expect(r.overran).to.equal(true);
    expect(r.bitsConsumed).to.equal(12);
  });
});
