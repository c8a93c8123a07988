import { expect } from 'chai';
import fc from 'fast-check';
import { createRng } from '../../core/rng.ts';
import {
  attemptTransfer,
  bottleneckBytesPerS,
  drawPeerLink,
  mbpsToBytesPerS,
  resolveBucketLink,
  resolveNetworkConfig,
  resolveStoreLink,
  TCP_IPV4_PAYLOAD_FRACTION,
  transferSeconds,
  type LossConfig,
  type NetworkConfig,
  type PeerLink,
  type RegionLinkConfig,
  type StoreLink,
} from '../../sim/network.ts';
import { configError } from './helpers.ts';

const fixed = (value: number) => ({ kind: 'fixed', value }) as const;

const fastStore = { ingressMbps: 100_000, egressMbps: 100_000, latencyMs: 0 };

const perPeer: NetworkConfig = {
  uplinkMbps: { kind: 'lognormal', median: 20, sigma: 0.5 },
  downlinkMbps: { kind: 'uniform', min: 50, max: 200 },
  latencyMs: { kind: 'normal', mean: 60, std: 20, min: 5 },
  store: fastStore,
};

const regional: NetworkConfig = {
  regions: [
    { name: 'us', weight: 3, uplinkMbps: fixed(100), downlinkMbps: fixed(500) },
    { name: 'eu', weight: 1, uplinkMbps: fixed(50), downlinkMbps: fixed(200) },
    { name: 'asia', weight: 0, uplinkMbps: fixed(10), downlinkMbps: fixed(20) },
  ],
  // from → to, ms; deliberately asymmetric between us and eu.
  latencyMs: [
    [5, 40, 90],
    [45, 8, 120],
    [95, 125, 10],
  ],
  store: { ...fastStore, region: 'us' },
};

function link(upMbps: number, downMbps: number, latencyS: number): PeerLink {
  return {
    peerId: 0,
    region: null,
    uplinkBytesPerS: mbpsToBytesPerS(upMbps),
    downlinkBytesPerS: mbpsToBytesPerS(downMbps),
    uploadLatencyS: latencyS,
    downloadLatencyS: latencyS,
  };
}
function store(ingressMbps: number, egressMbps: number, latencyS = 0): StoreLink {
  return { region: null, ingressBytesPerS: mbpsToBytesPerS(ingressMbps), egressBytesPerS: mbpsToBytesPerS(egressMbps), latencyS };
}

