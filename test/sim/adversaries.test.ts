import { expect } from 'chai';
import { createSurrogateBackend } from '../../backends/surrogate/backend.ts';
import { createCommunicator } from '../../core/baselines/index.ts';
import { ConfigError } from '../../core/errors.ts';
import { createRng } from '../../core/rng.ts';
import { CodecError, decodeUpdate } from '../../core/sparseloco/codec.ts';
import { dequantise } from '../../core/sparseloco/message.ts';
import { ATTACK_KINDS, assignRoster, attackTraining, colludingDelta, corruptMessage, forgeMessage, scaleMessage, staleChoice, zeroMessage } from '../../sim/adversaries.ts';
import type { AdversaryGroup, AttackConfig } from '../../sim/adversaries.ts';
import { resolveSimConfig } from '../../sim/config.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import type { PeerUpload } from '../../sim/contribution.ts';
import type { Participant } from '../../sim/round-open.ts';
import { fnv1a } from '../../core/hash.ts';
import { runSimulation } from '../../sim/run.ts';
import { simContext } from './helpers.ts';

const BACKEND = { hiddenDim: 16, batchSize: 8, numShards: 16 };
const OPTIM = { method: 'sparseloco', topK: 8, quantBits: 2, outerLr: 0.8 } as const;

function world() {
  const backend = createSurrogateBackend(createRng(1).fork('backend'), BACKEND);
  const comm = createCommunicator(backend.layout, OPTIM);
  const params = backend.initParams(createRng(1).fork('init'));
  return { backend, comm, params, layout: backend.layout };
}

/** A fresh honest message from peer `uid` (its own trainer and EF state). */
function honestBytes(w: ReturnType<typeof world>, uid: number): Uint8Array {
  const { delta } = w.backend.createTrainer(uid).runInnerLoop({ params: w.params, round: 0, shards: [uid], innerSteps: 2 });
  return w.comm.encode(w.comm.createPeerState(), delta);
}

function values(bytes: Uint8Array, layout: ReturnType<typeof world>['layout']): number[] {
  return decodeUpdate(bytes, layout).tensors.flatMap((t) => [...dequantise(t)]);
}

function codecReason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(CodecError);
    return (error as CodecError).reason;
  }
  throw new Error('expected a CodecError');
}

/**
 * Runs prepareUploads for peers 0…n−1 in round `round` against a full context (seed 1: the same
 * backend and θ⁰ as world()), each peer training on shard [uid] with nothing to catch up.
 */
function harness(groups: AdversaryGroup[], peers: number) {
  const w = world();
  const ctx = simContext(base({ seed: 1, peers, adversaries: groups }));
  const adv = ctx.adversaries!;
  const peersState = ctx.population.peers;
  // Every peer trains from the global θ; its base step is read when the round runs (a test may move it).
  const participants = (): Participant[] => peersState.map((peer) => ({
    peer, shards: [peer.uid], arrivalOffsetS: 0, catchUpBytes: 0, readyOffsetS: 0, params: ctx.params, baseStep: peer.syncedStep ?? 0, nullRound: false,
  }));
  return { w, adv, peersState, run: (round: number): Map<number, PeerUpload> => adv.prepareUploads(ctx, participants(), round) };
}

function base(extra: Partial<SimConfigInput> = {}): SimConfigInput {
  return {
    seed: 3, peers: 10, rounds: 8, innerSteps: 3, windowS: 60, backend: BACKEND, optim: OPTIM,
    net: { uplinkMbps: { kind: 'fixed', value: 100 }, downlinkMbps: { kind: 'fixed', value: 100 }, latencyMs: { kind: 'fixed', value: 10 }, store: { ingressMbps: 1e4, egressMbps: 1e4, latencyMs: 0 } },
    ...extra,
  };
}

