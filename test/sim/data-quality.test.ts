import { expect } from 'chai';
import { ConfigError } from '../../core/errors.ts';
import { createRng } from '../../core/rng.ts';
import { resolveSimConfig } from '../../sim/config.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { LowQualityPeers, resolveDataQualityConfig } from '../../sim/data-quality.ts';
import type { DataQualityConfigInput } from '../../sim/data-quality.ts';
import { runSimulation } from '../../sim/run.ts';
import type { WeightingConfigInput } from '../../sim/weighting.ts';
import { FIXED_NET } from './helpers.ts';

const BASE: SimConfigInput = {
  seed: 4,
  peers: 10,
  rounds: 6,
  innerSteps: 3,
  windowS: 60,
  optim: { method: 'sparseloco', topK: 64, quantBits: 2, outerLr: 0.8 },
  net: FIXED_NET,
  backend: { hiddenDim: 16, numShards: 32 },
  chain: { enabled: false },
};

const run = (extra: Partial<SimConfigInput>) => runSimulation({ ...BASE, ...extra }).rows;

describe('sim/data-quality + sim/weighting', () => {
  it('picks exactly round(fraction × peers) initial peers, seeded; joined peers by their own draw', () => {
    const cfg = resolveDataQualityConfig({ kind: 'label-noise', fraction: 0.3 });
    expect(cfg).to.deep.equal({ kind: 'label-noise', rate: 0.8, fraction: 0.3 });
    const a = new LowQualityPeers(cfg, 10, createRng(1).fork('data-quality'));
    const b = new LowQualityPeers(cfg, 10, createRng(1).fork('data-quality'));
    const low = Array.from({ length: 10 }, (_, uid) => uid).filter((uid) => a.isLowQuality(uid));
    expect(low).to.have.length(3);
    expect(low.filter((uid) => b.isLowQuality(uid))).to.deep.equal(low);
    expect(a.qualityOf(low[0]!)).to.deep.equal({ kind: 'label-noise', rate: 0.8 });
    expect(a.qualityOf([...Array(10).keys()].find((uid) => !low.includes(uid))!)).to.equal(undefined);
    const joined = Array.from({ length: 400 }, (_, i) => 100 + i).filter((uid) => a.isLowQuality(uid)).length;
    expect(joined).to.be.within(80, 160); // Bernoulli(0.3) over 400 joiners
  });

  it('rejects bad sections, naming the key and the rule', () => {
    const bad: [Partial<SimConfigInput>, RegExp][] = [
      [{ dataQuality: { kind: 'short', fraction: 1.5 } }, /dataQuality\.fraction/],
      [{ dataQuality: { kind: 'short', fraction: 0.2, rate: 0.5 } as unknown as DataQualityConfigInput }, /dataQuality\.rate.*not a key/],
      [{ dataQuality: { kind: 'label-noise', fraction: 0.2, rate: 2 } }, /dataQuality\.rate/],
      [{ dataQuality: { kind: 'short', fraction: 0.2 }, optim: { method: 'ddp' } }, /dataQuality\.kind.*round-cadence/],
      [{ weighting: { rule: 'loss-delta' }, optim: { method: 'diloco' } }, /weighting\.rule.*sparseloco/],
      [{ weighting: { rule: 'gauntlet' } }, /weighting\.rule.*defence "gauntlet"/],
      [{ weighting: { rule: 'trust' }, defence: { kind: 'robust', aggregator: { kind: 'median' } } }, /weighting\.rule.*defence "none" or "gauntlet"/],
      [{ weighting: { rule: 'loss-delta', validatorShards: 0 } as WeightingConfigInput }, /weighting\.validatorShards/],
    ];
    for (const [extra, re] of bad) expect(() => resolveSimConfig({ ...BASE, ...extra }), String(re)).to.throw(ConfigError, re);
    const cfg = resolveSimConfig({ ...BASE, dataQuality: { kind: 'duplicates', fraction: 0.2 }, weighting: { rule: 'trust' } });
    expect(resolveSimConfig(cfg)).to.deep.equal(cfg); // idempotent
  });

  it('without either section the rows are as before (no columns); uniform weighting reproduces them bit for bit', () => {
    const plain = run({});
    expect(plain[0]).to.not.have.property('weightMassLowQuality');
    const uniform = run({ weighting: { rule: 'uniform' } });
    expect(uniform.map((r) => r.heldoutLoss)).to.deep.equal(plain.map((r) => r.heldoutLoss));
    expect(uniform[0]!.weightMassLowQuality).to.equal(0);
    expect(uniform[0]!.lowQualityPeers).to.equal(0);
  });

  it('records the low-quality participants and their weight mass: uniform = their share, loss-delta gives them less', () => {
    const dataQuality: DataQualityConfigInput = { kind: 'label-noise', fraction: 0.3, rate: 1 };
    const uniform = run({ dataQuality, weighting: { rule: 'uniform' } });
    for (const r of uniform) {
      expect(r.lowQualityPeers).to.equal(3);
      expect(r.weightMassLowQuality).to.be.closeTo(0.3, 1e-12);
    }
    const lossDelta = run({ dataQuality, weighting: { rule: 'loss-delta' } });
    const mass = lossDelta.reduce((a, r) => a + r.weightMassLowQuality!, 0) / lossDelta.length;
    expect(mass).to.be.below(0.2);
    expect(lossDelta.at(-1)!.heldoutLoss).to.not.equal(uniform.at(-1)!.heldoutLoss);
    expect(run({ dataQuality, weighting: { rule: 'loss-delta' } })).to.deep.equal(lossDelta); // deterministic
  });

  it('runs every rule with the lagged Gauntlet validator, each row\'s mass in [0, 1]', () => {
    for (const weighting of [{ rule: 'gauntlet' }, { rule: 'trust' }, { rule: 'trust', reference: 'validator' }] as const) {
      const rows = run({ defence: { kind: 'gauntlet' }, dataQuality: { kind: 'shifted', fraction: 0.3 }, weighting });
      expect(rows).to.have.length(BASE.rounds);
      for (const r of rows) {
        expect(r.weightMassLowQuality).to.be.within(0, 1);
        expect(Number.isFinite(r.heldoutLoss)).to.equal(true);
      }
    }
  });
});