describe('sim/network', () => {
  describe('transferSeconds', () => {
    it('1.84 MB at 10 Mbit/s plus 50 ms takes 1.522 s', () => {
      // 1_840_000 bytes · 8 bits / 10e6 bits/s = 1.472 s, + 0.05 s latency.
      expect(transferSeconds(1_840_000, link(10, 100, 0.05), store(1e5, 1e5), 'upload')).to.be.closeTo(1.522, 1e-12);
    });

    it('adds the store latency to the path latency', () => {
      expect(transferSeconds(1_000_000, link(8, 8, 0.1), store(1e5, 1e5, 0.02), 'download')).to.be.closeTo(0.12 + 1, 1e-12);
    });

    it('uses the bottleneck: min(peer uplink, store ingress) up, min(store egress, peer downlink) down', () => {
      const l = link(10, 100, 0);
      const slowIngress = store(4, 1000);
      expect(bottleneckBytesPerS(l, slowIngress, 'upload')).to.equal(mbpsToBytesPerS(4));
      expect(transferSeconds(1_000_000, l, slowIngress, 'upload')).to.be.closeTo(2, 1e-12);
      expect(transferSeconds(1_000_000, l, slowIngress, 'download')).to.be.closeTo(0.08, 1e-12);
      const slowEgress = store(1000, 20);
      expect(transferSeconds(1_000_000, l, slowEgress, 'download')).to.be.closeTo(0.4, 1e-12);
      expect(transferSeconds(1_000_000, l, slowEgress, 'upload')).to.be.closeTo(0.8, 1e-12);
    });

    it('a zero-byte transfer costs exactly the latency', () => {
      expect(transferSeconds(0, link(1, 1, 0.07), store(1, 1, 0.01), 'upload')).to.be.closeTo(0.08, 1e-15);
    });

    it('is latency + bytes/bandwidth for any sizes (property)', () => {
      fc.assert(
        fc.property(fc.nat(1e9), fc.double({ min: 0.1, max: 1e4, noNaN: true }), fc.double({ min: 0.1, max: 1e4, noNaN: true }), (bytes, up, ingress) => {
          const t = transferSeconds(bytes, link(up, 1, 0.03), store(ingress, 1), 'upload');
          expect(t).to.be.closeTo(0.03 + (bytes * 8) / (Math.min(up, ingress) * 1e6), 1e-9 * (1 + t));
        }),
        { seed: 4, numRuns: 200 },
      );
    });

    it('rejects a negative byte count', () => {
      expect(() => transferSeconds(-1, link(1, 1, 0), store(1, 1), 'upload')).to.throw(/bytes/);
    });
  });

  describe('drawPeerLink', () => {
    it('draws a peer from its own stream: peer 5 alone equals peer 5 among others, in any order', () => {
      const cfg = resolveNetworkConfig(perPeer);
      const alone = drawPeerLink(cfg, 5, createRng(1).fork('net'));
      const net = createRng(1).fork('net');
      const many = [9, 3, 5, 0, 7].map((id) => drawPeerLink(cfg, id, net));
      expect(many[2]).to.deep.equal(alone);
      expect(many[0]).to.not.deep.equal(alone);
    });

    it('draws bandwidths in bytes/s and latency in seconds from the distributions', () => {
      const cfg = resolveNetworkConfig(perPeer);
      const net = createRng(2).fork('net');
      const links = Array.from({ length: 2000 }, (_, id) => drawPeerLink(cfg, id, net));
      const ups = links.map((l) => l.uplinkBytesPerS / 125_000).sort((a, b) => a - b);
      expect(ups[1000]).to.be.closeTo(20, 1.5); // lognormal median, Mbit/s
      for (const l of links) {
        expect(l.downlinkBytesPerS).to.be.within(50 * 125_000, 200 * 125_000);
        expect(l.uploadLatencyS).to.be.at.least(0.005);
        expect(l.downloadLatencyS).to.equal(l.uploadLatencyS);
        expect(l.region).to.equal(null);
      }
    });

    it('places peers in regions by weight and looks latencies up in the table (row = from)', () => {
      const cfg = resolveNetworkConfig(regional);
      const net = createRng(3).fork('net');
      const links = Array.from({ length: 4000 }, (_, id) => drawPeerLink(cfg, id, net));
      const us = links.filter((l) => l.region === 'us').length / links.length;
      expect(us).to.be.closeTo(0.75, 0.03);
      expect(links.some((l) => l.region === 'asia')).to.equal(false);
      const eu = links.find((l) => l.region === 'eu')!;
      expect(eu.uplinkBytesPerS).to.equal(mbpsToBytesPerS(50));
      expect(eu.uploadLatencyS).to.be.closeTo(0.045, 1e-15); // eu → us
      expect(eu.downloadLatencyS).to.be.closeTo(0.04, 1e-15); // us → eu
      const usPeer = links.find((l) => l.region === 'us')!;
      expect(usPeer.uploadLatencyS).to.be.closeTo(0.005, 1e-15);
    });
  });

  describe('resolveNetworkConfig', () => {
    it('converts the store to bytes/s and seconds', () => {
      const s = resolveStoreLink(resolveNetworkConfig({ ...perPeer, store: { ingressMbps: 800, egressMbps: 1600, latencyMs: 30 } }));
      expect(s).to.deep.equal({ region: null, ingressBytesPerS: 1e8, egressBytesPerS: 2e8, latencyS: 0.03 });
    });

    const cases: [string, NetworkConfig, string][] = [
      ['zero-capable uplink', { ...perPeer, uplinkMbps: { kind: 'uniform', min: 0, max: 10 } }, 'net.uplinkMbps.min'],
      ['negative latency', { ...perPeer, latencyMs: fixed(-1) }, 'net.latencyMs.value'],
      ['zero store ingress', { ...perPeer, store: { ...fastStore, ingressMbps: 0 } }, 'net.store.ingressMbps'],
      ['store region without regions', { ...perPeer, store: { ...fastStore, region: 'us' } }, 'net.store.region'],
      ['unknown store region', { ...regional, store: { ...fastStore, region: 'mars' } }, 'net.store.region'],
      ['non-square matrix', { ...regional, latencyMs: [[1, 2, 3], [1, 2], [1, 2, 3]] } as NetworkConfig, 'net.latencyMs[1]'],
      ['too few rows', { ...regional, latencyMs: [[1, 2, 3]] } as NetworkConfig, 'net.latencyMs'],
      ['negative matrix entry', { ...regional, latencyMs: [[1, 2, 3], [1, 2, 3], [1, -2, 3]] } as NetworkConfig, 'net.latencyMs[2][1]'],
      ['duplicate region', { ...regional, regions: [(regional as RegionLinkConfig).regions[0]!, (regional as RegionLinkConfig).regions[0]!, (regional as RegionLinkConfig).regions[2]!] } as NetworkConfig, 'net.regions[1].name'],
      ['all-zero weights', { ...regional, regions: (regional as RegionLinkConfig).regions.map((r) => ({ ...r, weight: 0 })) } as NetworkConfig, 'net.regions'],
      ['loss p > 1', { ...perPeer, loss: { probability: 1.5, timeoutS: 1, maxRetries: 1, backoffS: 0 } }, 'net.loss.probability'],
      ['fractional retries', { ...perPeer, loss: { probability: 0.1, timeoutS: 1, maxRetries: 1.5, backoffS: 0 } }, 'net.loss.maxRetries'],
      ['zero timeout', { ...perPeer, loss: { probability: 0.1, timeoutS: 0, maxRetries: 1, backoffS: 0 } }, 'net.loss.timeoutS'],
      ['backoff factor < 1', { ...perPeer, loss: { probability: 0.1, timeoutS: 1, maxRetries: 1, backoffS: 1, backoffFactor: 0.5 } }, 'net.loss.backoffFactor'],
    ];
    for (const [name, cfg, key] of cases) {
      it(`rejects ${name}, naming ${key}`, () => {
        const error = configError(() => resolveNetworkConfig(cfg));
        expect(error.key).to.equal(key);
      });
    }
  });

  describe('attemptTransfer', () => {
    const l = link(10, 100, 0.05);
    const s = store(1e5, 1e5);
    const clean = transferSeconds(1_840_000, l, s, 'upload');
    const loss = (probability: number, extra: Partial<LossConfig> = {}): LossConfig => ({ probability, timeoutS: 5, maxRetries: 3, backoffS: 1, ...extra });

    it('without loss config: one delivered attempt, no draws', () => {
      const rng = createRng(1);
      expect(attemptTransfer(1_840_000, l, s, 'upload', undefined, rng)).to.deep.equal({ seconds: clean, attempts: 1, delivered: true });
      expect(rng.next()).to.equal(createRng(1).next());
    });

    it('p = 0: one attempt, delivered in the clean transfer time', () => {
      expect(attemptTransfer(1_840_000, l, s, 'upload', loss(0), createRng(1))).to.deep.equal({ seconds: clean, attempts: 1, delivered: true });
    });

    it('p = 1: maxRetries + 1 attempts, not delivered, timeouts plus backoffs between them', () => {
      const out = attemptTransfer(1_840_000, l, s, 'upload', loss(1), createRng(1));
      expect(out).to.deep.equal({ seconds: 4 * 5 + 3 * 1, attempts: 4, delivered: false });
      const exp = attemptTransfer(1_840_000, l, s, 'upload', loss(1, { backoffFactor: 2 }), createRng(1));
      expect(exp.seconds).to.equal(4 * 5 + (1 + 2 + 4));
    });

    it('a delivery after k losses costs k timeouts, k backoffs and one clean transfer', () => {
      const net = createRng(7).fork('net');
      for (let i = 0; i < 200; i++) {
        const out = attemptTransfer(1_840_000, l, s, 'upload', loss(0.5), net.fork(`xfer:${i}`));
        if (out.delivered) expect(out.seconds).to.be.closeTo((out.attempts - 1) * 6 + clean, 1e-9);
      }
    });

    it('mean attempts ≈ (1 − p^(R+1)) / (1 − p) and delivery rate ≈ 1 − p^(R+1)', () => {
      const cfg = loss(0.4);
      const net = createRng(8).fork('net');
      const n = 20_000;
      let attempts = 0;
      let delivered = 0;
      for (let i = 0; i < n; i++) {
        const out = attemptTransfer(1000, l, s, 'upload', cfg, net.fork(`xfer:${i}`));
        attempts += out.attempts;
        delivered += out.delivered ? 1 : 0;
      }
      expect(attempts / n).to.be.closeTo(1 + 0.4 + 0.16 + 0.064, 0.02); // Σ_{k=0}^{R} p^k, R = 3
      expect(delivered / n).to.be.closeTo(1 - 0.4 ** 4, 0.005);
    });
  });
});

