import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError } from '../../../core/errors.ts';
import { chunkElementIndex, defineLayout, type ParamLayout, type TensorSpec } from '../../../core/layout.ts';
import { createRng } from '../../../core/rng.ts';
import { effectiveTopK, resolveSparseLocoConfig, type QuantBits, type SparseLocoConfig } from '../../../core/sparseloco/config.ts';
import { compress, createCompressScratch, NonFiniteValueError } from '../../../core/sparseloco/compress.ts';
import { dequantise, type CompressedUpdate } from '../../../core/sparseloco/message.ts';
import { kthLargest } from '../../../core/sparseloco/topk.ts';
import { referenceCompress } from '../../../core/reference/compress.ts';

/** Bit patterns, so −0 ≠ 0 and every NaN payload counts. */
function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

function expectSameUpdate(actual: CompressedUpdate, expected: CompressedUpdate): void {
  expect(actual.layoutId).to.equal(expected.layoutId);
  expect(actual.quantBits).to.equal(expected.quantBits);
  expect(actual.tensors.length).to.equal(expected.tensors.length);
  actual.tensors.forEach((t, i) => {
    const e = expected.tensors[i]!;
    expect(t.kEff, `tensor ${i} kEff`).to.equal(e.kEff);
    expect([...t.indices], `tensor ${i} indices`).to.deep.equal([...e.indices]);
    expect([...t.codes], `tensor ${i} codes`).to.deep.equal([...e.codes]);
    expect(t.values === null ? null : bits(t.values), `tensor ${i} values`).to.deep.equal(e.values === null ? null : bits(e.values));
    expect(t.quant === null, `tensor ${i} quant presence`).to.equal(e.quant === null);
    if (t.quant !== null && e.quant !== null) {
      expect(bits(new Float32Array([t.quant.mean, t.quant.scale]))).to.deep.equal(bits(new Float32Array([e.quant.mean, e.quant.scale])));
      expect(bits(t.quant.lut), `tensor ${i} lut`).to.deep.equal(bits(e.quant.lut));
    }
  });
}

/** e ← fround(fround(β)·e) + Δ in fp32: what compress accumulates before selecting. */
function accumulated(cfg: SparseLocoConfig, ef: Float32Array, delta: Float32Array): Float32Array {
  const beta = Math.fround(cfg.beta);
  return ef.map((e, p) => Math.fround(Math.fround(beta * e) + delta[p]!));
}

/** Dense vector holding what `update` sends, at its flat positions. */
function scatterSent(layout: ParamLayout, update: CompressedUpdate): Float32Array {
  const dense = new Float32Array(layout.size);
  layout.tensors.forEach((t, i) => {
    const msg = update.tensors[i]!;
    const sent = dequantise(msg);
    for (let n = 0; n < msg.indices.length; n++) dense[chunkElementIndex(t, Math.floor(n / msg.kEff), msg.indices[n]!)] = sent[n]!;
  });
  return dense;
}

const shape = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 300 })),
  fc.tuple(fc.integer({ min: 1, max: 140 }), fc.integer({ min: 1, max: 140 })),
  fc.constantFrom([6, 100], [7], [130], [64, 64], [128, 70]),
);
const layoutArb = fc
  .record({ shapes: fc.array(shape, { minLength: 1, maxLength: 3 }), targetChunk: fc.constantFrom(64, 64, 8, 5) })
  .map(({ shapes, targetChunk }) => defineLayout(shapes.map((s, i): TensorSpec => ({ name: `t${i}`, shape: s })), { targetChunk }));
const cfgArb = fc
  .record({
    topK: fc.integer({ min: 1, max: 80 }),
    quantBits: fc.constantFrom<QuantBits | null>(1, 2, 2, 4, 8, null),
    beta: fc.constantFrom(0, 0.5, 0.95, 1),
  })
  .map((o) => resolveSparseLocoConfig(o));
