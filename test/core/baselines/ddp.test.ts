import { expect } from 'chai';
import { defineLayout } from '../../../core/layout.ts';
import { createRng } from '../../../core/rng.ts';
import { ConfigError } from '../../../core/errors.ts';
import { ADAMW_DEFAULTS, LR_SCHEDULE_DEFAULTS, adamwStep, createAdamWState, lrAt } from '../../../core/optim/adamw.ts';
import { createDdpCommunicator } from '../../../core/baselines/ddp.ts';

const layout = defineLayout([{ name: 'w', shape: [4, 6] }, { name: 'b', shape: [6] }]);

describe('core/baselines/ddp', () => {
  it('equals single-node AdamW (clipping, wd, schedule) on the mean gradient, bit for bit', () => {
    const comm = createDdpCommunicator(layout);
    const rng = createRng('ddp');
    const params = rng.fillNormal(new Float32Array(layout.size));
    const single = params.slice();
    const shared = comm.createSharedState();
    const state = createAdamWState(layout.size);
    for (let step = 0; step < 5; step++) {
      // Large gradients so that clipping to 1.0 is active.
      const grads = [0, 1, 2].map(() => rng.fillNormal(new Float32Array(layout.size), 2));
      const report = comm.apply(params, shared, grads.map((g, i) => ({ peerUid: 2 - i, bytes: comm.encode({}, g) })));
      expect(report.lr).to.equal(lrAt(LR_SCHEDULE_DEFAULTS, step));
      // Reference: fp32 sum in ascending peerUid (peer 0 holds grads[2]), divided by 3.
      const mean = new Float32Array(layout.size);
      for (const g of [grads[2]!, grads[1]!, grads[0]!]) for (let i = 0; i < mean.length; i++) mean[i] = mean[i]! + g[i]!;
      for (let i = 0; i < mean.length; i++) mean[i] = mean[i]! / 3;
      const info = adamwStep(single, mean, state, ADAMW_DEFAULTS, lrAt(LR_SCHEDULE_DEFAULTS, step));
      expect(info.clipCoef).to.be.lessThan(1);
      expect([...params]).to.deep.equal([...single]);
    }
    expect(shared.adamw.step).to.equal(5);
  });

  it('uses an explicit lr when given one', () => {
    const comm = createDdpCommunicator(layout);
    const report = comm.apply(new Float32Array(layout.size), comm.createSharedState(), [{ peerUid: 0, bytes: comm.encode({}, new Float32Array(layout.size).fill(1)) }], { lr: 0.5 });
    expect(report.lr).to.equal(0.5);
  });

  it('rejects the null-round option and wrongly sized gradients', () => {
    const comm = createDdpCommunicator(layout);
    expect(() => comm.encode({}, new Float32Array(layout.size), { nullRound: true })).to.throw(ConfigError, /nullRound/);
    expect(() => comm.encode({}, new Float32Array(3))).to.throw(ConfigError, /contribution length/);
  });
});
