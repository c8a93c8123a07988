import { expect } from 'chai';
import { createCommunicator } from '../../core/baselines/index.ts';
import { ConfigError } from '../../core/errors.ts';
import { createRng } from '../../core/rng.ts';
import { NonFiniteValueError } from '../../core/sparseloco/compress.ts';
import { createSurrogateBackend } from '../../backends/surrogate/backend.ts';
import { resolveSimConfig } from '../../sim/config.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { prepareBackend } from '../../backends/index.ts';
import type { PreparedBackend } from '../../backends/index.ts';
import { runSimulation } from '../../sim/run.ts';
import type { SimRoundRow } from '../../sim/run.ts';
import { FIXED_NET, messageBytes } from './helpers.ts';

const NET = {
  uplinkMbps: { kind: 'uniform', min: 5, max: 20 },
  downlinkMbps: { kind: 'fixed', value: 100 },
  latencyMs: { kind: 'uniform', min: 10, max: 100 },
  store: { ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 5 },
} as const;

function config(overrides: Partial<SimConfigInput> = {}): SimConfigInput {
  return {
    seed: 7,
    peers: 6,
    rounds: 8,
    innerSteps: 5,
    windowS: 10,
    stepTimeS: { kind: 'uniform', min: 0.1, max: 0.5 },
    optim: { method: 'sparseloco' },
    net: NET,
    ...overrides,
  };
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, x) => a + x, 0) / xs.length;
}


describe('sim/run: runSimulation', () => {
  it('is deterministic: the same (config, seed) gives identical rows; another seed does not', () => {
    const churned = config({ churn: { availability: { kind: 'bernoulli', dropout: 0.3 }, crash: { probability: 0.1 } } });
    const a = runSimulation(churned);
    const b = runSimulation(churned);
    expect(a.rows).to.deep.equal(b.rows);
    expect(a.finalParamsHash).to.equal(b.finalParamsHash);
    const c = runSimulation({ ...churned, seed: 8 });
    expect(c.rows).to.not.deep.equal(a.rows);
    expect(c.finalParamsHash).to.not.equal(a.finalParamsHash);
  });

  it('emits one row per round through onRound, in order, equal to the returned rows', () => {
    const seen: SimRoundRow[] = [];
    const result = runSimulation(config({ rounds: 4 }), { onRound: (row) => seen.push(row) });
    expect(seen.map((r) => r.round)).to.deep.equal([0, 1, 2, 3]);
    expect(seen).to.deep.equal(result.rows);
    // Windows follow one another: each opens when the previous round ended.
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.windowStartS).to.equal(seen[i - 1]!.simTimeS);
  });

  for (const method of ['sparseloco', 'diloco'] as const) {
    it(`trains for real with ${method}: held-out loss falls over rounds`, () => {
      const { rows, totals } = runSimulation(config({ optim: { method } }));
      expect(rows.every((r) => r.status === 'finalised' && r.onTime === 6 && r.late === 0)).to.equal(true);
      expect(totals.finalisedRounds).to.equal(8);
      expect(rows[rows.length - 1]!.heldoutLoss).to.be.below(rows[0]!.heldoutLoss - 0.2);
      expect(rows[rows.length - 1]!.globalStep).to.equal(8);
    });
  }

  it('with 30% dropout has fewer active peers on average and still converges', () => {
    // No null rounds here (a returning peer's first windows are null by default: sim/replicas-config.ts).
    const cfg = config({ peers: 8, rounds: 10, replicas: { warmupWindows: 0 } });
    const full = runSimulation(cfg);
    const churned = runSimulation({ ...cfg, churn: { availability: { kind: 'bernoulli', dropout: 0.3 } } });
    expect(mean(full.rows.map((r) => r.activePeers))).to.equal(8);
    expect(mean(churned.rows.map((r) => r.activePeers))).to.be.below(7.5);
    expect(churned.finalHeldoutLoss).to.be.below(churned.rows[0]!.heldoutLoss - 0.2);
  });

  it('counts crashed peers and never uploads their messages', () => {
    const { rows } = runSimulation(config({ churn: { availability: { kind: 'always' }, crash: { probability: 0.5 } } }));
    const size = messageBytes(config().optim);
    expect(rows.reduce((a, r) => a + r.crashed, 0)).to.be.greaterThan(0);
    for (const r of rows) {
      expect(r.onTime).to.equal(r.activePeers - r.crashed);
      expect(r.bytesUpTotal).to.equal((r.activePeers - r.crashed) * size);
    }
  });

  it('a 1 kbit/s uplink makes every upload late and every round skipped', () => {
    const slow = { ...NET, uplinkMbps: { kind: 'fixed', value: 0.001 } } as const;
    const { rows, totals, finalHeldoutLoss } = runSimulation(config({ net: slow, windowS: 2, stepTimeS: { kind: 'fixed', value: 0.1 } }));
    for (const r of rows) {
      expect(r.status).to.equal('skipped');
      expect(r.late).to.equal(6);
      expect(r.onTime).to.equal(0);
      expect(r.bytesDownTotal).to.equal(0);
      expect(r.globalStep).to.equal(0);
    }
    expect(totals.skippedRounds).to.equal(8);
    // Late messages still crossed the uplink.
    expect(rows.every((r) => r.bytesUpTotal === 6 * messageBytes(config().optim))).to.equal(true);
    // No outer step was ever taken: the global model is still θ⁰.
    expect(finalHeldoutLoss).to.equal(rows[0]!.heldoutLoss);
  });

  it('slow compute makes stragglers late while the round still finalises', () => {
    // Peers draw 0.1 s or 5 s per step: 5 steps take 0.5 s or 25 s against a 10 s window.
    const { rows } = runSimulation(config({ stepTimeS: { kind: 'choice', values: [0.1, 5] } }));
    const late = rows[0]!.late;
    expect(late).to.be.greaterThan(0).and.below(6);
    for (const r of rows) {
      expect(r.late).to.equal(late); // step time is drawn once per peer: the same stragglers every round
      expect(r.onTime + r.late).to.equal(6);
      expect(r.contributors).to.equal(r.onTime);
      expect(r.status).to.equal('finalised');
    }
  });

  it('an upload arriving exactly at the window end is on time (close runs after same-instant arrivals)', () => {
    const base = config({ net: FIXED_NET, stepTimeS: { kind: 'fixed', value: 0.1 }, rounds: 1 });
    const arrival = 5 * 0.1 + (0.05 + 0.005 + messageBytes(base.optim) / (10e6 / 8)); // same arithmetic as the sim
    const exact = runSimulation({ ...base, windowS: arrival }).rows[0]!;
    expect(exact.onTime).to.equal(6);
    const tooShort = runSimulation({ ...base, windowS: arrival * (1 - 1e-9) }).rows[0]!;
    expect(tooShort.late).to.equal(6);
  });

  for (const method of ['sparseloco', 'diloco'] as const) {
    it(`${method}: bytes per round equal the real encoded message sizes`, () => {
      // transport 'store': every message through the store (DiLoCo's default ring is tested in ring.test.ts).
      const cfg = config({ optim: { method }, rounds: 3, transport: 'store' });
      const size = messageBytes(cfg.optim);
      const { rows } = runSimulation(cfg);
      const comm = createCommunicator(createSurrogateBackend(createRng(7).fork('backend')).layout, cfg.optim);
      const downPerRound = comm.wireBytes(Array(6).fill(size)).reduce((a, w) => a + w.downloadBytes, 0);
      let cumulative = 0;
      for (const r of rows) {
        expect(r.bytesUpTotal).to.equal(6 * size);
        expect(r.bytesDownTotal).to.equal(downPerRound);
        cumulative += r.bytesUpTotal + r.bytesDownTotal;
        expect(r.cumulativeBytes).to.equal(cumulative);
      }
    });
  }
});

