/**
 * Per-peer θ replicas (sim/replicas.ts, round-open.ts, catch-up.ts `trainingStart`): a clean run
 * reproduces the rows recorded before replicas existed bit for bit; synced replicas are the one
 * global buffer; a peer whose catch-up is too late trains from its stale θ (its Δ differs) and is
 * equal again after the sync; null rounds zero the error feedback and take no optimiser step; the
 * sync score; and at 1k peers with churn the replicas share a handful of buffers.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { resolveSimConfig } from '../../sim/config.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import type { SimContext } from '../../sim/context.ts';
import { catchUpCost, trainingStart } from '../../sim/catch-up.ts';
import type { CatchUpCost } from '../../sim/catch-up.ts';
import type { RoundResult } from '../../sim/metrics.ts';
import { syncScoreOf } from '../../sim/replicas.ts';
import { TEMPLAR_REPLICAS } from '../../sim/replicas-config.ts';
import { runRoundCadence } from '../../sim/round-cadence.ts';
import { openSimRound } from '../../sim/round-open.ts';
import type { OpenedRound } from '../../sim/round-open.ts';
import { runSimulation } from '../../sim/run.ts';
import { REPLICA_BASELINE_CONFIGS } from './fixtures/replica-baseline-configs.ts';
import { configError, FIXED_NET, simContext } from './helpers.ts';

const BASELINE = JSON.parse(readFileSync(new URL('./fixtures/replica-baseline-rows.json', import.meta.url), 'utf8')) as Record<string, { finalParamsHash: string; rows: unknown[] }>;

/** Drives `rounds` rounds of ctx like runSimulation, calling `onOpen` with each opened round before it runs. */
function drive(ctx: SimContext, rounds: number, onOpen: (opened: OpenedRound) => void = () => {}): RoundResult[] {
  const results: RoundResult[] = [];
  function* loop() {
    for (let round = 0; round < rounds; round++) {
      const opened = openSimRound(ctx, round);
      onOpen(opened);
      results.push(yield* runRoundCadence(ctx, opened));
    }
  }
  ctx.env.run(ctx.env.process(loop()));
  return results;
}

/**
 * Peer 0 is absent in rounds 1–2 (trace) and, back in round 3, must start training 3 ms into the
 * window (3 × 9.999 s of compute in a 30 s window), before its 10 Mbit/s replay of two aggregates
 * is done (the first is in).
 */
const STALE: SimConfigInput = {
  seed: 5, peers: 4, rounds: 5, innerSteps: 3, windowS: 30, stepTimeS: { kind: 'fixed', value: 9.999 }, optim: { method: 'sparseloco' },
  net: { uplinkMbps: { kind: 'fixed', value: 100 }, downlinkMbps: { kind: 'fixed', value: 10 }, latencyMs: { kind: 'fixed', value: 1 }, store: { ingressMbps: 1e5, egressMbps: 1e5, latencyMs: 0 } },
  // Windows open at ≈ 0, 30, 60, 90, 120 s; presence is read at each window's start.
  churn: { availability: { kind: 'trace', csv: 'peer,start,end\n0,0,1\n0,80,inf\n1,0,inf\n2,0,inf\n3,0,inf\n', rule: 'at-start' } },
  replicas: { warmupWindows: 0 },
};

