import { expect } from 'chai';
import { ConfigError } from '../../core/errors.ts';
import { DEFAULT_MFU, DEVICE_TABLE, evaluationSeconds, innerStepSeconds, peerFlops, resolveComputeModel, resolveDeviceTable } from '../../core/compute-model.ts';
import type { ComputeModelInput } from '../../core/compute-model.ts';

describe('core/compute-model', () => {
  it('an inner step costs 6·N·tokens / (peak × MFU × GPUs)', () => {
    const s = innerStepSeconds({ params: 1e9, tokens: 1e6, device: 'H100-SXM', gpusPerPeer: 2, mfu: 0.5 });
    expect(s).to.be.closeTo((6 * 1e9 * 1e6) / (989.4e12 * 0.5 * 2), 1e-12);
    // Doubling GPUs halves the step; defaults are 1 GPU and DEFAULT_MFU.
    expect(innerStepSeconds({ params: 1e9, tokens: 1e6, device: 'H100-SXM' })).to.be.closeTo((6e15) / (989.4e12 * DEFAULT_MFU), 1e-9);
  });

  it('evaluation is forward only: one third of a training step on the same tokens', () => {
    const p = { params: 72.7e9, tokens: 192 * 2048, device: 'B200', gpusPerPeer: 8 };
    expect(evaluationSeconds(p) * 3).to.be.closeTo(innerStepSeconds(p), 1e-9);
  });

  it('every device entry names its source; consumer cards are in the table', () => {
    for (const [name, spec] of Object.entries(DEVICE_TABLE)) {
      expect(spec.source, name).to.match(/NVIDIA/);
      expect(spec.peakFlops, name).to.be.greaterThan(1e13);
    }
    expect(DEVICE_TABLE).to.include.keys('H100-SXM', 'H200', 'B200', 'A100-SXM', 'RTX-4090', 'RTX-3090');
  });

  it('a user table overrides or adds devices, validated', () => {
    const table = resolveDeviceTable({ B200: { peakFlops: 2e15, source: 'my measurement' }, 'MI300X': { peakFlops: 1.3e15, source: 'AMD datasheet' } });
    expect(peerFlops({ device: 'B200', table, mfu: 1 })).to.equal(2e15);
    expect(peerFlops({ device: 'MI300X', table, mfu: 1 })).to.equal(1.3e15);
    expect(() => resolveDeviceTable({ X: { peakFlops: -1, source: 's' } })).to.throw(ConfigError, /compute.devices.X.peakFlops \(-1\)/);
    expect(() => resolveDeviceTable({ X: { peakFlops: 1e12, source: '' } })).to.throw(ConfigError, /compute.devices.X.source/);
  });

  it('rejects bad inputs with typed errors naming the value and rule', () => {
    const base = { params: 1e9, tokens: 1e6, device: 'B200' };
    expect(() => innerStepSeconds({ ...base, device: 'B300' })).to.throw(ConfigError, /compute.device \("B300"\) must be one of/);
    expect(() => innerStepSeconds({ ...base, mfu: 1.5 })).to.throw(ConfigError, /compute.mfu \(1.5\) must be in \(0, 1\]/);
    expect(() => innerStepSeconds({ ...base, gpusPerPeer: 0 })).to.throw(ConfigError, /compute.gpusPerPeer \(0\)/);
    expect(() => innerStepSeconds({ ...base, params: 0 })).to.throw(ConfigError, /compute.params/);
    expect(() => evaluationSeconds({ ...base, tokens: Number.NaN })).to.throw(ConfigError, /compute.tokens/);
    expect(() => innerStepSeconds({ ...base, device: 'toString' })).to.throw(ConfigError, /compute.device/);
  });
});

describe('core/compute-model: resolveComputeModel', () => {
  const input = { params: 72.7e9, tokensPerStep: 192 * 2048, device: 'my-card', gpusPerPeer: 8, devices: { 'my-card': { peakFlops: 5e14, source: 'my lab, measured' } } };

  it('is idempotent: a resolved model (user devices included) resolves to itself, as worker threads re-resolve configs', () => {
    const once = resolveComputeModel(input);
    expect(once.innerStepS).to.be.closeTo((6 * 72.7e9 * 192 * 2048) / (5e14 * DEFAULT_MFU * 8), 1e-9);
    expect(resolveComputeModel(once as unknown as ComputeModelInput)).to.deep.equal(once);
  });

  it('rejects a derived field that disagrees with the inputs, naming it', () => {
    const stale = { ...resolveComputeModel(input), mfu: 0.5 };
    expect(() => resolveComputeModel(stale as unknown as ComputeModelInput)).to.throw(ConfigError, /compute\.innerStepS .* is derived from the other compute keys/);
  });
});
