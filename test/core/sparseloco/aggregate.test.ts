import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError } from '../../../core/errors.ts';
import { defineLayout, readChunk } from '../../../core/layout.ts';
import type { ParamLayout, TensorSpec } from '../../../core/layout.ts';
import { referenceAggregate } from '../../../core/reference/aggregate.ts';
import { createRng } from '../../../core/rng.ts';
import type { Rng } from '../../../core/rng.ts';
import {
  AggregateError,
  aggregate,
  createAggregateScratch,
  lowerMedian,
  outerStep,
} from '../../../core/sparseloco/aggregate.ts';
import type { AggregateResult, PeerUpdate } from '../../../core/sparseloco/aggregate.ts';
import { decodeUpdate, encodeUpdate } from '../../../core/sparseloco/codec.ts';
import { compress } from '../../../core/sparseloco/compress.ts';
import { resolveSparseLocoConfig } from '../../../core/sparseloco/config.ts';
import type { SparseLocoConfig } from '../../../core/sparseloco/config.ts';
import type { CompressedTensor, CompressedUpdate } from '../../../core/sparseloco/message.ts';

const bytes = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const f32 = Math.fround;

// ---------------------------------------------------------------------------------------------
// Builders: messages are made directly (independent of the compressor).

interface UpdateOptions {
  quantBits: 1 | 2 | 4 | 8 | null;
  /** Probability that one value of a tensor is made non-finite or huge. */
  poison?: number;
  /** Allow repeated indices within a chunk (torch averages them). */
  duplicates?: boolean;
}

function randomTensorMessage(rng: Rng, chunkLen: number, numChunks: number, opts: UpdateOptions): CompressedTensor {
  const kEff = rng.int(1, chunkLen);
  const indices = new Uint16Array(numChunks * kEff);
  for (let c = 0; c < numChunks; c++) {
    const picked = opts.duplicates
      ? Array.from({ length: kEff }, () => rng.int(0, chunkLen - 1))
      : rng.shuffle(Array.from({ length: chunkLen }, (_, w) => w)).slice(0, kEff);
    indices.set(picked, c * kEff);
  }
  const n = indices.length;
  if (opts.quantBits === null) {
    const values = rng.fillNormal(new Float32Array(n), rng.uniform(0.01, 3));
    if (opts.poison && rng.bernoulli(opts.poison)) values[rng.int(0, n - 1)] = rng.pick([NaN, Infinity, -Infinity, 3e38]);
    return { kEff, indices, codes: new Uint8Array(0), quant: null, values };
  }
  const bins = 1 << opts.quantBits;
  const lut = rng.fillNormal(new Float32Array(bins), rng.uniform(0.01, 3));
  const codes = new Uint8Array(n).map(() => rng.int(0, bins - 1));
  let mean = f32(rng.normal() * 0.1);
  if (opts.poison && rng.bernoulli(opts.poison)) mean = rng.pick([NaN, Infinity]);
  return { kEff, indices, codes, quant: { mean, scale: 1, lut }, values: null };
}

function randomUpdate(layout: ParamLayout, rng: Rng, opts: UpdateOptions): CompressedUpdate {
  return {
    layoutId: layout.id,
    quantBits: opts.quantBits,
    tensors: layout.tensors.map((t) => randomTensorMessage(rng, t.chunk.chunkLen, t.chunk.numChunks, opts)),
  };
}

/** A small random layout of 1-D and ragged 2-D tensors with a small chunk target. */
const layoutArb = fc
  .record({
    targetChunk: fc.integer({ min: 1, max: 12 }),
    shapes: fc.array(
      fc.oneof(
        fc.tuple(fc.integer({ min: 1, max: 60 })),
        fc.tuple(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 24 })),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  })
  .map(({ targetChunk, shapes }) =>
    defineLayout(
      shapes.map((shape, i): TensorSpec => ({ name: `t${i}`, shape })),
      { targetChunk },
    ),
  );

