import { expect } from 'chai';
import fc from 'fast-check';
import { defineLayout } from '../../../core/layout.ts';
import type { ParamLayout, TensorSpec } from '../../../core/layout.ts';
import { createRng } from '../../../core/rng.ts';
import type { Rng } from '../../../core/rng.ts';
import { CodecError, decodeUpdate, encodeUpdate, peekHeader } from '../../../core/sparseloco/codec.ts';
import type { CodecErrorReason } from '../../../core/sparseloco/codec.ts';
import type { IndexCoding, QuantBits } from '../../../core/sparseloco/config.ts';
import type { CompressedTensor, CompressedUpdate } from '../../../core/sparseloco/message.ts';
import { BitWriter } from '../../../core/sparseloco/bitio.ts';

// ─── Message builders ────────────────────────────────────────────────────────────────────────────

interface BuildOptions {
  bits: QuantBits | null;
  /** Per-tensor kEff; default: random in [1, chunkLen]. */
  kEff?: (chunkLen: number, rng: Rng) => number;
  /** Emit each chunk ascending (as the compressor does) or in random order. */
  ascending?: boolean;
}

/** k distinct indices of [0, chunkLen), by partial Fisher–Yates over a reusable permutation. */
function pickDistinct(rng: Rng, perm: Uint16Array, chunkLen: number, k: number, out: Uint16Array, at: number): void {
  for (let j = 0; j < k; j++) {
    const r = j + Math.floor(rng.next() * (chunkLen - j));
    const tmp = perm[j]!;
    perm[j] = perm[r]!;
    perm[r] = tmp;
    out[at + j] = perm[j]!;
  }
}

function randomUpdate(layout: ParamLayout, rng: Rng, options: BuildOptions): CompressedUpdate {
  const { bits } = options;
  const tensors: CompressedTensor[] = layout.tensors.map((spec) => {
    const { chunkLen, numChunks } = spec.chunk;
    const k = options.kEff ? options.kEff(chunkLen, rng) : rng.int(1, chunkLen);
    const n = numChunks * k;
    const indices = new Uint16Array(n);
    const perm = Uint16Array.from({ length: chunkLen }, (_, i) => i);
    for (let c = 0; c < numChunks; c++) {
      pickDistinct(rng, perm, chunkLen, k, indices, c * k);
      if (options.ascending) indices.subarray(c * k, (c + 1) * k).sort();
    }
    if (bits === null) {
      const values = rng.fillNormal(new Float32Array(n));
      return { kEff: k, indices, codes: new Uint8Array(0), quant: null, values };
    }
    const bins = 1 << bits;
    const codes = Uint8Array.from({ length: n }, () => rng.int(0, bins - 1));
    const lut = rng.fillNormal(new Float32Array(bins));
    const quant = { mean: Math.fround(rng.normal()), scale: Math.fround(rng.uniform(0.01, 3)), lut };
    return { kEff: k, indices, codes, quant, values: null };
  });
  return { layoutId: layout.id, quantBits: bits, tensors };
}

/** The same message with each chunk's entries sorted by index (what a rice round trip returns). */
function sortedByChunk(update: CompressedUpdate): CompressedUpdate {
  return {
    ...update,
    tensors: update.tensors.map((t) => {
      const n = t.indices.length;
      const order = Array.from({ length: n }, (_, i) => i);
      for (let base = 0; base < n; base += t.kEff) {
        const chunk = order.slice(base, base + t.kEff).sort((a, b) => t.indices[a]! - t.indices[b]!);
        order.splice(base, t.kEff, ...chunk);
      }
      return {
        ...t,
        indices: Uint16Array.from(order, (i) => t.indices[i]!),
        codes: t.quant === null ? t.codes : Uint8Array.from(order, (i) => t.codes[i]!),
        values: t.values === null ? null : Float32Array.from(order, (i) => t.values![i]!),
      };
    }),
  };
}

/** Small random layouts: 1-D and 2-D, ragged shapes (prime sides give 1-wide chunks), small chunk targets. */
const layoutArb = fc
  .record({
    targetChunk: fc.integer({ min: 1, max: 16 }),
    shapes: fc.array(
      fc.oneof(
        fc.tuple(fc.integer({ min: 1, max: 90 })),
        fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 })),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ targetChunk, shapes }) =>
    defineLayout(
      shapes.map((shape, i): TensorSpec => ({ name: `t${i}`, shape })),
      { targetChunk },
    ),
  );

