import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../core/errors.ts';
import { resolveFileInputs } from '../../experiments/inputs.ts';
import { EXPERIMENTS } from '../../experiments/catalog/index.ts';
import { runExperiment } from '../../experiments/runner.ts';

const TRACE = fileURLToPath(new URL('../../experiments/traces/example.csv', import.meta.url));

describe('experiments/inputs', () => {
  it('replaces a trace file reference by its CSV text', () => {
    const out = resolveFileInputs({ peers: 4, churn: { availability: { kind: 'trace', file: TRACE } } });
    expect(out.churn.availability).to.not.have.property('file');
    expect((out.churn.availability as unknown as { csv: string }).csv).to.include('2,400,inf');
  });

  it('leaves configs without file inputs untouched', () => {
    const config = { peers: 4, churn: { availability: { kind: 'always' } } };
    expect(resolveFileInputs(config)).to.equal(config);
  });

  it('names the bad path', () => {
    expect(() => resolveFileInputs({ churn: { availability: { kind: 'trace', file: '/nope/missing.csv' } } })).to.throw(ConfigError, 'churn.availability.file ("/nope/missing.csv") must name a readable file');
  });

  it('replays a CSV availability trace in a run: peer 2 leaves and comes back, peer 3 joins late', async () => {
    const exp = EXPERIMENTS.get('churn-30pct')!;
    const arm = { ...exp.arms[0]!, set: { 'churn.availability': { kind: 'trace', file: TRACE } } };
    const { rows } = await runExperiment({ ...exp, arms: [arm] }, { seeds: [1], extra: { peers: 4, rounds: 8, innerSteps: 2, windowS: 60 } });
    const active = rows.map((r) => r.activePeers);
    expect(active[0]).to.equal(3); // peers 0, 1, 2 (3 arrives at 100 s)
    expect(Math.min(...active)).to.be.lessThan(4);
    expect(active[active.length - 1]).to.equal(4); // everyone online after 400 s
  });
});
