/**
 * The flow solver (sim/flows.ts) against a slow reference: a time-stepped fluid simulation that
 * recomputes max-min rates every step with the textbook O(n²) progressive filling. Random cases
 * are counted by kind (shared bottleneck, disjoint flows, staggered starts, chains, caps); the
 * incremental solver also against the full-recompute event-driven solver (flows-reference.ts) on
 * large gather shapes: many readers per bucket, large multiplicities of identical flows. The
 * properties: no resource ever above capacity, a lone flow is latency + bytes / min capacity
 * (transferSeconds, bit for bit), symmetric flows finish together.
 */
import { expect } from 'chai';
import { createRng } from '../../core/rng.ts';
import type { Rng } from '../../core/rng.ts';
import { sharedLinkFinishOffsetsS, solveFlows, solveFlowsWith } from '../../sim/flows.ts';
import type { FlowSpec } from '../../sim/flows.ts';
import { transferSeconds } from '../../sim/network.ts';
import type { PeerLink, StoreLink } from '../../sim/network.ts';
import { TransferNetwork } from '../../sim/transfers.ts';
import { referenceComponent } from './flows-reference.ts';

/** Textbook progressive filling: raise all unfrozen flows together, freeze on each full resource. */
function referenceRates(flows: readonly FlowSpec[], active: readonly number[], caps: readonly number[]): Map<number, number> {
  const rate = new Map<number, number>();
  const frozen = new Set<number>();
  let level = 0;
  while (frozen.size < active.length) {
    let step = Infinity;
    for (let r = 0; r < caps.length; r++) {
      const on = active.filter((i) => flows[i]!.resources.includes(r));
      const free = on.filter((i) => !frozen.has(i));
      if (free.length === 0) continue;
      const used = on.reduce((a, i) => a + (frozen.has(i) ? rate.get(i)! : level), 0);
      step = Math.min(step, (caps[r]! - used) / free.length);
    }
    for (const i of active) if (!frozen.has(i)) step = Math.min(step, (flows[i]!.capBytesPerS ?? Infinity) - level);
    level += step;
    for (const i of active) if (!frozen.has(i)) rate.set(i, level);
    for (let r = 0; r < caps.length; r++) {
      const on = active.filter((i) => flows[i]!.resources.includes(r));
      const load = on.reduce((a, i) => a + rate.get(i)!, 0);
      if (load >= caps[r]! * (1 - 1e-12)) for (const i of on) frozen.add(i);
    }
    for (const i of active) if ((flows[i]!.capBytesPerS ?? Infinity) <= level * (1 + 1e-12)) frozen.add(i);
  }
  return rate;
}

/** Time-stepped fluid simulation with step `dtS`; also checks that no resource exceeds capacity. */
function referenceFinish(flows: readonly FlowSpec[], caps: readonly number[], dtS: number): number[] {
  const finish = flows.map(() => NaN);
  const request = flows.map((f) => (f.after === undefined ? f.startS : NaN));
  const left = flows.map((f) => f.bytes);
  for (let t = 0; finish.some((x) => Number.isNaN(x)); t += dtS) {
    expect(t, 'reference ran away').to.be.below(1e4);
    for (let i = 0; i < flows.length; i++) {
      const a = flows[i]!.after;
      if (a !== undefined && Number.isNaN(request[i]!) && !Number.isNaN(finish[a]!)) request[i] = finish[a]!;
    }
    const active = flows.map((_, i) => i).filter((i) => Number.isNaN(finish[i]!) && request[i]! + flows[i]!.latencyS <= t + 1e-12);
    for (const i of active) {
      if (left[i] === 0) finish[i] = request[i]! + flows[i]!.latencyS;
    }
    const moving = active.filter((i) => left[i]! > 0);
    const rates = referenceRates(flows, moving, caps);
    for (let r = 0; r < caps.length; r++) {
      const load = moving.filter((i) => flows[i]!.resources.includes(r)).reduce((s, i) => s + rates.get(i)!, 0);
      expect(load, `resource ${r} over capacity`).to.be.at.most(caps[r]! * (1 + 1e-9));
    }
    for (const i of moving) {
      const moved = rates.get(i)! * dtS;
      if (moved >= left[i]!) {
        finish[i] = t + left[i]! / rates.get(i)!;
        left[i] = 0;
      } else left[i] = left[i]! - moved;
    }
  }
  return finish;
}

