import { expect } from 'chai';
import fc from 'fast-check';
import { checkSubmission } from '../../../core/gauntlet/integrity.ts';
import { fnv1a } from '../../../core/hash.ts';
import { defineLayout } from '../../../core/layout.ts';
import { createRng } from '../../../core/rng.ts';
import { decodeUpdate } from '../../../core/sparseloco/codec.ts';
import { createSparseLocoCommunicator } from '../../../core/sparseloco/communicator.ts';
import { configMismatch } from '../../../core/sparseloco/config-match.ts';
import { effectiveTopK, resolveSparseLocoConfig } from '../../../core/sparseloco/config.ts';
import type { QuantBits } from '../../../core/sparseloco/config.ts';

// Two tensors with different chunk lengths (16 and 4), so a topK can clamp in one and not the other.
const layout = defineLayout([{ name: 'w', shape: [8, 8] }, { name: 'b', shape: [8] }], { targetChunk: 4 });
const BITS: readonly (QuantBits | null)[] = [1, 2, 4, 8, null];

/** Bytes a peer running (topK, quantBits) uploads. */
function messageOf(topK: number, quantBits: QuantBits | null): Uint8Array {
  const comm = createSparseLocoCommunicator(layout, { method: 'sparseloco', topK, quantBits });
  return comm.encode(comm.createPeerState(), createRng(`cm:${topK}:${quantBits}`).fillNormal(new Float32Array(layout.size)));
}

describe('core/sparseloco/config-match', () => {
  it('accepts a message of the same config and names the first difference otherwise', () => {
    const cfg = resolveSparseLocoConfig({ topK: 4, quantBits: 2 });
    expect(configMismatch(decodeUpdate(messageOf(4, 2), layout), layout, cfg)).to.equal(null);
    expect(configMismatch(decodeUpdate(messageOf(4, 4), layout), layout, cfg)).to.equal("value coding 4 bits differs from the run's 2");
    expect(configMismatch(decodeUpdate(messageOf(4, null), layout), layout, cfg)).to.equal("value coding null bits differs from the run's 2");
    expect(configMismatch(decodeUpdate(messageOf(6, 2), layout), layout, cfg)).to.equal('tensor "w" kEff 6 differs from the run\'s 4');
    // Bits are checked before k: both differ, the bits are named.
    expect(configMismatch(decodeUpdate(messageOf(6, 4), layout), layout, cfg)).to.match(/^value coding 4/);
  });

  it('compares the effective k per tensor: a topK that clamps to the same k matches', () => {
    // chunkLen 4 for "b": topK 8 and topK 12 both send 4 there, but not in "w" (chunkLen 16).
    const cfg = resolveSparseLocoConfig({ topK: 12, quantBits: 2 });
    expect(configMismatch(decodeUpdate(messageOf(8, 2), layout), layout, cfg)).to.equal('tensor "w" kEff 8 differs from the run\'s 12');
    const big = resolveSparseLocoConfig({ topK: 16, quantBits: 2 });
    expect(configMismatch(decodeUpdate(messageOf(64, 2), layout), layout, big)).to.equal(null); // 64 clamps to 16 and 4, as 16 does
  });

  it('is the rule the communicator and Gauntlet apply: all three agree on every pair of configs', () => {
    let cases = 0;
    let mismatches = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.constantFrom(...BITS), fc.integer({ min: 1, max: 20 }), fc.constantFrom(...BITS), (runK, runBits, peerK, peerBits) => {
        cases++;
        const cfg = resolveSparseLocoConfig({ topK: runK, quantBits: runBits });
        const bytes = messageOf(peerK, peerBits);
        const expected = runBits === peerBits && layout.tensors.every((t) => effectiveTopK(runK, t.chunk.chunkLen) === effectiveTopK(peerK, t.chunk.chunkLen));
        const detail = configMismatch(decodeUpdate(bytes, layout), layout, cfg);
        expect(detail === null).to.equal(expected);
        if (!expected) mismatches++;

        const comm = createSparseLocoCommunicator(layout, { method: 'sparseloco', topK: runK, quantBits: runBits });
        const report = comm.apply(new Float32Array(layout.size), comm.createSharedState(), [{ peerUid: 1, bytes }]);
        expect(report.rejected.map((r) => r.reason)).to.deep.equal(expected ? [] : ['config-mismatch']);
        if (!expected) expect(report.rejected[0]!.message).to.equal(detail);

        const verdict = checkSubmission(
          { bytes, commitment: { hash: fnv1a(bytes), baseStep: 0 }, arrivedAt: 0 },
          { layout, cfg, hash: fnv1a, windowEnd: 1, globalStep: 0 },
        );
        expect(verdict.ok ? 'ok' : verdict.reason).to.equal(expected ? 'ok' : 'config-mismatch');
        if (!verdict.ok) expect(verdict.detail).to.equal(detail);
      }),
      { numRuns: 150, seed: 11 },
    );
    expect(cases).to.equal(150);
    expect(mismatches).to.be.within(50, 149); // both outcomes reached
  });
});
