import { expect } from 'chai';
import { ConfigError } from '../../core/errors.ts';
import { EXPERIMENTS } from '../../experiments/catalog/index.ts';
import { armConfig } from '../../experiments/define.ts';
import { metricRows, runExperiment } from '../../experiments/runner.ts';
import { resolveSimConfig } from '../../sim/config.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { prepareBackend } from '../../backends/index.ts';
import { runSimulation, runSimulationAsync } from '../../sim/run.ts';

const NET = {
  uplinkMbps: { kind: 'fixed', value: 100 },
  downlinkMbps: { kind: 'fixed', value: 500 },
  latencyMs: { kind: 'uniform', min: 10, max: 50 },
  store: { ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 5 },
} as const;

/** A tiny tfjs run: 3 peers × 2 rounds × H = 2 of a 1-layer, 16-wide GPT with context 16. */
function tfjsConfig(overrides: Partial<SimConfigInput> = {}, engine: 'cpu' | 'wasm' = 'wasm'): SimConfigInput {
  return {
    seed: 11,
    peers: 3,
    rounds: 2,
    innerSteps: 2,
    windowS: 60,
    optim: { method: 'sparseloco' },
    net: NET,
    backend: { kind: 'tfjs', engine, model: { contextLength: 16, dModel: 16, numLayers: 1, numHeads: 2 }, batchSize: 4, heldoutWindows: 8 },
    ...overrides,
  };
}

