import { expect } from 'chai';
import fc from 'fast-check';
import { chunkElementIndex, defineLayout, readChunk, split, writeChunk } from '../../core/layout.ts';
import { ConfigError } from '../../core/errors.ts';

describe('core/layout', () => {
  it('split returns the largest divisor ≤ target (SPEC.md §2.1)', () => {
    expect(split(4096, 64)).to.equal(64);
    expect(split(8192, 64)).to.equal(64);
    expect(split(50, 64)).to.equal(50);
    expect(split(100, 64)).to.equal(50);
    expect(split(67, 64)).to.equal(1); // prime above the target
    expect(split(96, 64)).to.equal(48);
  });

  it('chunks the 72B shapes into 64×64 chunks and norm weights into 64-element chunks', () => {
    const layout = defineLayout([
      { name: 'attn.q', shape: [8192, 8192] },
      { name: 'mlp.up', shape: [28672, 8192] },
      { name: 'norm', shape: [8192] },
    ]);
    const [q, up, norm] = layout.tensors;
    expect(q!.chunk).to.include({ c1: 64, c2: 64, chunkLen: 4096, numChunks: 128 * 128 });
    expect(up!.chunk).to.include({ c1: 64, c2: 64, chunksY: 448, chunksX: 128 });
    expect(norm!.chunk).to.include({ rows: 1, c1: 1, c2: 64, chunkLen: 64, numChunks: 128 });
    expect(up!.offset).to.equal(8192 * 8192);
    expect(layout.size).to.equal(8192 * 8192 + 28672 * 8192 + 8192);
  });

  it('handles ragged shapes: chunks tile the tensor exactly, never crossing its boundary', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.tuple(fc.integer({ min: 1, max: 150 })), fc.tuple(fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 90 }))), { minLength: 1, maxLength: 4 }),
        (shapes) => {
          const layout = defineLayout(shapes.map((shape, i) => ({ name: `t${i}`, shape })));
          const hits = new Uint8Array(layout.size);
          for (const t of layout.tensors) {
            for (let c = 0; c < t.chunk.numChunks; c++) {
              for (let w = 0; w < t.chunk.chunkLen; w++) {
                const p = chunkElementIndex(t, c, w);
                expect(p).to.be.within(t.offset, t.offset + t.size - 1);
                hits[p]!++;
              }
            }
          }
          expect(hits.every((h) => h === 1)).to.equal(true);
        },
      ),
      { seed: 11, numRuns: 60 },
    );
  });

  it('reads and writes chunks row-major, matching chunkElementIndex', () => {
    const layout = defineLayout([{ name: 'w', shape: [6, 100] }, { name: 'b', shape: [130] }]);
    const flat = Float32Array.from({ length: layout.size }, (_, i) => i);
    for (const t of layout.tensors) {
      const buf = new Float32Array(t.chunk.chunkLen);
      for (let c = 0; c < t.chunk.numChunks; c++) {
        readChunk(flat, t, c, buf);
        buf.forEach((v, w) => expect(v).to.equal(chunkElementIndex(t, c, w)));
        const copy = new Float32Array(layout.size);
        writeChunk(copy, t, c, buf);
        buf.forEach((v, w) => expect(copy[chunkElementIndex(t, c, w)]).to.equal(v));
      }
    }
  });

  it('gives a stable id that changes with names, shapes and chunk target', () => {
    const a = defineLayout([{ name: 'w', shape: [8, 8] }]);
    expect(defineLayout([{ name: 'w', shape: [8, 8] }]).id).to.equal(a.id);
    expect(defineLayout([{ name: 'v', shape: [8, 8] }]).id).to.not.equal(a.id);
    expect(defineLayout([{ name: 'w', shape: [64] }]).id).to.not.equal(a.id);
    expect(defineLayout([{ name: 'w', shape: [8, 8] }], { targetChunk: 4 }).id).to.not.equal(a.id);
  });

  it('rejects bad specs with errors that name the tensor and the rule', () => {
    expect(() => defineLayout([])).to.throw(ConfigError, /at least one tensor/);
    expect(() => defineLayout([{ name: 'x', shape: [2, 2, 2] }])).to.throw(ConfigError, /tensor "x".shape \(\[2, 2, 2\]\) must be 1-D or 2-D/);
    expect(() => defineLayout([{ name: 'x', shape: [0] }])).to.throw(ConfigError, /positive integers/);
    expect(() => defineLayout([{ name: 'x', shape: [4] }, { name: 'x', shape: [4] }])).to.throw(ConfigError, /defined twice/);
    expect(() => defineLayout([{ name: 'x', shape: [4] }], { targetChunk: 65 })).to.throw(ConfigError, /targetChunk \(65\) must be an integer in \[1, 64\]/);
  });
});
