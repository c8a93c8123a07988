import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { prepareBackend, prepareSurrogateBackend, resolveBackendConfig } from '../../backends/index.ts';
import type { BackendConfig } from '../../backends/index.ts';
import { createSurrogateBackend } from '../../backends/surrogate/backend.ts';
import { createRng } from '../../core/rng.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Runs `body` in a fresh Node process (this one has loaded tfjs for other tests) and reports
 * whether tfjs-core was loaded before and after it: tfjs-core creates `globalThis._tfengine` when
 * its module is first evaluated.
 */
async function tfjsLoadedAround(body: string): Promise<{ before: boolean; after: boolean }> {
  const url = (path: string) => JSON.stringify(new URL(path, `file://${REPO}/`).href);
  const script = `
    const backends = await import(${url('backends/index.ts')});
    const sim = await import(${url('sim/run.ts')});
    const before = '_tfengine' in globalThis;
    ${body}
    process.stdout.write(JSON.stringify({ before, after: '_tfengine' in globalThis }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO });
  return JSON.parse(stdout) as { before: boolean; after: boolean };
}

const SURROGATE_RUN = `
  const net = { uplinkMbps: { kind: 'fixed', value: 100 }, downlinkMbps: { kind: 'fixed', value: 100 },
                latencyMs: { kind: 'fixed', value: 10 }, store: { ingressMbps: 1e4, egressMbps: 1e4, latencyMs: 0 } };
  const result = await sim.runSimulationAsync({ seed: 1, peers: 2, rounds: 1, innerSteps: 1, windowS: 60, optim: { method: 'sparseloco' }, net });
  if (result.rows.length !== 1) throw new Error('the surrogate run gave ' + result.rows.length + ' rows');
  await backends.prepareBackend(backends.resolveBackendConfig({ hiddenDim: 4 }));
`;

describe('backends/index: the front door', () => {
  it('loads no tfjs for a surrogate-only run through the front door and the simulator', async function () {
    this.timeout(60_000);
    expect(await tfjsLoadedAround(SURROGATE_RUN)).to.deep.equal({ before: false, after: false });
  });

  it('loads tfjs on the first selectEngine through the front door (so the probe above can fail)', async function () {
    this.timeout(60_000);
    expect(await tfjsLoadedAround(`await backends.selectEngine('cpu');`)).to.deep.equal({ before: false, after: true });
  });

  it('prepares the surrogate synchronously, building the same backend as createSurrogateBackend', async () => {
    const config = resolveBackendConfig({ hiddenDim: 4 }) as BackendConfig & { kind: 'surrogate' };
    const prepared = await prepareBackend(config);
    expect(prepared.engine).to.equal(null);
    expect(prepared.config).to.equal(config);
    const built = prepared.create(createRng(3));
    const direct = createSurrogateBackend(createRng(3), { hiddenDim: 4 });
    expect(built.name).to.equal('surrogate-mlp');
    expect(built.layout).to.deep.equal(direct.layout);
    expect(built.initParams(createRng(5))).to.deep.equal(direct.initParams(createRng(5)));
    expect(prepareSurrogateBackend(config).engine).to.equal(null);
  });

  it('prepares a tfjs section on the engine it names', async function () {
    this.timeout(30_000);
    const prepared = await prepareBackend(resolveBackendConfig({ kind: 'tfjs', engine: 'wasm', model: { contextLength: 8, dModel: 8, numLayers: 1, numHeads: 1 } }));
    expect(prepared.engine).to.equal('wasm');
    expect(prepared.create(createRng(1)).name).to.equal('tfjs-gpt');
  });
});
