import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError } from '../../../core/errors.ts';
import { checkSubmission, medianNormBounds } from '../../../core/gauntlet/integrity.ts';
import type { IntegrityContext, IntegrityReason, SubmissionEvidence } from '../../../core/gauntlet/integrity.ts';
import { createRng } from '../../../core/rng.ts';
import { encodeUpdate } from '../../../core/sparseloco/codec.ts';
import { compress } from '../../../core/sparseloco/compress.ts';
import { resolveSparseLocoConfig } from '../../../core/sparseloco/config.ts';
import type { CompressedUpdate } from '../../../core/sparseloco/message.ts';
import { defaultCfg, encodeDelta, fnvHash, layout } from './fixture.ts';

const context: IntegrityContext = { layout, cfg: defaultCfg, hash: fnvHash, windowEnd: 100, globalStep: 5 };
const REASONS: readonly IntegrityReason[] = ['missing', 'late', 'hash-mismatch', 'stale', 'decode', 'config-mismatch', 'non-finite', 'norm-bound'];

function goodBytes(seed = 1): Uint8Array {
  return encodeDelta(createRng(seed).fillNormal(new Float32Array(layout.size)), defaultCfg);
}
function submit(bytes: Uint8Array | null, overrides: Partial<SubmissionEvidence> = {}): SubmissionEvidence {
  return { bytes, commitment: bytes ? { hash: fnvHash(bytes), baseStep: 5 } : null, arrivedAt: 99, ...overrides };
}

