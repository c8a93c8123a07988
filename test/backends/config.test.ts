import { expect } from 'chai';
import { ConfigError } from '../../core/errors.ts';
import { mlpLayout } from '../../backends/surrogate/model.ts';
import { resolveSurrogateConfig } from '../../backends/surrogate/backend.ts';
import { BACKEND_KINDS, ENGINE_KINDS, checkRunFitsBackend, knownShapeOf, resolveBackendConfig, surrogateOptionsOf, tfjsOptionsOf } from '../../backends/index.ts';
import type { BackendConfig, BackendInput } from '../../backends/index.ts';

describe('backends/config: the backend section', () => {
  it('defaults to the surrogate, and a section without kind keeps meaning the surrogate', () => {
    expect(resolveBackendConfig({})).to.deep.equal({ kind: 'surrogate' });
    expect(resolveBackendConfig({ hiddenDim: 8, batchSize: 4 })).to.deep.equal({ kind: 'surrogate', hiddenDim: 8, batchSize: 4 });
    expect(resolveBackendConfig({ kind: 'surrogate', hiddenDim: 8 })).to.deep.equal({ kind: 'surrogate', hiddenDim: 8 });
  });

  it('fills engine "auto" for tfjs, keeps a given engine, and is idempotent', () => {
    const cfg = resolveBackendConfig({ kind: 'tfjs' });
    expect(cfg).to.deep.equal({ kind: 'tfjs', engine: 'auto' });
    expect(resolveBackendConfig(cfg as BackendInput)).to.deep.equal(cfg);
    for (const engine of ENGINE_KINDS) expect(resolveBackendConfig({ kind: 'tfjs', engine })).to.deep.equal({ kind: 'tfjs', engine });
    const surrogate = resolveBackendConfig({ hiddenDim: 4 });
    expect(resolveBackendConfig(surrogate as BackendInput)).to.deep.equal(surrogate);
  });

  it('rejects a bad kind, engine or option with a ConfigError naming the key, the value and the rule', () => {
    const bad = (backend: unknown) => () => resolveBackendConfig(backend as BackendInput);
    expect(bad({ kind: 'torch' })).to.throw(ConfigError, /backend\.kind \("torch"\) must be one of surrogate, tfjs/);
    expect(bad({ kind: 'tfjs', engine: 'tpu' })).to.throw(ConfigError, /backend\.engine \("tpu"\) must be one of auto, gpu, webgpu, cpu, wasm/);
    expect(bad({ kind: 'tfjs', hiddenDim: 64 })).to.throw(ConfigError, /backend\.hiddenDim \(64\) is not a tfjs backend option \(expected one of kind, engine, model, batchSize, numShards, heldoutFraction, heldoutWindows, shardEvalWindows, evalBatchSize, text, adamw, schedule\)/);
    expect(bad({ kind: 'tfjs', model: { dmodel: 8 } })).to.throw(ConfigError, /backend\.model\.dmodel \(8\) is not a GPT shape field \(expected one of contextLength, dModel, numLayers, numHeads, mlpRatio, tiedEmbeddings\)/);
    expect(bad({ kind: 'tfjs', model: 3 })).to.throw(ConfigError, /backend\.model \(3\) must be an object/);
    expect(bad({ hiddenDim: 8, engine: 'wasm' })).to.throw(ConfigError, /backend\.engine \("wasm"\) is a tfjs option/);
    expect(bad('tfjs')).to.throw(ConfigError, /backend \("tfjs"\) must be an object/);
    expect(bad(null)).to.throw(ConfigError, /backend \(null\) must be an object/);
    expect(bad([])).to.throw(ConfigError, /must be an object/);
  });

  it('names the same kinds in BACKEND_KINDS as the sections it accepts', () => {
    expect([...BACKEND_KINDS]).to.deep.equal(['surrogate', 'tfjs']);
    for (const kind of BACKEND_KINDS) expect(resolveBackendConfig({ kind } as BackendInput).kind).to.equal(kind);
  });

  it('strips kind (and engine) to give each backend its own options', () => {
    const surrogate = resolveBackendConfig({ hiddenDim: 8 }) as BackendConfig & { kind: 'surrogate' };
    expect(surrogateOptionsOf(surrogate)).to.deep.equal({ hiddenDim: 8 });
    const tfjs = resolveBackendConfig({ kind: 'tfjs', engine: 'cpu', batchSize: 2 }) as BackendConfig & { kind: 'tfjs' };
    expect(tfjsOptionsOf(tfjs)).to.deep.equal({ batchSize: 2 });
  });
});

describe('backends/config: a run against its backend shape', () => {
  it('knows the surrogate shape from its options, and no tfjs shape before the model is built', () => {
    const shape = knownShapeOf(resolveBackendConfig({ hiddenDim: 8, numShards: 12 }))!;
    const expected = resolveSurrogateConfig({ hiddenDim: 8, numShards: 12 });
    expect(shape.numShards).to.equal(12);
    expect(shape.layout).to.deep.equal(mlpLayout(expected.model));
    expect(knownShapeOf(resolveBackendConfig({ kind: 'tfjs' }))).to.equal(null);
  });

  it('rejects a bad surrogate option while reading the shape', () => {
    expect(() => knownShapeOf(resolveBackendConfig({ hiddenDim: -1 }))).to.throw(ConfigError, /hiddenDim \(-1\) must be an integer ≥ 0/);
  });

  it('checks shardsPerPeer against the shards and the communicator config against the layout', () => {
    const shape = knownShapeOf(resolveBackendConfig({ hiddenDim: 8, numShards: 12 }))!;
    expect(() => checkRunFitsBackend(shape, 12, { method: 'sparseloco' })).to.not.throw();
    expect(() => checkRunFitsBackend(shape, 13, { method: 'sparseloco' })).to.throw(ConfigError, /shardsPerPeer \(13\) must be ≤ the backend's numShards \(12\)/);
    const typo = { method: 'sparseloco', topk: 4 } as unknown as Parameters<typeof checkRunFitsBackend>[2];
    expect(() => checkRunFitsBackend(shape, 1, typo)).to.throw(ConfigError, /optim\.topk \(4\) is not an option of sparseloco/);
  });
});
