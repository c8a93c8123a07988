/**
 * The cluster on shaped links (ClusterOptions.network = 'netns'), the small cell of the clock
 * validation (experiments/clock/grid.ts CLOCK_CI_CELL): 2 peers in their own namespaces, uid 0 on
 * a 20 Mbit/s uplink, uid 1 on 0.5 Mbit/s, whose 0.62 MB messages need 10 s against 8 s windows.
 * Checks that the links are really shaped (no upload beats bytes / rate), that the slow peer's
 * uploads are late and the validator leaves them out in both rounds while the simulator's flow
 * model says the same, that its transfer predictions are in range, and that no namespace, link or
 * process is left. Needs root and `ip netns`; skipped at run time with the reason printed otherwise.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leftoverNetworkObjects, netnsSupport } from '../../cluster/netns.ts';
import { CLOCK_CI_CELL, runCell } from '../../experiments/clock/grid.ts';

describe('cluster on shaped links (netns): the clock validation CI cell', function () {
  this.timeout(300_000);
  const support = netnsSupport();
  before(function () {
    if (!support.ok) {
      console.log(`    skipped: ${support.reason}`);
      this.skip();
    }
  });

  it('shapes every upload, rejects the late ones as the flow model predicts, and leaves nothing behind', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'clock-ci-'));
    try {
      const r = await runCell(CLOCK_CI_CELL, { workDir });
      const puts = r.transfers.filter((t) => t.op === 'put');
      expect(puts.length).to.equal(4); // 2 peers × 2 rounds
      // uid 1's link is 0.5 Mbit/s: 0.62 MB takes ≥ 9.9 s; uid 0's 20 Mbit/s: ≥ 0.25 s. tbf lets 32 KB through at once.
      for (const t of puts) {
        const uid = Number(t.key.split('-')[2]);
        const floorS = ((t.bytes - 32 * 1024) * 8) / ((uid === 1 ? 0.5 : 20) * 1e6);
        expect(t.measuredS, t.key).to.be.greaterThan(floorS);
      }
      expect(r.rounds.map((x) => x.lateMeasured)).to.deep.equal([[1], [1]]);
      expect(r.rounds.map((x) => x.latePredicted)).to.deep.equal([[1], [1]]);
      // Loaded CI machines stretch small requests; the slow uploads are pure bandwidth and must match closely.
      for (const t of puts.filter((p) => p.key.endsWith('-1-v1'))) expect(t.relError, t.key).to.be.lessThan(0.1);
      expect(r.transfers.every((t) => t.predictedS > 0)).to.equal(true);
      expect(leftoverNetworkObjects()).to.deep.equal([]);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});
