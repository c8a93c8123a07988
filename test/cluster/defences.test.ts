/**
 * The cluster's validator runs the simulator's defences through the same core round
 * (core/defence aggregateRound): robust aggregation and same-round Gauntlet (real forward passes
 * of the model in the validator process), real weights posted on chain, rewards read back from
 * the chain. Each run must agree with the simulator bit for bit: rows, final params, and the
 * on-chain rewards per uid.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHardhatNode } from '../../chain/devnet.ts';
import type { LocalNode } from '../../chain/devnet.ts';
import { runCluster } from '../../cluster/orchestrator.ts';
import type { ClusterResult } from '../../cluster/orchestrator.ts';
import type { ValidatorRoundReport } from '../../cluster/reports.ts';
import type { DefenceConfig } from '../../core/defence/config.ts';
import { ConfigError } from '../../core/errors.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { runSimulation } from '../../sim/run.ts';

const FAST = { blockTimeMs: 100, roundLength: 80 } as const;

function config(defence: DefenceConfig): SimConfigInput {
  return {
    seed: 11,
    peers: 4,
    rounds: 3,
    innerSteps: 3,
    windowS: 60,
    closeWhenComplete: true,
    // No null rounds: in 3 rounds the defences must judge trained messages (null rounds are tested in cluster.test.ts).
    replicas: { warmupWindows: 0 },
    optim: { method: 'sparseloco' },
    defence,
    net: {
      uplinkMbps: { kind: 'fixed', value: 100 },
      downlinkMbps: { kind: 'fixed', value: 100 },
      latencyMs: { kind: 'fixed', value: 10 },
      store: { ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 5 },
    },
  };
}

function validatorReport(result: ClusterResult, round: number): ValidatorRoundReport {
  return JSON.parse(readFileSync(join(result.storeUrl, `cluster/validator-report-${round}.json`), 'utf8')) as ValidatorRoundReport;
}

describe('cluster: the simulator\'s defences in the validator process', function () {
  this.timeout(120_000);
  let node: LocalNode;
  before(async () => {
    node = await startHardhatNode();
  });
  after(async () => {
    await node.close();
  });

  async function bothBackends(defence: DefenceConfig, extra: Partial<SimConfigInput> = {}) {
    const cfg = { ...config(defence), ...extra };
    const sim = runSimulation(cfg);
    const cluster = await runCluster(cfg, { ...FAST, rpcUrl: node.url });
    expect(cluster.rows.map((r) => r.contributors), 'contributors per round').to.deep.equal(sim.rows.map((r) => r.contributors));
    expect(cluster.rows.map((r) => r.heldoutLoss), 'held-out loss per round').to.deep.equal(sim.rows.map((r) => r.heldoutLoss));
    expect(cluster.rows.every((r) => r.paramsAgree)).to.equal(true);
    expect(cluster.finalParamsHash).to.equal(sim.finalParamsHash);
    // Rewards as the contract accrued them, read back from the chain, equal the chain mirror's.
    expect(cluster.chain.rewardsByUid).to.deep.equal(sim.chain!.rewardsByUid);
    expect(cluster.chain.totalRewards).to.equal(sim.chain!.totalRewards);
    expect(BigInt(cluster.chain.totalRewards)).to.be.greaterThan(0n);
    return { sim, cluster };
  }

  it('robust (coordinate median): the validator\'s robust step and every peer\'s sync agree with the simulator', async () => {
    const { cluster } = await bothBackends({ kind: 'robust', aggregator: { kind: 'median' } });
    expect(validatorReport(cluster, 0).postedWeights).to.deep.equal([1, 1, 1, 1]);
  });

  it('gauntlet-oracle: forward-pass scores select the top 2, their weights are posted and paid on chain as in the simulator', async () => {
    const { sim, cluster } = await bothBackends({ kind: 'gauntlet-oracle', gauntlet: { gatherPeerCount: 2 } });
    for (let round = 0; round < 3; round++) {
      const report = validatorReport(cluster, round);
      expect(report.evaluated, `round ${round}`).to.equal(4); // every peer scored with forward passes
      expect(report.contributors.length).to.be.at.most(2);
    }
    // Weights differ by score: not the flat 1 each of the undefended run.
    const posted = [0, 1, 2].flatMap((r) => validatorReport(cluster, r).postedWeights);
    expect(new Set(posted).size).to.be.greaterThan(1);
    expect(sim.rows.map((r) => r.contributors)).to.satisfy((c: number[]) => c.every((n) => n <= 2));
  });

  it('lagged gauntlet (busy 1 window): the judgement of window w lands at the close of w + 1 — weights, peer list and slashes as in the simulator', async () => {
    const defence: DefenceConfig = { kind: 'gauntlet', gauntlet: { validatorBusyWindows: 1, uidsPerWindow: 2 } };
    const { cluster } = await bothBackends(defence, { rounds: 4, adversaries: [{ attack: { kind: 'sign-flip' }, fraction: 0.25 }] });
    // Round 0 posts no weights yet (flat 1 each); window 0's judgement sets them at the close of round 1.
    expect(validatorReport(cluster, 0).postedWeights.every((w) => w === 1)).to.equal(true);
    expect(new Set(validatorReport(cluster, 1).postedWeights).size).to.be.greaterThan(1);
    expect([0, 1, 2, 3].map((r) => validatorReport(cluster, r).evaluated)).to.deep.equal([2, 2, 2, 2]);
    const list = JSON.parse(readFileSync(join(cluster.storeUrl, 'cluster/peer-list-0.json'), 'utf8')) as { primaries: number[] };
    expect(list.primaries).to.deep.equal([0, 1, 2, 3]);
  });

  it('lagged gauntlet (busy 2 windows): every other window is skipped, in both backends', async () => {
    const { cluster } = await bothBackends({ kind: 'gauntlet', gauntlet: { validatorBusyWindows: 2, uidsPerWindow: 2 } }, { rounds: 4 });
    expect([0, 1, 2, 3].map((r) => validatorReport(cluster, r).validatorSkipped)).to.deep.equal([0, 1, 1, 2]);
  });
});
