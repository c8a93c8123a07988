import { expect } from 'chai';
import { ConfigError } from '../../core/errors.ts';
import { createRng } from '../../core/rng.ts';
import { resolveSimConfig } from '../../sim/config.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { ENERGY_DEFAULTS, UNSTATED_SOURCE, carbonIntensityOf, co2eKg, drawDeviceClass, energyAssumptionLabel, peerRoundEnergyKWh, resolveEnergyConfig } from '../../sim/energy.ts';
import type { EnergyConfig } from '../../sim/energy.ts';
import { drawPeerLink } from '../../sim/network.ts';
import { runSimulation } from '../../sim/run.ts';
import { FIXED_NET } from './helpers.ts';


const REGION_NET = {
  regions: [
    { name: 'eu', weight: 1, uplinkMbps: { kind: 'fixed', value: 10 }, downlinkMbps: { kind: 'fixed', value: 100 } },
    { name: 'us', weight: 1, uplinkMbps: { kind: 'fixed', value: 10 }, downlinkMbps: { kind: 'fixed', value: 100 } },
  ],
  latencyMs: [
    [10, 80],
    [80, 10],
  ],
  store: { ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 5, region: 'eu' },
} as const;

const GPU = { name: 'gpu', weight: 1, powerW: 400, idleW: 40, stepTimeScale: 1 };

function config(overrides: Partial<SimConfigInput> = {}): SimConfigInput {
  return {
    seed: 3,
    peers: 3,
    rounds: 4,
    innerSteps: 5,
    windowS: 10,
    stepTimeS: { kind: 'fixed', value: 0.1 },
    optim: { method: 'sparseloco' },
    net: FIXED_NET,
    energy: { deviceClasses: [GPU], carbonIntensity: 250, networkKWhPerGB: 0 },
    ...overrides,
  };
}

