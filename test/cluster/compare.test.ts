import { expect } from 'chai';
import { LOSS_TOLERANCE, compareRuns, comparisonSpec } from '../../cluster/compare.ts';
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
});
