import { expect } from 'chai';
import { LOSS_TOLERANCE, agreementTable, clusterTimingOf, compareArm, compareRuns, comparisonSpec } from '../../cluster/compare.ts';
import type { ArmRun } from '../../cluster/compare.ts';
import { storageKeyBytes32 } from '../../cluster/hashes.ts';
import { ConfigError } from '../../core/errors.ts';
import type { SimRoundRow } from '../../sim/metrics.ts';

function row(round: number, up: number, down: number, loss: number): SimRoundRow {
  return { round, bytesUpTotal: up, bytesDownTotal: down, heldoutLoss: loss } as SimRoundRow;
}

describe('cluster/compare', () => {
  const sim = [row(0, 10, 30, 4), row(1, 10, 30, 3.5)];

  it('agrees on identical bytes and a final loss within tolerance', () => {
    const a = compareRuns(sim, [row(0, 10, 30, 4), row(1, 10, 30, 3.5 + LOSS_TOLERANCE / 2)]);
    expect(a.agrees).to.equal(true);
    expect(a.bytesDifferInRounds).to.deep.equal([]);
  });

  it('names the rounds whose bytes differ, and fails a loss outside tolerance', () => {
    const a = compareRuns(sim, [row(0, 10, 31, 4), row(1, 10, 30, 3.6)]);
    expect(a.bytesDifferInRounds).to.deep.equal([0]);
    expect(a.agrees).to.equal(false);
    expect(compareRuns(sim, [row(0, 10, 30, 4), row(1, 10, 30, 3.6)]).agrees).to.equal(false);
    expect(compareRuns(sim, [row(0, 10, 30, 4)]).agrees).to.equal(false); // a missing round
  });

  it('plots both backends in one spec', () => {
    const spec = comparisonSpec(sim, sim, 't') as { data: { values: { backend: string }[] } };
    expect(spec.data.values.map((v) => v.backend)).to.deep.equal(['sim', 'sim', 'cluster', 'cluster']);
  });

  it('packs a storage key into a bytes32, refusing one that does not fit', () => {
    expect(storageKeyBytes32('gradient-1-2-v1')).to.equal(`0x${Buffer.from('gradient-1-2-v1').toString('hex').padEnd(64, '0')}`);
    expect(() => storageKeyBytes32('x'.repeat(33))).to.throw(ConfigError, /storageKey/);
  });

  describe('per arm (byzantine-cluster)', () => {
    const run = (over: Partial<ArmRun> = {}): ArmRun => ({ rows: sim, selected: [[0, 1], [0, 2]], rewardsByUid: { 0: '10', 1: '5', 2: '5' }, paramsHash: 'abcd', ...over });

    it('agrees on every column when both backends did the same', () => {
      const a = compareArm('x', run(), run());
      expect([a.bytesEqual, a.selectedEqual, a.rewardsEqual, a.paramsHashEqual]).to.deep.equal([true, true, true, true]);
      expect(a.differences).to.deep.equal([]);
      expect(agreementTable([a])).to.contain('| x | ✓ | ✓ | ✓ | ✓ | 3.5000 | 3.5000 |');
    });

    it('lists each difference round by round and fails only its column', () => {
      const a = compareArm('x', run(), run({ selected: [[0, 1], [0, 1]], rewardsByUid: { 0: '10', 1: '10' }, rows: [row(0, 10, 30, 4), row(1, 11, 30, 3.5)] }));
      expect([a.bytesEqual, a.selectedEqual, a.rewardsEqual, a.paramsHashEqual]).to.deep.equal([false, false, false, true]);
      expect(a.differences).to.deep.equal([
        { round: 1, field: 'bytesUp', sim: 10, cluster: 11 },
        { round: 1, field: 'selected', sim: [0, 2], cluster: [0, 1] },
        { round: null, field: 'rewards', sim: { uid: 1, wei: '5' }, cluster: { uid: 1, wei: '10' } },
        { round: null, field: 'rewards', sim: { uid: 2, wei: '5' }, cluster: { uid: 2, wei: '0' } },
      ]);
      expect(compareArm('x', run(), run({ paramsHash: 'ffff' })).paramsHashEqual).to.equal(false);
      expect(agreementTable([a])).to.contain('- x, round 1: selected [0,2] → [0,1]');
    });

    it('carries the cluster\'s timing: mean round wall time and the validator\'s validate and evaluation time', () => {
      const timing = clusterTimingOf([{ roundWallS: 1 }, { roundWallS: 3 }], [{ fetchS: 0.1, validateS: 0.5, scoreS: 0.4, postS: 0.2 }, { fetchS: 0.3, validateS: 0.7, scoreS: 0.6, postS: 0.2 }]);
      expect(timing.roundWallS).to.equal(2);
      expect(timing.validateS).to.be.within(0.6 - 1e-12, 0.6 + 1e-12);
      expect(timing.evaluateS).to.be.within(0.5 - 1e-12, 0.5 + 1e-12);
      const a = compareArm('x', run(), run({ timing }));
      expect(a.clusterTiming).to.equal(timing);
      expect(agreementTable([a])).to.contain('| 3.5000 | 3.5000 | 2.000 | 0.600 | 0.500 |');
      expect(agreementTable([compareArm('x', run(), run())])).to.contain('| – | – | – |');
    });
  });
});