describe('sim/energy: model', () => {
  it('a hand-computed peer round: active at powerW, waiting at idleW, plus network energy', () => {
    const device = { ...GPU, powerW: 700, idleW: 70 };
    // 60 s busy at 700 W + 40 s idle at 70 W = 44,800 J; 2 GB at 0.01 kWh/GB = 0.02 kWh.
    const kWh = peerRoundEnergyKWh(device, { computeS: 60, presentS: 100, bytes: 2e9 }, 0.01);
    expect(kWh).to.be.closeTo(44_800 / 3.6e6 + 0.02, 1e-15);
    expect(co2eKg(kWh, 400)).to.be.closeTo(kWh * 0.4, 1e-15);
    // Computing past the end of the round is all active time, never negative idle time.
    expect(peerRoundEnergyKWh(device, { computeS: 50, presentS: 20, bytes: 0 }, 0)).to.equal((700 * 50) / 3.6e6);
  });

  it('zero power and zero network energy ⇒ zero energy', () => {
    const off = { ...GPU, powerW: 0, idleW: 0 };
    expect(peerRoundEnergyKWh(off, { computeS: 10, presentS: 30, bytes: 1e9 }, 0)).to.equal(0);
  });

  it('carbon intensity: one value, per region, or the default for unlisted regions', () => {
    const regions = ['eu', 'us', 'ap'];
    const byRegion = resolveEnergyConfig({ deviceClasses: [GPU], carbonIntensity: { byRegion: { eu: 50, us: 400 }, default: 600 } }, regions);
    expect(carbonIntensityOf(byRegion, 'eu')).to.equal(50);
    expect(carbonIntensityOf(byRegion, 'us')).to.equal(400);
    expect(carbonIntensityOf(byRegion, 'ap')).to.equal(600);
    expect(carbonIntensityOf(resolveEnergyConfig({ deviceClasses: [GPU], carbonIntensity: 300 }, null), null)).to.equal(300);
  });

  it('device classes are drawn by weight, per peer, from the stream device:<uid>', () => {
    const cfg = resolveEnergyConfig({ deviceClasses: [GPU, { ...GPU, name: 'cpu', weight: 3 }], carbonIntensity: 1 }, null);
    const rng = createRng(9).fork('compute');
    const names = Array.from({ length: 400 }, (_, uid) => drawDeviceClass(cfg, uid, rng).name);
    const cpuShare = names.filter((n) => n === 'cpu').length / names.length;
    expect(cpuShare).to.be.within(0.68, 0.82);
    // Independent of draw order: peer 17 gets the same class from a fresh stream.
    expect(drawDeviceClass(cfg, 17, createRng(9).fork('compute')).name).to.equal(names[17]);
  });

  it('rejects bad energy config, naming the key', () => {
    const keyOf = (cfg: Partial<EnergyConfig>, regions: readonly string[] | null = null): string => {
      try {
        resolveEnergyConfig(cfg, regions);
      } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        return (err as ConfigError).key;
      }
      throw new Error('expected a ConfigError');
    };
    expect(keyOf({ deviceClasses: [], carbonIntensity: 1 })).to.equal('energy.deviceClasses');
    expect(keyOf({ deviceClasses: [{ ...GPU, powerW: -1 }], carbonIntensity: 1 })).to.equal('energy.deviceClasses[0].powerW');
    expect(keyOf({ deviceClasses: [{ ...GPU, stepTimeScale: 0 }], carbonIntensity: 1 })).to.equal('energy.deviceClasses[0].stepTimeScale');
    expect(keyOf({ deviceClasses: [GPU, GPU], carbonIntensity: 1 })).to.equal('energy.deviceClasses[1].name');
    expect(keyOf({ deviceClasses: [{ ...GPU, weight: 0 }], carbonIntensity: 1 })).to.equal('energy.deviceClasses');
    expect(keyOf({ deviceClasses: [GPU], carbonIntensity: Number.NaN })).to.equal('energy.carbonIntensity');
    expect(keyOf({ deviceClasses: [GPU], carbonIntensity: { byRegion: { mars: 1 } } }, ['eu'])).to.equal('energy.carbonIntensity.byRegion.mars');
    expect(keyOf({ deviceClasses: [GPU], carbonIntensity: { byRegion: { eu: 1 } } }, ['eu', 'us'])).to.equal('energy.carbonIntensity.default');
    expect(keyOf({ deviceClasses: [GPU], carbonIntensity: 1, networkKWhPerGB: -0.1 })).to.equal('energy.networkKWhPerGB');
    // A typo is an error, never a silent default.
    expect(keyOf({ devices: [GPU] } as Partial<EnergyConfig>)).to.equal('energy.devices');
    expect(keyOf({ deviceClasses: [{ ...GPU, powerWatts: 5 } as typeof GPU] })).to.equal('energy.deviceClasses[0].powerWatts');
    expect(keyOf({ source: '' })).to.equal('energy.source');
    expect(() => resolveEnergyConfig({ devices: [] } as Partial<EnergyConfig>, null)).to.throw(ConfigError, 'energy.devices ([]) is not an energy option (options: deviceClasses, carbonIntensity, networkKWhPerGB, source)');
  });

  it('a user table may give some fields: the rest are the defaults, and the source says whose figures they are', () => {
    const partial = resolveEnergyConfig({ carbonIntensity: 250 }, null);
    expect(partial).to.deep.equal({ ...ENERGY_DEFAULTS, carbonIntensity: 250, source: UNSTATED_SOURCE });
    expect(resolveEnergyConfig({ carbonIntensity: 250, source: 'grid operator 2026' }, null).source).to.equal('grid operator 2026');
    expect(resolveEnergyConfig({}, null)).to.deep.equal(ENERGY_DEFAULTS);
  });

  it('labels the assumption table with the numbers it holds', () => {
    expect(energyAssumptionLabel(ENERGY_DEFAULTS)).to.equal(
      'assumed 300 W per device (50 W idle), 400 gCO2e/kWh, 0.01 kWh/GB moved; source: placeholder assumption (sim/energy.ts ENERGY_DEFAULTS), not a measurement',
    );
    const mixed = resolveEnergyConfig(
      { deviceClasses: [GPU, { ...GPU, name: 'cpu', weight: 3, powerW: 90, idleW: 9 }], carbonIntensity: { byRegion: { eu: 50 }, default: 600 }, networkKWhPerGB: 0, source: 'datasheets' },
      ['eu', 'us'],
    );
    expect(energyAssumptionLabel(mixed)).to.equal('assumed gpu 400 W (40 W idle, 25% of peers), cpu 90 W (9 W idle, 75% of peers), gCO2e/kWh by region: eu 50, others 600, 0 kWh/GB moved; source: datasheets');
  });

  it('defaults are filled in by resolveSimConfig', () => {
    const { energy: _energy, ...rest } = config();
    expect(resolveSimConfig(rest).energy).to.deep.equal(ENERGY_DEFAULTS);
  });
});

