/**
 * The lagged Gauntlet validator in a run (sim/validator.ts): its judgement acts LATER — a bad
 * update from a listed peer is in the aggregate of the round it was sent, and the peer is off the
 * list once the validator's post is in force — its work is charged in the rows, and runs are
 * deterministic.
 */
import { expect } from 'chai';
import { BASE } from '../../experiments/catalog/common.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { runSimulation } from '../../sim/run.ts';

function base(extra: Partial<SimConfigInput> = {}): SimConfigInput {
  return {
    ...(BASE as SimConfigInput), peers: 10, rounds: 8, innerSteps: 3, seed: 1,
    adversaries: [{ attack: { kind: 'copycat' }, fraction: 0.2 }],
    // Overlap slashing from the first step (templar waits 20), so 8 rounds show the lag.
    defence: { kind: 'gauntlet', gauntlet: { overlapWarmupSteps: 0 } },
    gather: { peers: 6, reserves: 2 },
    ...extra,
  };
}

describe('sim/validator (lagged Gauntlet)', function () {
  this.timeout(60_000);

  it('a copycat on the list is aggregated in the rounds before the post is in force, and never after', () => {
    const rows = runSimulation(base()).rows;
    // Window 0 is judged during round 1; its list is in force from round 1 + peerListWindowMargin = 2.
    expect(rows[0]!.attackersSelected).to.be.above(0);
    expect(rows[1]!.attackersSelected).to.be.above(0);
    expect(rows.slice(2).map((r) => r.attackersSelected)).to.deep.equal([0, 0, 0, 0, 0, 0]);
  });

  it('charges the validator: nothing finished by the first close, then downloads and evaluations every round', () => {
    const rows = runSimulation(base()).rows;
    expect(rows[0]).to.include({ validatorEvaluated: 0, validatorBytesDown: 0, validatorTimeS: 0 });
    for (const r of rows.slice(1)) {
      expect(r.validatorEvaluated).to.equal(10); // 10 active < 5 bins × 15: one bin, all sampled
      expect(r.validatorBytesDown).to.be.above(0);
      expect(r.validatorTimeS).to.be.above(0);
      expect(r.validatorEnergyKWh).to.be.above(0);
      expect(r.validatorSkipped).to.equal(0);
    }
    // Slower devices (3 × 6 s still fits the 60 s window): the validator's evaluation takes longer.
    const slow = runSimulation(base({ stepTimeS: { kind: 'fixed', value: 6 } })).rows;
    expect(slow[1]!.validatorEvaluated).to.be.above(0);
    expect(slow[1]!.validatorTimeS).to.be.above(rows[1]!.validatorTimeS!);
  });

  it('with the all-gather it only posts weights: every on-time message is aggregated', () => {
    const rows = runSimulation(base({ gather: { peers: 'all' } })).rows;
    expect(rows.every((r) => r.contributors === r.onTime)).to.equal(true);
    expect(rows.slice(2).some((r) => typeof r.rewardShareAttackers === 'number')).to.equal(true);
  });

  it('is deterministic', () => {
    const a = runSimulation(base());
    const b = runSimulation(base());
    expect(b.rows).to.deep.equal(a.rows);
    expect(b.finalParamsHash).to.equal(a.finalParamsHash);
  });
});
