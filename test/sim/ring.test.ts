import { expect } from 'chai';
import fc from 'fast-check';
import { createCommunicator } from '../../core/baselines/index.ts';
import { ringAllReduceBytes } from '../../core/communicator.ts';
import { createRng } from '../../core/rng.ts';
import { createSurrogateBackend } from '../../backends/surrogate/backend.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { resolveSimConfig } from '../../sim/config.ts';
import { drawPeerLink, mbpsToBytesPerS, resolveNetworkConfig } from '../../sim/network.ts';
import type { NetworkConfig, PeerLink } from '../../sim/network.ts';
import { peerToPeerLatencyS, resolveTransport, ringAllReduceTiming, ringEdges } from '../../sim/ring.ts';
import type { RingEdge } from '../../sim/ring.ts';
import { runSimulation } from '../../sim/run.ts';
import { FIXED_NET, configError, messageBytes } from './helpers.ts';

/**
 * Brute-force reference: the ring hop by hop as a dataflow. In hop h member i sends the chunk it
 * holds to member i + 1; it may start once it has received hop h − 1's chunk from its predecessor
 * and its own previous send is done. Returns when the last chunk of the last hop lands.
 */
function dataflowRingSeconds(shareBytes: number, edges: readonly RingEdge[]): number {
  const r = edges.length;
  if (r === 1) return 0;
  const hops = 2 * (r - 1);
  const chunk = shareBytes / hops;
  let received = new Array<number>(r).fill(0); // when member i got its previous hop's chunk
  let sendDone = new Array<number>(r).fill(0); // when member i's previous send finished
  for (let h = 0; h < hops; h++) {
    const nextReceived = new Array<number>(r).fill(0);
    const nextSendDone = new Array<number>(r).fill(0);
    for (let i = 0; i < r; i++) {
      const start = Math.max(received[i]!, sendDone[i]!);
      const done = start + edges[i]!.latencyS + chunk / edges[i]!.bytesPerS;
      nextSendDone[i] = done;
      nextReceived[(i + 1) % r] = done;
    }
    received = nextReceived;
    sendDone = nextSendDone;
  }
  return Math.max(...received);
}

