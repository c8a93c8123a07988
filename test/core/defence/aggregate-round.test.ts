/**
 * core/defence aggregateRound: the one validator round of the simulator and the cluster. The
 * caller's failures arrive as data and are counted (never aggregated); each defence kind's own
 * rejections carry the uid; the robust step equals θ − α·aggregate of the dense decodings; the
 * oracle's weights, verdicts, slashes and state come out of validateRound.
 */
import { expect } from 'chai';
import { createSurrogateBackend } from '../../../backends/surrogate/backend.ts';
import { createCommunicator } from '../../../core/baselines/index.ts';
import type { PeerMessage } from '../../../core/baselines/index.ts';
import { aggregateRound, decodeDense } from '../../../core/defence/index.ts';
import type { AggregateRoundParameters } from '../../../core/defence/index.ts';
import type { DefenceConfig } from '../../../core/defence/index.ts';
import { fnv1a } from '../../../core/hash.ts';
import { resolveGauntletConfig } from '../../../core/gauntlet/config.ts';
import { createRng } from '../../../core/rng.ts';
import { createRobustAggregator } from '../../../core/robust/index.ts';
import { resolveSparseLocoConfig } from '../../../core/sparseloco/config.ts';

const BACKEND = { hiddenDim: 16, batchSize: 8, numShards: 16 };
const OPTIM = { method: 'sparseloco', topK: 8, quantBits: 2, outerLr: 0.8 } as const;

function world() {
  const backend = createSurrogateBackend(createRng(1).fork('backend'), BACKEND);
  const comm = createCommunicator(backend.layout, OPTIM);
  const params = backend.initParams(createRng(1).fork('init'));
  const { method: _m, ...rest } = OPTIM;
  const messages: PeerMessage[] = [0, 1, 2, 3, 4].map((uid) => {
    const { delta } = backend.createTrainer(uid).runInnerLoop({ params, round: 0, shards: [uid], innerSteps: 2 });
    return { peerUid: uid, bytes: comm.encode(comm.createPeerState(), delta) };
  });
  return { backend, comm, params, messages, cfg: resolveSparseLocoConfig(rest) };
}

function round(w: ReturnType<typeof world>, defence: DefenceConfig, extra: Partial<AggregateRoundParameters> = {}) {
  const params = w.params.slice();
  const uids = w.messages.map((m) => m.peerUid);
  const out = aggregateRound({
    defence,
    round: 0,
    globalStep: 0,
    params,
    shared: w.comm.createSharedState(),
    accepted: w.messages,
    failures: [],
    windowEnd: 60,
    arrivedAt: new Map(uids.map((u) => [u, 10])),
    commitments: new Map(w.messages.map((m) => [m.peerUid, { hash: fnv1a(m.bytes), baseStep: 0 }])),
    assignments: new Map(uids.map((u) => [u, [u]])),
    layout: w.backend.layout,
    sparseloco: w.cfg,
    comm: w.comm,
    oracle: null,
    ...extra,
  });
  return { out, params };
}

describe('core/defence aggregateRound', () => {
  it("counts the caller's failures first and never aggregates them, for every plain defence", () => {
    const w = world();
    const failures = [{ uid: 7, reason: 'hash-mismatch' }, { uid: 9, reason: 'late' }];
    for (const defence of [{ kind: 'none' }, { kind: 'gauntlet' }, { kind: 'robust', aggregator: { kind: 'median' } }] as DefenceConfig[]) {
      const { out } = round(w, defence, { failures });
      expect(out.rejections.slice(0, 2), defence.kind).to.deep.equal(failures);
      expect([...out.rejected]).to.deep.equal([['hash-mismatch', 1], ['late', 1]]);
      expect(out.report.contributors).to.deep.equal([0, 1, 2, 3, 4]);
      expect(out.weights).to.equal(null);
    }
  });

  it("'none' equals the communicator's own apply, bit for bit", () => {
    const w = world();
    const { params } = round(w, { kind: 'none' });
    const expected = w.params.slice();
    w.comm.apply(expected, w.comm.createSharedState(), w.messages);
    expect(Buffer.from(params.buffer).equals(Buffer.from(expected.buffer))).to.equal(true);
  });

  it("'robust' is θ − α·aggregate of the dense decodings, and names each refused uid", () => {
    const w = world();
    const broken = { peerUid: 5, bytes: w.messages[0]!.bytes.slice(0, 10) };
    const { out, params } = round(w, { kind: 'robust', aggregator: { kind: 'median' } }, { accepted: [...w.messages, broken] });
    expect(out.rejections).to.have.length(1);
    expect(out.rejections[0]!.uid).to.equal(5);
    expect(out.rejections[0]!.reason).to.match(/^decode:/);
    const g = createRobustAggregator({ kind: 'median' }).aggregate(w.messages.map((m) => ({ uid: m.peerUid, vector: decodeDense(m.bytes, w.backend.layout, w.cfg) as Float32Array })));
    let differing = 0;
    for (let i = 0; i < params.length; i++) if (params[i] !== Math.fround(w.params[i]! - Math.fround(OPTIM.outerLr * g[i]!))) differing++;
    expect(differing).to.equal(0);
    expect(params.some((v, i) => v !== w.params[i])).to.equal(true);
  });

  it("'gauntlet-oracle' returns verdicts, weights and the next state, and refuses to run without an oracle", () => {
    const w = world();
    expect(() => round(w, { kind: 'gauntlet-oracle' })).to.throw(TypeError, /needs an oracle context/);
    const gauntlet = resolveGauntletConfig({ gatherPeerCount: 3 });
    const { out } = round(w, { kind: 'gauntlet-oracle' }, {
      commitments: new Map(w.messages.map((m) => [m.peerUid, { hash: m.peerUid === 2 ? 'wrong' : fnv1a(m.bytes), baseStep: 0 }])),
      oracle: { gauntlet, state: { rounds: 0, peers: new Map() }, numShards: BACKEND.numShards, loss: (p, d) => w.backend.evaluate(p, d), hash: fnv1a, rng: createRng(5) },
    });
    expect(out.verdicts.map((v) => v.uid)).to.deep.equal([0, 1, 2, 3, 4]);
    expect(out.rejections).to.deep.include({ uid: 2, reason: 'hash-mismatch' });
    expect(out.report.contributors).to.not.include(2);
    expect(out.report.contributors.length).to.be.at.most(3);
    expect(out.weights!.get(2)).to.equal(0);
    expect(out.nextState!.rounds).to.equal(1);
  });
});
