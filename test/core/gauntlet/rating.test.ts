import { expect } from 'chai';
import { ordinal, rate, rating } from 'openskill';
import { plackettLuce } from 'openskill/models';
import { ConfigError } from '../../../core/errors.ts';
import { GAUNTLET_DEFAULTS, resolveGauntletConfig } from '../../../core/gauntlet/config.ts';
import {
  finalScore,
  initialRecord,
  ordinalOf,
  powerWeights,
  rateRound,
  recordOutcome,
  selectTopG,
  updateBinaryMovingAverage,
} from '../../../core/gauntlet/rating.ts';
import type { PeerRecord } from '../../../core/gauntlet/rating.ts';

const cfg = resolveGauntletConfig();

describe('core/gauntlet/rating', () => {
  it('rates with OpenSkill Plackett–Luce, β = 7, τ = 0.1, higher score wins', () => {
    const records = new Map<number, PeerRecord>();
    const out = rateRound(records, [{ uid: 2, score: 0.5 }, { uid: 1, score: 0.9 }, { uid: 3, score: -0.2 }], cfg);
    const expected = rate([[rating()], [rating()], [rating()]], { score: [0.9, 0.5, -0.2], beta: 7, tau: 0.1, model: plackettLuce });
    expect(out.get(1)).to.deep.equal(expected[0]![0]);
    expect(out.get(2)).to.deep.equal(expected[1]![0]);
    expect(ordinal(out.get(1)!)).to.be.greaterThan(ordinal(out.get(2)!));
    expect(ordinal(out.get(2)!)).to.be.greaterThan(ordinal(out.get(3)!));
  });

  it('does not depend on the order of the scores', () => {
    const s = [{ uid: 4, score: 1 }, { uid: 9, score: 0 }, { uid: 1, score: 0.5 }];
    expect([...rateRound(new Map(), s, cfg)].sort()).to.deep.equal([...rateRound(new Map(), [...s].reverse(), cfg)].sort());
  });

  it('leaves a lone peer unrated', () => {
    const out = rateRound(new Map(), [{ uid: 1, score: 1 }], cfg);
    expect(out.get(1)).to.deep.equal({ mu: rating().mu, sigma: rating().sigma });
  });

  it('moves a consistent winner up and a consistent loser down, round after round', () => {
    let records = new Map<number, PeerRecord>([1, 2, 3].map((uid) => [uid, initialRecord(uid)]));
    const history: number[] = [];
    for (let round = 0; round < 10; round++) {
      const out = rateRound(records, [{ uid: 1, score: 0.1 }, { uid: 2, score: 0.05 }, { uid: 3, score: -0.1 }], cfg);
      records = new Map([...records].map(([uid, r]) => [uid, { ...r, ...out.get(uid)! }]));
      history.push(ordinalOf(records.get(1)!));
    }
    for (let k = 1; k < history.length; k++) expect(history[k]).to.be.greaterThan(history[k - 1]!);
    expect(ordinalOf(records.get(1)!)).to.be.greaterThan(ordinalOf(records.get(2)!));
    expect(ordinalOf(records.get(3)!)).to.be.lessThan(0);
  });

  it('binary moving average and final score follow templar', () => {
    expect(updateBinaryMovingAverage(0, 1, 0.05)).to.be.closeTo(0.05, 1e-15);
    expect(updateBinaryMovingAverage(0.5, -1, 0.05)).to.be.closeTo(0.425, 1e-15);
    const r = { mu: 40, sigma: 3, bma: 0.5, sync: 0.8 };
    expect(finalScore(r, 0, cfg)).to.be.closeTo(31 * 0.5 * 0.8, 1e-12);
    expect(finalScore({ ...r, bma: -0.3 }, 0, cfg)).to.equal(0);
    // bma below the threshold counts only after the warm-up
    expect(finalScore({ ...r, bma: 0.05 }, 9, cfg)).to.be.greaterThan(0);
    expect(finalScore({ ...r, bma: 0.05 }, 10, cfg)).to.equal(0);
  });

  it('power weights are normalised squares of the positive scores and sum to 1', () => {
    const w = powerWeights([{ uid: 3, score: 2 }, { uid: 1, score: 1 }, { uid: 2, score: -5 }, { uid: 4, score: 0 }], 2);
    expect(w.map((x) => x.uid)).to.deep.equal([1, 2, 3, 4]);
    expect(w.map((x) => x.weight)).to.deep.equal([0.2, 0, 0.8, 0]);
    expect(w.reduce((s, x) => s + x.weight, 0)).to.be.closeTo(1, 1e-12);
    expect(powerWeights([{ uid: 1, score: -1 }], 2)[0]!.weight).to.equal(0);
  });

  it('selects the top G by score, ties by lower uid, returned ascending', () => {
    const c = [{ uid: 5, score: 1 }, { uid: 2, score: 3 }, { uid: 9, score: 1 }, { uid: 7, score: 2 }, { uid: 1, score: Number.NaN }];
    expect(selectTopG(c, 3)).to.deep.equal([2, 5, 7]);
    expect(selectTopG(c, 10)).to.deep.equal([1, 2, 5, 7, 9]);
    expect(selectTopG(c, 0)).to.deep.equal([]);
  });

  it('escalates penalties: penalised → excluded → slashed, then starts afresh', () => {
    let r: PeerRecord = { ...initialRecord(7), bma: 0.8, mu: 30 };
    const actions: string[] = [];
    for (let round = 0; round < 4; round++) {
      const out = recordOutcome(r, true, round, cfg);
      actions.push(out.action);
      r = out.record;
      if (round === 0) expect(r.bma).to.be.closeTo(0.6, 1e-12);
    }
    expect(actions).to.deep.equal(['penalised', 'penalised', 'excluded', 'slashed']);
    expect(r.slashes).to.equal(1);
    expect(r.mu).to.equal(initialRecord(7).mu);
    expect(r.recent).to.deep.equal([]);
    expect(r.excludedUntil).to.equal(3 + 1 + cfg.excludeRounds);
  });

  it('a success resets the consecutive count but the window still remembers', () => {
    let r = initialRecord(1);
    const seq = [true, true, false, true, true, false, true];
    const actions = seq.map((failed, round) => {
      const out = recordOutcome(r, failed, round, cfg);
      r = out.record;
      return out.action;
    });
    // never 3 in a row, but the 4th failure in the last 8 rounds slashes
    expect(actions).to.deep.equal(['penalised', 'penalised', 'none', 'penalised', 'slashed', 'none', 'penalised']);
  });

  it('validates its configuration', () => {
    expect(() => resolveGauntletConfig({ binaryMaAlpha: 0 })).to.throw(ConfigError, /binaryMaAlpha/);
    expect(() => resolveGauntletConfig({ slashAfterFailures: 9 })).to.throw(ConfigError, /slashWindow/);
    expect(() => resolveGauntletConfig({ gatherPeerCount: 0 })).to.throw(ConfigError, /gatherPeerCount/);
    expect(() => resolveGauntletConfig({ typo: 1 } as never)).to.throw(ConfigError, /not a Gauntlet setting/);
    expect(resolveGauntletConfig()).to.deep.equal(GAUNTLET_DEFAULTS);
  });
});