describe('sim/energy: in a run', () => {
  it('matches the hand computation: P × (powerW·H·step + idleW·(round − H·step)) + network, per round and cumulative', () => {
    const kWhPerGB = 0.02;
    const cfg = config({ energy: { deviceClasses: [GPU], carbonIntensity: 250, networkKWhPerGB: kWhPerGB } });
    const { rows, totals } = runSimulation(cfg);
    let cumulative = 0;
    for (const r of rows) {
      const computeS = 5 * 0.1;
      const roundS = r.simTimeS - r.windowStartS;
      const joules = 3 * (GPU.powerW * computeS + GPU.idleW * (roundS - computeS));
      const expected = joules / 3.6e6 + (kWhPerGB * (r.bytesUpTotal + r.bytesDownTotal)) / 1e9;
      expect(r.energyKWh).to.be.closeTo(expected, 1e-12);
      expect(r.co2eKg).to.be.closeTo((expected * 250) / 1000, 1e-12);
      cumulative += r.energyKWh;
      expect(r.cumulativeEnergyKWh).to.be.closeTo(cumulative, 1e-12);
    }
    expect(totals.energyKWh).to.be.closeTo(cumulative, 1e-12);
    expect(totals.co2eKg).to.be.closeTo((cumulative * 250) / 1000, 1e-12);
  });

  it('zero power and no network energy ⇒ every row reports 0 kWh and 0 kg', () => {
    const { rows } = runSimulation(config({ energy: { deviceClasses: [{ ...GPU, powerW: 0, idleW: 0 }], carbonIntensity: 400, networkKWhPerGB: 0 } }));
    for (const r of rows) {
      expect(r.energyKWh).to.equal(0);
      expect(r.co2eKg).to.equal(0);
    }
  });

  it("applies each peer's region intensity", () => {
    const byRegion = { eu: 100, us: 700 };
    const cfg = config({ peers: 6, net: REGION_NET, energy: { deviceClasses: [GPU], carbonIntensity: { byRegion }, networkKWhPerGB: 0 } });
    const regions = Array.from({ length: 6 }, (_, uid) => drawPeerLink(resolveSimConfig(cfg).net, uid, createRng(3).fork('net')).region!);
    expect(new Set(regions).size).to.equal(2); // both regions are used, so the test can tell them apart
    const { rows } = runSimulation(cfg);
    for (const r of rows) {
      // Without network energy every peer draws the same: the same compute, present to the round's end.
      const perPeer = r.energyKWh / 6;
      const expected = regions.reduce((a, region) => a + (perPeer * byRegion[region as 'eu' | 'us']) / 1000, 0);
      expect(r.co2eKg).to.be.closeTo(expected, 1e-12);
    }
  });

  it('a slow device class (stepTimeScale) makes exactly its peers late', () => {
    const slow = { ...GPU, name: 'slow', stepTimeScale: 100 }; // 5 steps × 0.1 s × 100 = 50 s > 10 s window
    const energy = { deviceClasses: [GPU, slow], carbonIntensity: 1, networkKWhPerGB: 0 };
    const cfg = config({ peers: 8, energy });
    const resolved = resolveSimConfig(cfg).energy;
    const slowPeers = Array.from({ length: 8 }, (_, uid) => drawDeviceClass(resolved, uid, createRng(3).fork('compute')).name).filter((n) => n === 'slow').length;
    expect(slowPeers).to.be.greaterThan(0).and.below(8);
    const { rows } = runSimulation(cfg);
    expect(rows[0]!.late).to.equal(slowPeers);
  });
});