type Kind = 'shared' | 'disjoint' | 'staggered' | 'chain' | 'capped';

function randomCase(rng: Rng, kind: Kind): { flows: FlowSpec[]; caps: number[] } {
  const nR = kind === 'disjoint' ? 6 : 3;
  const caps = Array.from({ length: nR }, () => rng.int(1, 6) * 10);
  const n = rng.int(2, 6);
  const flows: FlowSpec[] = [];
  for (let i = 0; i < n; i++) {
    const resources = kind === 'disjoint' ? [2 * i % nR, (2 * i + 1) % nR].slice(0, i < 3 ? 2 : 0) : kind === 'shared' ? [0, rng.int(1, nR - 1)] : [rng.int(0, nR - 1)];
    const startS = kind === 'staggered' ? rng.int(0, 8) * 0.5 : 0;
    const after = kind === 'chain' && i > 0 && rng.next() < 0.5 ? rng.int(0, i - 1) : undefined;
    flows.push({ startS, latencyS: rng.int(0, 3) * 0.25, bytes: rng.int(0, 8) * 10, resources: kind === 'disjoint' && i >= 3 ? [i % nR] : resources, ...(after === undefined ? {} : { after }), ...(kind === 'capped' ? { capBytesPerS: rng.int(1, 4) * 5 } : {}) });
  }
  return { flows, caps };
}


/** Gather-shaped case: each reader fetches one object from each bucket (resources: buckets, then downlinks). */
type Shape = 'buckets-bind' | 'downlinks-bind' | 'mixed' | 'multiplicity' | 'chained-capped';

function gatherCase(rng: Rng, shape: Shape): { flows: FlowSpec[]; caps: number[]; buckets: number } {
  const buckets = rng.int(2, 6);
  const readers = shape === 'multiplicity' ? rng.int(100, 300) : rng.int(20, 80);
  const caps: number[] = [];
  for (let b = 0; b < buckets; b++) caps.push(shape === 'downlinks-bind' ? 1e6 : shape === 'buckets-bind' ? 50 : rng.int(1, 40) * 25);
  for (let d = 0; d < readers; d++) caps.push(shape === 'buckets-bind' ? 1e4 : rng.int(1, 20) * 10);
  const bytesOf = Array.from({ length: buckets }, () => (shape === 'multiplicity' ? 500 : rng.int(1, 10) * 50));
  const flows: FlowSpec[] = [];
  for (let d = 0; d < readers; d++) {
    const latencyS = shape === 'multiplicity' ? 0.01 : rng.int(0, 40) * 0.05;
    for (let b = 0; b < buckets; b++) {
      const chained = shape === 'chained-capped' && b > 0 && rng.next() < 0.5;
      flows.push({ startS: 0, latencyS, bytes: bytesOf[b]!, resources: [b, buckets + d], ...(chained ? { after: flows.length - 1 } : {}), ...(shape === 'chained-capped' && rng.next() < 0.5 ? { capBytesPerS: rng.int(1, 10) * 5 } : {}) });
    }
  }
  return { flows, caps, buckets };
}

