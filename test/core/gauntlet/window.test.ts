/**
 * The lagged validator's pure window functions: sampling from rating bins (outcomes counted),
 * the top-k index-overlap check (a copycat flagged, honest peers not, counted), the penalties,
 * and the post (weights + next list, effective window).
 */
import { expect } from 'chai';
import { ConfigError } from '../../../core/errors.ts';
import { createRng } from '../../../core/rng.ts';
import { compress } from '../../../core/sparseloco/compress.ts';
import { resolveGauntletConfig } from '../../../core/gauntlet/config.ts';
import { indexOverlap, overlapLevel, pairOverlap } from '../../../core/gauntlet/index-overlap.ts';
import { penaliseInactive, slashFromOverlap, slashMissingGradients, slashPoorSync } from '../../../core/gauntlet/penalties.ts';
import { initialRecord } from '../../../core/gauntlet/rating.ts';
import type { PeerRecord } from '../../../core/gauntlet/rating.ts';
import { binPeers, sampleWindow, weightedSampleWithoutReplacement } from '../../../core/gauntlet/window-sample.ts';
import { postFromState } from '../../../core/gauntlet/window.ts';
import { defineLayout } from '../../../core/layout.ts';
import { resolveSparseLocoConfig } from '../../../core/sparseloco/config.ts';
import { defaultCfg, layout as denseLayout } from './fixture.ts';

/** One 64×64 chunk kept top-32 (sparse: the overlap check reads it) and a small dense bias. */
const layout = defineLayout([{ name: 'w', shape: [64, 64] }, { name: 'b', shape: [8] }]);
const sparseCfg = resolveSparseLocoConfig({ topK: 32 });

const G = resolveGauntletConfig();

/** A top-k message of a random Δ (each peer its own stream: independent index sets). */
function message(seed: string, l = layout, cfg = sparseCfg) {
  const delta = createRng(seed).fillNormal(new Float32Array(l.size), 1);
  return compress(l, cfg, new Float32Array(l.size), delta);
}

describe('core/gauntlet/window-sample', () => {
  it('one bin holding everyone below bins × uidsPerWindow active peers; else near-equal bins by ordinal', () => {
    const few = Array.from({ length: 74 }, (_, i) => i);
    expect(binPeers(few, () => 0, 5, 15)).to.have.length(1);
    const many = Array.from({ length: 77 }, (_, i) => i);
    const bins = binPeers(many, (uid) => uid, 5, 15);
    expect(bins.map((b) => b.length)).to.deep.equal([16, 16, 15, 15, 15]);
    expect(bins[0]![0]).to.equal(76); // highest ordinal first
    expect(bins.flat().sort((a, b) => a - b)).to.deep.equal(many);
    expect(() => binPeers([1, 1], () => 0, 5, 15)).to.throw(ConfigError, /twice/);
  });

  it('samples uidsPerWindow peers from one bin; every bin is reached (counted over 500 windows)', () => {
    const active = Array.from({ length: 80 }, (_, i) => i);
    const binHits = [0, 0, 0, 0, 0];
    const peerHits = new Map<number, number>();
    for (let w = 0; w < 500; w++) {
      const s = sampleWindow({ active, ordinalOf: (uid) => uid, waiting: new Map(), uidsPerWindow: 15, evaluationBins: 5, rng: createRng(`w:${w}`) });
      expect(s.uids).to.have.length(15);
      expect(s.uids.every((uid) => s.bins[s.bin]!.includes(uid))).to.equal(true);
      binHits[s.bin]!++;
      for (const uid of s.uids) peerHits.set(uid, (peerHits.get(uid) ?? 0) + 1);
    }
    expect(binHits.every((n) => n > 60), `bins drawn ${binHits.join(',')}`).to.equal(true);
    expect(peerHits.size).to.equal(80); // every peer evaluated at least once
  });

  it('weighted sampling favours the peers that waited longest (counted)', () => {
    let longWaiter = 0;
    const runs = 2000;
    for (let i = 0; i < runs; i++) if (weightedSampleWithoutReplacement([0, 1, 2, 3], [9, 1, 1, 1], 1, createRng(`s:${i}`))[0] === 0) longWaiter++;
    expect(longWaiter / runs).to.be.within(0.7, 0.8); // 9 / 12 = 0.75
  });
});

