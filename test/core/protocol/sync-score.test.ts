/**
 * The sync check (core/protocol/sync-score.ts, templar v2.1.3 compare_model_with_debug_dict /
 * evaluate_miner_sync): the debug sample, the step-size EMA, and the score of a replica k steps
 * behind — 1 when equal, (1 − k/5)^2.5 falling to 0 at 5 steps.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError } from '../../../core/errors.ts';
import { defineLayout } from '../../../core/layout.ts';
import { StepSizeTracker, TEMPLAR_SYNC, measureSyncScore, syncSampleIndices, syncScoreFromSteps } from '../../../core/protocol/index.ts';

describe('core/protocol/sync-score', () => {
  it("samples elements [10, 12) of every tensor that has them (templar's flatten()[10:12])", () => {
    const layout = defineLayout([{ name: 'w', shape: [4, 8] }, { name: 'b', shape: [4] }, { name: 'v', shape: [11] }]);
    expect(syncSampleIndices(layout)).to.deep.equal([10, 11, 36 + 10]);
    expect(() => syncSampleIndices(layout, 3, 3)).to.throw(ConfigError);
    expect(TEMPLAR_SYNC).to.include({ sampleStart: 10, sampleEnd: 12, scoreCapSteps: 5, scoreExponent: 2.5, maxStepsBehind: 3, stepEmaAlpha: 0.2 });
  });

  it('tracks the step size as the first |Δθ|, then an EMA with weight 0.2', () => {
    const t = new StepSizeTracker([0, 2]);
    expect(t.sizes()).to.equal(null);
    t.observe(Float32Array.of(0, 9, 0), Float32Array.of(1, 9, -2));
    expect([...t.sizes()!]).to.deep.equal([1, 2]);
    t.observe(Float32Array.of(1, 9, -2), Float32Array.of(3, 9, -2));
    expect(t.sizes()![0]).to.be.closeTo(0.8 * 1 + 0.2 * 2, 1e-12);
    expect(t.sizes()![1]).to.be.closeTo(0.8 * 2 + 0.2 * 0, 1e-12);
  });

  it('an equal replica is 0 steps behind and scores 1', () => {
    const g = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i));
    const m = measureSyncScore(g.slice(), g, [3, 10, 11, 30], Float64Array.of(0.01, 0.02, 0.01, 0.5));
    expect(m).to.deep.equal({ avgStepsBehind: 0, maxStepsBehind: 0, score: 1 });
  });

  it('k steps behind gives x = k and a score that falls with k, reaching 0 at 5 (property)', () => {
    let cases = 0;
    let capped = 0;
    fc.assert(fc.property(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 7 }), fc.double({ min: 1e-3, max: 1, noNaN: true }), (k, seed, step) => {
      const g = Float32Array.from({ length: 24 }, (_, i) => Math.cos(i + seed));
      const indices = [1, 5, 9, 13, 17];
      const sizes = Float64Array.from(indices, (_, j) => step * (1 + j / 10));
      const behind = g.slice();
      indices.forEach((i, j) => { behind[i] = g[i]! - k * sizes[j]!; });
      const m = measureSyncScore(behind, g, indices, sizes);
      expect(m.avgStepsBehind).to.be.closeTo(k, 1e-3 * (k + 1));
      expect(m.score).to.be.closeTo(syncScoreFromSteps(Math.min(k, 5)), 1e-3);
      if (k >= 5) capped++;
      cases++;
    }), { numRuns: 200, seed: 12 });
    expect(cases).to.equal(200);
    expect(capped, 'cases at or past the 5-step cap').to.be.greaterThan(20);
    const scores = [0, 0.5, 1, 2, 3, 4, 5].map(syncScoreFromSteps);
    for (let i = 1; i < scores.length; i++) expect(scores[i]).to.be.below(scores[i - 1]!);
    expect(scores[0]).to.equal(1);
    expect(scores[6]).to.equal(0);
    expect(syncScoreFromSteps(1)).to.be.closeTo(0.8 ** 2.5, 1e-15);
  });

  it('takes the lower median (torch), falls back when there is no step size yet, and is infinitely behind on NaN or an empty sample', () => {
    const g = new Float32Array(4);
    const r = Float32Array.of(1, 2, 3, 4);
    expect(measureSyncScore(r, g, [0, 1, 2, 3], Float64Array.of(1, 1, 1, 1)).avgStepsBehind).to.equal(2);
    expect(measureSyncScore(r, g, [0], null, 0.5).avgStepsBehind).to.equal(2);
    expect(measureSyncScore(Float32Array.of(NaN, 0, 0, 0), g, [0], null)).to.deep.equal({ avgStepsBehind: Infinity, maxStepsBehind: Infinity, score: 0 });
    expect(measureSyncScore(r, g, [], null).score).to.equal(0);
    expect(() => measureSyncScore(new Float32Array(3), g, [0], null)).to.throw(ConfigError);
    expect(() => measureSyncScore(r, g, [0, 1], Float64Array.of(1))).to.throw(ConfigError);
  });
});
