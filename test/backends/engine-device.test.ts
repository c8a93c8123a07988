import { expect } from 'chai';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs';
import { prepareBackend, resolveBackendConfig } from '../../backends/index.ts';
import { hostCpuDevice, listNvidiaGpus, nativeGpuDevice, webgpuAdapterDevice } from '../../backends/tfjs/device.ts';
import { EngineUnavailableError, NoGpuError, selectEngine } from '../../backends/tfjs/engine.ts';
import type { ModuleImporter } from '../../backends/tfjs/engine.ts';

/** A Dawn module whose only adapter is `adapter` (null: none), for the refusal paths. */
function dawnWith(adapter: object | null): ModuleImporter {
  return (specifier) => (specifier === 'webgpu' ? Promise.resolve({ create: () => ({ requestAdapter: async () => adapter }), globals: {} }) : import(specifier));
}

/** tfjs-node-gpu as its binding reports itself, on the pure-JS kernels (the flags are what is checked). */
function nativeWith(flags: { isGPUPackage: boolean; isUsingGpuDevice: boolean }): ModuleImporter {
  return async (specifier) => {
    if (!specifier.startsWith('@tensorflow/tfjs-node')) return import(specifier);
    tf.registerBackend('tensorflow', () => Object.assign(new MathBackendCPU(), flags));
    return {};
  };
}

describe('tfjs engines: the device check', () => {
  afterEach(async () => {
    if (tf.findBackendFactory('tensorflow') !== null) tf.removeBackend('tensorflow');
    await tf.setBackend('cpu');
  });

  it("'webgpu' on this machine fails fast with NoGpuError naming the missing adapter (or names the adapter a GPU host has)", async function () {
    this.timeout(30_000);
    const result = await selectEngine('webgpu').then(
      (engine) => engine,
      (err: unknown) => err,
    );
    if (result instanceof Error) {
      expect(result).to.be.instanceOf(NoGpuError);
      const error = result as NoGpuError;
      expect(error.engine).to.equal('webgpu');
      expect(error.probe).to.contain('requestAdapter').and.contain('returned null');
      expect(error.message).to.contain('libvulkan.so.1');
    } else {
      expect((result as { device: { kind: string } }).device.kind).to.equal('gpu');
    }
  });

  it('prepareBackend with engine webgpu rejects the same way (what --set backend.engine=webgpu does)', async function () {
    this.timeout(30_000);
    const error = await prepareBackend(resolveBackendConfig({ kind: 'tfjs', engine: 'webgpu' })).then(
      () => null,
      (err: unknown) => err,
    );
    // By name: the front door loads engine.ts lazily, which under mocha's CommonJS loading of this
    // file is a second instance of the module (so instanceof would compare two NoGpuError classes).
    if (error !== null) {
      expect((error as Error).name).to.equal('NoGpuError');
      expect((error as NoGpuError).reason).to.contain('requestAdapter');
    }
  });

  it('refuses a software WebGPU adapter (Dawn fallback, SwiftShader) instead of labelling it GPU', async () => {
    const fallback = { info: { vendor: 'google', architecture: '', device: '', description: 'SwiftShader Device (Subzero)', isFallbackAdapter: true }, features: new Set(), limits: {} };
    const error = await selectEngine('webgpu', { importModule: dawnWith(fallback), inThread: true }).catch((err: unknown) => err);
    expect(error).to.be.instanceOf(NoGpuError);
    expect((error as NoGpuError).probe).to.contain('software').and.contain('SwiftShader');
    const none = await selectEngine('webgpu', { importModule: dawnWith(null), inThread: true }).catch((err: unknown) => err);
    expect((none as NoGpuError).probe).to.contain('returned null');
  });

  it("'gpu': tfjs-node-gpu whose libtensorflow lists no GPU device is a NoGpuError, not a CPU run labelled GPU", async () => {
    const error = await selectEngine('gpu', { importModule: nativeWith({ isGPUPackage: true, isUsingGpuDevice: false }) }).catch((err: unknown) => err);
    expect(error).to.be.instanceOf(NoGpuError);
    expect((error as NoGpuError).probe).to.contain('listed no GPU device');
  });

  it("'gpu': the CPU package's backend under the 'tensorflow' name is refused too", async () => {
    const error = await selectEngine('gpu', { importModule: nativeWith({ isGPUPackage: false, isUsingGpuDevice: false }) }).catch((err: unknown) => err);
    expect(error).to.be.instanceOf(NoGpuError);
    expect((error as NoGpuError).probe).to.contain('@tensorflow/tfjs-node');
  });

  it("'gpu' with a GPU device names the physical GPUs nvidia-smi lists", async () => {
    const runCommand = (file: string) => {
      expect(file).to.equal('nvidia-smi');
      return 'NVIDIA H200, 143771 MiB, 570.86.15\n';
    };
    const engine = await selectEngine('gpu', { importModule: nativeWith({ isGPUPackage: true, isUsingGpuDevice: true }), runCommand });
    expect(engine.name).to.equal('tfjs-node-gpu');
    expect(engine.device.kind).to.equal('gpu');
    expect(engine.device.label).to.equal('NVIDIA H200, 143771 MiB, driver 570.86.15 (libtensorflow, CUDA)');
  });

  it("'auto' skips a tfjs-node-gpu without a GPU device and records why", async function () {
    this.timeout(30_000);
    const native = nativeWith({ isGPUPackage: true, isUsingGpuDevice: false });
    const importModule: ModuleImporter = (s) => (s === '@tensorflow/tfjs-node' ? Promise.reject(new Error('not installed')) : native(s));
    const engine = await selectEngine('auto', { importModule });
    expect(engine.name).to.equal('wasm');
    expect(engine.attempts[0]!.engine).to.equal('tfjs-node-gpu');
    expect(engine.attempts[0]!.error).to.contain('no GPU found');
  });

  it('device labels: adapter fields, software adapters refused, GPUs unnamed without nvidia-smi, host CPU', () => {
    const hopper = webgpuAdapterDevice({ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200' });
    expect(hopper).to.deep.equal({ kind: 'gpu', label: 'nvidia hopper NVIDIA H200 (WebGPU adapter, Dawn)', info: { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200' } });
    expect(webgpuAdapterDevice({ vendor: 'mesa', architecture: '', device: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).to.equal(null);
    expect(webgpuAdapterDevice({ vendor: 'nvidia', architecture: 'hopper', device: '', description: '' }, true)).to.equal(null);
    expect(listNvidiaGpus(() => {
      throw Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' });
    })).to.equal(null);
    expect(listNvidiaGpus(() => 'NVIDIA B200, 183359 MiB, 575.51\nNVIDIA B200, 183359 MiB, 575.51\n')).to.have.length(2);
    expect(nativeGpuDevice(null).label).to.contain('unnamed');
    const cpu = hostCpuDevice('wasm');
    expect(cpu.kind).to.equal('cpu');
    expect(cpu.label).to.match(/^host CPU: .+ × \d+ \(wasm\)$/);
  });

  it('NoGpuError is an EngineUnavailableError (callers that catch the latter still catch it)', () => {
    const error = new NoGpuError('webgpu', 'webgpu', 'probe text', 'hint.');
    expect(error).to.be.instanceOf(EngineUnavailableError);
    expect(error.reason).to.equal('no GPU found: probe text');
    expect(error.message).to.equal('tfjs engine "webgpu" is unavailable: no GPU found: probe text. hint.');
  });
});
