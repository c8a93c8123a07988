/**
 * One conformance suite, run against every method behind the Communicator interface: decoding,
 * order independence, bit-identical replicas, rejection of malformed messages without stopping
 * the round, exact byte accounting, and real optimisation of a noisy quadratic.
 */
import { expect } from 'chai';
import { defineLayout } from '../../../core/layout.ts';
import { createRng } from '../../../core/rng.ts';
import type { Rng } from '../../../core/rng.ts';
import { ConfigError } from '../../../core/errors.ts';
import { adamwStep, createAdamWState, resolveAdamWConfig } from '../../../core/optim/adamw.ts';
import { METHOD_NAMES, createCommunicator } from '../../../core/baselines/index.ts';
import type { Communicator, CommunicatorConfig, PeerMessage } from '../../../core/baselines/index.ts';

// w: 8×8 in 4×4 chunks (4 chunks of 16); b: 8 in 2 chunks of 4. 72 parameters.
const layout = defineLayout([{ name: 'w', shape: [8, 8] }, { name: 'b', shape: [8] }], { targetChunk: 4 });

interface MethodCase {
  readonly config: CommunicatorConfig;
  /** Exact encoded size of one message for this layout (bytes). */
  readonly messageBytes: number;
  /** Per-peer [upload, download] for 3 participants. */
  readonly wire3: readonly [number, number];
}

const CASES: readonly MethodCase[] = [
  // Dense: 16-byte header + 72 × 4; ring all-reduce 2·(3−1)/3 × 288 = 384 each way.
  { config: { method: 'ddp', schedule: { peakLr: 0.05, warmupSteps: 0, tMax: 1000 }, adamw: { weightDecay: 0, maxGradNorm: null } }, messageBytes: 304, wire3: [384, 384] },
  // bf16 payload 144 bytes: 2·2/3 × 144 = 192. Momentum 0.5: with the default 0.9 the heavy-ball
  // ringing of this tiny quadratic has not died down after only 20 rounds.
  { config: { method: 'diloco', wireDtype: 'bf16', momentum: 0.5 }, messageBytes: 160, wire3: [192, 192] },
  // Header 16; w: 8 (kEff, indexBytes) + 16 idx × 1.5 + 16 × 4 = 96; b: 8 + 12 + 32 = 52 → 164.
  // All-gather: up own message, down the other two.
  { config: { method: 'demo', topK: 4, schedule: { peakLr: 0.02, warmupSteps: 0, tMax: 1000 } }, messageBytes: 164, wire3: [164, 328] },
  // 2-bit: w: 8 + 8 (mean, scale) + 16 (lut) + 24 idx + 4 codes = 60; b: 8 + 8 + 16 + 12 + 2 = 46 → 122.
  { config: { method: 'sparseloco', topK: 4, outerLr: 1 }, messageBytes: 122, wire3: [122, 244] },
];

function bitsOf(a: Float32Array): number[] {
  return [...new Uint32Array(a.buffer, a.byteOffset, a.length)];
}

function randomVector(rng: Rng, std = 0.1): Float32Array {
  return rng.fillNormal(new Float32Array(layout.size), std);
}

/** Messages of `uids` peers, each encoding a random contribution from its own fresh state. */
function makeMessages(comm: Communicator, uids: readonly number[], seed: string): PeerMessage[] {
  const rng = createRng(seed);
  return uids.map((peerUid) => ({ peerUid, bytes: comm.encode(comm.createPeerState(), randomVector(rng.fork(`p${peerUid}`))) }));
}

/**
 * ½‖θ − θ*‖² with noisy per-peer gradients θ − θ* + σ·ε. Round methods run H local AdamW steps
 * per peer and send Δ = θ_start − θ_end; inner-step methods sync every step. Both see R·H
 * gradients per round. Returns the loss before and after.
 */