describe('sim/ring: ring all-reduce timing', () => {
  it('one member moves nothing and takes no time', () => {
    const t = ringAllReduceTiming(0, [{ latencyS: 0.1, bytesPerS: 10 }]);
    expect(t).to.deep.equal({ hops: 0, chunkBytes: 0, bottleneckEdge: -1, hopS: 0, seconds: 0 });
  });

  it('two members: 2 hops of half the share each', () => {
    // share 1000 bytes → 2 hops of 500; edges 0.05 + 500/1000 = 0.55 and 0.01 + 500/500 = 1.01
    const t = ringAllReduceTiming(1000, [{ latencyS: 0.05, bytesPerS: 1000 }, { latencyS: 0.01, bytesPerS: 500 }]);
    expect(t.hops).to.equal(2);
    expect(t.chunkBytes).to.equal(500);
    expect(t.bottleneckEdge).to.equal(1);
    expect(t.hopS).to.be.closeTo(1.01, 1e-12);
    expect(t.seconds).to.be.closeTo(2.02, 1e-12);
  });

  it('four members, one slow link: 6 hops gated by it', () => {
    // payload 4000 bytes → share 2(R−1)/R × 4000 = 6000, chunk 1000; edge 2 at 0.2 s + 1000/100 s
    const share = ringAllReduceBytes(4000, 4)[0]!.uploadBytes;
    expect(share).to.equal(6000);
    const fast = { latencyS: 0.01, bytesPerS: 1e6 };
    const t = ringAllReduceTiming(share, [fast, fast, { latencyS: 0.2, bytesPerS: 100 }, fast]);
    expect(t.hops).to.equal(6);
    expect(t.chunkBytes).to.equal(1000);
    expect(t.bottleneckEdge).to.equal(2);
    expect(t.seconds).to.be.closeTo(6 * 10.2, 1e-9);
  });

  it('matches the hop-by-hop dataflow reference on random rings (counted)', () => {
    let cases = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ latencyS: fc.double({ min: 0, max: 0.5, noNaN: true }), bytesPerS: fc.double({ min: 1e3, max: 1e9, noNaN: true }) }), { minLength: 1, maxLength: 12 }),
        fc.double({ min: 0, max: 1e8, noNaN: true }),
        (edges, share) => {
          const closed = ringAllReduceTiming(share, edges).seconds;
          const reference = dataflowRingSeconds(share, edges);
          expect(closed).to.be.closeTo(reference, 1e-9 * Math.max(1, reference));
          cases++;
        },
      ),
      { numRuns: 300, seed: 12 },
    );
    expect(cases).to.equal(300);
  });

  it('edges: member i → i + 1, bottleneck min(sender up, receiver down), latency per mode', () => {
    const net = resolveNetworkConfig(FIXED_NET);
    const links = [0, 1, 2].map((uid) => drawPeerLink(net, uid, createRng(1)));
    const edges = ringEdges(net, links);
    expect(edges).to.have.length(3);
    for (const e of edges) {
      expect(e.bytesPerS).to.equal(mbpsToBytesPerS(10)); // 10 up < 100 down
      expect(e.latencyS).to.be.closeTo(0.1, 1e-12); // 50 ms each end
    }
    const regional: NetworkConfig = resolveNetworkConfig({
      regions: [
        { name: 'us', weight: 1, uplinkMbps: { kind: 'fixed', value: 100 }, downlinkMbps: { kind: 'fixed', value: 40 } },
        { name: 'eu', weight: 1, uplinkMbps: { kind: 'fixed', value: 50 }, downlinkMbps: { kind: 'fixed', value: 200 } },
      ],
      latencyMs: [[5, 40], [45, 8]],
      store: { ingressMbps: 1e4, egressMbps: 1e4, latencyMs: 0, region: 'us' },
    });
    const us: PeerLink = { peerId: 0, region: 'us', uplinkBytesPerS: 100, downlinkBytesPerS: 40, uploadLatencyS: 0.005, downloadLatencyS: 0.005 };
    const eu: PeerLink = { peerId: 1, region: 'eu', uplinkBytesPerS: 50, downlinkBytesPerS: 200, uploadLatencyS: 0.045, downloadLatencyS: 0.04 };
    expect(peerToPeerLatencyS(regional, us, eu)).to.equal(0.04);
    expect(peerToPeerLatencyS(regional, eu, us)).to.equal(0.045);
    expect(ringEdges(regional, [us, eu])).to.deep.equal([{ latencyS: 0.04, bytesPerS: 100 }, { latencyS: 0.045, bytesPerS: 40 }]);
  });

  it('rejects bad input with typed errors', () => {
    expect(configError(() => ringAllReduceTiming(10, [])).key).to.equal('ring members');
    expect(configError(() => ringAllReduceTiming(-1, [{ latencyS: 0, bytesPerS: 1 }])).key).to.equal('ring share');
    expect(configError(() => ringAllReduceTiming(1, [{ latencyS: 0, bytesPerS: 0 }, { latencyS: 0, bytesPerS: 1 }])).key).to.equal('ring edge 0');
    expect(configError(() => resolveTransport('tcp', 'ddp')).key).to.equal('transport');
    expect(configError(() => resolveTransport('ring', 'sparseloco')).message).to.contain('sparseloco');
    expect(configError(() => resolveTransport('ring', 'demo')).message).to.contain('demo');
    expect(resolveTransport(undefined, 'ddp')).to.equal(undefined);
  });
});

/** A surrogate-sized LR. */
const SCHEDULE = { peakLr: 0.01, warmupSteps: 0, tMax: 1_000_000 };

function config(overrides: Partial<SimConfigInput> = {}): SimConfigInput {
  return { seed: 5, peers: 4, rounds: 4, innerSteps: 3, windowS: 60, stepTimeS: { kind: 'fixed', value: 0.5 }, optim: { method: 'ddp', schedule: SCHEDULE }, net: FIXED_NET, ...overrides };
}

/** The all-reduce share of one peer among `r` for `optim` on the default surrogate, bytes. */
function share(optim: SimConfigInput['optim'], r: number): number {
  const backend = createSurrogateBackend(createRng(5).fork('backend'));
  const comm = createCommunicator(backend.layout, optim);
  return comm.wireBytes(new Array<number>(r).fill(1))[0]!.uploadBytes;
}

/** FIXED_NET's ring edge: 100 ms (two 50 ms ends), 10 Mbit/s (the uplink). */
function fixedRingSeconds(shareBytes: number, r: number): number {
  return 2 * (r - 1) * (0.1 + shareBytes / (2 * (r - 1)) / mbpsToBytesPerS(10));
}

