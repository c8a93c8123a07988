import { expect } from 'chai';
import { runGpuBench } from '../../bench/gpu.ts';
import type { ModuleImporter } from '../../backends/tfjs/engine.ts';

/** The GPU packages reported missing, so the no-GPU path runs on any host. */
const withoutGpuPackages: ModuleImporter = (specifier) =>
  specifier === 'webgpu' || specifier.startsWith('@tensorflow/tfjs-node') ? Promise.reject(Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' })) : import(specifier);

describe('bench: the gpu group', () => {
  it('with no GPU engine, measures nothing and says why for each engine', async function () {
    this.timeout(30_000);
    const lines: string[] = [];
    const rows = await runGpuBench((line) => lines.push(line), { importModule: withoutGpuPackages });
    expect(rows).to.deep.equal([]);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.contain('no GPU engine loads on this machine').and.contain('tfjs-node-gpu: @tensorflow/tfjs-node-gpu could not be loaded').and.contain("webgpu: @tensorflow/tfjs-backend-webgpu could not be loaded (ERR_MODULE_NOT_FOUND: Cannot find package 'webgpu'");
  });
});