const bitsArb = fc.constantFrom<QuantBits | null>(1, 2, 4, 8, null);
const codingArb = fc.constantFrom<IndexCoding>('packed12', 'rice');

function expectCodecError(fn: () => unknown, reason: CodecErrorReason): CodecError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(CodecError);
    expect((err as CodecError).reason, (err as Error).message).to.equal(reason);
    return err as CodecError;
  }
  expect.fail(`expected a CodecError (${reason})`);
}

/** Decodes, or returns the CodecError; anything else thrown fails the test. */
function tryDecode(bytes: Uint8Array, layout: ParamLayout): CompressedUpdate | CodecError {
  try {
    return decodeUpdate(bytes, layout);
  } catch (err) {
    if (err instanceof CodecError) return err;
    throw new Error(`decodeUpdate threw a non-CodecError: ${String(err)}`, { cause: err });
  }
}

const oneTensor = defineLayout([{ name: 'w', shape: [16, 16] }], { targetChunk: 8 }); // 4 chunks of 64
const ratioLayout = defineLayout([{ name: 'w', shape: [4096, 4096] }]);

// ─── Tests ───────────────────────────────────────────────────────────────────────────────────────

describe('codec', () => {
  describe('format', () => {
    it('writes the documented header and tensor record', () => {
      const update = randomUpdate(oneTensor, createRng('hdr'), { bits: 2, kEff: () => 6, ascending: true });
      const bytes = encodeUpdate(update, oneTensor);
      const view = new DataView(bytes.buffer);
      expect(Array.from(bytes.subarray(0, 8))).to.deep.equal([0x53, 0x4c, 0x43, 0x4f, 1, 0, 2, 0]);
      expect(view.getUint32(8, true)).to.equal(oneTensor.id);
      expect(view.getUint32(12, true)).to.equal(1);
      expect(view.getUint32(16, true)).to.equal(6); // kEff
      expect(view.getUint32(20, true)).to.equal(36); // 24 indices → 12 pairs → 36 bytes
      expect(view.getFloat32(24, true)).to.equal(update.tensors[0]!.quant!.mean);
      expect(view.getFloat32(28, true)).to.equal(update.tensors[0]!.quant!.scale);
      // 16 header + 8 record + 4·(2+4) quant + 36 indices + 24 codes at 2 bits = 6 bytes
      expect(bytes.length).to.equal(16 + 8 + 24 + 36 + 6);
      expect(peekHeader(bytes)).to.deep.equal({ version: 1, indexCoding: 'packed12', quantBits: 2, layoutId: oneTensor.id, tensorCount: 1 });
    });

    it('packs index pairs exactly as SPEC.md §2.3', () => {
      const layout = defineLayout([{ name: 'w', shape: [64, 64] }]);
      const indices = new Uint16Array([0xabc, 0x123, 4095, 0]);
      const update: CompressedUpdate = {
        layoutId: layout.id,
        quantBits: null,
        tensors: [{ kEff: 4, indices, codes: new Uint8Array(0), quant: null, values: new Float32Array([1, -2, 3.5, 0]) }],
      };
      const bytes = encodeUpdate(update, layout);
      expect(Array.from(bytes.subarray(24, 30))).to.deep.equal([0xbc, 0x3a, 0x12, 0xff, 0x0f, 0x00]);
      expect(new DataView(bytes.buffer).getFloat32(30 + 4, true)).to.equal(-2);
      expect(decodeUpdate(bytes, layout)).to.deep.equal(update);
    });

    it('packs 2-bit codes four per byte, little end first', () => {
      const layout = defineLayout([{ name: 'w', shape: [4] }]);
      const update: CompressedUpdate = {
        layoutId: layout.id,
        quantBits: 2,
        tensors: [
          {
            kEff: 4,
            indices: new Uint16Array([0, 1, 2, 3]),
            codes: new Uint8Array([1, 2, 3, 0]),
            quant: { mean: 0.5, scale: 1, lut: new Float32Array([-2, -1, 0, 1]) },
            values: null,
          },
        ],
      };
      const bytes = encodeUpdate(update, layout);
      expect(bytes[bytes.length - 1]).to.equal(1 | (2 << 2) | (3 << 4) | (0 << 6));
    });

    it('pads an odd index count with a zero index (one-element chunks)', () => {
      const layout = defineLayout([{ name: 'v', shape: [3] }], { targetChunk: 1 }); // 3 chunks of 1
      const update = randomUpdate(layout, createRng('odd'), { bits: 8, kEff: () => 1 });
      const bytes = encodeUpdate(update, layout);
      expect(new DataView(bytes.buffer).getUint32(20, true)).to.equal(6);
      expect(decodeUpdate(bytes, layout)).to.deep.equal(update);
    });
  });

  describe('round trip', () => {
    it('decodes from any byte offset, including a Node Buffer, into fresh arrays', () => {
      for (const bits of [8, null] as const) {
        const update = randomUpdate(oneTensor, createRng('offset'), { bits, ascending: true });
        const bytes = encodeUpdate(update, oneTensor);
        const host = Buffer.alloc(bytes.length + 7);
        host.set(bytes, 3);
        const decoded = decodeUpdate(host.subarray(3, 3 + bytes.length), oneTensor);
        expect(decoded).to.deep.equal(update);
        host.fill(0); // the decoded message must not alias the input
        expect(decoded).to.deep.equal(update);
      }
    });

    it('rejects a non-Uint8Array input with a CodecError', () => {
      expectCodecError(() => decodeUpdate(null as unknown as Uint8Array, oneTensor), 'bad-input');
      expectCodecError(() => decodeUpdate([1, 2, 3] as unknown as Uint8Array, oneTensor), 'bad-input');
    });

    it('decode(encode(m)) = m for random messages (packed12 keeps order; rice sorts each chunk)', () => {
      fc.assert(
        fc.property(layoutArb, bitsArb, codingArb, fc.boolean(), fc.nat(), (layout, bits, coding, ascending, seed) => {
          const update = randomUpdate(layout, createRng(seed), { bits, ascending });
          const bytes = encodeUpdate(update, layout, { indexCoding: coding });
          const expected = coding === 'rice' ? sortedByChunk(update) : update;
          expect(decodeUpdate(bytes, layout)).to.deep.equal(expected);
        }),
        { seed: 1, numRuns: 300 },
      );
    });

    it('packed12 and rice decode to identical messages for ascending chunks', () => {
      fc.assert(
        fc.property(layoutArb, bitsArb, fc.nat(), (layout, bits, seed) => {
          const update = randomUpdate(layout, createRng(seed), { bits, ascending: true });
          const viaPacked = decodeUpdate(encodeUpdate(update, layout), layout);
          const viaRice = decodeUpdate(encodeUpdate(update, layout, { indexCoding: 'rice' }), layout);
          expect(viaRice).to.deep.equal(viaPacked);
          expect(viaPacked).to.deep.equal(update);
        }),
        { seed: 2, numRuns: 150 },
      );
    });

    it('packed12 has one encoding per message: encode(decode(bytes)) = bytes', () => {
      fc.assert(
        fc.property(layoutArb, bitsArb, fc.nat(), (layout, bits, seed) => {
          const bytes = encodeUpdate(randomUpdate(layout, createRng(seed), { bits }), layout);
          expect(encodeUpdate(decodeUpdate(bytes, layout), layout)).to.deep.equal(bytes);
        }),
        { seed: 3, numRuns: 100 },
      );
    });
  });

  describe('compression ratio (one 4096×4096 tensor, 64 of 4096 per chunk, 2-bit codes)', () => {
    it('packed12 ≥ 146× and rice ≥ 200× against dense fp32', () => {
      const update = randomUpdate(ratioLayout, createRng('ratio'), { bits: 2, kEff: () => 64, ascending: true });
      const dense = 4 * ratioLayout.size; // bytes
      const packed = encodeUpdate(update, ratioLayout);
      const rice = encodeUpdate(update, ratioLayout, { indexCoding: 'rice' });
      const packedRatio = dense / packed.length;
      const riceRatio = dense / rice.length;
      console.log(
        `      packed12: ${packed.length} bytes, ${packedRatio.toFixed(1)}×; rice: ${rice.length} bytes, ${riceRatio.toFixed(1)}×` +
          ` (${((8 * (rice.length - 65_536 - 48)) / 262_144).toFixed(2)} bits per index)`,
      );
      expect(packedRatio).to.be.at.least(146);
      expect(riceRatio).to.be.at.least(200);
      expect(decodeUpdate(rice, ratioLayout)).to.deep.equal(decodeUpdate(packed, ratioLayout));
    });
  });

  describe('encoder validation', () => {
    const base = () => randomUpdate(oneTensor, createRng('enc'), { bits: 2, kEff: () => 8, ascending: true });
    const withTensor = (patch: Partial<CompressedTensor>, bits: QuantBits | null = 2): CompressedUpdate => {
      const u = base();
      return { ...u, quantBits: bits, tensors: [{ ...u.tensors[0]!, ...patch }] };
    };

    it('rejects a message for another layout', () => {
      expectCodecError(() => encodeUpdate({ ...base(), layoutId: oneTensor.id ^ 1 }, oneTensor), 'layout-mismatch');
      expectCodecError(() => encodeUpdate({ ...base(), tensors: [] }, oneTensor), 'layout-mismatch');
    });

    it('rejects bad kEff, lengths and codings', () => {
      expectCodecError(() => encodeUpdate(withTensor({ kEff: 0 }), oneTensor), 'bad-k');
      expectCodecError(() => encodeUpdate(withTensor({ kEff: 65 }), oneTensor), 'bad-k');
      expectCodecError(() => encodeUpdate(withTensor({ kEff: 7 }), oneTensor), 'bad-length');
      expectCodecError(() => encodeUpdate(withTensor({ codes: new Uint8Array(31) }), oneTensor), 'bad-length');
      const lut = new Float32Array(3);
      expectCodecError(() => encodeUpdate(withTensor({ quant: { mean: 0, scale: 1, lut } }), oneTensor), 'bad-length');
      expectCodecError(() => encodeUpdate(withTensor({}, null), oneTensor), 'bad-value-coding');
      expectCodecError(() => encodeUpdate(withTensor({}, 3 as QuantBits), oneTensor), 'bad-value-coding');
      expectCodecError(() => encodeUpdate(base(), oneTensor, { indexCoding: 'zip' as IndexCoding }), 'bad-input');
    });

    it('rejects indices out of range or repeated, and codes ≥ bins, naming tensor and chunk', () => {
      const indices = base().tensors[0]!.indices.slice();
      indices[9] = 64;
      const err = expectCodecError(() => encodeUpdate(withTensor({ indices }), oneTensor), 'index-out-of-range');
      expect(err.tensor).to.equal('w');
      expect(err.chunk).to.equal(1);
      expect(err.message).to.contain('index 64').and.contain('chunk 1');
      const dup = base().tensors[0]!.indices.slice();
      dup[17] = dup[16]!;
      expect(expectCodecError(() => encodeUpdate(withTensor({ indices: dup }), oneTensor), 'duplicate-index').chunk).to.equal(2);
      const codes = new Uint8Array(32);
      codes[31] = 4;
      expect(expectCodecError(() => encodeUpdate(withTensor({ codes }), oneTensor), 'bad-code').chunk).to.equal(3);
    });

    it('rejects non-finite or non-fp32 floats and scale ≤ 0', () => {
      const lut = new Float32Array([0, 1, Infinity, 2]);
      expectCodecError(() => encodeUpdate(withTensor({ quant: { mean: 0, scale: 1, lut } }), oneTensor), 'non-finite');
      const okLut = new Float32Array(4);
      expectCodecError(() => encodeUpdate(withTensor({ quant: { mean: NaN, scale: 1, lut: okLut } }), oneTensor), 'non-finite');
      expectCodecError(() => encodeUpdate(withTensor({ quant: { mean: 0.1, scale: 1, lut: okLut } }), oneTensor), 'not-fp32');
      expectCodecError(() => encodeUpdate(withTensor({ quant: { mean: 0, scale: 0, lut: okLut } }), oneTensor), 'bad-scale');
      expectCodecError(() => encodeUpdate(withTensor({ quant: { mean: 0, scale: -1, lut: okLut } }), oneTensor), 'bad-scale');
      const values = new Float32Array(32);
      values[5] = NaN;
      const raw = withTensor({ quant: null, codes: new Uint8Array(0), values }, null);
      expectCodecError(() => encodeUpdate(raw, oneTensor), 'non-finite');
    });
  });

  describe('decoder validation', () => {
    const update = randomUpdate(oneTensor, createRng('dec'), { bits: 2, kEff: () => 6, ascending: true });
    const valid = encodeUpdate(update, oneTensor); // index section at 48 (36 bytes), codes at 84 (6 bytes)
    const edit = (fn: (b: Uint8Array, v: DataView) => void, from = valid): Uint8Array => {
      const b = from.slice();
      fn(b, new DataView(b.buffer));
      return b;
    };

    it('rejects every truncation with "truncated" and extra bytes with "trailing-bytes"', () => {
      for (const coding of ['packed12', 'rice'] as const) {
        const bytes = encodeUpdate(update, oneTensor, { indexCoding: coding });
        for (let len = 0; len < bytes.length; len++) expectCodecError(() => decodeUpdate(bytes.subarray(0, len), oneTensor), 'truncated');
        const longer = new Uint8Array(bytes.length + 1);
        longer.set(bytes);
        expectCodecError(() => decodeUpdate(longer, oneTensor), 'trailing-bytes');
      }
    });

    it('checks magic, version, codings, reserved byte and layout', () => {
      expectCodecError(() => decodeUpdate(edit((b) => (b[0] = 0x54)), oneTensor), 'bad-magic');
      expectCodecError(() => decodeUpdate(edit((b) => (b[4] = 2)), oneTensor), 'bad-version');
      expectCodecError(() => decodeUpdate(edit((b) => (b[5] = 2)), oneTensor), 'bad-index-coding');
      expectCodecError(() => decodeUpdate(edit((b) => (b[6] = 3)), oneTensor), 'bad-value-coding');
      expectCodecError(() => decodeUpdate(edit((b) => (b[7] = 1)), oneTensor), 'bad-reserved');
      expectCodecError(() => decodeUpdate(edit((b) => (b[8] ^= 1)), oneTensor), 'layout-mismatch');
      expectCodecError(() => decodeUpdate(edit((_, v) => v.setUint32(12, 2, true)), oneTensor), 'layout-mismatch');
      expectCodecError(() => decodeUpdate(valid, defineLayout([{ name: 'w', shape: [16, 17] }], { targetChunk: 8 })), 'layout-mismatch');
    });

    it('checks kEff and the section lengths', () => {
      expectCodecError(() => decodeUpdate(edit((_, v) => v.setUint32(16, 0, true)), oneTensor), 'bad-k');
      expectCodecError(() => decodeUpdate(edit((_, v) => v.setUint32(16, 65, true)), oneTensor), 'bad-k');
      expectCodecError(() => decodeUpdate(edit((_, v) => v.setUint32(20, 33, true)), oneTensor), 'bad-length');
      expectCodecError(() => decodeUpdate(edit((_, v) => v.setUint32(20, 0xffffffff, true)), oneTensor), 'bad-length');
    });

    it('rejects indices out of range or repeated within a chunk', () => {
      // First pair of the index section: a = 64 (≥ chunkLen 64).
      const outOfRange = edit((b) => {
        b[48] = 64;
        b[49] &= 0xf0;
      });
      const err = expectCodecError(() => decodeUpdate(outOfRange, oneTensor), 'index-out-of-range');
      expect([err.tensor, err.chunk]).to.deep.equal(['w', 0]);
      // Second index := first index (a's low nibble set as b's low nibble, a's high byte as b's high).
      const a = update.tensors[0]!.indices[0]!;
      const duplicate = edit((b) => {
        b[49] = ((a >> 8) & 0x0f) | ((a & 0x0f) << 4);
        b[50] = a >> 4;
      });
      expectCodecError(() => decodeUpdate(duplicate, oneTensor), 'duplicate-index');
    });

    it('rejects non-zero padding after the last code and after an odd index count', () => {
      const layout = defineLayout([{ name: 'v', shape: [3] }], { targetChunk: 1 });
      const odd = encodeUpdate(randomUpdate(layout, createRng('pad'), { bits: 2, kEff: () => 1 }), layout);
      // 3 chunks × 1 index: pairs at 48..53, codes (1 byte, 3 used slots) at 54.
      expectCodecError(() => decodeUpdate(edit((b) => (b[52] |= 0x10), odd), layout), 'bad-padding');
      expectCodecError(() => decodeUpdate(edit((b) => (b[53] = 1), odd), layout), 'bad-padding');
      expectCodecError(() => decodeUpdate(edit((b) => (b[54] |= 0x40), odd), layout), 'bad-padding');
    });

    it('rejects non-finite quant params and raw values, and scale ≤ 0', () => {
      expectCodecError(() => decodeUpdate(edit((_, v) => v.setFloat32(24, NaN, true)), oneTensor), 'non-finite');
      expectCodecError(() => decodeUpdate(edit((_, v) => v.setFloat32(28, Infinity, true)), oneTensor), 'non-finite');
      expectCodecError(() => decodeUpdate(edit((_, v) => v.setFloat32(32 + 12, -Infinity, true)), oneTensor), 'non-finite');
      expectCodecError(() => decodeUpdate(edit((_, v) => v.setFloat32(28, 0, true)), oneTensor), 'bad-scale');
      expectCodecError(() => decodeUpdate(edit((_, v) => v.setFloat32(28, -2, true)), oneTensor), 'bad-scale');
      const raw = encodeUpdate(randomUpdate(oneTensor, createRng('raw'), { bits: null, kEff: () => 2 }), oneTensor);
      // 8 indices → 12 bytes at 24; values at 36.
      const err = expectCodecError(() => decodeUpdate(edit((_, v) => v.setFloat32(36 + 4 * 5, NaN, true), raw), oneTensor), 'non-finite');
      expect(err.chunk).to.equal(2);
    });

    describe('rice streams', () => {
      const rice = encodeUpdate(update, oneTensor, { indexCoding: 'rice' });
      const riceBytes = new DataView(rice.buffer).getUint32(20, true);
      /** The message with its index section replaced by `section`. */
      const withSection = (section: Uint8Array): Uint8Array => {
        const out = new Uint8Array(rice.length - riceBytes + section.length);
        out.set(rice.subarray(0, 48));
        new DataView(out.buffer).setUint32(20, section.length, true);
        out.set(section, 48);
        out.set(rice.subarray(48 + riceBytes), 48 + section.length);
        return out;
      };
      const stream = (write: (w: BitWriter) => void, size = 64): Uint8Array => {
        const out = new Uint8Array(size);
        const w = new BitWriter(out, 0);
        write(w);
        return out.subarray(0, w.flush());
      };

      it('accepts a hand-written stream with non-optimal parameters', () => {
        const decoded = decodeUpdate(rice, oneTensor);
        const section = stream((w) => {
          for (let c = 0; c < 4; c++) {
            w.writeBits(11, 4); // p = 11: every gap in 12 bits
            let prev = -1;
            for (let j = 0; j < 6; j++) {
              const idx = decoded.tensors[0]!.indices[c * 6 + j]!;
              w.writeUnary(0);
              w.writeBits(idx - prev - 1, 11);
              prev = idx;
            }
          }
        }, 128);
        expect(decodeUpdate(withSection(section), oneTensor)).to.deep.equal(decoded);
      });

      it('rejects a bad parameter, a gap past the chunk, an overrun, a wrong length and padding', () => {
        expectCodecError(() => decodeUpdate(withSection(stream((w) => w.writeBits(12, 4))), oneTensor), 'bad-rice-parameter');
        const gapTooFar = stream((w) => {
          w.writeBits(0, 4);
          w.writeUnary(64);
        });
        expectCodecError(() => decodeUpdate(withSection(gapTooFar), oneTensor), 'index-out-of-range');
        // Six gaps of 10 at p = 0 end at index 65 > 63.
        const walksOff = stream((w) => {
          w.writeBits(0, 4);
          for (let j = 0; j < 6; j++) w.writeUnary(10);
        });
        expectCodecError(() => decodeUpdate(withSection(walksOff), oneTensor), 'index-out-of-range');
        const section = rice.subarray(48, 48 + riceBytes);
        expectCodecError(() => decodeUpdate(withSection(section.subarray(0, riceBytes - 1)), oneTensor), 'truncated');
        const longer = new Uint8Array(riceBytes + 1);
        longer.set(section);
        expectCodecError(() => decodeUpdate(withSection(longer), oneTensor), 'bad-length');
        const padded = section.slice();
        padded[riceBytes - 1] |= 0x80; // 4·4 + gaps: the stream's last bit is not bit 7 here
        expectCodecError(() => decodeUpdate(withSection(padded), oneTensor), 'bad-padding');
      });
    });
  });

  describe('fuzzing: only CodecError, never garbage', () => {
    const fuzzLayout = defineLayout(
      [
        { name: 'm', shape: [12, 20] },
        { name: 'v', shape: [7] },
      ],
      { targetChunk: 4 },
    );

    /** A decode that succeeds must re-encode to a message that decodes identically. */
    function checkDecodeOrCodecError(bytes: Uint8Array): void {
      const result = tryDecode(bytes, fuzzLayout);
      if (result instanceof CodecError) return;
      const coding = peekHeader(bytes).indexCoding;
      const again = encodeUpdate(result, fuzzLayout, { indexCoding: coding });
      expect(decodeUpdate(again, fuzzLayout)).to.deep.equal(result);
      if (coding === 'packed12') expect(again).to.deep.equal(bytes); // one encoding per message
    }

    it('arbitrary bytes', () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => checkDecodeOrCodecError(bytes)), { seed: 7, numRuns: 500 });
    });

    it('arbitrary bodies behind a valid header', () => {
      const header = encodeUpdate(randomUpdate(fuzzLayout, createRng('h'), { bits: 2 }), fuzzLayout).subarray(0, 16);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 1 }), fc.constantFrom(0, 1, 2, 4, 8), fc.uint8Array({ maxLength: 600 }), (coding, bits, body) => {
          const bytes = new Uint8Array(16 + body.length);
          bytes.set(header);
          bytes[5] = coding;
          bytes[6] = bits;
          bytes.set(body, 16);
          checkDecodeOrCodecError(bytes);
        }),
        { seed: 8, numRuns: 500 },
      );
    });

    const mutation = fc.oneof(
      fc.record({ op: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(), byte: fc.nat(255) }),
      fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
    );
    type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

    function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
      const at = bytes.length === 0 ? 0 : m.at % (bytes.length + (m.op === 'insert' ? 1 : 0));
      switch (m.op) {
        case 'flip': {
          const out = bytes.slice();
          if (out.length > 0) out[at] ^= m.mask;
          return out;
        }
        case 'insert': {
          const out = new Uint8Array(bytes.length + 1);
          out.set(bytes.subarray(0, at));
          out[at] = m.byte;
          out.set(bytes.subarray(at), at + 1);
          return out;
        }
        case 'delete': {
          const out = new Uint8Array(Math.max(0, bytes.length - 1));
          out.set(bytes.subarray(0, at));
          out.set(bytes.subarray(at + 1), at);
          return out;
        }
        case 'truncate':
          return bytes.slice(0, at);
      }
    }

    it('mutated valid encodings (flip, insert, delete, truncate)', () => {
      let decodedAfterMutation = 0;
      fc.assert(
        fc.property(bitsArb, codingArb, fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (bits, coding, seed, mutations) => {
          const update = randomUpdate(fuzzLayout, createRng(seed), { bits, ascending: seed % 2 === 0 });
          let bytes = encodeUpdate(update, fuzzLayout, { indexCoding: coding });
          for (const m of mutations) bytes = mutate(bytes, m);
          if (!(tryDecode(bytes, fuzzLayout) instanceof CodecError)) decodedAfterMutation++;
          checkDecodeOrCodecError(bytes);
        }),
        { seed: 9, numRuns: 1500 },
      );
      // Flips inside codes or floats stay valid messages: the fuzzer must reach the success path too.
      expect(decodedAfterMutation).to.be.greaterThan(50);
    });
  });
});
