import { expect } from 'chai';
import { createCommunicator } from '../../core/baselines/index.ts';
import { ringAllReduceBytes } from '../../core/communicator.ts';
import { createRng } from '../../core/rng.ts';
import { createSurrogateBackend } from '../../backends/surrogate/backend.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { sample } from '../../sim/distributions.ts';
import { runSimulation } from '../../sim/run.ts';
import { FIXED_NET } from './helpers.ts';

const NET = {
  uplinkMbps: { kind: 'uniform', min: 5, max: 20 },
  downlinkMbps: { kind: 'fixed', value: 100 },
  latencyMs: { kind: 'uniform', min: 10, max: 100 },
  store: { ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 5 },
} as const;

/** A surrogate-sized LR (the methods' defaults are the LLM's 1.17e-4 with 1500 warm-up steps). */
const SCHEDULE = { peakLr: 0.01, warmupSteps: 0, tMax: 1_000_000 };

function config(overrides: Partial<SimConfigInput> = {}): SimConfigInput {
  return {
    seed: 5,
    peers: 4,
    rounds: 6,
    innerSteps: 5,
    windowS: 10,
    stepTimeS: { kind: 'uniform', min: 0.1, max: 0.5 },
    optim: { method: 'ddp', schedule: SCHEDULE },
    net: NET,
    ...overrides,
  };
}

describe('sim/inner-step: DDP and DeMo, H synchronous steps per round', () => {
  for (const optim of [{ method: 'ddp', schedule: SCHEDULE }, { method: 'demo', schedule: { ...SCHEDULE, peakLr: 0.003 } }] as const) {
    it(`${optim.method}: trains for real, held-out loss falls`, () => {
      const { rows, totals } = runSimulation(config({ optim }));
      expect(totals.finalisedRounds).to.equal(6);
      expect(rows.every((r) => r.onTime === 4 && r.contributors === 4 && r.late === 0)).to.equal(true);
      expect(rows[rows.length - 1]!.heldoutLoss).to.be.below(rows[0]!.heldoutLoss - 0.1);
      expect(rows[rows.length - 1]!.globalStep).to.equal(6);
    });
  }

  it('DDP bytes per round = H × ring all-reduce bytes × peers, each way', () => {
    const cfg = config();
    const backend = createSurrogateBackend(createRng(5).fork('backend'));
    const perPeer = ringAllReduceBytes(backend.layout.size * 4, 4)[0]!;
    const { rows } = runSimulation(cfg);
    for (const r of rows) {
      expect(r.bytesUpTotal).to.be.closeTo(5 * perPeer.uploadBytes * 4, 1e-6);
      expect(r.bytesDownTotal).to.be.closeTo(5 * perPeer.downloadBytes * 4, 1e-6);
      expect(r.catchUpBytes).to.equal(0);
    }
  });

  it('DeMo bytes per round: H all-gathers of the real encoded messages', () => {
    const optim = { method: 'demo', schedule: SCHEDULE } as const;
    const backend = createSurrogateBackend(createRng(5).fork('backend'));
    const comm = createCommunicator(backend.layout, optim);
    const size = comm.encode(comm.createPeerState(), createRng('g').fillNormal(new Float32Array(backend.layout.size))).length; // DeMo messages have a fixed size
    const { rows } = runSimulation(config({ optim }));
    for (const r of rows) {
      expect(r.bytesUpTotal).to.equal(5 * 4 * size);
      expect(r.bytesDownTotal).to.equal(5 * 4 * 3 * size);
    }
  });

  it('a step waits for the slowest peer: round time = H × max(step time + transfers)', () => {
    // transport 'store': each step's share up to and down from the store (the ring is tested in ring.test.ts).
    const { rows } = runSimulation(config({ net: FIXED_NET, stepTimeS: { kind: 'choice', values: [0.1, 2] }, rounds: 2, transport: 'store' }));
    const backend = createSurrogateBackend(createRng(5).fork('backend'));
    const share = ringAllReduceBytes(backend.layout.size * 4, 4)[0]!;
    const transferS = 0.055 + share.uploadBytes / (10e6 / 8) + 0.055 + share.downloadBytes / (100e6 / 8);
    // Each peer's step time is drawn from the stream compute/peer:<uid>.
    const stepTimes = [0, 1, 2, 3].map((uid) => sample({ kind: 'choice', values: [0.1, 2] }, createRng(5).fork('compute').fork(`peer:${uid}`)));
    expect(rows[0]!.simTimeS).to.be.closeTo(5 * (Math.max(...stepTimes) + transferS), 1e-9);
    expect(rows[0]!.syncTimeS).to.be.closeTo(5 * transferS, 1e-9);
    expect(rows[1]!.simTimeS - rows[1]!.windowStartS).to.be.closeTo(rows[0]!.simTimeS, 1e-9);
  });

  it('is deterministic, and churn acts per round', () => {
    const churned = config({ optim: { method: 'demo', schedule: SCHEDULE }, churn: { availability: { kind: 'bernoulli', dropout: 0.3 }, crash: { probability: 0.2 } } });
    const a = runSimulation(churned);
    const b = runSimulation(churned);
    expect(a.rows).to.deep.equal(b.rows);
    expect(a.finalParamsHash).to.equal(b.finalParamsHash);
    expect(a.rows.some((r) => r.activePeers < 4)).to.equal(true);
    for (const r of a.rows) expect(r.onTime).to.equal(r.activePeers - r.crashed);
    expect(runSimulation({ ...churned, seed: 6 }).finalParamsHash).to.not.equal(a.finalParamsHash);
  });
});