describe('core/gauntlet/index-overlap', () => {
  it('flags a copycat (the later upload) and no honest pair, with counts', () => {
    const honest = Array.from({ length: 6 }, (_, uid) => ({ uid, update: message(`honest:${uid}`), uploadedAt: 10 + uid }));
    const copy = { uid: 9, update: honest[2]!.update, uploadedAt: 30 };
    const r = indexOverlap(layout, [...honest, copy], G);
    expect(r.pairsChecked).to.equal(21);
    expect(r.flaggedPairs).to.have.length(1);
    expect(r.flaggedPairs[0]).to.include({ a: 2, b: 9, overlap: 1 });
    expect([...r.offenders]).to.deep.equal([[9, 'mega']]);
    const honestOnly = indexOverlap(layout, honest, G);
    expect(honestOnly.flaggedPairs).to.have.length(0);
    expect(honestOnly.maxOverlap).to.be.below(G.idxOverlapThreshold);
  });

  it('the earlier upload is never the offender; levels follow templar (0.5 max, 0.6 mega)', () => {
    const a = message('a');
    expect([...indexOverlap(layout, [{ uid: 1, update: a, uploadedAt: 9 }, { uid: 2, update: a, uploadedAt: 3 }], G).offenders.keys()]).to.deep.equal([1]);
    expect(overlapLevel(0.45, G)).to.equal('high');
    expect(overlapLevel(0.5, G)).to.equal('max');
    expect(overlapLevel(0.6, G)).to.equal('mega');
    expect(() => overlapLevel(1.2, G)).to.throw(ConfigError);
  });

  it('dense tensors are left out: a pair with only dense tensors has no overlap to compare', () => {
    // In the fixture layout 'w' (8×8, top-64 of 64) and 'b' are both sent densely under topK 64.
    expect(pairOverlap(denseLayout, message('x', denseLayout, defaultCfg), message('y', denseLayout, defaultCfg))).to.equal(null);
  });
});

describe('core/gauntlet/penalties', () => {
  const scored = (uid: number, finalScore: number): PeerRecord => ({ ...initialRecord(uid), finalScore, bma: 0.5 });
  const peers = new Map([[1, scored(1, 2)], [2, scored(2, -1)], [3, scored(3, 4)]]);

  it('overlap: high halves a positive score, max resets (a slash), mega resets and excludes', () => {
    const out = slashFromOverlap(peers, new Map([[1, 'high'], [2, 'max'], [3, 'mega']] as const), 10, G);
    expect(out.get(1)).to.include({ finalScore: 1, bma: 0.25 });
    expect(out.get(2)).to.include({ finalScore: 0, bma: 0, slashes: 1, excludedUntil: 0 });
    expect(out.get(3)).to.include({ finalScore: 0, slashes: 1, excludedUntil: 10 + 1 + G.excludeRounds });
  });

  it('missing gradients: ×0.75 when the gather mostly worked, ×0 below the 0.4 success rate; negatives untouched', () => {
    expect(slashMissingGradients(peers, [1, 2], 0.9, G).get(1)!.finalScore).to.equal(1.5);
    expect(slashMissingGradients(peers, [1, 2], 0.9, G).get(2)!.finalScore).to.equal(-1);
    expect(slashMissingGradients(peers, [1], 0.3, G).get(1)).to.include({ finalScore: 0, bma: 0 });
  });

  it('poor sync: only peers more than syncMaxStepsBehind behind are slashed', () => {
    const out = slashPoorSync(peers, [1, 3], (uid) => ({ avgStepsBehind: uid === 1 ? 3 : 4, syncScore: 0 }), G);
    expect(out.get(1)!.finalScore).to.equal(2);
    expect(out.get(3)!.finalScore).to.equal(3);
  });

  it('inactivity: ×0.75 per window absent, reset after more than resetInactivityWindows', () => {
    let state = { peers: new Map(peers) as ReadonlyMap<number, PeerRecord>, inactiveSince: new Map<number, number>() as ReadonlyMap<number, number> };
    const scores: number[] = [];
    for (let w = 0; w <= G.resetInactivityWindows + 1; w++) {
      state = penaliseInactive(state.peers, state.inactiveSince, new Set([2, 3]), w, G);
      scores.push(state.peers.get(1)!.finalScore);
    }
    expect(scores.slice(0, 4)).to.deep.equal([1.5, 1.125, 0.84375, 0.6328125]);
    expect(scores[4]).to.equal(0); // reset at window 4 (4 − 0 > 3)
    expect(state.peers.get(3)!.finalScore).to.equal(4); // active: untouched
  });
});

describe('core/gauntlet/window postFromState', () => {
  it('lists by weight without the excluded peers, in force peerListWindowMargin windows on; weights every windowsPerWeights', () => {
    const weights = new Map([[0, 0.1], [1, 0.5], [2, 0.4], [3, 0]]);
    const post = postFromState({ weights, excluded: [1], registered: [0, 1, 2, 3], window: 6, currentWindow: 7, gatherCount: 2, reserveCount: 1, gauntlet: G });
    expect(post.list).to.deep.equal({ primaries: [2, 0], reserves: [3] });
    expect(post.effectiveFrom).to.equal(8);
    expect(post.setsWeights).to.equal(true);
    expect(postFromState({ weights, excluded: [], registered: [0], window: 7, currentWindow: 8, gatherCount: 1, reserveCount: 0, gauntlet: G }).setsWeights).to.equal(false);
  });
});
