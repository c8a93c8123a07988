import { expect } from 'chai';
import { defineLayout, readChunk } from '../../../core/layout.ts';
import { createRng } from '../../../core/rng.ts';
import { ConfigError } from '../../../core/errors.ts';
import { createDemoCommunicator, topKIndices } from '../../../core/baselines/demo.ts';
import { inverseDctChunk } from '../../../core/baselines/dct.ts';
import { decodeUpdate } from '../../../core/sparseloco/codec.ts';
import { createSparseLocoCommunicator } from '../../../core/sparseloco/communicator.ts';

// 1-D [4] is one 1×4 chunk; the 4×4 matrix is one 2-D chunk.
const layout = defineLayout([{ name: 'v', shape: [4] }, { name: 'm', shape: [4, 4] }], { targetChunk: 4 });

describe('core/baselines/demo', () => {
  it('topKIndices keeps the largest |y|, ties to the lower index, ascending', () => {
    const y = Float32Array.of(1, -3, 3, 2, -3, 0);
    expect([...topKIndices(y, 6, 2, new Int32Array(6)).subarray(0, 2)]).to.deep.equal([1, 2]);
    expect([...topKIndices(y, 6, 4, new Int32Array(6)).subarray(0, 4)]).to.deep.equal([1, 2, 3, 4]);
    expect([...topKIndices(y, 6, 6, new Int32Array(6))]).to.deep.equal([0, 1, 2, 3, 4, 5]);
  });

  it('with every coefficient sent and β = 0, steps θ ← θ − lr·sign(Σ g)', () => {
    const comm = createDemoCommunicator(layout, { method: 'demo', topK: 16, beta: 0 });
    const rng = createRng('demo-sign');
    // Entries of g1 + g2 are kept ≥ 0.5 away from 0 so their sign survives DCT rounding.
    const g1 = Float32Array.from({ length: layout.size }, (_, i) => (i % 3 === 0 ? 2 : -1.5) + 0.1 * rng.normal());
    const g2 = Float32Array.from({ length: layout.size }, (_, i) => (i % 2 === 0 ? 0.5 : -0.25));
    const p1 = comm.createPeerState();
    const p2 = comm.createPeerState();
    const params = rng.fillNormal(new Float32Array(layout.size));
    const before = params.slice();
    const report = comm.apply(params, comm.createSharedState(), [
      { peerUid: 4, bytes: comm.encode(p1, g1) },
      { peerUid: 1, bytes: comm.encode(p2, g2) },
    ], { lr: 0.01 });
    expect(report.contributors).to.deep.equal([1, 4]);
    for (let i = 0; i < layout.size; i++) {
      expect(params[i]).to.equal(Math.fround(before[i]! - Math.fround(0.01) * Math.sign(g1[i]! + g2[i]!)));
      // Everything was sent, so nothing stays in the momentum.
      expect(p1.momentum[i]).to.be.closeTo(0, 1e-5);
    }
  });

  it('keeps exactly what it did not send: m_after + IDCT(sent) = β·m_before + g', () => {
    const comm = createDemoCommunicator(layout, { method: 'demo', topK: 4 });
    const rng = createRng('demo-ef');
    const peer = comm.createPeerState();
    comm.encode(peer, rng.fillNormal(new Float32Array(layout.size)));
    const mBefore = peer.momentum.slice();
    const g = rng.fillNormal(new Float32Array(layout.size));
    const update = decodeUpdate(comm.encode(peer, g), layout);
    expect(update.quantBits).to.equal(null);
    layout.tensors.forEach((t, ti) => {
      const msg = update.tensors[ti]!;
      expect(msg.kEff).to.equal(4);
      const spectrum = new Float32Array(t.chunk.chunkLen);
      for (let n = 0; n < msg.kEff; n++) spectrum[msg.indices[n]!] = msg.values![n]!;
      const sent = inverseDctChunk(spectrum, t.chunk.c1, t.chunk.c2, new Float32Array(t.chunk.chunkLen));
      const after = readChunk(peer.momentum, t, 0, new Float32Array(t.chunk.chunkLen));
      const expected = readChunk(mBefore.map((m, i) => Math.fround(0.999 * m) + g[i]!), t, 0, new Float32Array(t.chunk.chunkLen));
      for (let w = 0; w < t.chunk.chunkLen; w++) expect(after[w]! + sent[w]!).to.be.closeTo(expected[w]!, 1e-5);
    });
  });

  it('sends the top-k DCT coefficients: a single-frequency momentum is sent whole', () => {
    const comm = createDemoCommunicator(layout, { method: 'demo', topK: 2, beta: 0 });
    const peer = comm.createPeerState();
    const g = new Float32Array(layout.size).fill(3); // constant: only the DC coefficient is non-zero
    const update = decodeUpdate(comm.encode(peer, g), layout);
    expect(update.tensors[0]!.indices[0]).to.equal(0);
    expect(update.tensors[0]!.values![0]).to.be.closeTo(3 * 2, 1e-5); // 3·√4
    expect(update.tensors[1]!.values![0]).to.be.closeTo(3 * 4, 1e-5); // 3·√16
    for (const m of peer.momentum) expect(m).to.be.closeTo(0, 1e-5);
  });

  it('applies optional decoupled weight decay before the sign step; sign(0) = 0', () => {
    const comm = createDemoCommunicator(layout, { method: 'demo', topK: 2, weightDecay: 0.5 });
    const params = new Float32Array(layout.size).fill(2);
    comm.apply(params, comm.createSharedState(), [{ peerUid: 0, bytes: comm.encode(comm.createPeerState(), new Float32Array(layout.size)) }], { lr: 0.1 });
    for (const p of params) expect(p).to.equal(Math.fround(2 * Math.fround(1 - 0.1 * 0.5)));
  });

  it('rejects quantised messages and messages with another k, typed', () => {
    const comm = createDemoCommunicator(layout, { method: 'demo', topK: 4 });
    const g = new Float32Array(layout.size).fill(1);
    const quantised = createSparseLocoCommunicator(layout, { method: 'sparseloco', topK: 4 });
    const otherK = createSparseLocoCommunicator(layout, { method: 'sparseloco', topK: 2, quantBits: null });
    const report = comm.apply(new Float32Array(layout.size), comm.createSharedState(), [
      { peerUid: 1, bytes: quantised.encode(quantised.createPeerState(), g) },
      { peerUid: 2, bytes: otherK.encode(otherK.createPeerState(), g) },
    ]);
    expect(report.applied).to.equal(false);
    expect(report.rejected.map((r) => r.reason)).to.deep.equal(['quantised-values', 'config-mismatch']);
  });

  it('advances its schedule step per applied sync and validates its configuration', () => {
    const comm = createDemoCommunicator(layout, { method: 'demo', schedule: { peakLr: 1, warmupSteps: 4, tMax: 10 } });
    const shared = comm.createSharedState();
    const bytes = comm.encode(comm.createPeerState(), new Float32Array(layout.size).fill(1));
    const lrs = [0, 1, 2].map(() => comm.apply(new Float32Array(layout.size), shared, [{ peerUid: 0, bytes }]).lr);
    expect(lrs).to.deep.equal([0.25, 0.5, 0.75]);
    expect(() => createDemoCommunicator(layout, { method: 'demo', beta: 2 })).to.throw(ConfigError, /demo.beta/);
    expect(() => comm.encode(comm.createPeerState(), new Float32Array(layout.size), { nullRound: true })).to.throw(ConfigError);
  });
});