/** A seed whose 8 peers draw both step times (checked by the test). */
const SLOW_MIX_SEED = 4;

describe('sim: transport per method', () => {
  it("without a transport key, DDP and DiLoCo take the ring and SparseLoCo the store (sim/protocol-defaults.ts)", () => {
    expect(resolveSimConfig(config({ optim: { method: 'ddp', schedule: SCHEDULE } })).transport).to.equal('ring');
    expect(resolveSimConfig(config({ optim: { method: 'diloco' } })).transport).to.equal('ring');
    expect('transport' in resolveSimConfig(config({ optim: { method: 'sparseloco' } }))).to.equal(false);
    for (const [method, transport] of [['ddp', 'ring'], ['diloco', 'ring'], ['sparseloco', 'store']] as const) {
      const optim = method === 'ddp' ? { method, schedule: SCHEDULE } : { method };
      const absent = runSimulation(config({ optim }));
      const explicit = runSimulation(config({ optim, transport }));
      expect(explicit.rows, method).to.deep.equal(absent.rows);
    }
    expect(configError(() => resolveSimConfig(config({ optim: { method: 'sparseloco' }, transport: 'ring' }))).key).to.equal('transport');
  });

  it('DDP over the ring: same params and bytes, each step max compute + 2(R−1) hops', () => {
    const store = runSimulation(config());
    const ring = runSimulation(config({ transport: 'ring' }));
    expect(ring.finalParamsHash).to.equal(store.finalParamsHash);
    const s = share({ method: 'ddp', schedule: SCHEDULE }, 4);
    const ringS = fixedRingSeconds(s, 4);
    ring.rows.forEach((r, i) => {
      expect(r.bytesUpTotal).to.equal(store.rows[i]!.bytesUpTotal);
      expect(r.bytesDownTotal).to.equal(store.rows[i]!.bytesDownTotal);
      expect(r.syncTimeS).to.be.closeTo(3 * ringS, 1e-9);
      expect(r.simTimeS - r.windowStartS).to.be.closeTo(3 * (0.5 + ringS), 1e-9);
    });
  });

  it('DiLoCo over the ring: no store upload, bytesUp = the ring shares, every contributor syncs in the ring time', () => {
    const optim = { method: 'diloco' } as const;
    const store = runSimulation(config({ optim, transport: 'store' }));
    const ring = runSimulation(config({ optim, transport: 'ring' }));
    expect(ring.finalParamsHash).to.equal(store.finalParamsHash);
    const s = share(optim, 4);
    for (const r of ring.rows) {
      expect(r.onTime).to.equal(4);
      expect(r.contributors).to.equal(4);
      expect(r.bytesUpTotal).to.be.closeTo(4 * s, 1e-6);
      expect(r.bytesDownTotal).to.be.closeTo(4 * s, 1e-6);
      expect(r.syncTimeS).to.be.closeTo(fixedRingSeconds(s, 4), 1e-9);
    }
    // With the store each peer uploads its whole encoded Δ once; on the ring it sends 2(R − 1)/R of the payload.
    expect(store.rows[0]!.bytesUpTotal).to.equal(4 * messageBytes(optim));
  });

  it('DiLoCo ring: a peer still training at the close is not in the ring and does not sync', () => {
    const optim = { method: 'diloco' } as const;
    // Each peer steps at 0.5 s or 30 s (3 steps: 1.5 s or 90 s of training in a 60 s window).
    const { rows } = runSimulation(config({ optim, transport: 'ring', peers: 8, rounds: 1, seed: SLOW_MIX_SEED, stepTimeS: { kind: 'choice', values: [0.5, 30] } }));
    const r = rows[0]!;
    expect(r.onTime).to.be.within(2, 7); // this seed draws both kinds
    expect(r.late).to.equal(8 - r.onTime);
    expect(r.contributors).to.equal(r.onTime);
    const s = share(optim, r.onTime);
    expect(r.bytesUpTotal).to.be.closeTo(r.onTime * s, 1e-6); // the late peers sent nothing
    expect(r.bytesDownTotal).to.be.closeTo(r.onTime * s, 1e-6); // and received nothing
    expect(r.syncTimeS).to.be.closeTo(fixedRingSeconds(s, r.onTime), 1e-9);
  });
});