/** 'normal': continuous values; 'ties': a few levels so equal magnitudes are everywhere. */
const dataArb = fc.record({ seed: fc.integer(), kind: fc.constantFrom('normal', 'ties'), nullRound: fc.boolean() });

function fillData(layout: ParamLayout, seed: number, kind: string): { ef: Float32Array; deltas: Float32Array[] } {
  const rng = createRng(seed);
  const draw = (): Float32Array => {
    const out = new Float32Array(layout.size);
    if (kind === 'ties') for (let p = 0; p < out.length; p++) out[p] = (rng.int(-3, 3) * 0.25);
    else rng.fillNormal(out, 1e-3);
    return out;
  };
  return { ef: draw(), deltas: [draw(), draw()] };
}

describe('compress', () => {
  it('matches referenceCompress bit for bit: message and EF buffer, over two rounds (property)', () => {
    fc.assert(
      fc.property(layoutArb, cfgArb, dataArb, (layout, cfg, { seed, kind, nullRound }) => {
        const { ef, deltas } = fillData(layout, seed, kind);
        const fastEf = ef.slice();
        const refEf = ef.slice();
        const scratch = createCompressScratch(layout, cfg);
        deltas.forEach((delta, round) => {
          const options = { nullRound: nullRound && round === 1, scratch };
          const fast = compress(layout, cfg, fastEf, delta, options);
          const ref = referenceCompress(layout, cfg, refEf, delta, options);
          expectSameUpdate(fast, ref);
          expect(bits(fastEf), `ef after round ${round}`).to.deep.equal(bits(refEf));
        });
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  it('emits kEff unique, ascending, in-range indices per chunk (property)', () => {
    fc.assert(
      fc.property(layoutArb, cfgArb, dataArb, (layout, cfg, { seed, kind }) => {
        const { ef, deltas } = fillData(layout, seed, kind);
        const update = compress(layout, cfg, ef, deltas[0]!);
        layout.tensors.forEach((t, i) => {
          const msg = update.tensors[i]!;
          expect(msg.kEff).to.equal(effectiveTopK(cfg.topK, t.chunk.chunkLen));
          expect(msg.indices.length).to.equal(msg.kEff * t.chunk.numChunks);
          expect(msg.codes.length).to.equal(cfg.quantBits === null ? 0 : msg.indices.length);
          for (let chunk = 0; chunk < t.chunk.numChunks; chunk++) {
            const idx = msg.indices.subarray(chunk * msg.kEff, (chunk + 1) * msg.kEff);
            for (let n = 0; n < idx.length; n++) {
              expect(idx[n]).to.be.below(t.chunk.chunkLen);
              if (n > 0) expect(idx[n]).to.be.above(idx[n - 1]!);
            }
          }
        });
      }),
      { seed: 3, numRuns: 100 },
    );
  });

  it('conserves mass: β·e + Δ = residual + sent (exact off the sent set, ≤ ½ ulp of the residual on it) (property)', () => {
    // ef_after = fround(e − v̂) at sent positions: fp32 keeps e − v̂ up to half an ulp of the
    // result (exactly, whenever the subtraction is exact, e.g. Sterbenz), and leaves e untouched elsewhere.
    fc.assert(
      fc.property(layoutArb, cfgArb, dataArb, (layout, cfg, { seed, kind }) => {
        const { ef, deltas } = fillData(layout, seed, kind);
        const input = accumulated(cfg, ef, deltas[0]!);
        const update = compress(layout, cfg, ef, deltas[0]!);
        const sent = scatterSent(layout, update);
        const isSent = new Uint8Array(layout.size);
        layout.tensors.forEach((t, i) => {
          const msg = update.tensors[i]!;
          for (let n = 0; n < msg.indices.length; n++) isSent[chunkElementIndex(t, Math.floor(n / msg.kEff), msg.indices[n]!)] = 1;
        });
        for (let p = 0; p < layout.size; p++) {
          if (!isSent[p]) {
            expect(ef[p]).to.equal(input[p]);
            continue;
          }
          expect(ef[p]).to.equal(Math.fround(input[p]! - sent[p]!));
          expect(Math.abs(input[p]! - (ef[p]! + sent[p]!))).to.be.at.most(Math.abs(ef[p]!) * 2 ** -24);
          if (cfg.quantBits === null) expect(ef[p]).to.equal(0); // raw values: nothing is left behind
        }
      }),
      { seed: 9, numRuns: 100 },
    );
  });

  it('selects the largest magnitudes and breaks ties towards the lower index', () => {
    const layout = defineLayout([{ name: 'v', shape: [8] }]);
    const cfg = resolveSparseLocoConfig({ topK: 2, quantBits: null, beta: 0 });
    const delta = new Float32Array([1, -3, 3, 2, -3, 0.5, 3, -1]);
    const update = compress(layout, cfg, new Float32Array(8), delta);
    expect([...update.tensors[0]!.indices]).to.deep.equal([1, 2]); // |−3| at 1, 2, 4, 6: the two lowest win
    expect([...update.tensors[0]!.values!]).to.deep.equal([-3, 3]);

    const allEqual = compress(layout, resolveSparseLocoConfig({ topK: 4, quantBits: null, beta: 0 }), new Float32Array(8), new Float32Array([-1, 1, -1, 1, -1, 1, -1, 1]));
    expect([...allEqual.tensors[0]!.indices]).to.deep.equal([0, 1, 2, 3]);
  });

  it('orders ties by within-chunk index r·c2 + c across the rows of a 2-D chunk', () => {
    // 4×4 tensor, 2×2 chunks: chunk 0 holds flat 0, 1, 4, 5 as within-chunk 0, 1, 2, 3.
    const layout = defineLayout([{ name: 'm', shape: [4, 4] }], { targetChunk: 2 });
    const cfg = resolveSparseLocoConfig({ topK: 2, quantBits: null, beta: 0 });
    const delta = new Float32Array(16);
    delta[1] = 5; // w = 1
    delta[4] = -5; // w = 2
    delta[5] = 9; // w = 3
    const update = compress(layout, cfg, new Float32Array(16), delta);
    expect([...update.tensors[0]!.indices.subarray(0, 2)]).to.deep.equal([1, 3]);
    expect([...update.tensors[0]!.indices.subarray(2, 4)]).to.deep.equal([0, 1]); // chunk 1 all zero: lowest indices
  });

  it('finds the top-k when a chunk forces many buffer compactions (increasing magnitudes)', () => {
    const layout = defineLayout([{ name: 'm', shape: [64, 64] }]);
    const cfg = resolveSparseLocoConfig({ topK: 8, quantBits: null, beta: 0 });
    const delta = Float32Array.from({ length: 4096 }, (_, p) => (p % 2 ? -1 : 1) * p);
    const update = compress(layout, cfg, new Float32Array(4096), delta);
    expect([...update.tensors[0]!.indices]).to.deep.equal([4088, 4089, 4090, 4091, 4092, 4093, 4094, 4095]);
  });

  it('stays exact when a row-block is much smaller than the one above (warm-start guess too high → rescan)', () => {
    // Row-block 0 has large magnitudes, row-block 1 tiny ones: chunk (1, j) starts from 0.95× the
    // k-th magnitude of chunk (0, j), finds no candidate, and must be rescanned cold.
    const layout = defineLayout([{ name: 'm', shape: [128, 128] }]);
    const cfg = resolveSparseLocoConfig({ topK: 16, quantBits: 2, beta: 0.95 });
    const delta = createRng(4).fillNormal(new Float32Array(layout.size));
    for (let p = 64 * 128; p < layout.size; p++) delta[p] = delta[p]! * 1e-6;
    const fastEf = new Float32Array(layout.size);
    const refEf = new Float32Array(layout.size);
    expectSameUpdate(compress(layout, cfg, fastEf, delta), referenceCompress(layout, cfg, refEf, delta));
    expect(bits(fastEf)).to.deep.equal(bits(refEf));
  });

  it('zeroes the EF buffer on a null round and sends zeros', () => {
    const layout = defineLayout([{ name: 'w', shape: [6, 100] }, { name: 'b', shape: [7] }]);
    const cfg = resolveSparseLocoConfig({ topK: 4 });
    const ef = createRng(1).fillNormal(new Float32Array(layout.size));
    const delta = createRng(2).fillNormal(new Float32Array(layout.size));
    const update = compress(layout, cfg, ef, delta, { nullRound: true });
    expect(ef.every((x) => Object.is(x, 0))).to.equal(true);
    for (const msg of update.tensors) {
      expect([...msg.indices.subarray(0, 4)]).to.deep.equal([0, 1, 2, 3]);
      expect(dequantise(msg).every((x) => x === 0)).to.equal(true);
    }
  });

  it('sends Δ exactly at 100% density without quantisation and leaves ef at zero', () => {
    const layout = defineLayout([{ name: 'w', shape: [8, 16] }, { name: 'b', shape: [10] }]);
    const cfg = resolveSparseLocoConfig({ topK: 128, quantBits: null, beta: 0.95 });
    const ef = new Float32Array(layout.size);
    const delta = createRng(3).fillNormal(new Float32Array(layout.size));
    const update = compress(layout, cfg, ef, delta);
    expect(bits(scatterSent(layout, update))).to.deep.equal(bits(delta));
    expect(ef.every((x) => x === 0)).to.equal(true);
  });

  it('throws NonFiniteValueError naming the tensor for NaN or ±Inf in Δ or ef', () => {
    const layout = defineLayout([{ name: 'ok', shape: [4, 8] }, { name: 'bad', shape: [3, 70] }]);
    for (const quantBits of [2, null] as const) {
      const cfg = resolveSparseLocoConfig({ topK: 4, quantBits });
      for (const [where, value] of [['delta', NaN], ['delta', -Infinity], ['ef', NaN], ['ef', Infinity]] as const) {
        const ef = new Float32Array(layout.size);
        const delta = new Float32Array(layout.size).fill(0.5);
        (where === 'ef' ? ef : delta)[32 + 150] = value;
        for (const run of [compress, referenceCompress]) {
          const call = (): unknown => run(layout, cfg, ef.slice(), delta);
          expect(call, `${run.name} ${where} ${value}`).to.throw(NonFiniteValueError).with.property('tensor', 'bad');
        }
      }
    }
  });

  it('rejects buffers of the wrong length and a scratch built for another layout', () => {
    const layout = defineLayout([{ name: 'w', shape: [4, 8] }]);
    const other = defineLayout([{ name: 'x', shape: [4, 8] }]);
    const cfg = resolveSparseLocoConfig();
    expect(() => compress(layout, cfg, new Float32Array(31), new Float32Array(32))).to.throw(ConfigError).with.property('key', 'ef.length');
    expect(() => compress(layout, cfg, new Float32Array(32), new Float32Array(33))).to.throw(ConfigError).with.property('key', 'delta.length');
    const scratch = createCompressScratch(other, cfg);
    expect(() => compress(layout, cfg, new Float32Array(32), new Float32Array(32), { scratch })).to.throw(ConfigError);
  });
});

describe('kthLargest', () => {
  it('returns the k-th largest of distinct values (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 300 }), fc.nat(), (xs, pick) => {
        const k = 1 + (pick % xs.length);
        const sorted = [...xs].sort((a, b) => b - a);
        expect(kthLargest(Float64Array.from(xs), xs.length, k)).to.equal(sorted[k - 1]);
      }),
      { seed: 1, numRuns: 300 },
    );
  });

  it('handles duplicates (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 200 }), fc.nat(), (xs, pick) => {
        const k = 1 + (pick % xs.length);
        const sorted = [...xs].sort((a, b) => b - a);
        expect(kthLargest(Float32Array.from(xs), xs.length, k)).to.equal(sorted[k - 1]);
      }),
      { seed: 2, numRuns: 300 },
    );
  });
});
