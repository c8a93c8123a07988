/**
 * Methods on the cluster: DiLoCo runs through the store with its outer Nesterov momentum
 * checkpointed beside the params (a restarted peer and a restarted validator load both), bit for
 * bit with the simulator; what the cluster does not run is refused with a typed error naming the
 * key and the way out.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCluster } from '../../cluster/orchestrator.ts';
import { ConfigError } from '../../core/errors.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { runSimulation } from '../../sim/run.ts';

const FAST = { blockTimeMs: 100, roundLength: 80 } as const;
const NET = {
  uplinkMbps: { kind: 'fixed', value: 100 },
  downlinkMbps: { kind: 'fixed', value: 100 },
  latencyMs: { kind: 'fixed', value: 10 },
  store: { ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 5 },
} as const;

/** Seed 8's churn (test/cluster/survive.test.ts): peer 1 crashes in round 0 and is restarted for round 1, catching up from a checkpoint. */
function diloco(extra: Partial<SimConfigInput> = {}): SimConfigInput {
  return {
    seed: 8, peers: 3, rounds: 4, innerSteps: 3, windowS: 60, closeWhenComplete: true, net: NET,
    optim: { method: 'diloco' }, transport: 'store',
    replicas: { warmupWindows: 0 },
    churn: { availability: { kind: 'bernoulli', dropout: 0.3 }, crash: { probability: 0.2 }, restart: 'resume' },
    ...extra,
  };
}

async function refusal(cfg: SimConfigInput): Promise<ConfigError> {
  try {
    await runCluster(cfg, FAST);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('runCluster accepted a config it must refuse');
}

describe('cluster: methods', function () {
  this.timeout(180_000);

  async function agrees(cfg: SimConfigInput, faults: { restartValidatorAtRound?: number } = {}) {
    const sim = runSimulation(cfg);
    const result = await runCluster(cfg, { ...FAST, checkpointEvery: 1, faults });
    expect(sim.rows.every((r) => r.contributors > 0)).to.equal(true);
    expect(existsSync(join(result.storeUrl, 'cluster/outer-state-1.bin'))).to.equal(true);
    expect(result.rows.map((r) => r.contributors)).to.deep.equal(sim.rows.map((r) => r.contributors));
    expect(result.rows.every((r) => r.paramsAgree)).to.equal(true);
    expect(result.rows.map((r) => r.heldoutLoss)).to.deep.equal(sim.rows.map((r) => r.heldoutLoss));
    expect(result.finalParamsHash).to.equal(sim.finalParamsHash);
    return result;
  }

  it('DiLoCo (transport store) with churn: the restarted peer loads the outer momentum with the checkpoint; params bit for bit with the simulator', async () => {
    const result = await agrees(diloco());
    expect(result.plan.crashes[0]).to.deep.equal([1]);
  });

  it('DiLoCo: a validator restarted mid-round loads the outer momentum with the checkpoint and redoes the round bit for bit', async () => {
    await agrees(diloco({ rounds: 3, churn: { availability: { kind: 'always' } } }), { restartValidatorAtRound: 1 });
  });

  it('refuses the ring all-reduce, naming --set transport=store', async () => {
    const error = await refusal(diloco({ transport: 'ring' }));
    expect(error.key).to.equal('transport');
    expect(error.message).to.match(/--set transport=store/);
  });

  it('refuses the inner-step methods DDP and DeMo, naming optim.method', async () => {
    for (const method of ['ddp', 'demo'] as const) {
      const error = await refusal(diloco({ optim: { method }, transport: 'store' }));
      expect(error.key, method).to.equal('optim.method');
      expect(error.message).to.match(/inner step/);
    }
  });

  it('refuses a defence that needs SparseLoCo messages', async () => {
    // The config resolver refuses it before the cluster starts (core/defence assertDefenceFitsMethod guards the processes too).
    const error = await refusal(diloco({ defence: { kind: 'gauntlet' } }));
    expect(error.key).to.equal('optim.method');
    expect(error.message).to.match(/"sparseloco" with adversaries or a defence/);
  });
});
