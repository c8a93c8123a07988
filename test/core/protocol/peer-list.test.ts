/**
 * The published peer list (top G + K by weight, ties the lower uid, registration order before any
 * weights) and gathering from it (failed primaries replaced once, in order, by the first reserves),
 * with a reference check over random lists and availabilities that counts the cases it reaches.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError } from '../../../core/errors.ts';
import { gatherFromList, publishPeerList } from '../../../core/protocol/peer-list.ts';
import type { GatherAvailability } from '../../../core/protocol/peer-list.ts';

describe('core/protocol/peer-list', () => {
  it('without weights the list is the registration order, G primaries then K reserves', () => {
    const list = publishPeerList({ weights: null, registered: [4, 0, 3, 1, 2], gatherCount: 2, reserveCount: 2 });
    expect(list).to.deep.equal({ primaries: [4, 0], reserves: [3, 1] });
  });

  it('with weights the list is top-G by weight, ties the lower uid, unweighted candidates count 0', () => {
    const weights = new Map([[1, 0.5], [2, 0.9], [3, 0.5], [7, 0.1]]);
    const list = publishPeerList({ weights, registered: [7, 3, 1, 2, 5], gatherCount: 3, reserveCount: 1 });
    expect(list).to.deep.equal({ primaries: [2, 1, 3], reserves: [7] });
  });

  it('fewer candidates than G + K gives a shorter list, primaries first', () => {
    expect(publishPeerList({ weights: null, registered: [0, 1, 2], gatherCount: 2, reserveCount: 5 })).to.deep.equal({ primaries: [0, 1], reserves: [2] });
    expect(publishPeerList({ weights: null, registered: [0], gatherCount: 2, reserveCount: 5 })).to.deep.equal({ primaries: [0], reserves: [] });
  });

  it('bad counts, repeated uids and non-finite weights are ConfigErrors naming the value', () => {
    const ok = { weights: null, registered: [0, 1], gatherCount: 1, reserveCount: 0 };
    expect(() => publishPeerList({ ...ok, gatherCount: 0 })).to.throw(ConfigError, /gatherCount \(0\)/);
    expect(() => publishPeerList({ ...ok, reserveCount: -1 })).to.throw(ConfigError, /reserveCount/);
    expect(() => publishPeerList({ ...ok, registered: [1, 1] })).to.throw(ConfigError, /twice/);
    expect(() => publishPeerList({ ...ok, registered: [-1] })).to.throw(ConfigError, /peer uid/);
    expect(() => publishPeerList({ ...ok, weights: new Map([[0, Number.NaN]]) })).to.throw(ConfigError, /weights\[0\]/);
  });

  it('no failure: the primaries are used and no reserve is downloaded', () => {
    const r = gatherFromList({ primaries: [3, 1], reserves: [5] }, new Map<number, GatherAvailability>([[1, 'ok'], [3, 'ok'], [5, 'ok']]));
    expect(r).to.deep.equal({ used: [1, 3], fills: [], fellBack: [], failed: [], unfilled: 0 });
  });

  it('failed primaries are replaced in list order by the first reserves, once; a failed reserve is not replaced', () => {
    const available = new Map<number, GatherAvailability>([[0, 'ok'], [1, 'late'], [2, 'invalid'], [3, 'timed-out'], [10, 'ok'], [12, 'ok']]);
    const r = gatherFromList({ primaries: [0, 1, 2, 3], reserves: [10, 11, 12, 13] }, available);
    expect(r.fills).to.deep.equal([{ primary: 1, reserve: 10 }, { primary: 2, reserve: 11 }, { primary: 3, reserve: 12 }]);
    expect(r.used).to.deep.equal([0, 10, 12]);
    expect(r.fellBack).to.deep.equal([10, 12]);
    expect(r.failed).to.deep.equal([{ uid: 1, reason: 'late' }, { uid: 2, reason: 'invalid' }, { uid: 3, reason: 'timed-out' }, { uid: 11, reason: 'missing' }]);
    expect(r.unfilled).to.equal(1);
  });

  it('matches a reference over random lists and availabilities (no-fallback, fallback and exhausted reserves all reached)', () => {
    const reached = { noFallback: 0, fallback: 0, exhausted: 0 };
    const status = fc.constantFrom<GatherAvailability>('ok', 'ok', 'missing', 'late', 'invalid', 'timed-out');
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 20 }), fc.array(status, { minLength: 61, maxLength: 61 }), (registered, g, k, statuses) => {
        const list = publishPeerList({ weights: null, registered, gatherCount: g, reserveCount: k });
        const available = new Map(registered.map((uid) => [uid, statuses[uid]!]));
        const r = gatherFromList(list, available);
        // Reference: walk the primaries, then spend reserves one per failed primary.
        const okPrimaries = list.primaries.filter((u) => statuses[u] === 'ok');
        const failedCount = list.primaries.length - okPrimaries.length;
        const tried = list.reserves.slice(0, failedCount);
        const okReserves = tried.filter((u) => statuses[u] === 'ok');
        expect(r.used).to.deep.equal([...okPrimaries, ...okReserves].sort((a, b) => a - b));
        expect(r.fellBack).to.deep.equal(okReserves);
        expect(r.fills.map((f) => f.reserve)).to.deep.equal(tried);
        expect(r.failed.length).to.equal(failedCount + tried.length - okReserves.length);
        expect(r.used.length).to.be.at.most(list.primaries.length);
        expect(r.unfilled).to.equal(failedCount - okReserves.length);
        if (failedCount === 0) reached.noFallback++;
        else if (r.unfilled === 0) reached.fallback++;
        else reached.exhausted++;
      }),
      { seed: 12, numRuns: 600 },
    );
    expect(reached.noFallback).to.be.greaterThan(10);
    expect(reached.fallback).to.be.greaterThan(10);
    expect(reached.exhausted).to.be.greaterThan(10);
  });
});