describe('sim: backend selection', () => {
  it('defaults to the surrogate, and a config without kind keeps meaning the surrogate', () => {
    const base = tfjsConfig();
    expect(resolveSimConfig({ ...base, backend: undefined }).backend).to.deep.equal({ kind: 'surrogate' });
    expect(resolveSimConfig({ ...base, backend: { hiddenDim: 8, batchSize: 4 } }).backend).to.deep.equal({ kind: 'surrogate', hiddenDim: 8, batchSize: 4 });
    const withKind = runSimulation({ ...base, backend: { kind: 'surrogate', hiddenDim: 8 } });
    const without = runSimulation({ ...base, backend: { hiddenDim: 8 } });
    expect(JSON.stringify(withKind.rows)).to.equal(JSON.stringify(without.rows));
    expect(without.backend).to.deep.equal({ name: 'surrogate-mlp', engine: null, device: null });
  });

  it('resolves its backend section with backends/ (test/backends/config.test.ts has the rules)', () => {
    const cfg = resolveSimConfig({ ...tfjsConfig(), backend: { kind: 'tfjs' } });
    expect(cfg.backend).to.deep.equal({ kind: 'tfjs', engine: 'auto' });
    expect(resolveSimConfig(cfg)).to.deep.equal(cfg);
    expect(() => resolveSimConfig({ ...tfjsConfig(), backend: { kind: 'tfjs', hiddenDim: 64 } as SimConfigInput['backend'] })).to.throw(ConfigError, /backend\.hiddenDim \(64\) is not a tfjs backend option/);
    expect(() => resolveSimConfig({ ...tfjsConfig(), shardsPerPeer: 300, backend: {} })).to.throw(ConfigError, /shardsPerPeer \(300\) must be ≤ the backend's numShards \(256\)/);
  });

  it('runSimulation (synchronous) asks for a prepared backend for tfjs, and checks that it matches', async () => {
    expect(() => runSimulation(tfjsConfig())).to.throw(ConfigError, /backend\.kind .* runSimulationAsync/);
    const prepared = await prepareBackend(resolveSimConfig(tfjsConfig()).backend);
    expect(() => runSimulation(tfjsConfig({}, 'cpu'), { backend: prepared })).to.throw(ConfigError, /backend \(.*\) must equal the section options\.backend was prepared for/);
    expect(runSimulation(tfjsConfig({ rounds: 1 }), { backend: prepared }).rows).to.have.length(1);
  });

  it('checks shardsPerPeer against the tfjs backend once it is built', async () => {
    await runSimulationAsync(tfjsConfig({ shardsPerPeer: 65 })).then(
      () => expect.fail('should have thrown'),
      (error: unknown) => expect(error).to.be.instanceOf(ConfigError).with.property('message').that.matches(/shardsPerPeer \(65\) must be ≤ the backend's numShards \(64\)/),
    );
  });
});

describe('sim: tfjs backend runs', () => {
  it('gives identical rows and final params for the same (config, seed) on wasm, different for another seed', async function () {
    this.timeout(30_000);
    const a = await runSimulationAsync(tfjsConfig());
    const b = await runSimulationAsync(tfjsConfig());
    expect(a.backend).to.include({ name: 'tfjs-gpt', engine: 'wasm' });
    expect(a.backend.device).to.match(/^host CPU: .+ \(wasm\)$/);
    expect(a.rows).to.have.length(2);
    expect(JSON.stringify(b.rows)).to.equal(JSON.stringify(a.rows));
    expect(b.finalParamsHash).to.equal(a.finalParamsHash);
    for (const row of a.rows) {
      expect(row.onTime).to.equal(3);
      expect(row.bytesUpTotal).to.be.greaterThan(0);
      // At init the loss is near ln(vocab) = ln 63 ≈ 4.14 nats/token.
      expect(row.heldoutLoss).to.be.within(3.5, 4.5);
    }
    const other = await runSimulationAsync(tfjsConfig({ seed: 12 }));
    expect(other.finalParamsHash).to.not.equal(a.finalParamsHash);
  });

  it('is deterministic on the pure-JS cpu engine too, and agrees with wasm to fp32 rounding', async function () {
    this.timeout(60_000);
    const small = { peers: 2, rounds: 1 };
    const a = await runSimulationAsync(tfjsConfig(small, 'cpu'));
    const b = await runSimulationAsync(tfjsConfig(small, 'cpu'));
    expect(a.backend.engine).to.equal('cpu');
    expect(JSON.stringify(b.rows)).to.equal(JSON.stringify(a.rows));
    const wasm = await runSimulationAsync(tfjsConfig(small, 'wasm'));
    expect(wasm.rows[0]!.heldoutLoss).to.be.closeTo(a.rows[0]!.heldoutLoss, 1e-3);
    expect(wasm.rows[0]!.bytesUpTotal).to.equal(a.rows[0]!.bytesUpTotal);
  });
});

describe('experiments: tfjs runs', () => {
  it('tags tfjs metric rows with backend and engine, and gives the same rows on worker threads', async function () {
    this.timeout(60_000);
    const exp = EXPERIMENTS.get('churn-30pct-tfjs')!;
    const serial = await runExperiment(exp, { seeds: [1], extra: exp.tiny, jobs: 1 });
    expect(serial.rows[0]).to.include({ backend: 'tfjs-gpt', engine: 'wasm', arm: 'no churn' });
    const parallel = await runExperiment(exp, { seeds: [1], extra: exp.tiny, jobs: 2 });
    expect(JSON.stringify(parallel.rows)).to.equal(JSON.stringify(serial.rows));
    // Surrogate rows carry no engine column.
    const surrogate = EXPERIMENTS.get('churn-30pct')!;
    const { outcomes } = await runExperiment(surrogate, { seeds: [1], extra: surrogate.tiny });
    expect(metricRows(surrogate.id, outcomes)[0]).to.not.have.property('engine');
  });

  it('switches churn-30pct to tfjs with --set backend={"kind":"tfjs"}, not with a leftover surrogate key', () => {
    const exp = EXPERIMENTS.get('churn-30pct')!;
    expect(() => armConfig(exp, exp.arms[0]!, 1, { 'backend.kind': 'tfjs' })).to.throw(ConfigError, /backend\.hiddenDim \(64\) is not a tfjs backend option/);
    const config = armConfig(exp, exp.arms[1]!, 1, { backend: { kind: 'tfjs', engine: 'wasm' } });
    expect(resolveSimConfig(config).backend).to.deep.equal({ kind: 'tfjs', engine: 'wasm' });
  });
});