describe('sim/flows', () => {
  it('matches the time-stepped reference on random cases (counted per kind)', () => {
    const rng = createRng('flows-diff');
    const reached: Record<Kind, number> = { shared: 0, disjoint: 0, staggered: 0, chain: 0, capped: 0 };
    const dtS = 1 / 64;
    for (let c = 0; c < 100; c++) {
      const kind = (['shared', 'disjoint', 'staggered', 'chain', 'capped'] as const)[c % 5]!;
      const { flows, caps } = randomCase(rng, kind);
      const fast = solveFlows(flows, caps).finishS;
      const slow = referenceFinish(flows, caps, dtS);
      flows.forEach((_, i) => expect(fast[i], `${kind} case ${c} flow ${i}`).to.be.closeTo(slow[i]!, flows.length * dtS + 1e-9));
      // A case counts when it reaches what its kind is about.
      const moving = flows.filter((f) => f.bytes > 0);
      const reachedKind = {
        shared: moving.filter((f) => f.resources.includes(0)).length >= 2,
        disjoint: true,
        staggered: new Set(moving.map((f) => f.startS)).size >= 2,
        chain: flows.some((f) => f.after !== undefined),
        capped: moving.length >= 1,
      }[kind];
      if (reachedKind) reached[kind]++;
    }
    for (const [kind, n] of Object.entries(reached)) expect(n, kind).to.be.at.least(10);
  });

  it('the incremental solver matches the full-recompute reference on gather shapes (counted per shape)', () => {
    const rng = createRng('flows-gather-diff');
    const shapes = ['buckets-bind', 'downlinks-bind', 'mixed', 'multiplicity', 'chained-capped'] as const;
    const reached: Record<Shape, number> = { 'buckets-bind': 0, 'downlinks-bind': 0, mixed: 0, multiplicity: 0, 'chained-capped': 0 };
    let flowsChecked = 0;
    for (let c = 0; c < 40; c++) {
      const shape = shapes[c % shapes.length]!;
      const { flows, caps, buckets } = gatherCase(rng, shape);
      const fast = solveFlows(flows, caps);
      const slow = solveFlowsWith(flows, caps, referenceComponent);
      flows.forEach((_, i) => {
        expect(fast.finishS[i], `${shape} case ${c} flow ${i}`).to.be.closeTo(slow.finishS[i]!, 1e-9 * Math.max(1, slow.finishS[i]!));
        flowsChecked++;
      });
      expect([...fast.peakFlows]).to.deep.equal([...slow.peakFlows]);
      // A case counts when it reaches its shape: several readers on one bucket at once (and, for
      // multiplicity, over a hundred identical flows there).
      const bucketPeak = Math.max(...[...fast.peakFlows].slice(0, buckets));
      if (bucketPeak >= (shape === 'multiplicity' ? 100 : 5)) reached[shape]++;
    }
    for (const [shape, n] of Object.entries(reached)) expect(n, shape).to.be.at.least(6);
    expect(flowsChecked).to.be.above(5000);
  });

  it('a lone flow takes latency + bytes / min capacity, bit for bit transferSeconds', () => {
    const link: PeerLink = { peerId: 3, region: null, uplinkBytesPerS: 1.25e6, downlinkBytesPerS: 12.5e6, uploadLatencyS: 0.037, downloadLatencyS: 0.037 };
    const store: StoreLink = { region: null, ingressBytesPerS: 1e6, egressBytesPerS: 1e9, latencyS: 0.005 };
    const net = new TransferNetwork(store, null);
    let checked = 0;
    for (const bytes of [0, 1, 1234, 1_840_000, 7e7 + 3]) {
      for (const direction of ['upload', 'download'] as const) {
        const t = net.time([{ link, direction, bytes, startS: 0, end: 'store' }]);
        expect(t.durationS[0]).to.equal(transferSeconds(bytes, link, store, direction));
        checked++;
      }
    }
    expect(checked).to.equal(10);
    expect(solveFlows([{ startS: 2, latencyS: 0.5, bytes: 100, resources: [0, 1] }], [50, 20]).finishS[0]).to.equal(2 + (0.5 + 100 / 20));
  });

  it('a shared bucket splits its egress max-min fairly: a slow reader leaves its share to the others', () => {
    // bucket 30 B/s; readers' downlinks 5, 100, 100: the slow one gets 5, the others 12.5 each.
    const s = solveFlows([
      { startS: 0, latencyS: 0, bytes: 50, resources: [0, 1] },
      { startS: 0, latencyS: 0, bytes: 125, resources: [0, 2] },
      { startS: 0, latencyS: 0, bytes: 125, resources: [0, 3] },
    ], [30, 5, 100, 100]);
    expect([...s.finishS]).to.deep.equal([10, 10, 10]);
    expect(s.peakFlows[0]).to.equal(3);
    expect(s.bytesThrough[0]).to.equal(300);
  });

  it('identical flows on one resource finish together; the shared store grows with its readers', () => {
    const n = 50;
    const flows = Array.from({ length: n }, (_, i): FlowSpec => ({ startS: 0, latencyS: 0.01, bytes: 1000, resources: [0, 1 + i] }));
    const s = solveFlows(flows, [1000, ...Array<number>(n).fill(1e6)]);
    for (const f of s.finishS) expect(f).to.be.closeTo(0.01 + n, 1e-9);
  });

  it('rejects malformed flows with the value and the constraint', () => {
    expect(() => solveFlows([{ startS: 0, latencyS: 0, bytes: -1, resources: [] }], [])).to.throw(/bytes \(-1\)/);
    expect(() => solveFlows([{ startS: 0, latencyS: 0, bytes: 1, resources: [2] }], [1])).to.throw(/resource 2/);
    expect(() => solveFlows([{ startS: 0, after: 0, latencyS: 0, bytes: 1, resources: [] }], [])).to.throw(/after \(0\)/);
    expect(() => solveFlows([], [0])).to.throw(/capacity of resource 0/);
  });

  it('the shared-downlink closed form (processor sharing) equals the reference solver, and uncontendedDownloadsS equals time()', () => {
    const rng = createRng('ps-closed-form');
    const store: StoreLink = { region: null, ingressBytesPerS: 1e9, egressBytesPerS: 1e9, latencyS: 0.005 };
    const net = new TransferNetwork(store, null);
    let cases = 0;
    let withTies = 0;
    for (let c = 0; c < 60; c++) {
      const n = 2 + Math.floor(rng.next() * 25);
      const sizes = Array.from({ length: n }, () => (rng.next() < 0.2 ? 1000 : Math.floor(rng.next() * 5e6)));
      if (new Set(sizes).size < n) withTies++;
      const link: PeerLink = { peerId: c, region: null, uplinkBytesPerS: 1e6, downlinkBytesPerS: 1e6 + rng.next() * 1e8, uploadLatencyS: 0.01, downloadLatencyS: rng.next() * 0.2 };
      // One downlink (finite) shared by n flows, far ends infinite: the closed form's shape.
      const flows: FlowSpec[] = sizes.map((bytes) => ({ startS: 3, latencyS: 0.05, bytes, resources: [0, 1] }));
      const caps = [link.downlinkBytesPerS, Infinity];
      const closedForm = sharedLinkFinishOffsetsS(sizes, link.downlinkBytesPerS);
      const slow = solveFlowsWith(flows, caps, referenceComponent);
      for (let i = 0; i < n; i++) expect(3 + 0.05 + closedForm[i]!).to.be.closeTo(slow.finishS[i]!, 1e-9 * slow.finishS[i]!);
      const offsets = net.uncontendedDownloadsS(link, sizes)!;
      const batch = net.time(sizes.map((bytes) => ({ link, direction: 'download' as const, bytes, startS: 0, end: 'store' as const })));
      for (let i = 0; i < n; i++) expect(offsets[i]).to.be.closeTo(batch.durationS[i]!, 1e-9 * batch.durationS[i]!);
      cases++;
    }
    expect(cases).to.equal(60);
    expect(withTies).to.be.at.least(10); // equal sizes finish together
    // A store cap below the downlink binds: the closed form does not apply.
    expect(new TransferNetwork({ ...store, egressBytesPerS: 1e3 }, null).uncontendedDownloadsS({ peerId: 0, region: null, uplinkBytesPerS: 1, downlinkBytesPerS: 1e6, uploadLatencyS: 0, downloadLatencyS: 0 }, [1, 2])).to.equal(null);
  });
});
