import { expect } from 'chai';
import { ConfigError } from '../../../core/errors.ts';
import { pickRandomShards, scoreUpdate } from '../../../core/gauntlet/score.ts';
import { createRng } from '../../../core/rng.ts';
import { compress } from '../../../core/sparseloco/compress.ts';
import { denseCfg, honestDelta, layout, NUM_SHARDS, quadraticLoss } from './fixture.ts';

const params = new Float32Array(layout.size);
const updateOf = (delta: Float32Array) => compress(layout, denseCfg, new Float32Array(layout.size), delta);
const score = (delta: Float32Array, assigned: number[], random: number[]) =>
  scoreUpdate({ layout, cfg: denseCfg, params, update: updateOf(delta), evalLrFactor: 0.2, loss: quadraticLoss, assignedShards: assigned, randomShards: random });

describe('core/gauntlet/score', () => {
  it('measures loss before/after θ − 0.2·α·g on both data sets (slow reference)', () => {
    const delta = honestDelta(params, [2]);
    const s = score(delta, [2], [5]);
    const after = params.map((p, i) => Math.fround(p - Math.fround(Math.fround(0.2 * denseCfg.outerLr) * delta[i]!)));
    expect(s.lossBeforeAssigned).to.equal(quadraticLoss(params, { shards: [2] }));
    expect(s.lossAfterAssigned).to.be.closeTo(quadraticLoss(after, { shards: [2] }), 1e-6);
    expect(s.lossAfterRandom).to.be.closeTo(quadraticLoss(after, { shards: [5] }), 1e-6);
    expect(s.improvementAssigned).to.be.closeTo(s.lossBeforeAssigned - s.lossAfterAssigned, 1e-12);
    expect(s.relativeRandom).to.be.closeTo(s.improvementRandom / s.lossBeforeRandom, 1e-12);
    expect(s.lossScore).to.equal(s.relativeRandom);
  });

  it('an honest update improves its assigned data more than random data (binary +1)', () => {
    for (let a = 0; a < NUM_SHARDS; a++) {
      const r = (a + 3) % NUM_SHARDS;
      const s = score(honestDelta(params, [a]), [a], [r]);
      expect(s.binary, `shard ${a}`).to.equal(1);
      expect(s.improvementAssigned).to.be.greaterThan(s.improvementRandom);
    }
  });

  it('a copy of another peer’s update does not beat random data on the copier’s shards', () => {
    // Peer on shard 0 copies the update trained on shard 1; its own data is shard 0.
    let wins = 0;
    for (let r = 2; r < NUM_SHARDS; r++) if (score(honestDelta(params, [1]), [0], [r]).binary === 1) wins++;
    expect(wins).to.be.lessThan(5); // about a coin flip over 6 random shards, never a sure win
  });

  it('a free-rider (zeros) improves nothing and gets −1', () => {
    const s = score(new Float32Array(layout.size), [3], [4]);
    expect(s.improvementAssigned).to.equal(0);
    expect(s.improvementRandom).to.equal(0);
    expect(s.binary).to.equal(-1);
  });

  it('uses a memoised lossBefore when given and does not mutate θ', () => {
    let calls = 0;
    const copy = Float32Array.from(params);
    scoreUpdate({
      layout, cfg: denseCfg, params, update: updateOf(honestDelta(params, [1])), evalLrFactor: 0.2, loss: quadraticLoss,
      assignedShards: [1], randomShards: [2], lossBefore: (shards) => { calls++; return quadraticLoss(params, { shards }); },
    });
    expect(calls).to.equal(2);
    expect(Array.from(params)).to.deep.equal(Array.from(copy));
  });

  it('validates evalLrFactor', () => {
    const update = updateOf(new Float32Array(layout.size));
    for (const evalLrFactor of [0, -0.2, Number.NaN]) {
      expect(() =>
        scoreUpdate({ layout, cfg: denseCfg, params, update, evalLrFactor, loss: quadraticLoss, assignedShards: [1], randomShards: [2] }),
      ).to.throw(ConfigError, /evalLrFactor/);
    }
  });

  it('picks distinct random shards outside the assigned ones, deterministically', () => {
    const a = pickRandomShards(createRng(1), 10, 3, [0, 1, 2]);
    expect(a).to.deep.equal(pickRandomShards(createRng(1), 10, 3, [0, 1, 2]));
    expect(new Set(a).size).to.equal(3);
    a.forEach((s) => expect(s).to.be.within(3, 9));
    expect(pickRandomShards(createRng(2), 3, 2, [0, 1])).to.have.length(2); // falls back to all shards
    expect(() => pickRandomShards(createRng(1), 3, 4)).to.throw(ConfigError);
  });
});
