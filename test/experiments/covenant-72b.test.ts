/**
 * covenant-72b's window rule (covenantWindowBlocks) and covenant-72b-sweep's steady-state figures.
 */
import { expect } from 'chai';
import covenant72b, { covenantComputeS, covenantWindowBlocks } from '../../experiments/catalog/covenant-72b.ts';
import sweep, { commPerRoundS, steadyUtilisation, SWEEP_DOWNLINKS, SWEEP_MFUS } from '../../experiments/catalog/covenant-72b-sweep.ts';
import type { MetricRow } from '../../experiments/runner.ts';

describe('experiments/covenant-72b: windows sized to the round', () => {
  it('gives covenant-72b its 70-block (840 s) window at MFU 0.4 and 10 Gbit/s down', () => {
    expect(covenantWindowBlocks(0.4, 10_000)).to.equal(70);
    expect(covenant72b.base.windows!.blocksPerWindow).to.equal(70);
    expect(covenant72b.base.windowS).to.equal(840);
    expect(covenantComputeS(0.4)).to.be.within(714, 715.5);
  });

  it('sizes every sweep arm to hold the 70 s deadline, the gather and H steps, with at most two blocks to spare', () => {
    expect(sweep.arms).to.have.length(SWEEP_MFUS.length * SWEEP_DOWNLINKS.length);
    for (const arm of sweep.arms) {
      const mfu = Number(arm.labels!['mfu']);
      const down = Number(arm.labels!['downlinkMbps']);
      const windowS = Number(arm.labels!['windowLengthS']);
      const gatherS = (8 * 20 * 1_991_000_000) / (down * 1e6); // ≥ 20 messages of ≥ 1.991 GB
      const needS = covenantComputeS(mfu) + 70 + gatherS;
      expect(windowS, arm.name).to.be.within(needS, needS + 2 * 12 + 1);
      expect(arm.set['windowS']).to.equal(windowS);
      expect(arm.set['windows.blocksPerWindow']).to.equal(windowS / 12);
    }
    // Lower MFU, longer compute, longer window; faster download, shorter window.
    expect(covenantWindowBlocks(0.2, 10_000)).to.be.greaterThan(covenantWindowBlocks(0.4, 10_000));
    expect(covenantWindowBlocks(0.4, 2000)).to.be.greaterThan(covenantWindowBlocks(0.4, 20_000));
  });

  it('reads steady-state utilisation as each window\'s mean compute over its length, and communication as deadline + gather', () => {
    // A row whose participants computed 700 s on average over a 1,000 s row, in an 800 s window.
    const row = { round: 3, computeUtilisation: 0.7, simTimeS: 4000, windowStartS: 3000, syncTimeS: 25, windowLengthS: 800 } as unknown as MetricRow;
    expect(steadyUtilisation(row)).to.be.within(0.875 - 1e-12, 0.875 + 1e-12);
    expect(commPerRoundS(row)).to.equal(95);
    const first = { ...row, round: 0 } as MetricRow;
    expect(steadyUtilisation(first)).to.equal(null);
    expect(commPerRoundS(first)).to.equal(null);
  });
});