describe('core/gauntlet/integrity', () => {
  it('passes an honest submission and returns its decoded update and tensor norms', () => {
    const verdict = checkSubmission(submit(goodBytes()), context);
    expect(verdict.ok).to.equal(true);
    if (!verdict.ok) return;
    expect(verdict.update.tensors).to.have.length(2);
    expect(verdict.tensorNorms).to.have.length(2);
    verdict.tensorNorms.forEach((n) => expect(n).to.be.greaterThan(0));
  });

  it('reports each failure with its typed reason, in the documented order', () => {
    const bytes = goodBytes();
    const reason = (s: SubmissionEvidence, ctx: Partial<IntegrityContext> = {}): string => {
      const v = checkSubmission(s, { ...context, ...ctx });
      return v.ok ? 'ok' : v.reason;
    };
    expect(reason(submit(null))).to.equal('missing');
    expect(reason(submit(bytes, { arrivedAt: 100 }))).to.equal('ok'); // arrival at windowEnd is on time
    expect(reason(submit(bytes, { arrivedAt: 100.5 }))).to.equal('late');
    expect(reason(submit(bytes, { arrivedAt: null }))).to.equal('late');
    expect(reason(submit(bytes, { commitment: null }))).to.equal('hash-mismatch');
    expect(reason(submit(bytes, { commitment: { hash: 'deadbeef', baseStep: 5 } }))).to.equal('hash-mismatch');
    expect(reason(submit(bytes, { commitment: { hash: fnvHash(bytes), baseStep: 4 } }))).to.equal('stale');
    expect(reason(submit(bytes, { commitment: { hash: fnvHash(bytes), baseStep: 4 } }), { maxStepsBehind: 1 })).to.equal('ok');
    expect(reason(submit(bytes, { commitment: { hash: fnvHash(bytes), baseStep: 6 } }))).to.equal('stale'); // from the future
    expect(reason(submit(bytes, { commitment: { hash: fnvHash(bytes), baseStep: 1.5 } }))).to.equal('stale');
    // A late, mismatched upload is reported as late: the cheaper check runs first.
    expect(reason(submit(bytes, { arrivedAt: 200, commitment: { hash: 'x', baseStep: 0 } }))).to.equal('late');
  });

  it("carries the codec's reason on a decode failure", () => {
    const bytes = goodBytes().slice(0, 30);
    const v = checkSubmission(submit(bytes), context);
    expect(v.ok).to.equal(false);
    if (v.ok) return;
    expect(v.reason).to.equal('decode');
    expect(v.codecReason).to.equal('truncated');
  });

  it('rejects a message encoded with another value coding or another k', () => {
    const fourBit = encodeDelta(createRng(2).fillNormal(new Float32Array(layout.size)), resolveSparseLocoConfig({ quantBits: 4 }));
    const smallK = encodeDelta(createRng(3).fillNormal(new Float32Array(layout.size)), resolveSparseLocoConfig({ topK: 16 }));
    for (const bytes of [fourBit, smallK]) {
      const v = checkSubmission(submit(bytes), context);
      expect(v.ok ? 'ok' : v.reason).to.equal('config-mismatch');
    }
  });

  it('rejects values that dequantise to ±Inf (finite lut and mean whose fp32 sum overflows)', () => {
    const base = compress(layout, defaultCfg, new Float32Array(layout.size), createRng(4).fillNormal(new Float32Array(layout.size)));
    const big = Math.fround(3e38);
    const overflow: CompressedUpdate = {
      ...base,
      tensors: base.tensors.map((t) => ({ ...t, quant: { mean: big, scale: 1, lut: new Float32Array([big, big, big, big]) } })),
    };
    const v = checkSubmission(submit(encodeUpdate(overflow, layout)), context);
    expect(v.ok ? 'ok' : v.reason).to.equal('non-finite');
  });

  it('applies absolute and per-tensor norm bounds', () => {
    const bytes = goodBytes();
    const pass = checkSubmission(submit(bytes), context);
    if (!pass.ok) throw new Error('expected pass');
    const [nw, nb] = pass.tensorNorms as [number, number];
    const at = (normBound: number | number[]): string => {
      const v = checkSubmission(submit(bytes), { ...context, normBound });
      return v.ok ? 'ok' : v.reason;
    };
    expect(at(Math.max(nw, nb))).to.equal('ok');
    expect(at(Math.min(nw, nb) / 2)).to.equal('norm-bound');
    expect(at([nw, nb / 2])).to.equal('norm-bound');
    expect(at([nw, nb])).to.equal('ok');
  });

  it('derives bounds from the lower median of the round norms', () => {
    expect(medianNormBounds([[1, 10], [3, 30], [2, 20], [100, 0]], 2)).to.deep.equal([4, 40]);
    // Half the peers send zeros (free-riders): the bound comes from the non-zero norms only.
    expect(medianNormBounds([[0], [0], [5], [7]], 10)).to.deep.equal([50]);
    expect(medianNormBounds([[0], [0]], 10)).to.deep.equal([Infinity]);
    expect(medianNormBounds([], 2)).to.equal(null);
    expect(() => medianNormBounds([[1]], 0)).to.throw(ConfigError);
  });

  it('throws ConfigError only for a bad context', () => {
    expect(() => checkSubmission(submit(goodBytes()), { ...context, maxStepsBehind: -1 })).to.throw(ConfigError);
    expect(() => checkSubmission(submit(goodBytes()), { ...context, globalStep: 1.5 })).to.throw(ConfigError);
    expect(() => checkSubmission(submit(goodBytes()), { ...context, normBound: [1] })).to.throw(ConfigError);
  });

  describe('fuzz: never throws on peer input, always a typed reason', () => {
    const verdictOf = (bytes: Uint8Array): string => {
      const v = checkSubmission(submit(bytes), context);
      if (!v.ok) {
        expect(REASONS).to.include(v.reason);
        expect(v.detail).to.be.a('string');
      }
      return v.ok ? 'ok' : v.reason;
    };

    it('random bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
          expect(verdictOf(bytes)).to.be.oneOf(['ok', 'decode', 'config-mismatch', 'non-finite']);
        }),
        { numRuns: 300, seed: 42 },
      );
    });

    it('mutated and truncated honest messages', () => {
      const base = goodBytes(9);
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
          fc.nat(base.length),
          (edits, cut) => {
            const bytes = base.slice();
            for (const [at, value] of edits) bytes[at] = value;
            verdictOf(bytes);
            verdictOf(bytes.slice(0, cut));
          },
        ),
        { numRuns: 300, seed: 43 },
      );
    });

    it('garbage evidence fields', () => {
      const bytes = goodBytes();
      const odd: SubmissionEvidence[] = [
        { bytes: 'not bytes' as unknown as Uint8Array, commitment: null, arrivedAt: 1 },
        { bytes, commitment: { hash: fnvHash(bytes), baseStep: Number.NaN }, arrivedAt: 1 },
        { bytes, commitment: { hash: fnvHash(bytes), baseStep: '5' as unknown as number }, arrivedAt: 1 },
        { bytes, commitment: 'x' as unknown as null, arrivedAt: 1 },
        { bytes, commitment: { hash: fnvHash(bytes), baseStep: 5 }, arrivedAt: Number.NaN },
      ];
      for (const s of odd) {
        const v = checkSubmission(s, context);
        expect(v.ok).to.equal(false);
      }
    });
  });
});