describe('sim/config: resolveSimConfig', () => {
  function keyOf(fn: () => unknown): string {
    try {
      fn();
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      return (err as ConfigError).key;
    }
    throw new Error('expected a ConfigError');
  }

  it('closeWhenComplete ends a round when the last active peer is in, not at the window end', () => {
    const fixed = runSimulation(config({ rounds: 3, windowS: 60 }));
    const early = runSimulation(config({ rounds: 3, windowS: 60, closeWhenComplete: true }));
    expect(fixed.rows[0]!.simTimeS).to.be.at.least(60);
    expect(early.rows[0]!.simTimeS).to.be.lessThan(10);
    expect(early.rows.map((r) => r.onTime)).to.deep.equal(fixed.rows.map((r) => r.onTime));
    expect(early.finalParamsHash).to.equal(fixed.finalParamsHash); // same messages, same model
    // A crashed peer never arrives: the round waits for the window end.
    const crashing = runSimulation(config({ rounds: 1, windowS: 60, closeWhenComplete: true, churn: { availability: { kind: 'always' }, crash: { probability: 1 } } }));
    expect(crashing.rows[0]!.simTimeS).to.be.at.least(60);
  });

  it('computeUtilisation is the mean compute time over the round length', () => {
    // Fixed 1 s steps, H = 5, a 10 s window the uploads beat: every round is 5 s of compute in 10 s.
    const fixedWindow = runSimulation(config({ rounds: 3, stepTimeS: { kind: 'fixed', value: 1 }, net: FIXED_NET }));
    for (const r of fixedWindow.rows) expect(r.computeUtilisation).to.be.closeTo(5 / (r.simTimeS - r.windowStartS), 1e-12);
    // The sync download after the window end lengthens the round a little past 10 s.
    for (const r of fixedWindow.rows) expect(r.computeUtilisation).to.be.within(0.45, 0.5).and.not.equal(0.5);
    // Closing when complete, the round lasts compute + upload + sync: utilisation is above a half, below 1.
    const early = runSimulation(config({ rounds: 3, stepTimeS: { kind: 'fixed', value: 1 }, net: FIXED_NET, closeWhenComplete: true }));
    for (const r of early.rows) expect(r.computeUtilisation).to.be.within(0.5, 1).and.not.equal(1);
    // Steps longer than the window: everyone is busy the whole round.
    const slow = runSimulation(config({ rounds: 2, stepTimeS: { kind: 'fixed', value: 5 }, net: FIXED_NET }));
    expect(slow.rows.map((r) => r.computeUtilisation)).to.deep.equal([1, 1]);
  });

  it('rejects an unknown method option, naming it', () => {
    expect(() => resolveSimConfig(config({ optim: { method: 'sparseloco', topk: 8 } as never }))).to.throw(ConfigError, /optim.topk \(8\) is not an option of sparseloco/);
    expect(() => resolveSimConfig(config({ optim: { method: 'sparseloco', topK: -1 } }))).to.throw(ConfigError, /topK/);
  });

  it('rejects bad values, naming the key', () => {
    expect(keyOf(() => resolveSimConfig(config({ peers: -3 })))).to.equal('peers');
    expect(keyOf(() => resolveSimConfig(config({ rounds: 0 })))).to.equal('rounds');
    expect(keyOf(() => resolveSimConfig(config({ windowS: Number.NaN })))).to.equal('windowS');
    expect(keyOf(() => resolveSimConfig(config({ optim: { method: 'gossip' } as never })))).to.equal('optim.method');
    expect(keyOf(() => resolveSimConfig(config({ stepTimeS: { kind: 'fixed', value: -1 } })))).to.match(/^stepTimeS/);
    expect(keyOf(() => resolveSimConfig(config({ churn: { availability: { kind: 'bernoulli', dropout: 2 } } })))).to.match(/^churn\.availability/);
    expect(keyOf(() => resolveSimConfig({ ...config(), windowSeconds: 3 } as never))).to.equal('windowSeconds');
  });

  it('rejects bad energy, catch-up and join settings, naming the key', () => {
    expect(keyOf(() => resolveSimConfig(config({ energy: { deviceClasses: [], carbonIntensity: 1 } })))).to.equal('energy.deviceClasses');
    expect(keyOf(() => resolveSimConfig(config({ catchUp: { maxReplay: -1, checkpointEvery: 10 } })))).to.equal('catchUp.maxReplay');
    expect(keyOf(() => resolveSimConfig(config({ catchUp: { maxReplay: 1, checkpointEvery: 0 } })))).to.equal('catchUp.checkpointEvery');
    const joins = { kind: 'listed', firstPeerId: 3, rounds: [{ round: 1, count: 2 }] } as const;
    expect(keyOf(() => resolveSimConfig(config({ churn: { availability: { kind: 'always' }, joins } })))).to.equal('churn.joins.firstPeerId');
  });

  it('fills defaults, freezes deeply and is idempotent', () => {
    const cfg = resolveSimConfig(config({ stepTimeS: undefined }));
    expect(cfg.shardsPerPeer).to.equal(1);
    expect(cfg.churn.availability.kind).to.equal('always');
    expect(cfg.catchUp).to.deep.equal({ maxReplay: 8, checkpointEvery: 50 });
    expect(Object.isFrozen(cfg)).to.equal(true);
    expect(Object.isFrozen(cfg.net.store)).to.equal(true);
    expect(resolveSimConfig(cfg)).to.deep.equal(cfg);
  });
});

