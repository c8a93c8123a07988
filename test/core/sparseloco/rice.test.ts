import { expect } from 'chai';
import fc from 'fast-check';
import { BitReader, BitWriter } from '../../../core/sparseloco/bitio.ts';
import {
  chooseRiceParameter,
  MAX_RICE_PARAM,
  readRiceChunk,
  riceChunkBits,
  writeRiceChunk,
} from '../../../core/sparseloco/rice.ts';
import type { RiceFault } from '../../../core/sparseloco/rice.ts';

const chunkArb = fc
  .integer({ min: 1, max: 4096 })
  .chain((chunkLen) =>
    fc.tuple(fc.constant(chunkLen), fc.uniqueArray(fc.integer({ min: 0, max: chunkLen - 1 }), { minLength: 1, maxLength: Math.min(chunkLen, 200) })),
  );

const fail = (fault: RiceFault, value: number): never => {
  throw new Error(`${fault} ${value}`);
};

describe('rice', () => {
  it('round-trips any ascending index set, in exactly riceChunkBits bits', () => {
    fc.assert(
      fc.property(chunkArb, fc.integer({ min: 0, max: MAX_RICE_PARAM }), ([chunkLen, set], p) => {
        const sorted = Uint16Array.from(set).sort();
        const bits = riceChunkBits(sorted, 0, sorted.length, p);
        const out = new Uint8Array(Math.ceil(bits / 8));
        const w = new BitWriter(out, 0);
        writeRiceChunk(w, sorted, 0, sorted.length, p);
        expect(w.flush()).to.equal(out.length);
        const back = new Uint16Array(sorted.length);
        const r = new BitReader(out, 0, out.length);
        readRiceChunk(r, back, 0, sorted.length, chunkLen, fail);
        expect(back).to.deep.equal(sorted);
        expect(r.bitsConsumed).to.equal(bits);
      }),
      { seed: 5, numRuns: 200 },
    );
  });

  it('chooses the parameter with the fewest bits, the smallest on ties', () => {
    fc.assert(
      fc.property(chunkArb, ([, set]) => {
        const sorted = Uint16Array.from(set).sort();
        const costs = Array.from({ length: MAX_RICE_PARAM + 1 }, (_, p) => riceChunkBits(sorted, 0, sorted.length, p));
        expect(chooseRiceParameter(sorted, 0, sorted.length)).to.equal(costs.indexOf(Math.min(...costs)));
      }),
      { seed: 6, numRuns: 200 },
    );
  });

  it('codes a dense chunk in one bit per index plus the parameter', () => {
    const dense = Uint16Array.from({ length: 64 }, (_, i) => i);
    expect(chooseRiceParameter(dense, 0, 64)).to.equal(0);
    expect(riceChunkBits(dense, 0, 64, 0)).to.equal(4 + 64);
  });

  it('rejects a parameter above 11 and a gap that leaves the chunk', () => {
    const out = new Uint8Array(4);
    const w = new BitWriter(out, 0);
    w.writeBits(12, 4);
    w.flush();
    expect(() => readRiceChunk(new BitReader(out, 0, 4), new Uint16Array(1), 0, 1, 64, fail)).to.throw('bad-parameter 12');

    const long = new Uint8Array(4);
    const w2 = new BitWriter(long, 0);
    w2.writeBits(0, 4); // p = 0
    w2.writeUnary(20); // gap 20 in a chunk of 16
    w2.flush();
    expect(() => readRiceChunk(new BitReader(long, 0, 4), new Uint16Array(1), 0, 1, 16, fail)).to.throw('index-out-of-range');
  });
});