describe('sim/network: payloadFraction (TCP/IP framing)', () => {
  const base: NetworkConfig = {
    uplinkMbps: { kind: 'uniform', min: 5, max: 50 },
    downlinkMbps: { kind: 'fixed', value: 40 },
    latencyMs: { kind: 'fixed', value: 0 },
    store: { ingressMbps: 200, egressMbps: 50, latencyMs: 0 },
    buckets: { ingressMbps: 80, egressMbps: 30 },
  };

  it('scales every link, the store and the buckets by the fraction, with the same draws; absent it changes nothing', () => {
    const framed = resolveNetworkConfig({ ...base, payloadFraction: TCP_IPV4_PAYLOAD_FRACTION });
    const plain = resolveNetworkConfig(base);
    for (let uid = 0; uid < 5; uid++) {
      const a = drawPeerLink(plain, uid, createRng(3).fork('net'));
      const b = drawPeerLink(framed, uid, createRng(3).fork('net'));
      expect(b.uplinkBytesPerS).to.equal(a.uplinkBytesPerS * TCP_IPV4_PAYLOAD_FRACTION);
      expect(b.downlinkBytesPerS).to.equal(mbpsToBytesPerS(40) * TCP_IPV4_PAYLOAD_FRACTION);
    }
    expect(resolveStoreLink(framed).egressBytesPerS).to.equal(mbpsToBytesPerS(50) * (1448 / 1514));
    expect(resolveBucketLink(framed)!.ingressBytesPerS).to.equal(mbpsToBytesPerS(80) * (1448 / 1514));
    expect(resolveStoreLink(plain).ingressBytesPerS).to.equal(mbpsToBytesPerS(200));
    // 2.37 MB at a framed 5 Mbit/s: 3.79 s of payload becomes 3.96 s, what tbf-shaped veth links gave (README).
    const link = drawPeerLink(resolveNetworkConfig({ ...base, uplinkMbps: { kind: 'fixed', value: 5 }, payloadFraction: TCP_IPV4_PAYLOAD_FRACTION }), 0, createRng(1));
    expect(transferSeconds(2_365_103, link, resolveStoreLink(framed), 'upload')).to.be.within(3.956, 3.957);
  });

  it('refuses a fraction outside (0, 1], naming it', () => {
    for (const bad of [0, -0.5, 1.01, Number.NaN]) {
      expect(() => resolveNetworkConfig({ ...base, payloadFraction: bad })).to.throw(/net\.payloadFraction .*must be a number in \(0, 1\]/);
    }
  });
});