function runQuadratic(comm: Communicator, rounds: number): { before: number; after: number } {
  const rng = createRng('quadratic');
  const target = rng.fork('target').fillNormal(new Float32Array(layout.size));
  const theta = new Float32Array(layout.size);
  const R = 4;
  const H = 5;
  const sigma = 0.3;
  const innerHp = resolveAdamWConfig({ weightDecay: 0, maxGradNorm: null });
  const peers = Array.from({ length: R }, (_, i) => ({ uid: 10 + i, state: comm.createPeerState(), adam: createAdamWState(layout.size), rng: rng.fork(`peer${i}`) }));
  const shared = comm.createSharedState();
  const loss = (): number => theta.reduce((s, x, i) => s + 0.5 * (x - target[i]!) ** 2, 0);
  const gradientAt = (at: Float32Array, peerRng: Rng): Float32Array => {
    const g = peerRng.fillNormal(new Float32Array(layout.size), sigma);
    for (let i = 0; i < g.length; i++) g[i] = g[i]! + at[i]! - target[i]!;
    return g;
  };
  const before = loss();
  for (let round = 0; round < rounds; round++) {
    if (comm.cadence === 'round') {
      const messages = peers.map((p) => {
        const local = theta.slice();
        for (let h = 0; h < H; h++) adamwStep(local, gradientAt(local, p.rng), p.adam, innerHp, 0.05);
        const delta = theta.map((x, i) => x - local[i]!);
        return { peerUid: p.uid, bytes: comm.encode(p.state, delta) };
      });
      expect(comm.apply(theta, shared, messages).applied).to.equal(true);
    } else {
      for (let h = 0; h < H; h++) {
        const messages = peers.map((p) => ({ peerUid: p.uid, bytes: comm.encode(p.state, gradientAt(theta, p.rng)) }));
        expect(comm.apply(theta, shared, messages).applied).to.equal(true);
      }
    }
  }
  return { before, after: loss() };
}

