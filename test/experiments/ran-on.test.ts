import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXPERIMENTS } from '../../experiments/catalog/index.ts';
import { writeResults } from '../../experiments/results.ts';
import { ranOn, runExperiment } from '../../experiments/runner.ts';

describe('results folders record where a tfjs run ran', () => {
  it('config.resolved.json names the engine and the device it reported; surrogate runs have no ranOn', async function () {
    this.timeout(120_000);
    const exp = EXPERIMENTS.get('fidelity')!;
    const run = await runExperiment(exp, { extra: { ...exp.tiny, 'backend.engine': 'wasm' } });
    const where = ranOn(run.outcomes);
    expect(where).to.have.length(run.tasks.length);
    expect(where[0]!.engine).to.equal('wasm');
    expect(where[0]!.backend).to.equal('tfjs-gpt');
    expect(where[0]!.device).to.match(/^host CPU: .+ \(wasm\)$/);
    const out = mkdtempSync(join(tmpdir(), 'ran-on-'));
    try {
      await writeResults({ outDir: out, experiment: exp, tasks: run.tasks, rows: run.rows, overrides: exp.tiny, ranOn: where });
      const config = JSON.parse(readFileSync(join(out, 'config.resolved.json'), 'utf8')) as { runs: { ranOn?: unknown }[] };
      expect(config.runs[0]!.ranOn).to.deep.equal(where[0]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    const surrogate = EXPERIMENTS.get('churn-30pct')!;
    const plain = await runExperiment(surrogate, { extra: surrogate.tiny, seeds: [1] });
    expect(ranOn(plain.outcomes).every((r) => r === null)).to.equal(true);
  });
});
