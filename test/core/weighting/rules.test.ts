import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError } from '../../../core/errors.ts';
import { createRng } from '../../../core/rng.ts';
import { cosineTo, cosineToMean, createWeightingRule, normaliseMerits, resolveWeightingSpec } from '../../../core/weighting/index.ts';
import type { PeerEvidence, WeightingSpec } from '../../../core/weighting/index.ts';

const SPECS: readonly WeightingSpec[] = [
  { rule: 'uniform' },
  { rule: 'gauntlet' },
  { rule: 'gauntlet', power: 2 },
  { rule: 'loss-delta' },
  { rule: 'trust' },
  { rule: 'trust', decay: 0, power: 3 },
  { rule: 'trust', reference: 'validator' },
];

/** A round's evidence for `uids`: random updates (dim 12), scores and loss deltas, some negative or missing. */
function evidenceOf(uids: readonly number[], seed: number): PeerEvidence[] {
  const rng = createRng(seed);
  return uids.map((uid) => {
    const r = rng.fork(`peer:${uid}`);
    return { uid, update: r.fillNormal(new Float32Array(12), 1), gauntletWeight: r.bernoulli(0.2) ? null : r.uniform(-0.1, 1), lossDelta: r.uniform(-0.2, 1) };
  });
}
const reference = (seed: number) => createRng(seed).fork('ref').fillNormal(new Float32Array(12), 1);

function expectWeights(w: Map<number, number>, uids: readonly number[]): void {
  expect([...w.keys()].sort((a, b) => a - b)).to.deep.equal([...uids].sort((a, b) => a - b));
  let sum = 0;
  for (const v of w.values()) {
    expect(v).to.be.at.least(0);
    sum += v;
  }
  if (uids.length > 0) expect(sum).to.be.closeTo(1, 1e-12);
}

const roundArb = fc.record({ uids: fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 9 }), seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }), shuffle: fc.integer() });