describe('sim/replicas', () => {
  it('a churn-free run reproduces the rows recorded before per-peer replicas, bit for bit (4 configs)', () => {
    for (const [name, cfg] of Object.entries(REPLICA_BASELINE_CONFIGS)) {
      const r = runSimulation(cfg);
      const recorded = BASELINE[name]!.rows as Record<string, unknown>[];
      const rows = (JSON.parse(JSON.stringify(r.rows)) as Record<string, unknown>[]).map((row, i) => {
        // Columns the written-out old protocol adds: an all-gather lists every on-time message; every replica is synced.
        const extra = Object.keys(row).filter((k) => !(k in recorded[i]!));
        const out = { ...row };
        for (const k of extra) {
          if (k === 'gatherListed' || k === 'gathered') expect(row[k], `${name} ${k}`).to.equal(row.onTime);
          else if (k === 'meanSyncScore') expect(row[k], name).to.equal(1);
          else expect(row[k], `${name} ${k}`).to.equal(0); // gatherFellBack, gatherMissing, gatherTimedOut, staleTrainers, nullRounds
          delete out[k];
        }
        return out;
      });
      expect(rows, name).to.deep.equal(recorded);
      expect(r.finalParamsHash, name).to.equal(BASELINE[name]!.finalParamsHash);
    }
  });

  it('sparseloco takes templar\'s replicas section by default (other methods none) and a bad value is named', () => {
    expect(resolveSimConfig({ ...REPLICA_BASELINE_CONFIGS.sparseloco!, replicas: undefined }).replicas).to.deep.equal(TEMPLAR_REPLICAS);
    expect(Object.keys(resolveSimConfig(REPLICA_BASELINE_CONFIGS.diloco!))).to.not.include('replicas');
    expect(resolveSimConfig({ ...REPLICA_BASELINE_CONFIGS.sparseloco!, replicas: {} }).replicas).to.deep.equal(TEMPLAR_REPLICAS);
    expect(TEMPLAR_REPLICAS.warmupWindows).to.equal(2);
    expect(configError(() => resolveSimConfig({ ...REPLICA_BASELINE_CONFIGS.sparseloco!, replicas: { warmupWindows: -1 } })).key).to.equal('replicas.warmupWindows');
    expect(configError(() => resolveSimConfig({ ...REPLICA_BASELINE_CONFIGS.diloco!, replicas: { warmupWindows: 1 } })).key).to.equal('replicas.warmupWindows');
    expect(configError(() => resolveSimConfig({ ...REPLICA_BASELINE_CONFIGS.sparseloco!, replicas: { warmup: 1 } as never })).key).to.equal('replicas.warmup');
  });

  it('synced replicas are the one global buffer, score 1, and the row says so', () => {
    const ctx = simContext({ ...REPLICA_BASELINE_CONFIGS.sparseloco!, replicas: { warmupWindows: 0 } });
    const results = drive(ctx, 4, (opened) => {
      for (const p of opened.participants) expect(p.params).to.equal(ctx.params);
    });
    for (const r of results) expect([r.figures.meanSyncScore, r.figures.staleTrainers, r.figures.nullRounds]).to.deep.equal([1, 0, 0]);
    ctx.replicas.settle(ctx.progress.globalStep, ctx.population.peers);
    expect(ctx.replicas.memory(ctx.population.peers).distinctReplicaBuffers).to.equal(1);
    for (const p of ctx.population.peers) expect(syncScoreOf(ctx, p.uid).score).to.equal(1);
    expect(configError(() => syncScoreOf(ctx, 99)).key).to.equal('uid');
  });

  it('a peer whose catch-up is too late trains from its stale θ (its Δ differs), and equals the global again after the sync', () => {
    const ctx = simContext(STALE);
    const versions: Float32Array[] = [];
    let staleSeen = false;
    const results = drive(ctx, 5, (opened) => {
      versions[ctx.progress.globalStep] = ctx.params.slice();
      if (opened.round !== 3) return;
      const p = opened.participants.find((q) => q.peer.uid === 0)!;
      // It held θ^(1) (after round 0); the first of its two replays is in before it must train, the second is not.
      expect(p.baseStep).to.equal(2);
      expect(ctx.progress.globalStep).to.equal(3);
      expect([...p.params]).to.deep.equal([...versions[2]!]);
      expect([...p.params]).to.not.deep.equal([...ctx.params]);
      expect(p.readyOffsetS).to.be.closeTo(30 - 3 * 9.999, 1e-9);
      // The same trainer state and batches from the synced θ give another Δ.
      const fresh = (params: Float32Array) => ctx.backend.createTrainer(0).runInnerLoop({ params, round: 3, shards: p.shards, innerSteps: 3 }).delta;
      expect([...fresh(p.params)]).to.not.deep.equal([...fresh(ctx.params)]);
      staleSeen = true;
    });
    expect(staleSeen).to.equal(true);
    expect(results[3]!.figures.staleTrainers).to.equal(1);
    expect(results[4]!.figures.staleTrainers, 'caught up by round 3\'s sync').to.equal(0);
    const peer0 = ctx.population.byUid(0)!;
    expect(peer0.syncedStep).to.equal(ctx.progress.globalStep);
    expect(ctx.replicas.paramsAt(peer0.syncedStep!)).to.equal(ctx.params);
  });

  it('trainingStart: caught up in time, or on what the finished downloads give (a joiner waits for its checkpoint)', () => {
    const cost = (seconds: number[], firstStep: number): CatchUpCost => ({
      plan: { kind: 'replay', rounds: seconds.map((_, i) => i) }, bytes: 0, seconds: seconds.reduce((a, b) => a + b, 0),
      objects: seconds.map((s, i) => ({ bytes: 1, seconds: s, stepAfter: firstStep + i })),
    });
    expect(trainingStart(4, cost([1, 1], 5), 0, 10)).to.deep.equal({ offsetS: 2, step: 6, caughtUp: true });
    expect(trainingStart(4, cost([1, 1], 5), 0, 1.5)).to.deep.equal({ offsetS: 1.5, step: 5, caughtUp: false });
    expect(trainingStart(4, cost([1, 1], 5), 3, 1)).to.deep.equal({ offsetS: 3, step: 4, caughtUp: false });
    expect(trainingStart(null, cost([5, 1], 50), 0, 1)).to.deep.equal({ offsetS: 5, step: 50, caughtUp: false });
    expect(trainingStart(7, cost([], 0), 2, 1)).to.deep.equal({ offsetS: 2, step: 7, caughtUp: true });
    // A real cost: the checkpoint lands on its step, each replay one step on.
    const ctx = simContext({ ...STALE, catchUp: { maxReplay: 0, checkpointEvery: 2 } });
    drive(ctx, 3);
    const c = catchUpCost(null, ctx.population.peers[1]!.link, ctx.progress, ctx.cfg.catchUp, ctx.aggregates, ctx.params.byteLength, ctx.store);
    expect(c.objects.map((o) => o.stepAfter)).to.deep.equal([2, 3]);
  });

  it('null rounds: the first warmupWindows windows after a (re)start zero the error feedback and take no optimiser step', () => {
    const ctx = simContext({ ...STALE, replicas: { warmupWindows: 2 }, stepTimeS: { kind: 'fixed', value: 1 } });
    const efOf = (uid: number) => (ctx.population.byUid(uid)!.commState as { ef: Float32Array }).ef;
    const theta0 = ctx.params.slice();
    const results = drive(ctx, 5);
    expect(results.map((r) => r.figures.nullRounds)).to.deep.equal([4, 3, 0, 1, 1]); // peer 0 restarts in round 3
    expect([...ctx.params]).to.not.deep.equal([...theta0]);
    const again = simContext({ ...STALE, replicas: { warmupWindows: 2 }, stepTimeS: { kind: 'fixed', value: 1 } });
    drive(again, 2);
    for (const p of again.population.peers) {
      expect(p.trainer.optimizerSteps, `peer ${p.uid}`).to.equal(0);
      expect((p.commState as { ef: Float32Array }).ef.every((v) => v === 0)).to.equal(true);
    }
    expect([...again.params], 'zero messages leave θ⁰').to.deep.equal([...theta0]);
    expect(efOf(1).some((v) => v !== 0), 'training resumed in round 2').to.equal(true);
    expect(efOf(0).every((v) => v === 0), 'peer 0 is in its own null rounds 3–4').to.equal(true);
  });

  it('at 1k peers with 30% churn the replicas share a handful of buffers', () => {
    const ctx = simContext({
      seed: 3, peers: 1000, rounds: 12, innerSteps: 1, windowS: 30, optim: { method: 'sparseloco', topK: 8 }, net: FIXED_NET,
      churn: { availability: { kind: 'bernoulli', dropout: 0.3 } },
      backend: { hiddenDim: 0, inputDim: 16, numClasses: 4, batchSize: 4, heldoutSize: 64 },
    });
    let maxBuffers = 0;
    let maxKept = 0;
    drive(ctx, 12, () => {
      const m = ctx.replicas.memory(ctx.population.peers);
      maxBuffers = Math.max(maxBuffers, m.distinctReplicaBuffers);
      maxKept = Math.max(maxKept, m.retainedVersions);
    });
    expect(maxBuffers, 'distinct replica buffers at 1k peers').to.be.within(2, 13);
    expect(maxKept, 'past versions kept').to.be.at.most(12);
  });
});
