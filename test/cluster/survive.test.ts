/**
 * A cluster that survives: restarted peers continue from their local state (bit for bit as the
 * simulator's `churn.restart` models them). Few peers, few rounds, surrogate model.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCluster } from '../../cluster/orchestrator.ts';
import type { ClusterEvent } from '../../cluster/orchestrator.ts';
import { killOne } from '../support/procs.ts';
import type { RestartSemantics } from '../../sim/churn.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { runSimulation } from '../../sim/run.ts';

const FAST = { blockTimeMs: 100, roundLength: 80 } as const;
const NET = {
  uplinkMbps: { kind: 'fixed', value: 100 },
  downlinkMbps: { kind: 'fixed', value: 100 },
  latencyMs: { kind: 'fixed', value: 10 },
  store: { ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 5 },
} as const;

/** 3 peers × 3 rounds, no churn. */
function steady(): SimConfigInput {
  return { seed: 7, peers: 3, rounds: 3, innerSteps: 3, windowS: 60, closeWhenComplete: true, optim: { method: 'sparseloco' }, net: NET };
}

/** Calls `kill` once, the first time `when` holds for an event. */
function killOnce(when: (e: ClusterEvent) => boolean, kill: () => number): { onEvent: (e: ClusterEvent) => void; killed: number[] } {
  const killed: number[] = [];
  return {
    killed,
    onEvent: (e) => {
      if (killed.length === 0 && when(e)) killed.push(kill());
    },
  };
}

/** Seed 8's churn: peer 1 crashes in round 0 and is restarted for round 1; peer 0 leaves after round 1. No null rounds, so restored state matters at once. */
function churned(restart: RestartSemantics): SimConfigInput {
  return {
    seed: 8, peers: 3, rounds: 4, innerSteps: 3, windowS: 60, closeWhenComplete: true, optim: { method: 'sparseloco' }, net: NET,
    replicas: { warmupWindows: 0 },
    churn: { availability: { kind: 'bernoulli', dropout: 0.3 }, crash: { probability: 0.2 }, restart },
  };
}

describe('cluster: a cluster that survives', function () {
  this.timeout(300_000); // each run took 40–77 s on the two cores shared with other jobs (load average 20–33)

  for (const restart of ['resume', 'fresh'] as const) {
    it(`churn with restart '${restart}': killed and restarted peers end on the simulator's params, bit for bit`, async () => {
      const cfg = churned(restart);
      const sim = runSimulation(cfg);
      const result = await runCluster(cfg, FAST);
      expect(result.plan.crashes[0]).to.deep.equal([1]);
      expect(result.rows.map((r) => r.contributors)).to.deep.equal(sim.rows.map((r) => r.contributors));
      expect(result.rows.every((r) => r.paramsAgree)).to.equal(true);
      expect(result.rows.map((r) => r.heldoutLoss)).to.deep.equal(sim.rows.map((r) => r.heldoutLoss));
      expect(result.finalParamsHash).to.equal(sim.finalParamsHash);
    });
  }

  it('the chain node SIGKILLed mid-round (pid found in /proc): restarted on the same port from its disk, the run ends on the simulator\'s params', async () => {
    const cfg = steady();
    const sim = runSimulation(cfg);
    const workDir = mkdtempSync(join(tmpdir(), 'survive-node-'));
    const fault = killOnce((e) => e.kind === 'phase' && e.round === 1 && e.phase === 'committed', () => killOne('chain-node-main.ts', join(workDir, 'chain')));
    const result = await runCluster(cfg, { ...FAST, workDir, onEvent: fault.onEvent });
    expect(fault.killed).to.have.length(1);
    expect(result.restarts.chainNode).to.equal(1);
    expect(result.rows.map((r) => r.status)).to.deep.equal(['finalised', 'finalised', 'finalised']);
    expect(result.rows.every((r) => r.paramsAgree)).to.equal(true);
    expect(result.finalParamsHash).to.equal(sim.finalParamsHash);
  });

  it('a peer SIGKILLed after committing round 1 (pid found in /proc): churn — restarted from its local state, the run ends on the simulator\'s params', async () => {
    const cfg = steady();
    const sim = runSimulation(cfg);
    const workDir = mkdtempSync(join(tmpdir(), 'survive-peer-'));
    let commits = 0;
    // Once all three have committed round 1 (so the round is whole), kill wallet 0's peer before the round is finalised.
    const fault = killOnce((e) => e.kind === 'phase' && e.round === 1 && e.phase === 'committed' && ++commits === 3, () => killOne('cluster/peer.ts', join(workDir, 'peer-state', 'w0')));
    const result = await runCluster(cfg, { ...FAST, workDir, onEvent: fault.onEvent });
    expect(fault.killed).to.have.length(1);
    expect(result.restarts).to.deep.equal({ chainNode: 0, validator: 0, peers: 1 });
    expect(result.rows.map((r) => r.contributors)).to.deep.equal([3, 3, 3]);
    expect(result.rows.every((r) => r.paramsAgree)).to.equal(true);
    expect(result.finalParamsHash).to.equal(sim.finalParamsHash);
  });

  it('the validator SIGKILLed after fetching round 1 (pid found in /proc): restarted, it redoes the round once, the run ends on the simulator\'s params', async () => {
    const cfg = steady();
    const sim = runSimulation(cfg);
    const workDir = mkdtempSync(join(tmpdir(), 'survive-validator-'));
    const fault = killOnce((e) => e.kind === 'phase' && e.round === 1 && e.phase === 'fetched', () => killOne('cluster/validator.ts', workDir));
    const result = await runCluster(cfg, { ...FAST, workDir, onEvent: fault.onEvent });
    expect(fault.killed).to.have.length(1);
    expect(result.restarts).to.deep.equal({ chainNode: 0, validator: 1, peers: 0 });
    expect(result.rows.map((r) => r.status)).to.deep.equal(['finalised', 'finalised', 'finalised']);
    expect(result.rows.every((r) => r.paramsAgree)).to.equal(true);
    expect(result.finalParamsHash).to.equal(sim.finalParamsHash);
    // One post per round on chain: the rewards paid are the simulator's.
    expect(result.chain.finalisedRounds).to.equal(3);
    expect(result.chain.rewardsByUid).to.deep.equal(sim.chain?.rewardsByUid);
  });
});