describe('sim/run: a failure mid-run', () => {
  /** The real surrogate backend with one fault: from round `failRound` on, peer 0's Δ holds a NaN (a diverged inner loop). */
  async function nanDeltaFrom(cfg: SimConfigInput, failRound: number): Promise<PreparedBackend> {
    const prepared = await prepareBackend(resolveSimConfig(cfg).backend);
    return {
      ...prepared,
      create(rng) {
        const real = prepared.create(rng);
        return {
          name: real.name,
          layout: real.layout,
          numShards: real.numShards,
          initParams: (r) => real.initParams(r),
          evaluate: (params, data) => real.evaluate(params, data),
          createTrainer(peerId) {
            const trainer = real.createTrainer(peerId);
            return {
              peerId,
              get optimizerSteps() {
                return trainer.optimizerSteps;
              },
              optimizerState: trainer.optimizerState,
              runInnerLoop(request) {
                const result = trainer.runInnerLoop(request);
                if (peerId === 0 && request.round >= failRound) result.delta[0] = Number.NaN;
                return result;
              },
              computeGradient: (request) => trainer.computeGradient(request),
            };
          },
        };
      },
    };
  }

  it('propagates out of runSimulation as its own error, not as a shorter result', async () => {
    const cfg = config({ rounds: 5 });
    const backend = await nanDeltaFrom(cfg, 2);
    const rounds: number[] = [];
    expect(() => runSimulation(cfg, { backend, onRound: (row) => rounds.push(row.round) })).to.throw(NonFiniteValueError);
    expect(rounds).to.deep.equal([0, 1]);
    // The same backend without the fault in reach runs every round.
    expect(runSimulation(cfg, { backend: await nanDeltaFrom(cfg, 5) }).rows).to.have.length(5);
  });
});
