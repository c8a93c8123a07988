import { expect } from 'chai';
import fc from 'fast-check';
import { createSurrogateBackend } from '../../backends/surrogate/backend.ts';
import { createCommunicator } from '../../core/baselines/index.ts';
import { ConfigError } from '../../core/errors.ts';
import { chunkElementIndex } from '../../core/layout.ts';
import { createRng } from '../../core/rng.ts';
import { decodeUpdate } from '../../core/sparseloco/codec.ts';
import { resolveSparseLocoConfig } from '../../core/sparseloco/config.ts';
import { dequantise } from '../../core/sparseloco/message.ts';
import { corruptMessage, MALFORMED_FAULTS } from '../../sim/adversaries.ts';
import type { AdversaryGroup, MalformedFault } from '../../sim/adversaries.ts';
import { resolveSimConfig } from '../../sim/config.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { decodeDense, formatReasons } from '../../core/defence/index.ts';
import { Defence } from '../../sim/defence.ts';
import type { DefenceConfig } from '../../core/defence/config.ts';
import { fnv1a } from '../../core/hash.ts';
import { runSimulation } from '../../sim/run.ts';
import type { SimResult } from '../../sim/run.ts';

const BACKEND = { hiddenDim: 16, batchSize: 8, numShards: 16 };
const OPTIM = { method: 'sparseloco', topK: 8, quantBits: 2, outerLr: 0.8 } as const;

function base(extra: Partial<SimConfigInput> = {}): SimConfigInput {
  return {
    // No null rounds: the defences judge trained messages from round 0 on.
    seed: 4, peers: 10, rounds: 8, innerSteps: 3, windowS: 60, backend: BACKEND, optim: OPTIM, replicas: { warmupWindows: 0 },
    net: { uplinkMbps: { kind: 'fixed', value: 100 }, downlinkMbps: { kind: 'fixed', value: 100 }, latencyMs: { kind: 'fixed', value: 10 }, store: { ingressMbps: 1e4, egressMbps: 1e4, latencyMs: 0 } },
    ...extra,
  };
}

function world() {
  const backend = createSurrogateBackend(createRng(1).fork('backend'), BACKEND);
  const comm = createCommunicator(backend.layout, OPTIM);
  const params = backend.initParams(createRng(1).fork('init'));
  const { method: _m, ...rest } = OPTIM;
  return { backend, comm, params, layout: backend.layout, cfg: resolveSparseLocoConfig(rest) };
}

function honestBytes(w: ReturnType<typeof world>, uid: number): Uint8Array {
  const { delta } = w.backend.createTrainer(uid).runInnerLoop({ params: w.params, round: 0, shards: [uid], innerSteps: 2 });
  return w.comm.encode(w.comm.createPeerState(), delta);
}

/** Attackers' share of all Gauntlet rewards over the run (each round's weights sum to 1). */
function attackersRewardShare(result: SimResult): number {
  const shares = result.rows.map((r) => r.rewardShareAttackers).filter((s): s is number => typeof s === 'number');
  return shares.reduce((a, b) => a + b, 0) / shares.length;
}

