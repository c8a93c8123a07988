/**
 * The flow model's row columns (sim/flows-columns.ts): absent on default-network rows (which stay
 * exactly as they were), present once capacity is shared; a bucket too narrow for its readers
 * shows in the peak and in a lower mean download rate.
 */
import { expect } from 'chai';
import type { SimConfigInput } from '../../sim/config.ts';
import { runSimulation } from '../../sim/run.ts';
import { FIXED_NET } from './helpers.ts';

const FLOW_COLUMNS = ['peakFlowsPerEnd', 'meanDownloadMbps'] as const;

function config(net: Partial<SimConfigInput['net']> = {}, gather: SimConfigInput['gather'] = { peers: 4 }): SimConfigInput {
  return { seed: 3, peers: 12, rounds: 3, innerSteps: 2, windowS: 30, optim: { method: 'sparseloco' }, net: { ...FIXED_NET, ...net } as SimConfigInput['net'], gather };
}

describe('sim/flows-columns', () => {
  it('default network: rows carry no flow columns, gather-G or all-gather', () => {
    let rows = 0;
    for (const gather of [{ peers: 4 }, { peers: 'all' as const }]) {
      for (const r of runSimulation(config({}, gather)).rows) {
        for (const c of FLOW_COLUMNS) expect(r).to.not.have.property(c);
        rows++;
      }
    }
    expect(rows).to.equal(6);
  });

  it('per-peer buckets: every syncing peer reads each listed bucket at once; a narrow bucket lowers the mean rate', () => {
    const wide = runSimulation(config({ buckets: {} })).rows;
    const narrow = runSimulation(config({ buckets: { egressMbps: 0.01 } })).rows;
    let compared = 0;
    wide.forEach((w, i) => {
      const n = narrow[i]!;
      expect(w.peakFlowsPerEnd, `round ${i}`).to.be.at.least(2);
      expect(w.meanDownloadMbps).to.be.above(0);
      if (n.gathered! > 0) {
        expect(n.meanDownloadMbps, `round ${i}`).to.be.below(w.meanDownloadMbps!);
        compared++;
      }
    });
    expect(compared).to.be.at.least(1);
  });

  it('shared store with the all-gather: the peak counts the syncing peers downloading together', () => {
    const rows = runSimulation(config({ store: { ...FIXED_NET.store, sharing: 'shared' } }, { peers: 'all' })).rows;
    for (const r of rows) {
      expect(r.peakFlowsPerEnd).to.be.at.least(2).and.at.most(r.activePeers);
      expect(r.meanDownloadMbps).to.be.above(0);
    }
  });
});
