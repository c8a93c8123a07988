import { expect } from 'chai';
import { byzantineTable } from '../../experiments/catalog/byzantine-table.ts';
import type { MetricRow } from '../../experiments/runner.ts';

/** Two rounds of one run, as the runner tags them. */
function run(attack: string, fraction: number, defence: string, losses: [number, number], extra: Partial<Record<'nanOccurred' | 'rewardShareAttackers', unknown>>[] = [{}, {}], seed = 1): MetricRow[] {
  return losses.map((heldoutLoss, round) => ({
    experiment: 'byzantine', arm: `${attack} ${fraction} / ${defence}`, seed, attack, fraction, defence, round, heldoutLoss,
    nanOccurred: false, rewardShareAttackers: null, ...extra[round],
  }) as unknown as MetricRow);
}

describe('experiments/catalog/byzantine-table', () => {
  const rows = [
    ...run('clean', 0, 'none', [2, 1]),
    ...run('clean', 0, 'gauntlet', [2, 1.1], [{ rewardShareAttackers: 0 }, { rewardShareAttackers: 0 }]),
    ...run('sign-flip', 0.3, 'none', [2, 1.5]),
    ...run('sign-flip', 0.3, 'gauntlet', [2, 1.1], [{ rewardShareAttackers: 0.1 }, { rewardShareAttackers: 0.3 }]),
    ...run('sign-flip', 0.1, 'none', [2, 1.2], [{}, { nanOccurred: true }]),
  ];

  it('divides final losses by the undefended clean run, marks NaN runs and averages Gauntlet reward shares', () => {
    const lines = byzantineTable(rows).split('\n');
    expect(lines[0]).to.contain('1.0000');
    expect(lines[2]).to.equal("| attack | attackers | none | gauntlet | gauntlet: attackers' reward share |");
    expect(lines.slice(4)).to.deep.equal([
      '| clean | 0 % | 1.000 | 1.100 | 0.0 % |',
      '| sign-flip | 10 % | NaN | – | – |',
      '| sign-flip | 30 % | 1.500 | 1.100 | 20.0 % |',
    ]);
  });

  it("with reference 'own', divides each column by that defence's clean run", () => {
    const lines = byzantineTable(rows, 'own').split('\n');
    expect(lines[4]).to.equal('| clean | 0 % | 1.000 | 1.000 | 0.0 % |');
    expect(lines[6]).to.equal('| sign-flip | 30 % | 1.500 | 1.000 | 20.0 % |');
  });

  it('with several seeds, shows mean ± sample sd of each seed\'s ratio to the clean mean', () => {
    const seeded = [1, 2, 3].flatMap((seed, i) => [
      ...run('clean', 0, 'none', [2, [0.9, 1, 1.1][i]!], [{}, {}], seed),
      ...run('sign-flip', 0.3, 'none', [2, [1.2, 1.5, 1.8][i]!], [{}, {}], seed),
    ]);
    const lines = byzantineTable(seeded).split('\n');
    expect(lines[0]).to.contain('1.0000');
    expect(lines[2]).to.equal('Each cell: mean ± sample sd over 3 seeds (each seed\'s loss ÷ the clean mean).');
    // clean ratios 0.9, 1.0, 1.1 (sd 0.1); sign-flip 1.2, 1.5, 1.8 (sd 0.3).
    expect(lines.slice(6)).to.deep.equal(['| clean | 0 % | 1.000 ± 0.100 | – |', '| sign-flip | 30 % | 1.500 ± 0.300 | – |']);
  });
});