describe('sim/defence', () => {
  it('validates its config: unknown kinds, bad aggregator or Gauntlet fields, non-SparseLoCo methods', () => {
    expect(() => resolveSimConfig(base({ defence: { kind: 'firewall' } as unknown as DefenceConfig }))).to.throw(ConfigError, /defence\.kind/);
    expect(() => resolveSimConfig(base({ defence: { kind: 'robust', aggregator: { kind: 'trimmed-mean', beta: 0.7 } } }))).to.throw(ConfigError, /beta/);
    expect(() => resolveSimConfig(base({ defence: { kind: 'gauntlet-oracle', gauntlet: { gatherPeerCount: 0 } } }))).to.throw(ConfigError, /gatherPeerCount/);
    expect(() => resolveSimConfig(base({ optim: { method: 'diloco' }, defence: { kind: 'gauntlet-oracle' } }))).to.throw(ConfigError, /optim\.method/);
    expect(resolveSimConfig(base()).defence).to.deep.equal({ kind: 'none' });
  });

  describe('decodeDense', () => {
    const w = world();
    it('scatters the dequantised values to their flat positions', () => {
      const bytes = honestBytes(w, 2);
      const dense = decodeDense(bytes, w.layout, w.cfg) as Float32Array;
      const update = decodeUpdate(bytes, w.layout);
      const expected = new Float32Array(w.layout.size);
      update.tensors.forEach((t, ti) => {
        const vals = dequantise(t);
        for (let n = 0; n < vals.length; n++) expected[chunkElementIndex(w.layout.tensors[ti]!, Math.floor(n / t.kEff), t.indices[n]!)] = vals[n]!;
      });
      expect(dense).to.deep.equal(expected);
    });

    it('returns a typed reason, never throws, whatever the bytes', () => {
      const bytes = honestBytes(w, 3);
      for (const fault of MALFORMED_FAULTS) expect(decodeDense(corruptMessage(bytes, w.layout, fault), w.layout, w.cfg)).to.match(/^decode:/);
      expect(decodeDense(corruptMessage(bytes, w.layout, 'nan'), w.layout, w.cfg)).to.equal('decode:non-finite');
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(), fc.nat(255), (noise, at, value) => {
          const flipped = bytes.slice();
          flipped[at % flipped.length] = value;
          for (const b of [noise, flipped]) {
            const out = decodeDense(b, w.layout, w.cfg);
            expect(typeof out === 'string' || out instanceof Float32Array).to.equal(true);
          }
        }),
        { seed: 11, numRuns: 300 },
      );
    });
  });

  describe('the validator never crashes on peer input (fuzzed)', () => {
    for (const config of [{ kind: 'gauntlet-oracle' }, { kind: 'robust', aggregator: { kind: 'krum', f: 2 } }, { kind: 'none' }] as DefenceConfig[]) {
      it(`${config.kind}${config.kind === 'robust' ? ' (krum)' : ''}`, () => {
        const w = world();
        const good = honestBytes(w, 0);
        fc.assert(
          fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 400 }), fc.nat(), fc.nat(255), fc.boolean()), { minLength: 1, maxLength: 5 }), (inputs) => {
            const defence = new Defence(config, OPTIM, w.layout, w.comm, w.backend, createRng(1).fork('defence'));
            const messages = inputs.map(([noise, at, value, corrupt], uid) => {
              const bytes = corrupt ? good.slice() : noise;
              if (corrupt) bytes[at % bytes.length] = value;
              return { peerUid: uid, bytes };
            });
            const params = w.params.slice();
            const out = defence.applyRound(params, w.comm.createSharedState(), {
              round: 0, globalStep: 0, windowEnd: 10, messages,
              arrivedAt: new Map(messages.map((m) => [m.peerUid, 1])),
              commitments: new Map(messages.map((m) => [m.peerUid, { hash: fnv1a(m.bytes), baseStep: 0 }])),
              assignments: new Map(messages.map((m) => [m.peerUid, [m.peerUid]])),
            });
            expect(params.every(Number.isFinite)).to.equal(true);
            let rejected = 0;
            for (const c of out.rejected.values()) rejected += c;
            expect(rejected + out.report.contributors.length).to.be.at.most(messages.length);
          }),
          { seed: 7, numRuns: 40 },
        );
      });
    }
  });

  describe('in a run', () => {
    const malformed = (fault: MalformedFault): AdversaryGroup[] => [{ attack: { kind: 'malformed', fault }, fraction: 0.3 }];
    const CODEC = { 'index-out-of-range': 'index-out-of-range', 'duplicate-index': 'duplicate-index', truncated: 'truncated', 'wrong-version': 'bad-version' } as const;

    it('every malformed payload is rejected with its typed reason and counted, under every defence', () => {
      for (const fault of MALFORMED_FAULTS) {
        for (const defence of [{ kind: 'none' }, { kind: 'robust', aggregator: { kind: 'median' } }, { kind: 'gauntlet-oracle' }] as DefenceConfig[]) {
          // The all-gather hands every message to the defence (gather-G drops invalid ones first: gather.test.ts).
          const result = runSimulation(base({ rounds: 2, adversaries: malformed(fault), defence, gather: { peers: 'all' } }));
          const reason = defence.kind === 'none' ? CODEC[fault] : `decode:${CODEC[fault]}`;
          for (const row of result.rows) {
            expect(row.rejectedReasons, `${fault} / ${defence.kind}`).to.contain(`${reason}=3`);
            expect(row.attackersSelected).to.equal(0);
          }
        }
      }
    });

    it('Gauntlet rejects commitment mismatches and stale updates by their reason', () => {
      const mismatch = runSimulation(base({ rounds: 3, adversaries: [{ attack: { kind: 'commit-mismatch' }, fraction: 0.2 }], defence: { kind: 'gauntlet-oracle' } }));
      for (const row of mismatch.rows) expect(row.rejectedReasons).to.contain('hash-mismatch=2');
      const stale = runSimulation(base({ rounds: 4, adversaries: [{ attack: { kind: 'stale', roundsBehind: 2 }, fraction: 0.2 }], defence: { kind: 'gauntlet-oracle' } }));
      expect(stale.rows.slice(2).every((r) => r.rejectedReasons!.includes('stale=2'))).to.equal(true);
    });

    it('with Gauntlet, 30 % free-riders or copycats earn < 5 % of the rewards over a run', function () {
      this.timeout(30_000);
      for (const kind of ['free-rider', 'copycat'] as const) {
        const result = runSimulation(base({ rounds: 20, adversaries: [{ attack: { kind }, fraction: 0.3 }], defence: { kind: 'gauntlet-oracle' } }));
        expect(attackersRewardShare(result), kind).to.be.below(0.05);
        expect(result.rows.some((r) => r.nanOccurred)).to.equal(false);
      }
    });

    it('a robust aggregator keeps the params finite and trains in a clean run', () => {
      const result = runSimulation(base({ defence: { kind: 'robust', aggregator: { kind: 'centered-clip', tau: 0.5, iterations: 3 } } }));
      expect(result.rows.every((r) => r.nanOccurred === false && r.rejected === 0)).to.equal(true);
      expect(result.finalHeldoutLoss).to.be.below(result.rows[0]!.heldoutLoss);
    });
  });

  it('formats reason counts sorted, CSV-friendly', () => {
    expect(formatReasons(new Map([['stale', 2], ['decode:truncated', 1]]))).to.equal('decode:truncated=1;stale=2');
    expect(formatReasons(new Map())).to.equal('');
  });
});
