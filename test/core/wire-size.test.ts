import { expect } from 'chai';
import fc from 'fast-check';
import { createCommunicator } from '../../core/baselines/index.ts';
import type { CommunicatorConfig } from '../../core/baselines/index.ts';
import { ConfigError } from '../../core/errors.ts';
import { defineLayout } from '../../core/layout.ts';
import type { ParamLayout, TensorSpec } from '../../core/layout.ts';
import { COVENANT_72B, llamaLayout } from '../../core/model-layout.ts';
import type { LlamaArchitecture } from '../../core/model-layout.ts';
import { createRng } from '../../core/rng.ts';
import { decodeUpdate, encodeUpdate } from '../../core/sparseloco/codec.ts';
import { compress } from '../../core/sparseloco/compress.ts';
import { effectiveTopK, resolveSparseLocoConfig } from '../../core/sparseloco/config.ts';
import type { IndexCoding, QuantBits } from '../../core/sparseloco/config.ts';
import type { CompressedTensor, CompressedUpdate } from '../../core/sparseloco/message.ts';
import { denseEncodedBytes, encodedBytes, expectedRiceChunkBits, messageEncodedBytes, riceIndexStats } from '../../core/wire-size.ts';

const BITS: readonly (QuantBits | null)[] = [1, 2, 4, 8, null];
const CODINGS: readonly IndexCoding[] = ['packed12', 'rice'];

const shapeArb = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 300 })),
  fc.tuple(fc.integer({ min: 1, max: 130 }), fc.integer({ min: 1, max: 130 })),
);
const layoutArb = fc
  .record({ shapes: fc.array(shapeArb, { minLength: 1, maxLength: 4 }), targetChunk: fc.integer({ min: 1, max: 64 }) })
  .map(({ shapes, targetChunk }) => defineLayout(shapes.map((shape, i): TensorSpec => ({ name: `t${i}`, shape })), { targetChunk }));

function maxChunkLen(layout: ParamLayout): number {
  return Math.max(...layout.tensors.map((t) => t.chunk.chunkLen));
}

/** A random pseudo-gradient of the layout's size. */
function randomVector(layout: ParamLayout, seed: number): Float32Array {
  return createRng(seed).fillNormal(new Float32Array(layout.size), 1e-2);
}

/** Stats for a rice message from the bytes themselves (decode → measure): no access to the encoder's plan. */
function statsFromBytes(bytes: Uint8Array, layout: ParamLayout) {
  return riceIndexStats(decodeUpdate(bytes, layout), layout);
}