const scenarioArb = fc.record({
  layout: layoutArb,
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  uids: fc.uniqueArray(fc.integer({ min: 0, max: 500 }), { minLength: 0, maxLength: 6 }),
  clipNorm: fc.boolean(),
  aggregation: fc.constantFrom('sparse' as const, 'dense' as const),
  duplicates: fc.boolean(),
});

function buildMessages(layout: ParamLayout, seed: number, uids: readonly number[], duplicates: boolean): PeerUpdate[] {
  const rng = createRng(seed);
  return uids.map((peerUid) => ({
    peerUid,
    update: randomUpdate(layout, rng.fork(`peer:${peerUid}`), {
      quantBits: rng.pick([null, 1, 2, 4, 8] as const),
      poison: 0.15,
      duplicates,
    }),
  }));
}

function expectSameResult(a: AggregateResult, b: AggregateResult): void {
  expect(bytes(a.gradient)).to.deep.equal(bytes(b.gradient));
  expect(a.skippedTensors).to.deep.equal(b.skippedTensors);
  expect(a.contributors).to.deep.equal(b.contributors);
}

/** A one-tensor layout [n] with chunks of length n, and a raw (fp32) message picking `picks`. */
function vectorLayout(n: number): ParamLayout {
  return defineLayout([{ name: 'v', shape: [n] }], { targetChunk: Math.min(n, 64) });
}
function rawMessage(layout: ParamLayout, peerUid: number, picks: readonly [number, number][]): PeerUpdate {
  return {
    peerUid,
    update: {
      layoutId: layout.id,
      quantBits: null,
      tensors: [
        {
          kEff: picks.length,
          indices: Uint16Array.from(picks.map(([w]) => w)),
          codes: new Uint8Array(0),
          quant: null,
          values: Float32Array.from(picks.map(([, v]) => v)),
        },
      ],
    },
  };
}

const cfgOf = (overrides: Partial<SparseLocoConfig>): SparseLocoConfig => resolveSparseLocoConfig(overrides);

// ---------------------------------------------------------------------------------------------

