import { expect } from 'chai';
import { defineLayout } from '../../../core/layout.ts';
import { createRng } from '../../../core/rng.ts';
import { aggregate, outerStep } from '../../../core/sparseloco/aggregate.ts';
import { decodeUpdate, encodeUpdate } from '../../../core/sparseloco/codec.ts';
import { compress } from '../../../core/sparseloco/compress.ts';
import { createSparseLocoCommunicator } from '../../../core/sparseloco/communicator.ts';
import { resolveSparseLocoConfig } from '../../../core/sparseloco/config.ts';
import { dequantise } from '../../../core/sparseloco/message.ts';

const layout = defineLayout([{ name: 'w', shape: [8, 8] }, { name: 'b', shape: [8] }], { targetChunk: 4 });

describe('core/sparseloco/communicator', () => {
  const overrides = { topK: 4, indexCoding: 'rice' as const };
  const cfg = resolveSparseLocoConfig(overrides);

  it('encodes exactly compress + encodeUpdate, with the EF buffer updated the same way', () => {
    const comm = createSparseLocoCommunicator(layout, { method: 'sparseloco', ...overrides });
    const rng = createRng('slc-encode');
    const peer = comm.createPeerState();
    const ef = new Float32Array(layout.size);
    for (let round = 0; round < 3; round++) {
      const delta = rng.fillNormal(new Float32Array(layout.size), 0.1);
      const bytes = comm.encode(peer, delta);
      const expected = encodeUpdate(compress(layout, cfg, ef, delta), layout, { indexCoding: 'rice' });
      expect([...bytes]).to.deep.equal([...expected]);
      expect([...peer.ef]).to.deep.equal([...ef]);
    }
  });

  it('a null round zeroes the EF buffer and its message leaves the params unchanged', () => {
    const comm = createSparseLocoCommunicator(layout, { method: 'sparseloco', ...overrides });
    const peer = comm.createPeerState();
    const rng = createRng('slc-null');
    comm.encode(peer, rng.fillNormal(new Float32Array(layout.size)));
    expect(peer.ef.some((x) => x !== 0)).to.equal(true);
    const bytes = comm.encode(peer, rng.fillNormal(new Float32Array(layout.size)), { nullRound: true });
    expect(peer.ef.every((x) => x === 0)).to.equal(true);
    for (const t of decodeUpdate(bytes, layout).tensors) expect(dequantise(t).every((v) => v === 0)).to.equal(true);
    const params = new Float32Array(layout.size).fill(0.5);
    expect(comm.apply(params, comm.createSharedState(), [{ peerUid: 0, bytes }]).applied).to.equal(true);
    expect(params.every((x) => x === 0.5)).to.equal(true);
  });

  it('applies exactly aggregate + outerStep with cfg.outerLr (or the lr given)', () => {
    const comm = createSparseLocoCommunicator(layout, { method: 'sparseloco', ...overrides });
    const rng = createRng('slc-apply');
    const messages = [9, 4, 6].map((peerUid) => ({ peerUid, bytes: comm.encode(comm.createPeerState(), rng.fillNormal(new Float32Array(layout.size))) }));
    const start = rng.fillNormal(new Float32Array(layout.size));
    for (const lr of [undefined, 0.9]) {
      const params = start.slice();
      const report = comm.apply(params, comm.createSharedState(), messages, lr === undefined ? {} : { lr });
      expect(report.lr).to.equal(lr ?? 0.4);
      const expected = start.slice();
      const result = aggregate(layout, cfg, messages.map((m) => ({ peerUid: m.peerUid, update: decodeUpdate(m.bytes, layout) })));
      outerStep(layout, expected, result, lr ?? 0.4);
      expect([...params]).to.deep.equal([...expected]);
      expect(report.contributors).to.deep.equal([4, 6, 9]);
    }
  });

  it('rejects a message made under another configuration (k or bits) as config-mismatch', () => {
    const comm = createSparseLocoCommunicator(layout, { method: 'sparseloco', ...overrides });
    const biggerK = createSparseLocoCommunicator(layout, { method: 'sparseloco', topK: 8 });
    const otherBits = createSparseLocoCommunicator(layout, { method: 'sparseloco', topK: 4, quantBits: 4 });
    const delta = createRng('slc-mismatch').fillNormal(new Float32Array(layout.size));
    const good = comm.encode(comm.createPeerState(), delta);
    const report = comm.apply(new Float32Array(layout.size), comm.createSharedState(), [
      { peerUid: 1, bytes: biggerK.encode(biggerK.createPeerState(), delta) },
      { peerUid: 2, bytes: otherBits.encode(otherBits.createPeerState(), delta) },
      { peerUid: 3, bytes: good },
    ]);
    expect(report.contributors).to.deep.equal([3]);
    expect(report.rejected.map((r) => [r.peerUid, r.reason])).to.deep.equal([[1, 'config-mismatch'], [2, 'config-mismatch']]);
  });

  it('reports a codec rejection with the codec reason', () => {
    const comm = createSparseLocoCommunicator(layout, { method: 'sparseloco', ...overrides });
    const bytes = comm.encode(comm.createPeerState(), createRng('slc-codec').fillNormal(new Float32Array(layout.size)));
    const trailing = Uint8Array.from([...bytes, 0]);
    const report = comm.apply(new Float32Array(layout.size), comm.createSharedState(), [{ peerUid: 5, bytes: trailing }]);
    expect(report.applied).to.equal(false);
    expect(report.rejected[0]!.reason).to.equal('trailing-bytes');
  });
});