describe('core/weighting', () => {
  for (const spec of SPECS) {
    const name = JSON.stringify(spec);
    describe(name, () => {
      it('weights are ≥ 0, one per peer, sum to 1, and do not depend on the order peers are listed in', () => {
        let cases = 0;
        fc.assert(
          fc.property(roundArb, ({ uids, seed, shuffle }) => {
            const ev = evidenceOf(uids, seed);
            const a = createWeightingRule(spec).weigh(ev, { reference: reference(seed) });
            const b = createWeightingRule(spec).weigh(createRng(shuffle).shuffle([...ev]), { reference: reference(seed) });
            expectWeights(a, uids);
            expect([...b]).to.deep.equal([...a]); // same values, same (ascending uid) order
            cases++;
          }),
          { seed: 5, numRuns: 80 },
        );
        expect(cases).to.equal(80);
      });

      it('is uniform when every peer sends the same evidence, round after round', () => {
        let cases = 0;
        fc.assert(
          fc.property(roundArb, ({ uids, seed }) => {
            const [one] = evidenceOf([0], seed);
            const rule = createWeightingRule(spec);
            for (let round = 0; round < 3; round++) {
              const w = rule.weigh(uids.map((uid) => ({ ...one!, uid })), { reference: reference(seed) });
              expectWeights(w, uids);
              for (const v of w.values()) expect(v).to.equal(w.get(uids[0]!)); // exactly equal
              for (const v of w.values()) expect(v).to.be.closeTo(1 / uids.length, 1e-15);
            }
            cases++;
          }),
          { seed: 6, numRuns: 50 },
        );
        expect(cases).to.equal(50);
      });
    });
  }

  it('uniform is exactly 1/R', () => {
    const w = createWeightingRule({ rule: 'uniform' }).weigh(evidenceOf([3, 1, 2], 1));
    expect([...w]).to.deep.equal([[1, 1 / 3], [2, 1 / 3], [3, 1 / 3]]);
  });

  it('loss-delta and gauntlet weigh by merit (negative and missing count 0); no positive merit falls back to uniform', () => {
    const ev = (lossDelta: number, gauntletWeight: number | null, uid: number): PeerEvidence => ({ uid, update: new Float32Array(2), lossDelta, gauntletWeight });
    const lossDelta = createWeightingRule({ rule: 'loss-delta' });
    expect([...lossDelta.weigh([ev(3, null, 0), ev(1, null, 1), ev(-2, null, 2)])]).to.deep.equal([[0, 0.75], [1, 0.25], [2, 0]]);
    expect([...lossDelta.weigh([ev(-3, null, 0), ev(-1, null, 1)])]).to.deep.equal([[0, 0.5], [1, 0.5]]);
    expect([...createWeightingRule({ rule: 'gauntlet', power: 2 }).weigh([ev(0, 0.3, 0), ev(0, null, 1), ev(0, 0.1, 2)])].map(([u, w]) => [u, +w.toFixed(12)])).to.deep.equal([[0, 0.9], [1, 0], [2, 0.1]]);
    expect(() => lossDelta.weigh([{ uid: 0, update: new Float32Array(1), lossDelta: null, gauntletWeight: null }])).to.throw(ConfigError, /lossDelta/);
  });

  it('trust takes weight away, round by round, from a peer that points against the reference', () => {
    const up = Float32Array.from([1, 0.1]);
    const down = Float32Array.from([-1, 0]);
    const ev = [0, 1, 2].map((uid) => ({ uid, update: up, gauntletWeight: null, lossDelta: null }));
    const against = { uid: 3, update: down, gauntletWeight: null, lossDelta: null };
    for (const spec of [{ rule: 'trust' } as const, { rule: 'trust', reference: 'validator' } as const]) {
      const rule = createWeightingRule(spec);
      const shares: number[] = [];
      for (let round = 0; round < 4; round++) shares.push(rule.weigh([...ev, against], { reference: up }).get(3)!);
      expect(shares[0]).to.be.below(0.25);
      for (let i = 1; i < shares.length; i++) expect(shares[i]).to.be.below(shares[i - 1]!);
    }
    expect(() => createWeightingRule({ rule: 'trust', reference: 'validator' }).weigh(ev)).to.throw(ConfigError, /reference/);
  });

  it('cosines: to the mean and to a given vector; NaN for a zero vector', () => {
    const a = { uid: 1, update: Float32Array.from([1, 0]) };
    const b = { uid: 2, update: Float32Array.from([0, 1]) };
    const z = { uid: 3, update: Float32Array.from([0, 0]) };
    const toMean = cosineToMean([a, b, z]);
    expect(toMean.get(1)).to.be.closeTo(Math.SQRT1_2, 1e-12);
    expect(toMean.get(3)).to.be.NaN;
    expect(cosineTo([a, b], Float32Array.from([1, 0])).get(2)).to.equal(0);
  });

  it('normaliseMerits: a NaN or infinite merit counts 0; duplicate uids are an error', () => {
    expect([...normaliseMerits([{ uid: 0, merit: NaN }, { uid: 1, merit: 2 }, { uid: 2, merit: Infinity }])]).to.deep.equal([[0, 0], [1, 1], [2, 0]]);
    expect(normaliseMerits([]).size).to.equal(0);
    expect(() => normaliseMerits([{ uid: 1, merit: 1 }, { uid: 1, merit: 2 }])).to.throw(ConfigError, /unique/);
  });

  it('rejects bad specs, naming the key', () => {
    expect(() => resolveWeightingSpec({ rule: 'median' } as unknown as WeightingSpec)).to.throw(ConfigError, /weighting\.rule/);
    expect(() => resolveWeightingSpec({ rule: 'trust', decay: 1 })).to.throw(ConfigError, /weighting\.decay/);
    expect(() => resolveWeightingSpec({ rule: 'loss-delta', power: 0 })).to.throw(ConfigError, /weighting\.power/);
    expect(() => resolveWeightingSpec({ rule: 'uniform', power: 2 } as unknown as WeightingSpec)).to.throw(ConfigError, /weighting\.power.*not a key/);
    expect(() => resolveWeightingSpec({ rule: 'trust', reference: 'peers' } as unknown as WeightingSpec)).to.throw(ConfigError, /weighting\.reference/);
    expect(resolveWeightingSpec({ rule: 'trust' })).to.deep.equal({ rule: 'trust', decay: 0.8, power: 1, reference: 'aggregate' });
  });
});