describe('core/wire-size', () => {
  it('equals encodeUpdate(compress(...)).length byte for byte on random layouts and configs', () => {
    const reached = { sparse: 0, dense: 0, packed12: 0, rice: 0, bits: new Map<string, number>() };
    fc.assert(
      fc.property(
        layoutArb,
        fc.integer({ min: 1, max: 4096 }),
        fc.constantFrom(...BITS),
        fc.constantFrom(...CODINGS),
        fc.integer({ min: 0, max: 1e6 }),
        (layout, rawK, quantBits, indexCoding, seed) => {
          const topK = 1 + (rawK % maxChunkLen(layout)); // within assertTopKFitsChunks
          const cfg = resolveSparseLocoConfig({ topK, quantBits, indexCoding });
          const update = compress(layout, cfg, new Float32Array(layout.size), randomVector(layout, seed));
          const bytes = encodeUpdate(update, layout, { indexCoding });
          const size = encodedBytes(layout, { topK, quantBits, indexCoding }, indexCoding === 'rice' ? statsFromBytes(bytes, layout) : undefined);
          expect(size.bytes).to.equal(bytes.length);
          expect(size.exact).to.equal(true);
          expect(size.headerBytes + size.quantBytes + size.indexBytes + size.valueBytes).to.equal(size.bytes);
          expect(size.valuesSent).to.equal(update.tensors.reduce((s, t) => s + t.indices.length, 0));
          for (const t of layout.tensors) {
            if (effectiveTopK(topK, t.chunk.chunkLen) === t.chunk.chunkLen) reached.dense++;
            else reached.sparse++;
          }
          reached[indexCoding]++;
          const key = String(quantBits);
          reached.bits.set(key, (reached.bits.get(key) ?? 0) + 1);
        },
      ),
      { seed: 20261201, numRuns: 200 },
    );
    expect(reached.sparse, 'tensors sent sparse').to.be.greaterThan(20);
    expect(reached.dense, 'tensors sent whole (chunk ≤ top-k)').to.be.greaterThan(20);
    expect(reached.packed12).to.be.greaterThan(40);
    expect(reached.rice).to.be.greaterThan(40);
    for (const b of BITS) expect(reached.bits.get(String(b)) ?? 0, `value bits ${b}`).to.be.greaterThan(10);
  });

  it('equals every method communicator\'s encode length (DDP, DiLoCo fp32/bf16, DeMo packed12/rice, SparseLoCo)', () => {
    const reached = new Map<string, number>();
    const configArb: fc.Arbitrary<CommunicatorConfig> = fc.oneof(
      fc.constantFrom<CommunicatorConfig>({ method: 'ddp' }, { method: 'ddp', wireDtype: 'bf16' }, { method: 'diloco' }, { method: 'diloco', wireDtype: 'bf16' }),
      fc.record({ method: fc.constant('demo' as const), topK: fc.integer({ min: 1, max: 64 }), indexCoding: fc.constantFrom(...CODINGS) }),
      fc.record({ method: fc.constant('sparseloco' as const), topK: fc.integer({ min: 1, max: 64 }), quantBits: fc.constantFrom(...BITS), indexCoding: fc.constantFrom(...CODINGS) }),
    );
    fc.assert(
      fc.property(layoutArb, configArb, fc.integer({ min: 0, max: 1e6 }), (layout, rawConfig, seed) => {
        // Keep topK within the layout's largest chunk, as validateCommunicatorConfig requires.
        const config = 'topK' in rawConfig && rawConfig.topK !== undefined ? { ...rawConfig, topK: 1 + ((rawConfig.topK - 1) % maxChunkLen(layout)) } : rawConfig;
        const comm = createCommunicator(layout, config);
        const bytes = comm.encode(comm.createPeerState(), randomVector(layout, seed));
        const rice = (config as { indexCoding?: IndexCoding }).indexCoding === 'rice';
        const size = messageEncodedBytes(layout, config, rice ? statsFromBytes(bytes, layout) : undefined);
        expect(size.bytes).to.equal(bytes.length);
        const label = `${config.method}/${(config as { wireDtype?: string }).wireDtype ?? (config as { indexCoding?: string }).indexCoding ?? 'fp32'}`;
        reached.set(label, (reached.get(label) ?? 0) + 1);
      }),
      { seed: 7, numRuns: 120 },
    );
    for (const label of ['ddp/fp32', 'ddp/bf16', 'diloco/fp32', 'diloco/bf16', 'demo/packed12', 'demo/rice', 'sparseloco/packed12', 'sparseloco/rice']) {
      expect(reached.get(label) ?? 0, label).to.be.greaterThan(3);
    }
  });

  it('equals the real encoder on small LLaMA-style layouts', () => {
    let cases = 0;
    fc.assert(
      fc.property(
        fc.record({
          layers: fc.integer({ min: 1, max: 2 }),
          kvHeads: fc.integer({ min: 1, max: 2 }),
          group: fc.integer({ min: 1, max: 2 }),
          headDim: fc.constantFrom(8, 16, 24),
          ffn: fc.integer({ min: 1, max: 96 }),
          vocab: fc.integer({ min: 2, max: 150 }),
          tiedEmbeddings: fc.boolean(),
        }),
        fc.constantFrom(...CODINGS),
        (a, indexCoding) => {
          const heads = a.kvHeads * a.group;
          const arch: LlamaArchitecture = { layers: a.layers, hidden: heads * a.headDim, heads, kvHeads: a.kvHeads, ffn: a.ffn, vocab: a.vocab, tiedEmbeddings: a.tiedEmbeddings };
          const layout = llamaLayout(arch);
          const cfg = resolveSparseLocoConfig({ indexCoding, topK: Math.min(64, maxChunkLen(layout)) });
          const bytes = encodeUpdate(compress(layout, cfg, new Float32Array(layout.size), randomVector(layout, cases)), layout, { indexCoding });
          const size = encodedBytes(layout, { indexCoding, topK: cfg.topK }, indexCoding === 'rice' ? statsFromBytes(bytes, layout) : undefined);
          expect(size.bytes).to.equal(bytes.length);
          cases++;
        },
      ),
      { seed: 11, numRuns: 40 },
    );
    expect(cases).to.equal(40);
  });

  it('estimates Rice index sections of uniform random top-k messages within 1% (mean relative error)', () => {
    const rng = createRng('rice-estimate');
    const errors: number[] = [];
    for (const [rows, cols, topK] of [[256, 256, 64], [128, 128, 16], [64, 320, 200], [64, 64, 2], [1, 4096, 8]] as const) {
      const layout = defineLayout([{ name: 'w', shape: [rows, cols] }]);
      for (let trial = 0; trial < 8; trial++) {
        const update = uniformTopK(layout, topK, rng);
        const real = encodeUpdate(update, layout, { indexCoding: 'rice' }).length;
        const est = encodedBytes(layout, { topK, indexCoding: 'rice' });
        expect(est.exact).to.equal(false);
        const realIndexBytes = real - (est.bytes - est.indexBytes);
        errors.push(Math.abs(est.indexBytes - realIndexBytes) / realIndexBytes);
      }
    }
    const mean = errors.reduce((s, e) => s + e, 0) / errors.length;
    expect(errors).to.have.length(40);
    expect(mean, `mean relative error ${(100 * mean).toFixed(3)} %`).to.be.lessThan(0.01);
  });

  it('the Rice estimate is exact where the indices are forced (k = n) and about 7.56 bits per index at 64 of 4096', () => {
    expect(expectedRiceChunkBits(64, 64)).to.equal(4 + 64); // p = 0, every gap 0
    expect(expectedRiceChunkBits(4096, 64) / 64).to.be.within(7.5, 7.6);
    expect(() => expectedRiceChunkBits(64, 65)).to.throw(ConfigError, /kEff/);
  });

  it('prices Covenant-72B in closed form: 146.1× smaller than fp32 at SPEC defaults, 1.564 % of values', () => {
    const layout = llamaLayout(COVENANT_72B);
    const size = encodedBytes(layout);
    expect(size.bytes).to.equal(1_991_479_920);
    expect((4 * layout.size) / size.bytes).to.be.within(146.1, 146.2);
    expect(size.valuesSent / layout.size).to.be.within(0.01564, 0.01565);
    // The dense codec's u32 element count cannot frame 72.7e9 values as one message.
    expect(() => denseEncodedBytes(layout, 'bf16')).to.throw(ConfigError, /u32 element count/);
  });

  it('rejects bad configs and stats with typed errors naming the value', () => {
    const layout = defineLayout([{ name: 'w', shape: [64, 64] }]);
    expect(() => encodedBytes(layout, { topK: 5000 })).to.throw(ConfigError, /optim.topK \(5000\)/);
    expect(() => encodedBytes(layout, { quantBits: 3 as QuantBits })).to.throw(ConfigError, /optim.quantBits/);
    expect(() => encodedBytes(layout, { indexCoding: 'rice' }, { tensorBits: [1, 2] })).to.throw(ConfigError, /tensorBits.length \(2\)/);
    expect(() => encodedBytes(layout, { indexCoding: 'rice' }, { tensorBits: [-1] })).to.throw(ConfigError, /tensorBits\[0\] \(-1\)/);
    expect(() => encodedBytes(layout, { indexCoding: 'packed12' }, { tensorBits: [1] })).to.throw(ConfigError, /only apply to indexCoding "rice"/);
    expect(() => messageEncodedBytes(layout, { method: 'diloco', wireDtype: 'fp16' as 'fp32' })).to.throw(ConfigError, /wireDtype/);
    expect(() => messageEncodedBytes(layout, { method: 'demo', topk: 3 } as unknown as CommunicatorConfig)).to.throw(ConfigError, /optim.topk/);
  });
});

/** A message whose every chunk holds topK uniformly random distinct indices (ascending), 2-bit codes. */
function uniformTopK(layout: ParamLayout, topK: number, rng: ReturnType<typeof createRng>): CompressedUpdate {
  const tensors: CompressedTensor[] = layout.tensors.map((t) => {
    const { chunkLen, numChunks } = t.chunk;
    const k = effectiveTopK(topK, chunkLen);
    const indices = new Uint16Array(numChunks * k);
    const perm = Uint16Array.from({ length: chunkLen }, (_, i) => i);
    for (let c = 0; c < numChunks; c++) {
      for (let j = 0; j < k; j++) {
        const r = j + Math.floor(rng.next() * (chunkLen - j));
        [perm[j], perm[r]] = [perm[r]!, perm[j]!];
        indices[c * k + j] = perm[j]!;
      }
      indices.subarray(c * k, (c + 1) * k).sort();
    }
    return { kEff: k, indices, codes: new Uint8Array(indices.length), quant: { mean: 0, scale: 1, lut: new Float32Array(4) }, values: null };
  });
  return { layoutId: layout.id, quantBits: 2, tensors };
}