describe('core/sparseloco/aggregate', () => {
  describe('fast path vs reference', () => {
    it('matches referenceAggregate bit for bit (random layouts, peers, quantisation, duplicates, poison)', () => {
      fc.assert(
        fc.property(scenarioArb, ({ layout, seed, uids, clipNorm, aggregation, duplicates }) => {
          const cfg = cfgOf({ clipNorm, aggregation });
          const messages = buildMessages(layout, seed, uids, duplicates);
          expectSameResult(aggregate(layout, cfg, messages), referenceAggregate(layout, cfg, messages));
        }),
        { seed: 20260310, numRuns: 200 },
      );
    });

    it('gives the same result when one scratch and one output buffer are reused across calls', () => {
      const layout = defineLayout([{ name: 'a', shape: [30, 17] }, { name: 'b', shape: [45] }], { targetChunk: 8 });
      const cfg = cfgOf({});
      const scratch = createAggregateScratch(layout);
      const out = new Float32Array(layout.size).fill(7);
      for (const [seed, uids] of [[1, [4, 2, 9, 1, 3]], [2, [5]], [3, [8, 0, 6]]] as const) {
        const messages = buildMessages(layout, seed, uids, true);
        const reused = aggregate(layout, cfg, messages, out, scratch);
        expect(reused.gradient).to.equal(out);
        expectSameResult(reused, referenceAggregate(layout, cfg, messages));
      }
    });
  });

  describe('determinism', () => {
    it('does not depend on message order (shuffled messages → identical gradient bytes)', () => {
      fc.assert(
        fc.property(scenarioArb, fc.integer(), ({ layout, seed, uids, clipNorm, aggregation, duplicates }, shuffleSeed) => {
          const cfg = cfgOf({ clipNorm, aggregation });
          const messages = buildMessages(layout, seed, uids, duplicates);
          const shuffled = createRng(shuffleSeed).shuffle([...messages]);
          expectSameResult(aggregate(layout, cfg, messages), aggregate(layout, cfg, shuffled));
        }),
        { seed: 7, numRuns: 100 },
      );
    });

    it('two peers computing independently reach bit-identical gradients and parameters', () => {
      const layout = defineLayout([{ name: 'w', shape: [48, 40] }, { name: 'norm', shape: [40] }], { targetChunk: 16 });
      const cfg = cfgOf({});
      const messages = buildMessages(layout, 11, [3, 14, 7, 1], false).filter((m) => m.peerUid !== 14);
      // Peer A and peer B each receive their own copies, in their own order, with their own buffers.
      const copy = (m: PeerUpdate): PeerUpdate => structuredClone(m);
      const resultA = aggregate(layout, cfg, messages.map(copy));
      const resultB = aggregate(layout, cfg, messages.map(copy).reverse(), new Float32Array(layout.size), createAggregateScratch(layout));
      const theta0 = createRng(5).fillNormal(new Float32Array(layout.size));
      const thetaA = theta0.slice();
      const thetaB = theta0.slice();
      outerStep(layout, thetaA, resultA, cfg.outerLr);
      outerStep(layout, thetaB, resultB, cfg.outerLr);
      expect(bytes(resultA.gradient)).to.deep.equal(bytes(resultB.gradient));
      expect(bytes(thetaA)).to.deep.equal(bytes(thetaB));
      expect(bytes(thetaA)).to.not.deep.equal(bytes(theta0));
    });
  });

  describe('sparse mean scatter', () => {
    it('gives a coordinate picked by one peer that peer’s full value; shared coordinates the mean of their pickers', () => {
      const layout = vectorLayout(8);
      const cfg = cfgOf({ clipNorm: false });
      const messages = [
        rawMessage(layout, 2, [[0, 1.5], [3, 4]]),
        rawMessage(layout, 5, [[3, 2], [6, -0.25]]),
        rawMessage(layout, 9, [[3, 3], [7, 10]]),
      ];
      const g = aggregate(layout, cfg, messages).gradient;
      expect(Array.from(g)).to.deep.equal([1.5, 0, 0, 3, 0, 0, -0.25, 10]);
    });

    it('gives a lone coordinate the peer’s clipped value when clipping is on', () => {
      const layout = vectorLayout(8);
      // Norms: peer 1 → 3, peer 2 → 5, peer 3 → 13; median 5, so only peer 3 is scaled, by 5/13.
      const messages = [
        rawMessage(layout, 1, [[0, 3], [1, 0]]),
        rawMessage(layout, 2, [[2, 3], [3, 4]]),
        rawMessage(layout, 3, [[4, 5], [5, 12]]),
      ];
      const g = aggregate(layout, cfgOf({ clipNorm: true }), messages).gradient;
      const factor = f32(5 / f32(13 + f32(1e-8)));
      expect(g[4]).to.equal(f32(5 * factor));
      expect(g[5]).to.equal(f32(12 * factor));
      expect(factor).to.be.closeTo(5 / 13, 1e-7);
    });

    it('averages repeated indices within one peer’s chunk (torch scatter_reduce mean)', () => {
      const layout = vectorLayout(4);
      const messages = [rawMessage(layout, 0, [[1, 1], [1, 2]]), rawMessage(layout, 1, [[1, 6], [2, 5]])];
      const g = aggregate(layout, cfgOf({ clipNorm: false }), messages).gradient;
      expect(Array.from(g)).to.deep.equal([0, 3, 5, 0]);
    });

    it('maps within-chunk indices through the chunk geometry (2-D chunk (i, j), w = r·c2 + c)', () => {
      // 4×6 matrix, target 2 → c1 = c2 = 2, chunksX = 3; chunk 4 = (i 1, j 1) covers rows 2–3, cols 2–3.
      const layout = defineLayout([{ name: 'm', shape: [4, 6] }], { targetChunk: 2 });
      const indices = new Uint16Array(6 * 1);
      const values = new Float32Array(6);
      indices[4] = 3; // r = 1, c = 1 → row 3, col 3
      values[4] = 9;
      const update: CompressedUpdate = {
        layoutId: layout.id,
        quantBits: null,
        tensors: [{ kEff: 1, indices, codes: new Uint8Array(0), quant: null, values }],
      };
      const g = aggregate(layout, cfgOf({ clipNorm: false }), [{ peerUid: 0, update }]).gradient;
      expect(g[3 * 6 + 3]).to.equal(9);
      expect(g.reduce((s, x) => s + Math.abs(x), 0)).to.equal(9);
    });

    it('dense option divides each coordinate’s sum by R', () => {
      const layout = vectorLayout(4);
      const messages = [
        rawMessage(layout, 0, [[0, 1], [1, 2]]),
        rawMessage(layout, 1, [[1, 4], [2, 3]]),
        rawMessage(layout, 2, [[1, 0.5], [3, 0.25]]),
      ];
      const g = aggregate(layout, cfgOf({ clipNorm: false, aggregation: 'dense' }), messages).gradient;
      expect(Array.from(g)).to.deep.equal([f32(1 / 3), f32(6.5 / 3), 1, f32(0.25 / 3)]);
    });

    it('density 100% without quantisation (clipping off) equals plain dense averaging', () => {
      fc.assert(
        fc.property(
          layoutArb,
          fc.integer({ min: 1, max: 5 }),
          fc.integer(),
          fc.constantFrom('sparse' as const, 'dense' as const),
          (layout, R, seed, aggregation) => {
            const rng = createRng(seed);
            const dense = Array.from({ length: R }, () => rng.fillNormal(new Float32Array(layout.size)));
            const messages: PeerUpdate[] = dense.map((x, p) => ({
              peerUid: 10 * (R - p), // descending uids: the aggregate must sort them
              update: {
                layoutId: layout.id,
                quantBits: null,
                tensors: layout.tensors.map((t) => {
                  const { chunkLen, numChunks } = t.chunk;
                  const values = new Float32Array(chunkLen * numChunks);
                  for (let c = 0; c < numChunks; c++) readChunk(x, t, c, values.subarray(c * chunkLen, (c + 1) * chunkLen));
                  const indices = new Uint16Array(values.length).map((_, n) => n % chunkLen);
                  return { kEff: chunkLen, indices, codes: new Uint8Array(0), quant: null, values };
                }),
              },
            }));
            // Plain dense average in fp32, summed in ascending uid (= descending p here).
            const expected = new Float32Array(layout.size);
            for (let k = 0; k < layout.size; k++) {
              let s = dense[R - 1]![k]!;
              for (let p = R - 2; p >= 0; p--) s = f32(s + dense[p]![k]!);
              expected[k] = f32(s / R);
            }
            const result = aggregate(layout, cfgOf({ clipNorm: false, aggregation, topK: 4096 }), messages);
            expect(bytes(result.gradient)).to.deep.equal(bytes(expected));
          },
        ),
        { seed: 3, numRuns: 60 },
      );
    });
  });

  describe('median norm clipping', () => {
    it('lowerMedian returns the lower middle value for an even count (torch.median)', () => {
      expect(lowerMedian(Float32Array.of(4, 1, 3, 2))).to.equal(2);
      expect(lowerMedian(Float32Array.of(5, 1))).to.equal(1);
      expect(lowerMedian(Float32Array.of(3, 1, 2))).to.equal(2);
      expect(lowerMedian(Float32Array.of(7))).to.equal(7);
      expect(lowerMedian(Float32Array.of(1, NaN, 2))).to.be.NaN;
    });

    it('uses the lower median for even R: with norms 1 and 4, the second peer is scaled to norm 1', () => {
      const layout = vectorLayout(4);
      const messages = [rawMessage(layout, 0, [[0, 1], [1, 0]]), rawMessage(layout, 1, [[2, 4], [3, 0]])];
      const g = aggregate(layout, cfgOf({ clipNorm: true }), messages).gradient;
      expect(g[0]).to.equal(f32(1 * Math.min(1, f32(1 / f32(1 + f32(1e-8))))));
      // The mean-of-middles median (2.5) would give 2.5; the lower median gives 1.
      expect(g[2]).to.equal(f32(4 * f32(1 / f32(4 + f32(1e-8)))));
      expect(g[2]).to.be.closeTo(1, 1e-6);
    });

    it('scales only the peers whose norm is above the median', () => {
      const layout = vectorLayout(6);
      // Norms 2, 3, 6 (values chosen so n + 1e-8 rounds to n in fp32); median 3.
      const messages = [
        rawMessage(layout, 0, [[0, 2], [1, 0]]),
        rawMessage(layout, 1, [[2, 3], [3, 0]]),
        rawMessage(layout, 2, [[4, 6], [5, 0]]),
      ];
      const g = aggregate(layout, cfgOf({ clipNorm: true }), messages).gradient;
      expect(Array.from(g)).to.deep.equal([2, 0, 3, 0, 3, 0]);
    });

    it('computes norms per tensor: a peer large in one tensor is not clipped in another', () => {
      const layout = defineLayout([{ name: 'a', shape: [2] }, { name: 'b', shape: [2] }]);
      const update = (a: number, b: number): CompressedUpdate => ({
        layoutId: layout.id,
        quantBits: null,
        tensors: [a, b].map((v) => ({ kEff: 2, indices: Uint16Array.of(0, 1), codes: new Uint8Array(0), quant: null, values: Float32Array.of(v, 0) })),
      });
      const messages = [
        { peerUid: 0, update: update(1, 8) },
        { peerUid: 1, update: update(2, 2) },
        { peerUid: 2, update: update(100, 4) },
      ];
      const g = aggregate(layout, cfgOf({ clipNorm: true, aggregation: 'dense' }), messages).gradient;
      // Tensor a: median 2 → peer 2 clipped to 2: (1 + 2 + 2)/3. Tensor b: median 4 → peer 0 clipped to 4.
      expect(g[0]).to.be.closeTo(5 / 3, 1e-6);
      expect(g[2]).to.be.closeTo(10 / 3, 1e-6);
    });
  });

  describe('non-finite tensors', () => {
    it('zeroes and lists a tensor with a non-finite entry; the other tensors are still applied', () => {
      const layout = defineLayout([{ name: 'ok', shape: [4] }, { name: 'bad', shape: [4] }, { name: 'ok2', shape: [2, 2] }]);
      const tensor = (values: number[]): CompressedTensor => ({
        kEff: 4,
        indices: Uint16Array.of(0, 1, 2, 3),
        codes: new Uint8Array(0),
        quant: null,
        values: Float32Array.from(values),
      });
      const messages: PeerUpdate[] = [
        { peerUid: 0, update: { layoutId: layout.id, quantBits: null, tensors: [tensor([1, 2, 3, 4]), tensor([1, NaN, 1, 1]), tensor([1, 1, 1, 1])] } },
        { peerUid: 1, update: { layoutId: layout.id, quantBits: null, tensors: [tensor([3, 2, 1, 0]), tensor([1, 1, 1, 1]), tensor([3e38, 3e38, 0, 0])] } },
      ];
      const result = aggregate(layout, cfgOf({ clipNorm: false }), messages);
      expect(result.skippedTensors).to.deep.equal(['bad']);
      expect(Array.from(result.gradient.subarray(0, 4))).to.deep.equal([2, 2, 2, 2]);
      expect(Array.from(result.gradient.subarray(4, 8))).to.deep.equal([0, 0, 0, 0]);

      const params = new Float32Array(layout.size).fill(1);
      outerStep(layout, params, result, 0.5);
      expect(Array.from(params.subarray(0, 4))).to.deep.equal([0, 0, 0, 0]);
      expect(Array.from(params.subarray(4, 8))).to.deep.equal([1, 1, 1, 1]);
      expect(params[8]).to.equal(f32(1 - f32(0.5 * f32(f32(1 + f32(3e38)) / 2))));
    });

    it('skips a tensor whose fp32 sum overflows although every value is finite', () => {
      const layout = vectorLayout(2);
      const messages = [rawMessage(layout, 0, [[0, 3e38], [1, 1]]), rawMessage(layout, 1, [[0, 3e38], [1, 1]])];
      const result = aggregate(layout, cfgOf({ clipNorm: false }), messages);
      expect(result.skippedTensors).to.deep.equal(['v']);
      expect(Array.from(result.gradient)).to.deep.equal([0, 0]);
    });
  });

  describe('no messages', () => {
    it('returns a zero gradient and no contributors, and outerStep then leaves θ untouched', () => {
      const layout = vectorLayout(5);
      const out = new Float32Array(5).fill(3);
      const result = aggregate(layout, cfgOf({}), [], out);
      expect(result.contributors).to.deep.equal([]);
      expect(result.skippedTensors).to.deep.equal([]);
      expect(Array.from(result.gradient)).to.deep.equal([0, 0, 0, 0, 0]);
      const params = Float32Array.of(1, -0, 2, 3, 4);
      outerStep(layout, params, result, 0.4);
      expect(bytes(params)).to.deep.equal(bytes(Float32Array.of(1, -0, 2, 3, 4)));
    });
  });

  describe('outerStep', () => {
    it('sets θ ← fp32(θ − fp32(α·g)) elementwise (plain SGD)', () => {
      fc.assert(
        fc.property(layoutArb, fc.integer(), fc.double({ min: 1e-3, max: 2, noNaN: true }), (layout, seed, lr) => {
          const rng = createRng(seed);
          const theta = rng.fillNormal(new Float32Array(layout.size));
          const gradient = rng.fillNormal(new Float32Array(layout.size), 0.1);
          const before = theta.slice();
          outerStep(layout, theta, { gradient, skippedTensors: [], contributors: [1] }, lr);
          for (let k = 0; k < layout.size; k++) expect(theta[k]).to.equal(f32(before[k]! - f32(f32(lr) * gradient[k]!)));
        }),
        { seed: 1, numRuns: 40 },
      );
    });

    it('rejects a bad learning rate or a wrongly sized θ with ConfigError', () => {
      const layout = vectorLayout(3);
      const result: AggregateResult = { gradient: new Float32Array(3), skippedTensors: [], contributors: [0] };
      for (const lr of [0, -0.1, NaN, Infinity]) {
        expect(() => outerStep(layout, new Float32Array(3), result, lr)).to.throw(ConfigError);
      }
      expect(() => outerStep(layout, new Float32Array(4), result, 0.4)).to.throw(ConfigError, /params.length/);
      expect(() => outerStep(layout, new Float32Array(3), { ...result, gradient: new Float32Array(2) }, 0.4)).to.throw(ConfigError);
    });
  });

  describe('validation', () => {
    const layout = defineLayout([{ name: 'w', shape: [4, 4] }], { targetChunk: 2 });
    const cfg = cfgOf({});
    const good = (): CompressedUpdate => randomUpdate(layout, createRng(1), { quantBits: 2 });
    const errorOf = (messages: PeerUpdate[]): AggregateError => {
      try {
        aggregate(layout, cfg, messages);
      } catch (e) {
        expect(e).to.be.instanceOf(AggregateError);
        return e as AggregateError;
      }
      throw new Error('aggregate did not throw');
    };

    it('rejects a duplicate peer uid with a typed error naming the peer', () => {
      const e = errorOf([{ peerUid: 3, update: good() }, { peerUid: 1, update: good() }, { peerUid: 3, update: good() }]);
      expect(e.reason).to.equal('duplicate-peer');
      expect(e.peerUid).to.equal(3);
      expect(() => referenceAggregate(layout, cfg, [{ peerUid: 3, update: good() }, { peerUid: 3, update: good() }])).to.throw(AggregateError);
    });

    it('rejects a message built for another layout', () => {
      const e = errorOf([{ peerUid: 0, update: { ...good(), layoutId: layout.id ^ 1 } }]);
      expect(e.reason).to.equal('layout-mismatch');
    });

    it('rejects negative or fractional uids', () => {
      expect(errorOf([{ peerUid: -1, update: good() }]).reason).to.equal('bad-peer-uid');
      expect(errorOf([{ peerUid: 1.5, update: good() }]).reason).to.equal('bad-peer-uid');
    });

    it('rejects malformed tensors, naming the peer and the tensor', () => {
      const withTensor = (patch: Partial<CompressedTensor>, quantBits: CompressedUpdate['quantBits'] = 2): PeerUpdate => {
        const u = good();
        return { peerUid: 7, update: { ...u, quantBits, tensors: [{ ...u.tensors[0]!, ...patch }] } };
      };
      const t0 = good().tensors[0]!;
      const cases: [PeerUpdate, string][] = [
        [{ peerUid: 7, update: { ...good(), tensors: [] } }, 'tensor-count'],
        [withTensor({ kEff: 0 }), 'bad-k'],
        [withTensor({ kEff: 5 }), 'bad-k'],
        [withTensor({ indices: t0.indices.slice(1) }), 'length-mismatch'],
        [withTensor({ indices: t0.indices.map(() => 4) }), 'index-range'],
        [withTensor({ codes: t0.codes.map(() => 4) }), 'code-range'],
        [withTensor({ quant: null }), 'quant-mismatch'],
        [withTensor({}, null), 'quant-mismatch'],
      ];
      for (const [message, reason] of cases) {
        const e = errorOf([message]);
        expect(e.reason, reason).to.equal(reason);
        expect(e.peerUid).to.equal(7);
        if (reason !== 'tensor-count') expect(e.tensor).to.equal('w');
      }
    });

    it('rejects an output buffer or scratch of the wrong size with ConfigError', () => {
      expect(() => aggregate(layout, cfg, [], new Float32Array(3))).to.throw(ConfigError, /out.length/);
      const small = createAggregateScratch(defineLayout([{ name: 'x', shape: [2] }]));
      expect(() => aggregate(layout, cfg, [], new Float32Array(layout.size), small)).to.throw(ConfigError, /scratch/);
    });
  });

  describe('end to end with the compressor and the codec', () => {
    const layout = defineLayout(
      // 'ragged': 6×9 at target 8 → 6×3 chunks of 18 (even, so top-k can take every entry).
      [{ name: 'w', shape: [24, 40] }, { name: 'b', shape: [40] }, { name: 'ragged', shape: [6, 9] }],
      { targetChunk: 8 },
    );

    it('aggregates decoded compressor output identically on the fast and reference paths', () => {
      for (const quantBits of [2, 8, null] as const) {
        const cfg = cfgOf({ topK: 6, quantBits });
        const rng = createRng(quantBits ?? 32);
        const messages = [12, 4, 30].map((peerUid) => {
          const delta = rng.fork(`delta:${peerUid}`).fillNormal(new Float32Array(layout.size), 0.01);
          const update = compress(layout, cfg, new Float32Array(layout.size), delta);
          return { peerUid, update: decodeUpdate(encodeUpdate(update, layout), layout) };
        });
        const fast = aggregate(layout, cfg, messages);
        expectSameResult(fast, referenceAggregate(layout, cfg, messages));
        expect(fast.skippedTensors).to.deep.equal([]);
        expect(fast.contributors).to.deep.equal([4, 12, 30]);
        expect(fast.gradient.some((x) => x !== 0)).to.equal(true);
      }
    });

    it('density 100%, unquantised, no clipping: the aggregate of compressed Δs is the dense mean of the Δs', () => {
      const cfg = cfgOf({ topK: 4096, quantBits: null, clipNorm: false });
      const rng = createRng(99);
      const deltas = [0, 1, 2, 3].map(() => rng.fillNormal(new Float32Array(layout.size), 0.01));
      const messages = deltas.map((delta, peerUid) => ({ peerUid, update: compress(layout, cfg, new Float32Array(layout.size), delta) }));
      const expected = new Float32Array(layout.size).map((_, k) => {
        let s = deltas[0]![k]!;
        for (let p = 1; p < deltas.length; p++) s = f32(s + deltas[p]![k]!);
        return f32(s / deltas.length);
      });
      expect(bytes(aggregate(layout, cfg, messages).gradient)).to.deep.equal(bytes(expected));
    });
  });

  describe('per-peer weights (weighted sparse mean, issue 17)', () => {
    it('equal weights (any scale) reproduce the unweighted aggregate bit for bit (random layouts, quantisation, duplicates, poison)', () => {
      let cases = 0;
      fc.assert(
        fc.property(scenarioArb, fc.double({ min: 1e-6, max: 1e6, noNaN: true }), ({ layout, seed, uids, clipNorm, aggregation, duplicates }, w) => {
          const cfg = cfgOf({ clipNorm, aggregation });
          const messages = buildMessages(layout, seed, uids, duplicates);
          const weights = new Map(uids.map((uid) => [uid, w]));
          expectSameResult(aggregate(layout, cfg, messages, undefined, undefined, weights), aggregate(layout, cfg, messages));
          if (uids.length > 0) cases++;
        }),
        { seed: 17, numRuns: 200 },
      );
      expect(cases).to.be.greaterThan(150);
    });

    it('is the weighted mean per position: Σ r·v / Σ r over the peers that sent it (sparse), / Σ r over all (dense)', () => {
      const layout = vectorLayout(4);
      const messages = [rawMessage(layout, 1, [[0, 1], [1, 4]]), rawMessage(layout, 2, [[0, 3], [2, 8]])];
      const weights = new Map([[1, 0.75], [2, 0.25]]); // relative 1 and 1/3
      const sparse = aggregate(layout, cfgOf({ clipNorm: false, aggregation: 'sparse' }), messages, undefined, undefined, weights);
      const r2 = f32(0.25 / 0.75);
      const expected = [f32(f32(1 + f32(3 * r2)) / f32(1 + r2)), 4, 8, 0];
      expect(Array.from(sparse.gradient)).to.deep.equal(expected);
      const dense = aggregate(layout, cfgOf({ clipNorm: false, aggregation: 'dense' }), messages, undefined, undefined, weights);
      const total = f32(1 + r2);
      expect(Array.from(dense.gradient)).to.deep.equal([f32(f32(1 + f32(3 * r2)) / total), f32(4 / total), f32(f32(8 * r2) / total), 0]);
    });

    it('gives a peer of weight 0 no say, and a position only it sent is 0 (not NaN)', () => {
      const layout = vectorLayout(4);
      const messages = [rawMessage(layout, 1, [[0, 1]]), rawMessage(layout, 2, [[0, 5], [3, 9]])];
      const result = aggregate(layout, cfgOf({ clipNorm: false }), messages, undefined, undefined, new Map([[1, 2], [2, 0]]));
      expect(Array.from(result.gradient)).to.deep.equal([1, 0, 0, 0]);
      expect(result.skippedTensors).to.deep.equal([]);
      expect(result.contributors).to.deep.equal([1, 2]);
    });

    it('does not depend on message order with weights either', () => {
      fc.assert(
        fc.property(scenarioArb, fc.integer(), ({ layout, seed, uids, clipNorm, aggregation, duplicates }, shuffleSeed) => {
          const cfg = cfgOf({ clipNorm, aggregation });
          const messages = buildMessages(layout, seed, uids, duplicates);
          const weights = new Map(uids.map((uid, i) => [uid, 1 + (i % 3)]));
          const shuffled = createRng(shuffleSeed).shuffle([...messages]);
          expectSameResult(aggregate(layout, cfg, messages, undefined, undefined, weights), aggregate(layout, cfg, shuffled, undefined, undefined, weights));
        }),
        { seed: 71, numRuns: 60 },
      );
    });

    it('rejects a missing, negative or non-finite weight and all-zero weights, naming the peer', () => {
      const layout = vectorLayout(4);
      const cfg = cfgOf({});
      const messages = [rawMessage(layout, 1, [[0, 1]]), rawMessage(layout, 2, [[1, 2]])];
      for (const weights of [new Map([[1, 1]]), new Map([[1, 1], [2, -1]]), new Map([[1, 1], [2, NaN]])]) {
        expect(() => aggregate(layout, cfg, messages, undefined, undefined, weights)).to.throw(ConfigError, /aggregate weight of peer 2/);
      }
      expect(() => aggregate(layout, cfg, messages, undefined, undefined, new Map([[1, 0], [2, 0]]))).to.throw(ConfigError, /must not all be 0/);
    });
  });
});
