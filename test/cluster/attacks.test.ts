/**
 * Attackers as peer processes (cluster/attacks.ts): every attack of the simulator's catalogue, run
 * by real peer processes with the simulator's `adversaries` keys and seeded roster, against the
 * validator's defences. Each run must agree with the simulator bit for bit — contributors, held-out
 * loss, mean training loss, bytes and rejections per round, final params, on-chain rewards per uid.
 * Two cluster runs hold the 13 attacks (test/cluster/attack-arms.ts).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHardhatNode } from '../../chain/devnet.ts';
import type { LocalNode } from '../../chain/devnet.ts';
import { attackRoster } from '../../cluster/attacks.ts';
import { runCluster } from '../../cluster/orchestrator.ts';
import type { ClusterResult } from '../../cluster/orchestrator.ts';
import type { ValidatorRoundReport } from '../../cluster/reports.ts';
import { countReasons, formatReasons } from '../../core/defence/reasons.ts';
import { ATTACK_KINDS } from '../../sim/adversaries.ts';
import { resolveSimConfig } from '../../sim/config.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { runSimulation } from '../../sim/run.ts';
import type { SimResult } from '../../sim/run.ts';
import { RUN_A, RUN_B } from './attack-arms.ts';

const FAST = { blockTimeMs: 100, roundLength: 80 } as const;

function validatorReport(result: ClusterResult, round: number): ValidatorRoundReport {
  return JSON.parse(readFileSync(join(result.storeUrl, `cluster/validator-report-${round}.json`), 'utf8')) as ValidatorRoundReport;
}

/** The validator's rejections of a round in the simulator's row format (reason=count;…). */
function rejectedReasons(report: ValidatorRoundReport): string {
  return formatReasons(countReasons(report.rejected.map((r) => r.slice(r.indexOf(':') + 1))));
}

/** uid of the (first) attacker of `kind` in `cfg`'s roster. */
function attackerOf(cfg: SimConfigInput, kind: string): number {
  return [...attackRoster(resolveSimConfig(cfg))].find(([, e]) => e.attack.kind === kind)![0];
}

describe('cluster: attackers as peer processes', function () {
  this.timeout(300_000);
  let node: LocalNode;
  before(async () => {
    node = await startHardhatNode();
  });
  after(async () => {
    await node.close();
  });

  async function bothBackends(cfg: SimConfigInput): Promise<{ sim: SimResult; cluster: ClusterResult }> {
    const sim = runSimulation(cfg);
    const cluster = await runCluster(cfg, { ...FAST, rpcUrl: node.url });
    expect(cluster.rows.map((r) => r.contributors), 'contributors').to.deep.equal(sim.rows.map((r) => r.contributors));
    expect(cluster.rows.map((r) => r.heldoutLoss), 'held-out loss').to.deep.equal(sim.rows.map((r) => r.heldoutLoss));
    expect(cluster.rows.map((r) => r.meanTrainLoss), 'mean training loss').to.deep.equal(sim.rows.map((r) => r.meanTrainLoss));
    expect(cluster.rows.map((r) => r.bytesUpTotal), 'bytes up').to.deep.equal(sim.rows.map((r) => r.bytesUpTotal));
    expect(cluster.rows.map((r) => r.bytesDownTotal), 'bytes down').to.deep.equal(sim.rows.map((r) => r.bytesDownTotal));
    expect(cluster.rows.map((_, round) => rejectedReasons(validatorReport(cluster, round))), 'rejections').to.deep.equal(sim.rows.map((r) => r.rejectedReasons ?? ''));
    expect(cluster.rows.every((r) => r.paramsAgree), 'every peer holds the validator\'s params').to.equal(true);
    expect(cluster.finalParamsHash).to.equal(sim.finalParamsHash);
    expect(cluster.chain.rewardsByUid).to.deep.equal(sim.chain!.rewardsByUid);
    return { sim, cluster };
  }

  it('the two runs hold every attack of the simulator\'s catalogue', () => {
    const kinds = [RUN_A, RUN_B].flatMap((cfg) => [...attackRoster(resolveSimConfig(cfg)).values()].map((e) => e.attack.kind));
    expect([...new Set(kinds)].sort()).to.deep.equal([...ATTACK_KINDS].sort());
    const sybils = [...attackRoster(resolveSimConfig(RUN_A)).values()].filter((e) => e.attack.kind === 'sybil' || e.attack.kind === 'colluding');
    expect(sybils.length, 'two sybil identities and two colluders').to.equal(4);
  });

  it('no defence: sign-flip, scale, noise, lazy, data-poison, sybil ×2, colluding ×2 forge the simulator\'s bits', async () => {
    const { cluster } = await bothBackends(RUN_A);
    // Undefended, every message is aggregated: 11 contributors every round.
    expect(cluster.rows.map((r) => r.contributors)).to.deep.equal([11, 11, 11]);
  });

  it('same-round Gauntlet: free-rider, copycat, stale, commit-mismatch, nan, malformed; the stale base step and the mismatched commitment are caught as in the simulator', async () => {
    const { cluster } = await bothBackends(RUN_B);
    const mismatch = attackerOf(RUN_B, 'commit-mismatch');
    const stale = attackerOf(RUN_B, 'stale');
    for (let round = 0; round < 3; round++) expect(validatorReport(cluster, round).rejected, `round ${round}`).to.include(`${mismatch}:hash-mismatch`);
    // Round 1 sends round 0's message, but round 0 was skipped (null rounds), so it is still fresh; round 2's is one step behind.
    expect(validatorReport(cluster, 1).rejected).to.not.include(`${stale}:stale`);
    expect(validatorReport(cluster, 2).rejected).to.include(`${stale}:stale`);
  });
});
