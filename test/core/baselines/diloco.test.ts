import { expect } from 'chai';
import { defineLayout } from '../../../core/layout.ts';
import { ConfigError } from '../../../core/errors.ts';
import { createDilocoCommunicator, nesterovStep } from '../../../core/baselines/diloco.ts';
import { roundToBf16 } from '../../../core/baselines/dense-codec.ts';

const layout = defineLayout([{ name: 'b', shape: [2] }]);

describe('core/baselines/diloco', () => {
  it('takes torch SGD-Nesterov steps (lr 0.7, μ 0.9), checked by hand for two steps', () => {
    const comm = createDilocoCommunicator(layout);
    const params = new Float32Array([0, 1]);
    const shared = comm.createSharedState();
    // Step 1: mean Δ = (1, −2); buf = g; update = g + 0.9·buf = 1.9·g; θ −= 0.7·update.
    comm.apply(params, shared, [
      { peerUid: 1, bytes: comm.encode({}, Float32Array.of(1.5, -1)) },
      { peerUid: 2, bytes: comm.encode({}, Float32Array.of(0.5, -3)) },
    ]);
    expect(params[0]).to.be.closeTo(-1.33, 1e-6);
    expect(params[1]).to.be.closeTo(1 + 2.66, 1e-6);
    // Step 2: g = (0.5, 0); buf = 0.9·(1, −2) + g = (1.4, −1.8); update = g + 0.9·buf = (1.76, −1.62).
    comm.apply(params, shared, [{ peerUid: 1, bytes: comm.encode({}, Float32Array.of(0.5, 0)) }]);
    expect(params[0]).to.be.closeTo(-1.33 - 0.7 * 1.76, 1e-6);
    expect(params[1]).to.be.closeTo(3.66 + 0.7 * 1.62, 1e-6);
    expect(shared.buf[0]).to.be.closeTo(1.4, 1e-6);
    expect(shared.steps).to.equal(2);
  });

  it('momentum 0 is plain SGD', () => {
    const state = { buf: new Float32Array(1), steps: 0, mean: new Float32Array(1) };
    const p = Float32Array.of(1);
    nesterovStep(p, Float32Array.of(0.5), state, 0.2, 0);
    nesterovStep(p, Float32Array.of(0.5), state, 0.2, 0);
    expect(p[0]).to.be.closeTo(0.8, 1e-7);
  });

  it('sends bf16 pseudo-gradients rounded to nearest even and decodes them to fp32', () => {
    const comm = createDilocoCommunicator(layout, { method: 'diloco', wireDtype: 'bf16', momentum: 0, outerLr: 1 });
    const delta = Float32Array.of(1 + 2 ** -8, 1 + 3 * 2 ** -8); // both exact halves
    const bytes = comm.encode({}, delta);
    expect(bytes.length).to.equal(16 + 4);
    const params = new Float32Array(2);
    comm.apply(params, comm.createSharedState(), [{ peerUid: 0, bytes }]);
    expect([...params]).to.deep.equal([-1, -(1 + 2 ** -6)]);
    expect(params[0]).to.equal(-roundToBf16(delta[0]!));
  });

  it('validates its configuration', () => {
    expect(() => createDilocoCommunicator(layout, { method: 'diloco', momentum: 1 })).to.throw(ConfigError, /diloco.momentum/);
    expect(() => createDilocoCommunicator(layout, { method: 'diloco', outerLr: 0 })).to.throw(ConfigError, /diloco.outerLr/);
    expect(() => createDilocoCommunicator(layout, { method: 'diloco', wireDtype: 'fp16' as 'fp32' })).to.throw(ConfigError, /wireDtype/);
  });
});