describe('core/communicator conformance (every method, via core/baselines)', () => {
  it('covers every method name', () => {
    expect(CASES.map((c) => c.config.method)).to.deep.equal([...METHOD_NAMES]);
  });

  it('createCommunicator rejects an unknown method with ConfigError', () => {
    expect(() => createCommunicator(layout, { method: 'adam' } as unknown as CommunicatorConfig)).to.throw(ConfigError, /method/);
  });

  for (const { config, messageBytes, wire3 } of CASES) {
    describe(config.method, () => {
      const comm = createCommunicator(layout, config);

      it('reports its method and a cadence', () => {
        expect(comm.method).to.equal(config.method);
        expect(comm.cadence).to.equal(config.method === 'ddp' || config.method === 'demo' ? 'inner-step' : 'round');
      });

      it('encodes messages of the exact size, which apply accepts', () => {
        const messages = makeMessages(comm, [5, 2], 'decode');
        for (const m of messages) expect(m.bytes.length).to.equal(messageBytes);
        const params = randomVector(createRng('p0'), 1);
        const before = params.slice();
        const report = comm.apply(params, comm.createSharedState(), messages);
        expect(report).to.include({ applied: true });
        expect(report.contributors).to.deep.equal([2, 5]);
        expect(report.rejected).to.deep.equal([]);
        expect(bitsOf(params)).to.not.deep.equal(bitsOf(before));
      });

      it('takes per-peer weights only for sparseloco: equal weights give the unweighted step bit for bit; the others refuse them', () => {
        const messages = makeMessages(comm, [5, 2], 'decode');
        const weights = new Map([[2, 0.5], [5, 0.5]]);
        if (config.method !== 'sparseloco') {
          expect(() => comm.apply(randomVector(createRng('p0'), 1), comm.createSharedState(), messages, { weights })).to.throw(ConfigError, /sparseloco only/);
          return;
        }
        const plain = randomVector(createRng('p0'), 1);
        const weighted = plain.slice();
        comm.apply(plain, comm.createSharedState(), messages);
        comm.apply(weighted, comm.createSharedState(), messages, { weights });
        expect(bitsOf(weighted)).to.deep.equal(bitsOf(plain));
        const skewed = randomVector(createRng('p0'), 1);
        comm.apply(skewed, comm.createSharedState(), messages, { weights: new Map([[2, 1], [5, 0.1]]) });
        expect(bitsOf(skewed)).to.not.deep.equal(bitsOf(plain));
      });

      it('is independent of message order (bit-identical params over several syncs)', () => {
        const a = randomVector(createRng('p0'), 1);
        const b = a.slice();
        const sharedA = comm.createSharedState();
        const sharedB = comm.createSharedState();
        for (let s = 0; s < 3; s++) {
          const messages = makeMessages(comm, [7, 3, 11, 0], `order${s}`);
          comm.apply(a, sharedA, messages);
          comm.apply(b, sharedB, [...messages].reverse());
        }
        expect(bitsOf(a)).to.deep.equal(bitsOf(b));
      });

      it('keeps two nodes bit-identical when they apply the same messages', () => {
        const rng = createRng('nodes');
        const peers = [1, 2, 3].map((uid) => ({ uid, state: comm.createPeerState(), rng: rng.fork(`p${uid}`) }));
        const nodes = [0, 1].map(() => ({ params: new Float32Array(layout.size).fill(0.5), shared: comm.createSharedState() }));
        for (let s = 0; s < 4; s++) {
          const messages = peers.map((p) => ({ peerUid: p.uid, bytes: comm.encode(p.state, randomVector(p.rng)) }));
          for (const node of nodes) comm.apply(node.params, node.shared, messages);
        }
        expect(bitsOf(nodes[0]!.params)).to.deep.equal(bitsOf(nodes[1]!.params));
      });

      it('rejects malformed messages with a typed reason and applies the rest', () => {
        const messages = makeMessages(comm, [1, 2, 3, 4], 'malformed');
        const bad: PeerMessage[] = [
          { peerUid: 2, bytes: messages[1]!.bytes.subarray(0, 9) }, // truncated
          { peerUid: 3, bytes: Uint8Array.from(messages[2]!.bytes, (x, i) => (i === 0 ? x ^ 0xff : x)) }, // bad magic
        ];
        const withBad = [messages[0]!, ...bad, messages[3]!];
        const p1 = new Float32Array(layout.size).fill(1);
        const report = comm.apply(p1, comm.createSharedState(), withBad);
        expect(report.applied).to.equal(true);
        expect(report.contributors).to.deep.equal([1, 4]);
        expect(report.rejected.map((r) => r.peerUid)).to.deep.equal([2, 3]);
        expect(report.rejected[0]!.reason).to.equal('truncated');
        expect(report.rejected[1]!.reason).to.equal('bad-magic');
        // Same result as if the bad peers had never sent anything.
        const p2 = new Float32Array(layout.size).fill(1);
        comm.apply(p2, comm.createSharedState(), [messages[0]!, messages[3]!]);
        expect(bitsOf(p1)).to.deep.equal(bitsOf(p2));
      });

      it('rejects a message from another layout', () => {
        const other = createCommunicator(defineLayout([{ name: 'w', shape: [8, 9] }], { targetChunk: 4 }), config);
        const foreign = other.encode(other.createPeerState(), new Float32Array(72).fill(0.1));
        const report = comm.apply(new Float32Array(layout.size), comm.createSharedState(), [{ peerUid: 9, bytes: foreign }]);
        expect(report.applied).to.equal(false);
        expect(report.rejected[0]!.reason).to.equal('layout-mismatch');
      });

      it('rejects every message of a duplicated peer uid, whatever the order', () => {
        const [m1, m2] = makeMessages(comm, [6, 6], 'dup');
        const report = comm.apply(new Float32Array(layout.size), comm.createSharedState(), [m1!, m2!]);
        expect(report.applied).to.equal(false);
        expect(report.rejected).to.have.length(1);
        expect(report.rejected[0]!).to.include({ peerUid: 6, reason: 'duplicate-peer' });
      });

      it('takes no step and leaves params untouched when nothing valid arrives', () => {
        const params = new Float32Array(layout.size).fill(0.25);
        const shared = comm.createSharedState();
        const report = comm.apply(params, shared, [{ peerUid: 1, bytes: new Uint8Array(3) }]);
        expect(report.applied).to.equal(false);
        expect(report.contributors).to.deep.equal([]);
        expect([...params]).to.deep.equal(new Array(layout.size).fill(0.25));
        // The shared state did not advance either: the next sync equals a first sync.
        const messages = makeMessages(comm, [1], 'after-empty');
        const fresh = new Float32Array(layout.size).fill(0.25);
        comm.apply(params, shared, messages);
        comm.apply(fresh, comm.createSharedState(), messages);
        expect(bitsOf(params)).to.deep.equal(bitsOf(fresh));
      });

      it('counts wire bytes exactly', () => {
        const sizes = [messageBytes, messageBytes, messageBytes];
        expect(comm.wireBytes(sizes)).to.deep.equal(sizes.map(() => ({ uploadBytes: wire3[0], downloadBytes: wire3[1] })));
        // Alone: a ring all-reduce moves nothing; an all-gather still uploads its own message.
        const alone = config.method === 'ddp' || config.method === 'diloco' ? 0 : messageBytes;
        expect(comm.wireBytes([messageBytes])).to.deep.equal([{ uploadBytes: alone, downloadBytes: 0 }]);
      });

      it('reduces the loss of a noisy quadratic more than 10× in 20 rounds', function () {
        this.timeout(20_000);
        const { before, after } = runQuadratic(comm, 20);
        expect(after).to.be.lessThan(0.1 * before); // measured: ≤ 0.031·before for every method
      });
    });
  }
});
