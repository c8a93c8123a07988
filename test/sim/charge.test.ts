/**
 * Two-level runs (sim/charge.ts): the backend trains as in the uncharged run while every message,
 * share and checkpoint is charged at the target layout's exact wire size (core/wire-size.ts).
 */
import { expect } from 'chai';
import { COVENANT_72B, llamaLayout } from '../../core/model-layout.ts';
import { encodedBytes, messageEncodedBytes } from '../../core/wire-size.ts';
import { resolveSimConfig } from '../../sim/config.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { runSimulation } from '../../sim/run.ts';
import { chargedMessageBytes, targetLayoutOf } from '../../sim/charge.ts';
import { configError, messageBytes } from './helpers.ts';

/** Fast links and a long window: no message is late in either run, so the trained curves must agree. */
const WIDE_NET = {
  uplinkMbps: { kind: 'fixed', value: 10_000 },
  downlinkMbps: { kind: 'fixed', value: 10_000 },
  latencyMs: { kind: 'fixed', value: 10 },
  store: { ingressMbps: 1e6, egressMbps: 1e6, latencyMs: 5 },
} as const;

function config(overrides: Partial<SimConfigInput> = {}): SimConfigInput {
  return { seed: 3, peers: 5, rounds: 4, innerSteps: 3, windowS: 1e6, stepTimeS: { kind: 'fixed', value: 1 }, optim: { method: 'sparseloco' }, net: WIDE_NET, ...overrides };
}

const C72 = llamaLayout(COVENANT_72B);

