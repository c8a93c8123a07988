/**
 * The trillion experiment's simulated rounds against the closed form (core/round-cost.ts): its
 * rounds hold only compute and communication (experiments/catalog/trillion.ts says how), so the
 * simulated compute utilisation and round time must match roundCost's. They differ only by the
 * latencies the closed form leaves out (1 ms per peer link: one per upload and gather object,
 * 2(R − 1) ring hops per all-reduce, H all-reduces per DDP round), bounded below.
 */
import { expect } from 'chai';
import { armConfig } from '../../experiments/define.ts';
import trillion, { bandwidthTable, TRILLION_INNER_STEPS, TRILLION_METHODS, TRILLION_PEERS, trillionClosedForm } from '../../experiments/catalog/trillion.ts';
import { runSimulation } from '../../sim/run.ts';

/**
 * The latency the closed form leaves out of one round, s: SparseLoCo's upload and gather each
 * wait one 1 ms peer link (the store's latency is 0); a ring all-reduce's 2(R − 1) hops each
 * wait both peers' (2 ms); DDP runs H of them a round.
 */
function roundLatencyS(method: string): number {
  const ringS = 2 * (TRILLION_PEERS - 1) * 2e-3;
  return method === 'ddp-ring' ? TRILLION_INNER_STEPS * ringS : method === 'diloco-ring' ? ringS : 2e-3;
}

/** Float rounding of sums of ~1e4-second terms: far below any latency above. */
const ROUNDING_S = 1e-6;

describe('experiments/trillion: simulated rounds vs the closed form', () => {
  // Both ends of the link range at the smallest and the largest size: 12 of the 60 arms, every method.
  const arms = trillion.arms.filter((a) => (a.labels!['size'] === '72B' || a.labels!['size'] === '1T') && (a.labels!['linkMbps'] === 100 || a.labels!['linkMbps'] === 10_000));

  it('covers every method at two sizes and two links', () => {
    expect(arms).to.have.length(2 * 2 * TRILLION_METHODS.length);
  });

  for (const arm of arms) {
    it(`${arm.name}: utilisation and round time as roundCost's, within the latencies`, () => {
      const run = runSimulation({ ...armConfig(trillion, arm, 1, {}), rounds: 1 });
      const row = run.rows[0]!;
      const closed = trillionClosedForm(String(arm.labels!['size']), TRILLION_METHODS.find((m) => m.name === arm.labels!['method'])!.costed, Number(arm.labels!['linkMbps']));
      const simRoundS = row.simTimeS - row.windowStartS;
      const latencyS = roundLatencyS(String(arm.labels!['method']));
      expect(row.status).to.equal('finalised');
      // The only difference is the latency: the round is longer by exactly that, utilisation lower by its share.
      expect(simRoundS - closed.roundS).to.be.within(latencyS - ROUNDING_S, latencyS + ROUNDING_S);
      const utilisationGap = closed.utilisation - row.computeUtilisation!;
      const expectedGap = closed.utilisation * (latencyS / simRoundS);
      expect(utilisationGap).to.be.within(expectedGap - 1e-9, expectedGap + 1e-9);
      // Bytes: every peer sends the closed form's share. Rings receive it too; in the gather the 20
      // listed peers skip their own message, so the mean is (20 · 19 + 20) / 21 of the 20 the closed form counts.
      expect(row.bytesUpTotal / row.activePeers / closed.bytesUpPerPeer).to.be.within(1 - 1e-12, 1 + 1e-12);
      const downShare = arm.labels!['method'] === 'sparseloco' ? (20 * 19 + 20) / 21 / 20 : 1;
      expect(row.bytesDownTotal / row.activePeers / closed.bytesDownPerPeer).to.be.within(downShare - 1e-12, downShare + 1e-12);
    });
  }

  it('the bandwidth table solves for 90 / 95 / 99 % at every size and method', () => {
    const lines = bandwidthTable().split('\n').filter((l) => /^\| (72B|200B|500B|1T) /.test(l));
    expect(lines).to.have.length(4 * TRILLION_METHODS.length);
  });
});
