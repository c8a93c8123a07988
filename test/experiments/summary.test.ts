import { expect } from 'chai';
import { summarise, summaryMarkdown, formatBytes } from '../../experiments/summary.ts';
import type { MetricRow } from '../../experiments/runner.ts';

function row(arm: string, seed: number, round: number, loss: number, extra: Partial<MetricRow> = {}): MetricRow {
  return {
    experiment: 'x', arm, seed, round, simTimeS: (round + 1) * 10, windowStartS: round * 10, activePeers: 4, onTime: 4, late: 0, crashed: 0,
    contributors: 4, heldoutLoss: loss, meanTrainLoss: loss, bytesUpTotal: 100, bytesDownTotal: 300, cumulativeBytes: (round + 1) * 400,
    syncTimeS: 1, globalStep: round + 1, status: 'finalised', ...extra,
  } as MetricRow;
}

describe('experiments/summary', () => {
  const rows = [row('a', 1, 0, 2), row('a', 1, 1, 1.0), row('a', 2, 0, 2), row('a', 2, 1, 1.4), row('b', 1, 0, 2), row('b', 1, 1, 1.8, { status: 'skipped' })];

  it('gives final loss mean, sample sd and range per arm over seeds', () => {
    const s = summarise('x', rows);
    const a = s.arms[0]!;
    expect(a).to.include({ arm: 'a', seeds: 2, finalLossMin: 1.0, finalLossMax: 1.4, bytesTotalMean: 800, simTimeMeanS: 20 });
    expect(a.finalLossMean).to.be.closeTo(1.2, 1e-12);
    expect(a.finalLossStd).to.be.closeTo(Math.sqrt(0.08), 1e-12);
    expect(s.arms[1]).to.include({ arm: 'b', seeds: 1, finalLossStd: 0, skippedRoundsMean: 1 });
  });

  it('computes time and bytes to a target loss over the seeds that reached it', () => {
    const a = summarise('x', rows, 1.2).arms[0]!;
    expect(a).to.include({ reachedTarget: 1, timeToTargetMeanS: 20, bytesToTargetMean: 800 });
    expect(summarise('x', rows, 1.2).arms[1]).to.include({ reachedTarget: 0, timeToTargetMeanS: null });
  });

  it('sums energy only when rows carry it', () => {
    expect(summarise('x', rows).arms[0]!.energyKWhMean).to.equal(null);
    const withEnergy = rows.map((r) => ({ ...r, energyKWh: 0.5, co2eKg: 0.1 }));
    expect(summarise('x', withEnergy).arms[0]!.energyKWhMean).to.equal(1);
    const notMeasured = rows.map((r) => ({ ...r, energyKWh: Number.NaN, co2eKg: Number.NaN }));
    expect(summarise('x', notMeasured).arms[0]!.energyKWhMean).to.equal(null);
  });

  it('renders a Markdown table with one line per arm', () => {
    const md = summaryMarkdown(summarise('x', rows, 1.2));
    expect(md.split('\n')).to.have.length(4);
    expect(md).to.include('| a | 2 | 1.2000 ± 0.2828 |').and.include('not reached');
    expect(formatBytes(1_234_567)).to.equal('1.23 MB');
  });
});
