import { expect } from 'chai';
import { innerStepSeconds } from '../../core/compute-model.ts';
import { createRng } from '../../core/rng.ts';
import { createSurrogateBackend } from '../../backends/surrogate/backend.ts';
import { resolveSimConfig } from '../../sim/config.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { createSimContext } from '../../sim/context.ts';
import { runSimulation } from '../../sim/run.ts';
import { configError, FIXED_NET } from './helpers.ts';

const COMPUTE = { params: 72.7e9, tokensPerStep: 192 * 2048, device: 'B200', gpusPerPeer: 8 } as const;

function config(overrides: Partial<SimConfigInput> = {}): SimConfigInput {
  return { seed: 4, peers: 4, rounds: 2, innerSteps: 3, windowS: 1e6, stepTimeS: { kind: 'uniform', min: 0.5, max: 2 }, optim: { method: 'sparseloco' }, net: FIXED_NET, ...overrides };
}

function stepTimes(input: SimConfigInput): number[] {
  const cfg = resolveSimConfig(input);
  const backend = createSurrogateBackend(createRng(cfg.seed).fork('backend'));
  return createSimContext(cfg, backend, createRng(cfg.seed)).population.peers.map((p) => p.stepTimeS);
}

describe('sim/config: opt-in compute model', () => {
  it('is absent from a default resolved config (default configs and their JSON unchanged)', () => {
    expect(Object.keys(resolveSimConfig(config()))).to.not.include('compute');
  });

  it('multiplies each peer\'s stepTimeS draw (now a heterogeneity factor) by the modelled step', () => {
    const modelled = innerStepSeconds({ params: COMPUTE.params, tokens: COMPUTE.tokensPerStep, device: 'B200', gpusPerPeer: 8 });
    const resolved = resolveSimConfig(config({ compute: COMPUTE }));
    expect(resolved.compute!.innerStepS).to.equal(modelled);
    expect(resolved.compute!.source).to.match(/HGX B200/);
    const plain = stepTimes(config());
    const modelledTimes = stepTimes(config({ compute: COMPUTE }));
    // Same draws, same stream: every peer's time scales by exactly the modelled step.
    expect(modelledTimes).to.deep.equal(plain.map((s) => s * modelled));
    expect(new Set(plain).size, 'heterogeneous draws').to.equal(plain.length);
  });

  it('a run with the compute model equals a run whose fixed stepTimeS is the modelled step (rows identical)', () => {
    const compute = { ...COMPUTE, mfu: 0.5 };
    const modelled = innerStepSeconds({ params: COMPUTE.params, tokens: COMPUTE.tokensPerStep, device: 'B200', gpusPerPeer: 8, mfu: 0.5 });
    const base = { closeWhenComplete: true, windowS: 1e4 };
    const withModel = runSimulation(config({ ...base, stepTimeS: { kind: 'fixed', value: 1 }, compute })).rows;
    const asConstant = runSimulation(config({ ...base, stepTimeS: { kind: 'fixed', value: modelled } })).rows;
    expect(withModel).to.deep.equal(asConstant);
    // The round really waited for H = 3 modelled steps (≈ 19.1 s each at MFU 0.5 → ≈ 57 s).
    expect(withModel[0]!.simTimeS).to.be.greaterThan(3 * modelled);
  });

  it('rejects a bad compute section naming the key', () => {
    expect(configError(() => resolveSimConfig(config({ compute: { ...COMPUTE, device: 'B300' } }))).key).to.equal('compute.device');
    expect(configError(() => resolveSimConfig(config({ compute: { ...COMPUTE, mfu: 0 } }))).key).to.equal('compute.mfu');
    expect(configError(() => resolveSimConfig(config({ compute: { ...COMPUTE, gpus: 8 } as never }))).key).to.equal('compute.gpus');
  });
});
