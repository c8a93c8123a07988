/**
 * Data-shard assignment: identical on every node, independent of the order peers are listed in,
 * balanced within a round, roughly uniform over rounds under churn, and strict about its inputs.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError } from '../../../core/errors.ts';
import { createRng } from '../../../core/rng.ts';
import { MAX_SHARDS, assignShards, peerDataRng, shardsForPeer } from '../../../core/protocol/shards.ts';
import type { AssignShardsParameters } from '../../../core/protocol/shards.ts';

const BASE: AssignShardsParameters = { seed: 42, round: 3, activePeers: [7, 2, 11, 5], numShards: 16, shardsPerPeer: 3 };

function asObject(map: Map<number, readonly number[]>): Record<number, readonly number[]> {
  return Object.fromEntries(map);
}

describe('core/protocol/shards', () => {
  describe('assignShards', () => {
    it('is deterministic for the same (seed, round, active set)', () => {
      expect(asObject(assignShards(BASE))).to.deep.equal(asObject(assignShards({ ...BASE })));
    });

    it('lists peers in ascending uid order, each with shardsPerPeer distinct in-range shards', () => {
      const map = assignShards(BASE);
      expect([...map.keys()]).to.deep.equal([2, 5, 7, 11]);
      for (const shards of map.values()) {
        expect(shards).to.have.length(3);
        expect(new Set(shards).size).to.equal(3);
        for (const s of shards) expect(s).to.be.within(0, 15);
      }
    });

    it('changes with the round and with the seed', () => {
      const a = asObject(assignShards(BASE));
      expect(asObject(assignShards({ ...BASE, round: 4 }))).to.not.deep.equal(a);
      expect(asObject(assignShards({ ...BASE, seed: 'other' }))).to.not.deep.equal(a);
    });

    it('does not depend on the order of activePeers (property)', () => {
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 30 }),
          fc.integer({ min: 0, max: 10_000 }),
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 0, max: 1000 }),
          (peers, round, numShards, shuffleSeed) => {
            const shardsPerPeer = 1 + (round % numShards);
            const shuffled = createRng(shuffleSeed).shuffle([...peers]);
            const a = assignShards({ seed: 1, round, activePeers: peers, numShards, shardsPerPeer });
            const b = assignShards({ seed: 1, round, activePeers: shuffled, numShards, shardsPerPeer });
            expect(asObject(b)).to.deep.equal(asObject(a));
          },
        ),
        { seed: 20240611, numRuns: 150 },
      );
    });

    it('balances one round: each shard is used ⌊P·s/N⌋ or ⌈P·s/N⌉ times, all of them when P·s ≥ N', () => {
      for (const [peers, numShards, shardsPerPeer] of [[5, 16, 3], [7, 10, 4], [3, 16, 2], [12, 5, 5]] as const) {
        const activePeers = Array.from({ length: peers }, (_, i) => 3 * i + 1);
        const counts = new Array<number>(numShards).fill(0);
        for (const shards of assignShards({ seed: 9, round: 0, activePeers, numShards, shardsPerPeer }).values()) for (const s of shards) counts[s]!++;
        const total = peers * shardsPerPeer;
        expect(Math.min(...counts)).to.be.at.least(Math.floor(total / numShards));
        expect(Math.max(...counts)).to.be.at.most(Math.ceil(total / numShards));
      }
    });

    it('covers shards roughly uniformly over many rounds under 30% churn (chi-square)', () => {
      const numShards = 20;
      const rounds = 500;
      const churn = createRng(7).fork('churn');
      const counts = new Array<number>(numShards).fill(0);
      let total = 0;
      for (let round = 0; round < rounds; round++) {
        const activePeers = Array.from({ length: 10 }, (_, i) => i).filter(() => !churn.bernoulli(0.3));
        for (const shards of assignShards({ seed: 5, round, activePeers, numShards, shardsPerPeer: 2 }).values()) {
          for (const s of shards) counts[s]!++;
          total += shards.length;
        }
      }
      const expected = total / numShards;
      const chi2 = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
      // 19 degrees of freedom: 43.8 is the 0.999 quantile of χ²(19) for multinomial counts; the
      // within-round balancing only lowers the variance.
      expect(chi2).to.be.below(43.8);
      expect(Math.min(...counts)).to.be.above(0.8 * expected);
    });

    it('returns an empty map when nobody is active', () => {
      expect(assignShards({ ...BASE, activePeers: [] }).size).to.equal(0);
    });

    it('rejects bad parameters with a ConfigError naming the value', () => {
      const cases: [Partial<AssignShardsParameters>, string, unknown][] = [
        [{ numShards: 0 }, 'numShards', 0],
        [{ numShards: 2.5 }, 'numShards', 2.5],
        [{ numShards: MAX_SHARDS + 1 }, 'numShards', MAX_SHARDS + 1],
        [{ shardsPerPeer: 0 }, 'shardsPerPeer', 0],
        [{ shardsPerPeer: 17 }, 'shardsPerPeer', 17],
        [{ round: -1 }, 'round', -1],
        [{ round: 1.5 }, 'round', 1.5],
        [{ seed: Number.NaN }, 'seed', Number.NaN],
        [{ activePeers: [1, -2] }, 'peerUid', -2],
        [{ activePeers: [4, 1, 4] }, 'activePeers', 4],
      ];
      for (const [override, key, value] of cases) {
        let caught: unknown;
        try {
          assignShards({ ...BASE, ...override });
        } catch (err) {
          caught = err;
        }
        expect(caught, key).to.be.instanceOf(ConfigError);
        expect((caught as ConfigError).key).to.equal(key);
        if (Number.isNaN(value)) expect((caught as ConfigError).value).to.be.NaN;
        else expect((caught as ConfigError).value).to.equal(value);
        expect((caught as ConfigError).message).to.include(String(value));
      }
    });
  });

  describe('shardsForPeer', () => {
    it('gives exactly the entry of assignShards for every peer (property)', () => {
      fc.assert(
        fc.property(
          fc.uniqueArray(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 20 }),
          fc.integer({ min: 0, max: 1000 }),
          fc.integer({ min: 1, max: 30 }),
          (peers, round, numShards) => {
            const params = { seed: 'run-a', round, activePeers: peers, numShards, shardsPerPeer: 1 + (round % numShards) };
            const map = assignShards(params);
            for (const peerUid of peers) expect(shardsForPeer({ ...params, peerUid })).to.deep.equal(map.get(peerUid));
          },
        ),
        { seed: 77, numRuns: 100 },
      );
    });

    it('rejects a peer that is not active', () => {
      expect(() => shardsForPeer({ ...BASE, peerUid: 3 })).to.throw(ConfigError, /peerUid \(3\)/);
    });
  });

  describe('peerDataRng', () => {
    it('is the same stream for the same (round, peer) and differs across peers and rounds', () => {
      const root = createRng(11);
      const draw = (round: number, peer: number) => [0, 1, 2].map(() => peerDataRng(root, round, peer).uint32());
      const a = peerDataRng(root, 4, 9);
      const first = [a.uint32(), a.uint32()];
      const b = peerDataRng(createRng(11), 4, 9);
      expect([b.uint32(), b.uint32()]).to.deep.equal(first);
      expect(draw(4, 9)[0]).to.not.equal(draw(4, 10)[0]);
      expect(draw(4, 9)[0]).to.not.equal(draw(5, 9)[0]);
      expect(() => peerDataRng(root, -1, 0)).to.throw(ConfigError, /round/);
    });
  });
});