describe('sim/adversaries', () => {
  describe('roster', () => {
    it('deals round(fraction · peers) disjoint uids per group, deterministically', () => {
      const groups: AdversaryGroup[] = [{ attack: { kind: 'sign-flip' }, fraction: 0.3 }, { attack: { kind: 'free-rider' }, fraction: 0.25 }];
      const a = assignRoster(groups, 10, createRng(1).fork('roster'));
      const b = assignRoster(groups, 10, createRng(1).fork('roster'));
      expect([...a]).to.deep.equal([...b]);
      expect([...a.values()].filter((g) => g === 0)).to.have.length(3);
      expect([...a.values()].filter((g) => g === 1)).to.have.length(3); // round(2.5) = 3
      expect(a.size).to.equal(6); // a Map: one group per uid
      const c = assignRoster(groups, 10, createRng(2).fork('roster'));
      expect([...c.keys()].sort()).to.not.deep.equal([...a.keys()].sort());
    });

    it('rejects bad groups with a ConfigError naming the field', () => {
      const cfg = (adversaries: unknown) => resolveSimConfig(base({ adversaries: adversaries as AdversaryGroup[] }));
      expect(() => cfg([{ attack: { kind: 'sign-flip' }, fraction: 1.5 }])).to.throw(ConfigError, /adversaries\[0\]\.fraction/);
      expect(() => cfg([{ attack: { kind: 'warp' }, fraction: 0.1 }])).to.throw(ConfigError, /adversaries\[0\]\.attack\.kind/);
      expect(() => cfg([{ attack: { kind: 'scale', factor: 0 }, fraction: 0.1 }])).to.throw(ConfigError, /factor/);
      expect(() => cfg([{ attack: { kind: 'sign-flip' }, fraction: 0.6 }, { attack: { kind: 'copycat' }, fraction: 0.6 }])).to.throw(ConfigError, /must not exceed the 10 peers/);
      expect(() => resolveSimConfig(base({ optim: { ...OPTIM, indexCoding: 'rice' }, adversaries: [{ attack: { kind: 'malformed', fault: 'duplicate-index' }, fraction: 0.1 }] }))).to.throw(ConfigError, /packed12/);
      expect(() => resolveSimConfig(base({ optim: { method: 'diloco' }, adversaries: [{ attack: { kind: 'sign-flip' }, fraction: 0.1 }] }))).to.throw(ConfigError, /optim\.method/);
    });
  });

  describe('message forgeries', () => {
    const w = world();
    const bytes = honestBytes(w, 1);

    it('sign flip negates every value; scale multiplies them', () => {
      const honest = values(bytes, w.layout);
      const flipped = scaleMessage(bytes, w.layout, -1);
      expect(flipped).to.not.deep.equal(bytes);
      expect(values(flipped, w.layout)).to.deep.equal(honest.map((v) => -v));
      const scaled = values(scaleMessage(bytes, w.layout, 1000), w.layout);
      scaled.forEach((v, i) => expect(v).to.be.closeTo(honest[i]! * 1000, Math.abs(honest[i]!) * 1e-3 + 1e-9));
    });

    it('each malformed fault fails the strict decoder with its typed reason', () => {
      expect(codecReason(() => decodeUpdate(corruptMessage(bytes, w.layout, 'index-out-of-range'), w.layout))).to.equal('index-out-of-range');
      expect(codecReason(() => decodeUpdate(corruptMessage(bytes, w.layout, 'duplicate-index'), w.layout))).to.equal('duplicate-index');
      expect(codecReason(() => decodeUpdate(corruptMessage(bytes, w.layout, 'truncated'), w.layout))).to.equal('truncated');
      expect(codecReason(() => decodeUpdate(corruptMessage(bytes, w.layout, 'wrong-version'), w.layout))).to.equal('bad-version');
      expect(codecReason(() => decodeUpdate(corruptMessage(bytes, w.layout, 'nan'), w.layout))).to.equal('non-finite');
      expect(codecReason(() => decodeUpdate(corruptMessage(bytes, w.layout, 'inf'), w.layout))).to.equal('non-finite');
      expect(decodeUpdate(bytes, w.layout)).to.be.an('object'); // the original is untouched
    });

    it('a free-rider message is well formed and all zeros', () => {
      const zeros = zeroMessage(w.comm, w.layout);
      expect(values(zeros, w.layout).every((v) => v === 0)).to.equal(true);
      expect(zeros.length).to.equal(bytes.length);
    });
  });

  describe('the rules a cluster peer process shares (attackTraining, forgeMessage, staleChoice, colludingDelta)', () => {
    const rng = createRng(9).fork('adversaries');
    const round = { uid: 3, round: 2, shards: [3], innerSteps: 5, numShards: 16, rng, leader: true };

    it('says how each attack trains: honestly, not at all, or its own loop', () => {
      const kinds = Object.fromEntries(ATTACK_KINDS.map((kind) => [kind, attackTraining({ kind, factor: 2, sigma: 1, fault: 'truncated', roundsBehind: 1, scale: 1 } as AttackConfig, round).kind]));
      expect(kinds).to.deep.equal({
        'sign-flip': 'honest', scale: 'honest', noise: 'own', nan: 'honest', malformed: 'honest', 'free-rider': 'none', copycat: 'none',
        stale: 'honest', lazy: 'own', 'data-poison': 'own', sybil: 'own', colluding: 'own', 'commit-mismatch': 'honest',
      });
      expect(attackTraining({ kind: 'lazy' }, round)).to.deep.equal({ kind: 'own', innerSteps: 1, shards: [3] });
      expect(attackTraining({ kind: 'lazy', innerSteps: 2 }, round)).to.deep.equal({ kind: 'own', innerSteps: 2, shards: [3] });
      expect(attackTraining({ kind: 'sybil' }, round)).to.deep.equal({ kind: 'own', innerSteps: 1, shards: [3] });
      expect(attackTraining({ kind: 'sybil' }, { ...round, leader: false })).to.deep.equal({ kind: 'none' });
      const poison = attackTraining({ kind: 'data-poison' }, round);
      expect(poison.kind === 'own' && poison.shards.length === 1 && poison.shards[0] !== 3).to.equal(true);
      // Seeded per (uid, round): the same shards again, other shards in another round somewhere in 20.
      expect(attackTraining({ kind: 'data-poison' }, round)).to.deep.equal(poison);
      const others = Array.from({ length: 20 }, (_, r) => JSON.stringify(attackTraining({ kind: 'data-poison' }, { ...round, round: r })));
      expect(new Set(others).size).to.be.greaterThan(1);
    });

    it('forgeMessage: commit-mismatch uploads the sign flip; an attack with no message stage is refused by name', () => {
      const w = world();
      const bytes = honestBytes(w, 2);
      expect(forgeMessage({ kind: 'commit-mismatch' }, bytes, w.layout)).to.deep.equal(scaleMessage(bytes, w.layout, -1));
      expect(() => forgeMessage({ kind: 'lazy' }, bytes, w.layout)).to.throw(ConfigError, /lazy/);
    });

    it('staleChoice takes the message of roundsBehind rounds ago, else the current one', () => {
      const e = (r: number) => ({ round: r, bytes: new Uint8Array([r]), baseStep: r });
      expect(staleChoice([e(3), e(4), e(5)], e(5), 2)).to.deep.equal(e(3));
      expect(staleChoice([e(4), e(5)], e(5), 2)).to.deep.equal(e(5)); // absent in round 3
    });

    it('colludingDelta is −scale × the members\' mean, summed in fp32 in their order', () => {
      const d = colludingDelta([Float32Array.of(1, 2), Float32Array.of(3, -6)], 2);
      expect([...d]).to.deep.equal([-4, 4]);
      const a = Float32Array.of(0.1), b = Float32Array.of(0.2), c = Float32Array.of(0.3);
      const f = Math.fround;
      expect(colludingDelta([a, b, c], 3)[0]).to.equal(f(-f(f(f(0.1) + f(0.2)) + f(0.3))));
    });
  });

  describe('prepareUploads', () => {
    it('honest peers upload exactly what a clean peer would; attackers what their attack says', () => {
      const groups: AdversaryGroup[] = [
        { attack: { kind: 'sign-flip' }, fraction: 0.1 },
        { attack: { kind: 'free-rider' }, fraction: 0.1 },
        { attack: { kind: 'copycat' }, fraction: 0.1 },
        { attack: { kind: 'commit-mismatch' }, fraction: 0.1 },
        { attack: { kind: 'lazy', innerSteps: 1 }, fraction: 0.1 },
        { attack: { kind: 'data-poison' }, fraction: 0.1 },
      ];
      const h = harness(groups, 10);
      const up = h.run(0);
      const uidOf = (kind: AttackConfig['kind']) => h.adv.attackers.find((uid) => h.adv.attackOf(uid)!.kind === kind)!;
      const honestUid = [...Array(10).keys()].find((uid) => !h.adv.isAttacker(uid))!;
      // Honest: the same bytes as a clean trainer with H = 3 on its shard.
      const clean = world();
      const { delta } = clean.backend.createTrainer(honestUid).runInnerLoop({ params: clean.params, round: 0, shards: [honestUid], innerSteps: 3 });
      expect(up.get(honestUid)!.bytes).to.deep.equal(clean.comm.encode(clean.comm.createPeerState(), delta));
      expect(up.get(honestUid)!.committedHash).to.equal(null);

      const flip = uidOf('sign-flip');
      const flipHonest = (() => {
        const c = world();
        const r = c.backend.createTrainer(flip).runInnerLoop({ params: c.params, round: 0, shards: [flip], innerSteps: 3 });
        return c.comm.encode(c.comm.createPeerState(), r.delta);
      })();
      expect(values(up.get(flip)!.bytes!, h.w.layout)).to.deep.equal(values(flipHonest, h.w.layout).map((v) => -v));

      const free = up.get(uidOf('free-rider'))!;
      expect(free.trainLoss).to.equal(null);
      expect(values(free.bytes!, h.w.layout).every((v) => v === 0)).to.equal(true);
      expect(h.peersState[uidOf('free-rider')]!.trainer.optimizerSteps).to.equal(0);

      expect(up.get(uidOf('copycat'))).to.include({ copycat: true, bytes: null });

      const mismatch = up.get(uidOf('commit-mismatch'))!;
      expect(mismatch.committedHash).to.not.equal(fnv1a(mismatch.bytes!));
      expect(mismatch.committedHash).to.equal(fnv1a(scaleMessage(mismatch.bytes!, h.w.layout, -1)));

      expect(h.peersState[uidOf('lazy')]!.trainer.optimizerSteps).to.equal(1);
      expect(h.peersState[honestUid]!.trainer.optimizerSteps).to.equal(3);
      const poison = uidOf('data-poison');
      const c = world();
      const r = c.backend.createTrainer(poison).runInnerLoop({ params: c.params, round: 0, shards: [poison], innerSteps: 3 });
      expect(up.get(poison)!.bytes).to.not.deep.equal(c.comm.encode(c.comm.createPeerState(), r.delta));
    });

    it('copycats copy the lowest-uid honest message in the store, else last round\'s, else nothing', () => {
      const h = harness([{ attack: { kind: 'copycat' }, fraction: 0.3 }], 10);
      const [a1] = h.adv.attackers;
      const honest = [...Array(10).keys()].filter((uid) => !h.adv.isAttacker(uid));
      expect(h.adv.chooseCopy(new Map())).to.equal(null);
      const m = (n: number) => new Uint8Array([n]);
      const store = new Map([[a1!, m(99)], [honest[2]!, m(2)], [honest[1]!, m(1)]]);
      expect(h.adv.chooseCopy(store)).to.deep.equal(m(1));
      h.adv.endRound(new Map([[honest[3]!, m(3)], [a1!, m(99)]]));
      expect(h.adv.chooseCopy(new Map([[a1!, m(99)]]))).to.deep.equal(m(3));
    });

    it('sybils share one 1-step update; colluders share one poisoned update against the honest direction', () => {
      const h = harness([{ attack: { kind: 'sybil' }, fraction: 0.3 }, { attack: { kind: 'colluding', scale: 10 }, fraction: 0.3 }], 10);
      const up = h.run(0);
      const sybils = h.adv.attackers.filter((uid) => h.adv.attackOf(uid)!.kind === 'sybil');
      const colluders = h.adv.attackers.filter((uid) => h.adv.attackOf(uid)!.kind === 'colluding');
      for (const uid of sybils) expect(up.get(uid)!.bytes).to.deep.equal(up.get(sybils[0]!)!.bytes);
      expect(sybils.map((uid) => h.peersState[uid]!.trainer.optimizerSteps)).to.deep.equal([1, 0, 0]);
      for (const uid of colluders) expect(up.get(uid)!.bytes).to.deep.equal(up.get(colluders[0]!)!.bytes);
      // The poisoned update points against an honest member's own update.
      const honestOfColluder = (() => {
        const c = world();
        const r = c.backend.createTrainer(colluders[1]!).runInnerLoop({ params: c.params, round: 0, shards: [colluders[1]!], innerSteps: 3 });
        return Float32Array.from(r.delta);
      })();
      const dense = new Float32Array(h.w.layout.size);
      const update = decodeUpdate(up.get(colluders[0]!)!.bytes!, h.w.layout);
      // Dot product over the sent coordinates (every tensor here is one chunk).
      let dot = 0;
      update.tensors.forEach((t, ti) => {
        const vals = dequantise(t);
        const off = h.w.layout.tensors[ti]!.offset;
        t.indices.forEach((idx, n) => (dense[off + idx] = vals[n]!));
      });
      for (let i = 0; i < dense.length; i++) dot += dense[i]! * honestOfColluder[i]!;
      expect(dot).to.be.below(0);
    });

    it('a stale peer re-sends its message from k rounds ago with that message\'s base step', () => {
      const h = harness([{ attack: { kind: 'stale', roundsBehind: 1 }, fraction: 0.1 }], 10);
      const [uid] = h.adv.attackers;
      const r0 = h.run(0).get(uid!)!;
      h.peersState[uid!]!.syncedStep = 1;
      const r1 = h.run(1).get(uid!)!;
      expect(r1.bytes).to.deep.equal(r0.bytes);
      expect(r1.baseStep).to.equal(0);
    });
  });

  describe('in a run', () => {
    it('is deterministic with a mix of attacks (and differs from the clean run)', () => {
      const adversaries: AdversaryGroup[] = [
        { attack: { kind: 'copycat' }, fraction: 0.1 }, { attack: { kind: 'noise', sigma: 5 }, fraction: 0.1 },
        { attack: { kind: 'stale', roundsBehind: 2 }, fraction: 0.1 }, { attack: { kind: 'sybil' }, fraction: 0.2 },
      ];
      const a = runSimulation(base({ adversaries, defence: { kind: 'gauntlet-oracle' } }));
      const b = runSimulation(base({ adversaries, defence: { kind: 'gauntlet-oracle' } }));
      expect(b.rows).to.deep.equal(a.rows);
      expect(b.finalParamsHash).to.equal(a.finalParamsHash);
      expect(runSimulation(base({ defence: { kind: 'gauntlet-oracle' } })).finalParamsHash).to.not.equal(a.finalParamsHash);
    });

    it('copycats upload a copy of an honest peer\'s message (this round\'s or the last)', () => {
      // Copycats wait out a compute time they never spend; with equal links nobody has uploaded
      // yet, so from round 1 on they send last round's lowest-uid honest message.
      const result = runSimulation(base({ adversaries: [{ attack: { kind: 'copycat' }, fraction: 0.2 }] }));
      expect(result.rows[0]!.onTime).to.equal(8); // round 0: nothing to copy yet
      for (const row of result.rows.slice(1)) expect(row).to.include({ onTime: 10, attackersSelected: 2 });
    });

    it('with no defence, 30 % ×1000 scaled updates enter the step and only SparseLoCo\'s clipping holds them', () => {
      const clean = runSimulation(base());
      const scaled = runSimulation(base({ adversaries: [{ attack: { kind: 'scale', factor: 1000 }, fraction: 0.3 }] }));
      expect(scaled.rows.every((r) => r.attackersSelected === 3 && r.rejected === 0 && r.nanOccurred === false)).to.equal(true);
      // Median-norm clipping caps each scaled tensor at the round's median norm: damage stays bounded.
      expect(scaled.finalHeldoutLoss).to.be.below(clean.rows[0]!.heldoutLoss);
      expect(Number.isFinite(scaled.finalHeldoutLoss)).to.equal(true);
    });

    it('with no defence, 30 % NaN payloads are caught by the strict decoder and counted every round', () => {
      // The all-gather hands every message to the defence (gather-G drops invalid ones first: gather.test.ts).
      const nan = runSimulation(base({ adversaries: [{ attack: { kind: 'nan' }, fraction: 0.3 }], gather: { peers: 'all' } }));
      for (const r of nan.rows) {
        expect(r).to.include({ rejected: 3, rejectedReasons: 'non-finite=3', attackersSelected: 0, nanOccurred: false });
      }
    });

    it('with no defence, 30 % sign-flippers damage the loss', () => {
      const clean = runSimulation(base({ rounds: 12 }));
      const flipped = runSimulation(base({ rounds: 12, adversaries: [{ attack: { kind: 'sign-flip' }, fraction: 0.3 }] }));
      expect(flipped.finalHeldoutLoss).to.be.above(clean.finalHeldoutLoss * 1.02);
    });
  });
});
