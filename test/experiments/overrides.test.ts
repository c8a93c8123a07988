import { expect } from 'chai';
import { ConfigError } from '../../core/errors.ts';
import { applyOverrides, configPaths, nearestKey, parseSetFlags } from '../../experiments/overrides.ts';

describe('experiments/overrides', () => {
  const base = { peers: 20, optim: { method: 'sparseloco', topK: 64, quantBits: 2 }, net: { store: { latencyMs: 20 } } };

  it('parses key=value with JSON values and plain strings', () => {
    expect(parseSetFlags(['peers=500', 'optim.method=diloco', 'optim.quantBits=null', 'churn={"availability":{"kind":"always"}}'])).to.deep.equal({
      peers: 500,
      'optim.method': 'diloco',
      'optim.quantBits': null,
      churn: { availability: { kind: 'always' } },
    });
    expect(() => parseSetFlags(['peers'])).to.throw(ConfigError, /must look like key=value/);
  });

  it('applies nested overrides to a copy', () => {
    const out = applyOverrides(base, { peers: 5, 'optim.topK': 32, 'net.store.latencyMs': 1 }, 'test');
    expect(out).to.deep.equal({ peers: 5, optim: { method: 'sparseloco', topK: 32, quantBits: 2 }, net: { store: { latencyMs: 1 } } });
    expect(base.peers).to.equal(20);
  });

  it('accepts documented optional fields and creates optional sections', () => {
    const out = applyOverrides(base, { 'optim.outerLr': 0.5, 'backend.hiddenDim': 8 }, 'test');
    expect(out.optim).to.include({ outerLr: 0.5 });
    expect(out.backend).to.deep.equal({ hiddenDim: 8 });
    const windowed = applyOverrides(base, { transport: 'store', 'windows.blocksPerWindow': 125, 'windows.uploadDeadlineS': 70 }, 'test');
    expect(windowed).to.include({ transport: 'store' });
    expect(windowed.windows).to.deep.equal({ blocksPerWindow: 125, uploadDeadlineS: 70 });
  });

  it('rejects a type change, naming the key, the value and the expected type', () => {
    expect(() => applyOverrides(base, { peers: 'many' }, '--set')).to.throw(ConfigError, 'peers ("many") must be a number like the current value 20 (from --set)');
    expect(applyOverrides(base, { 'optim.quantBits': null }, 't').optim).to.include({ quantBits: null });
  });

  it('rejects unknown keys and suggests the nearest', () => {
    expect(() => applyOverrides(base, { 'optim.topk': 5 }, '--set')).to.throw(ConfigError, /did you mean "optim.topK"/);
    expect(() => applyOverrides(base, { 'peers.count': 5 }, '--set')).to.throw(ConfigError, /did you mean "peers"/);
    expect(() => applyOverrides(base, { zzzzzzzzzz: 5 }, '--set')).to.throw(ConfigError, /is not a config key \(from --set\)$/);
  });

  it('lists every dotted path and finds near keys', () => {
    expect(configPaths(base)).to.include.members(['peers', 'optim', 'optim.topK', 'net.store.latencyMs']);
    expect(nearestKey('churn30', ['churn-30pct', 'baselines'])).to.equal('churn-30pct');
    expect(nearestKey('qqqqqqqq', ['churn-30pct'])).to.equal(null);
  });
});