describe('sim/charge: two-level runs', () => {
  it("charges each sparseloco message at wire-size's exact figure for the target layout × messages", () => {
    const msg = encodedBytes(C72, {}).bytes;
    expect(msg).to.be.greaterThan(1.9e9); // ≈ 1.99 GB: the target's message, not the surrogate's
    const run = runSimulation(config({ charge: { layout: 'covenant-72b' } }));
    for (const row of run.rows) {
      expect(row.onTime).to.equal(5);
      expect(row.bytesUpTotal).to.equal(5 * msg);
      expect(row.bytesDownTotal).to.equal(5 * 4 * msg); // all-gather: each peer fetches the other R − 1
      expect(row.chargedParams).to.equal(C72.size);
      expect(row.chargedMessageBytes).to.equal(msg);
      expect(row.trainedMessageBytes).to.equal(messageBytes());
      expect(row.trainedParams).to.be.lessThan(1e4);
    }
  });

  it('trains exactly the uncharged run (same seed): identical loss curve and final params', () => {
    const plain = runSimulation(config());
    const charged = runSimulation(config({ charge: { layout: 'covenant-72b' } }));
    expect(charged.rows.map((r) => r.heldoutLoss)).to.deep.equal(plain.rows.map((r) => r.heldoutLoss));
    expect(charged.finalParamsHash).to.equal(plain.finalParamsHash);
    // ... but the network time is the target's: ≈ 2 GB per message at 10 Gbit/s is seconds, not microseconds.
    expect(charged.rows[0]!.syncTimeS).to.be.greaterThan(100 * plain.rows[0]!.syncTimeS);
    expect(plain.rows[0]).to.not.have.property('chargedParams'); // uncharged rows unchanged
  });

  it('wait-for-all rounds take the charged transfer time, and the compute model is the target’s', () => {
    const compute = { params: C72.size, tokensPerStep: 192 * 2048, device: 'B200', gpusPerPeer: 8 };
    const run = runSimulation(config({ rounds: 1, closeWhenComplete: true, charge: { layout: 'covenant-72b' }, compute }));
    const cfg = resolveSimConfig(config({ charge: { layout: 'covenant-72b' }, compute }));
    const computeS = 3 * cfg.compute!.innerStepS;
    const uploadS = (encodedBytes(C72, {}).bytes * 8) / 10_000e6;
    expect(run.rows[0]!.simTimeS).to.be.greaterThan(computeS + uploadS);
    expect(run.rows[0]!.computeUtilisation!).to.be.lessThan(1);
  });

  it('charges a DiLoCo ring share as 2(R − 1)/R × the target dense payload', () => {
    const run = runSimulation(config({ rounds: 1, optim: { method: 'diloco', wireDtype: 'bf16' }, transport: 'ring', charge: { layout: 'covenant-72b' } }));
    const share = (2 * 4 * 2 * C72.size) / 5;
    expect(run.rows[0]!.bytesDownTotal).to.equal(5 * share);
    expect(run.rows[0]!.chargedMessageBytes).to.equal(16 + 2 * C72.size); // > 2³² elements: header + payload
  });

  it('charges a joiner’s checkpoint as the target’s dense fp32 size', () => {
    const joins = { kind: 'listed', firstPeerId: 5, rounds: [{ round: 2, count: 1 }] } as const;
    const run = runSimulation(config({ churn: { availability: { kind: 'always' }, joins }, charge: { layout: { shapes: [{ name: 'w', shape: [4096, 4096] }] } } }));
    expect(run.rows[2]!.joined).to.equal(1);
    // Checkpoints every 50 steps: the joiner fetches the step-0 checkpoint, then replays 2 aggregates.
    const msg = encodedBytes(targetLayoutOf({ layout: { shapes: [{ name: 'w', shape: [4096, 4096] }] }, targetChunk: 64 }), {}).bytes;
    expect(run.rows[2]!.catchUpBytes).to.equal(4 * 4096 * 4096 + 2 * 5 * msg);
  });

  it('chargedMessageBytes is wire-size’s figure for every method that fits one message', () => {
    const layout = targetLayoutOf({ layout: { shapes: [{ name: 'a', shape: [512, 300] }, { name: 'b', shape: [77] }] }, targetChunk: 64 });
    let cases = 0;
    for (const optim of [{ method: 'sparseloco' }, { method: 'sparseloco', indexCoding: 'rice' }, { method: 'diloco' }, { method: 'diloco', wireDtype: 'bf16' }, { method: 'ddp' }, { method: 'demo' }] as const) {
      expect(chargedMessageBytes(layout, optim)).to.equal(messageEncodedBytes(layout, optim).bytes);
      cases++;
    }
    expect(cases).to.equal(6);
  });

  it('rejects projectToParams naming its replacement, and bad charge sections', () => {
    const removed = configError(() => resolveSimConfig({ ...config(), projectToParams: 72e9 } as SimConfigInput));
    expect(removed.key).to.equal('projectToParams');
    expect(removed.message).to.match(/charge: \{ layout/);
    expect(configError(() => resolveSimConfig(config({ charge: { layout: 'covenant-70b' } }))).key).to.equal('charge.layout');
    expect(configError(() => resolveSimConfig(config({ charge: { layout: 'covenant-72b', extra: 1 } as never }))).key).to.equal('charge.extra');
    expect(configError(() => resolveSimConfig(config({ charge: { layout: { shapes: [] } } }))).key).to.equal('charge.layout.shapes');
    expect(configError(() => resolveSimConfig(config({ charge: { layout: { llama: { ...COVENANT_72B, kvHeads: 7 } } } }))).key).to.equal('model.kvHeads');
    // 64×64 is the largest chunk the 12-bit index packing addresses.
    expect(configError(() => resolveSimConfig(config({ charge: { layout: 'covenant-72b', targetChunk: 65 } }))).key).to.equal('targetChunk');
    const compute = { params: 1e9, tokensPerStep: 1000, device: 'B200' };
    const mismatch = configError(() => resolveSimConfig(config({ charge: { layout: 'covenant-72b' }, compute })));
    expect(mismatch.key).to.equal('compute.params');
    expect(mismatch.message).to.contain(String(C72.size));
  });

  it('resolves idempotently (worker threads re-resolve configs)', () => {
    const once = resolveSimConfig(config({ charge: { layout: 'scaled-1t' } }));
    expect(resolveSimConfig(once)).to.deep.equal(once);
    expect(once.charge).to.deep.equal({ layout: 'scaled-1t', targetChunk: 64 });
  });
});
