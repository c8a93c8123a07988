import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError } from '../../core/errors.ts';
import { createRng } from '../../core/rng.ts';
import {
  BernoulliDropout,
  CrashModel,
  ListedJoins,
  PoissonJoins,
  SessionChurn,
  TraceChurn,
  TraceParseError,
  createChurn,
  parseAvailabilityTrace,
  type RoundWindow,
} from '../../sim/churn.ts';

const windowOf = (round: number, lengthS = 100): RoundWindow => ({ round, startS: round * lengthS, endS: (round + 1) * lengthS });

function thrown<E extends Error>(ctor: new (...args: any[]) => E, fn: () => void): E {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(ctor);
    return error as E;
  }
  throw new Error(`expected a ${ctor.name}`);
}

describe('sim/churn', () => {
  describe('BernoulliDropout', () => {
    it('drops ≈ p of peer-rounds (churn-30pct)', () => {
      const model = new BernoulliDropout(0.3, createRng(1).fork('churn'));
      let absent = 0;
      const peers = 1000;
      const rounds = 30;
      for (let r = 0; r < rounds; r++) for (let p = 0; p < peers; p++) if (!model.isPresent(p, windowOf(r))) absent++;
      expect(absent / (peers * rounds)).to.be.closeTo(0.3, 0.01);
    });

    it('p = 0 keeps everyone, p = 1 drops everyone', () => {
      const rng = createRng(2);
      for (let p = 0; p < 50; p++) {
        expect(new BernoulliDropout(0, rng).isPresent(p, windowOf(3))).to.equal(true);
        expect(new BernoulliDropout(1, rng).isPresent(p, windowOf(3))).to.equal(false);
      }
    });

    it('answers are deterministic and independent of query order (property)', () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(50), fc.nat(20)), { minLength: 1, maxLength: 40 }), (queries) => {
          const a = new BernoulliDropout(0.4, createRng(3));
          const b = new BernoulliDropout(0.4, createRng(3));
          const forward = queries.map(([p, r]) => a.isPresent(p, windowOf(r)));
          const backward = [...queries].reverse().map(([p, r]) => b.isPresent(p, windowOf(r))).reverse();
          expect(backward).to.deep.equal(forward);
        }),
        { seed: 7, numRuns: 50 },
      );
    });

    it('a different seed gives different dropouts; rounds are independent draws', () => {
      const a = new BernoulliDropout(0.5, createRng(4));
      const b = new BernoulliDropout(0.5, createRng(5));
      const row = (m: BernoulliDropout, r: number) => Array.from({ length: 64 }, (_, p) => m.isPresent(p, windowOf(r)));
      expect(row(a, 0)).to.not.deep.equal(row(b, 0));
      expect(row(a, 0)).to.not.deep.equal(row(a, 1));
    });

    it('rejects dropout outside [0, 1], naming the key', () => {
      const error = thrown(ConfigError, () => new BernoulliDropout(1.3, createRng(1)));
      expect(error.key).to.equal('churn.availability.dropout');
      expect(error.value).to.equal(1.3);
    });
  });

  describe('SessionChurn', () => {
    function onlineFraction(model: SessionChurn, peers: number, horizonS: number, stepS: number): number {
      let online = 0;
      let total = 0;
      for (let p = 0; p < peers; p++) {
        for (let t = 0; t < horizonS; t += stepS) {
          total++;
          if (model.isOnline(p, t)) online++;
        }
      }
      return online / total;
    }

    it('exponential sessions: long-run online fraction ≈ mean_on / (mean_on + mean_off)', () => {
      const model = new SessionChurn({ onS: { kind: 'exponential', mean: 600 }, offS: { kind: 'exponential', mean: 300 } }, createRng(1));
      expect(model.onlineFraction()).to.be.closeTo(2 / 3, 1e-12);
      expect(onlineFraction(model, 200, 100_000, 97)).to.be.closeTo(2 / 3, 0.02);
    });

    it('Weibull sessions: long-run online fraction ≈ mean_on / (mean_on + mean_off)', () => {
      const model = new SessionChurn(
        { onS: { kind: 'weibull', shape: 0.7, scale: 400 }, offS: { kind: 'weibull', shape: 1.5, scale: 200 }, initial: 'online' },
        createRng(2),
      );
      const expected = (400 * 1.2659) / (400 * 1.2659 + 200 * 0.90275); // Γ(1 + 1/0.7), Γ(1 + 1/1.5)
      expect(model.onlineFraction()).to.be.closeTo(expected, 1e-3);
      expect(onlineFraction(model, 200, 200_000, 211)).to.be.closeTo(expected, 0.03);
    });

    it('stationary start: ≈ the online fraction of peers is online at t = 0', () => {
      const model = new SessionChurn({ onS: { kind: 'exponential', mean: 100 }, offS: { kind: 'exponential', mean: 300 } }, createRng(3));
      const online = Array.from({ length: 4000 }, (_, p) => model.isOnline(p, 0)).filter(Boolean).length;
      expect(online / 4000).to.be.closeTo(0.25, 0.02);
      const allOn = new SessionChurn({ onS: { kind: 'fixed', value: 10 }, offS: { kind: 'fixed', value: 5 }, initial: 'online' }, createRng(3));
      expect(allOn.isOnline(0, 0)).to.equal(true);
      expect(allOn.isOnline(0, 9.99)).to.equal(true);
      expect(allOn.isOnline(0, 10)).to.equal(false);
      expect(allOn.isOnline(0, 15)).to.equal(true);
      expect(allOn.onlineUntil(0, 16)).to.equal(25);
      expect(allOn.onlineUntil(0, 12)).to.equal(null);
    });

    it('a peer’s timeline does not depend on query order or on other peers', () => {
      const cfg = { onS: { kind: 'weibull', shape: 0.8, scale: 50 }, offS: { kind: 'exponential', mean: 30 } } as const;
      const times = Array.from({ length: 200 }, (_, i) => i * 13.7);
      const a = new SessionChurn(cfg, createRng(4));
      const forward = times.map((t) => a.isOnline(5, t));
      const b = new SessionChurn(cfg, createRng(4));
      for (let p = 0; p < 20; p++) b.isOnline(p, 1000);
      const backward = [...times].reverse().map((t) => b.isOnline(5, t)).reverse();
      expect(backward).to.deep.equal(forward);
    });

    it('onlineUntil marks the end of the current session', () => {
      const model = new SessionChurn({ onS: { kind: 'exponential', mean: 40 }, offS: { kind: 'exponential', mean: 20 } }, createRng(5));
      for (let t = 0; t < 2000; t += 7) {
        const until = model.onlineUntil(1, t);
        if (until === null) continue;
        expect(until).to.be.above(t);
        expect(model.isOnline(1, until - 1e-9)).to.equal(true);
        expect(model.isOnline(1, until)).to.equal(false);
      }
    });

    it('rejects durations that can be ≤ 0, naming the key', () => {
      const error = thrown(ConfigError, () => new SessionChurn({ onS: { kind: 'fixed', value: 0 }, offS: { kind: 'exponential', mean: 1 } }, createRng(1)));
      expect(error.key).to.equal('churn.availability.onS.value');
    });
  });

  describe('availability traces', () => {
    const csv = ['# replayed sessions', 'peer,start,end', '', '0, 0, 100', '0,250,inf', '1,50,120', '1,10,50', '2,0,30.5'].join('\n');

    it('parses a trace: header, comments, blank lines, any row order, touching intervals merged, inf', () => {
      const trace = parseAvailabilityTrace(csv);
      expect(trace.peers).to.deep.equal([0, 1, 2]);
      expect(trace.intervals.get(0)).to.deep.equal([0, 100, 250, Infinity]);
      expect(trace.intervals.get(1)).to.deep.equal([10, 120]);
      expect(trace.intervals.get(2)).to.deep.equal([0, 30.5]);
      expect(parseAvailabilityTrace('3,1e3,2e3\r\n').intervals.get(3)).to.deep.equal([1000, 2000]);
    });

    it('replays presence with the whole-window and at-start rules', () => {
      const trace = parseAvailabilityTrace(csv);
      const whole = new TraceChurn(trace);
      const atStart = new TraceChurn(trace, 'at-start');
      const w = { round: 0, startS: 60, endS: 110 };
      expect(whole.isPresent(0, w)).to.equal(false); // leaves at 100, mid-window
      expect(atStart.isPresent(0, w)).to.equal(true);
      expect(whole.isPresent(1, w)).to.equal(true);
      expect(whole.isPresent(0, { round: 3, startS: 300, endS: 1e9 })).to.equal(true);
      expect(whole.isOnline(0, 100)).to.equal(false); // intervals are [start, end)
      expect(whole.onlineUntil(0, 99)).to.equal(100);
      expect(whole.isPresent(7, w)).to.equal(false); // not in the trace: never online
      expect(whole.availableForRound(2, 0, 30.5)).to.equal(true);
    });

    const bad: [string, number, number, string, string][] = [
      ['peer,start,end\n0,0,10\n1,5', 3, 3, 'end', ''],
      ['0,0,10,4', 1, 4, '(extra)', '4'],
      ['x,0,10', 1, 1, 'peer', 'x'],
      ['-1,0,10', 1, 1, 'peer', '-1'],
      ['1.5,0,10', 1, 1, 'peer', '1.5'],
      ['0,abc,10', 1, 2, 'start', 'abc'],
      ['0,-5,10', 1, 2, 'start', '-5'],
      ['0,inf,inf', 1, 2, 'start', 'inf'],
      ['# c\n\n0,10,10', 3, 3, 'end', '10'],
      ['0,10,5', 1, 3, 'end', '5'],
      ['0,0,10\n0,5,20', 2, 2, 'start', '5'],
      ['0,0,10\npeer,start,end', 2, 1, 'peer', 'peer'],
    ];
    for (const [text, line, column, columnName, value] of bad) {
      it(`rejects ${JSON.stringify(text)} at line ${line}, column ${column} (${columnName})`, () => {
        const error = thrown(TraceParseError, () => parseAvailabilityTrace(text));
        expect({ line: error.line, column: error.column, columnName: error.columnName, value: error.value }).to.deep.equal({ line, column, columnName, value });
        expect(error.message).to.contain(`line ${line}, column ${column}`);
      });
    }
  });

  describe('CrashModel', () => {
    it('crashes ≈ probability of peer-rounds, with crash points in [0, 1)', () => {
      const model = new CrashModel({ probability: 0.2 }, createRng(1));
      const points: number[] = [];
      const n = 10_000;
      for (let i = 0; i < n; i++) {
        const f = model.crashPoint(i % 500, Math.floor(i / 500));
        if (f !== null) points.push(f);
      }
      expect(points.length / n).to.be.closeTo(0.2, 0.015);
      for (const f of points) expect(f).to.be.within(0, 1).and.below(1);
      expect(points.reduce((a, b) => a + b, 0) / points.length).to.be.closeTo(0.5, 0.03);
    });

    it('is deterministic per (peer, round), whatever the query order', () => {
      const a = new CrashModel({ probability: 0.5, fraction: { kind: 'uniform', min: 0.6, max: 1 } }, createRng(2));
      const b = new CrashModel({ probability: 0.5, fraction: { kind: 'uniform', min: 0.6, max: 1 } }, createRng(2));
      const keys = Array.from({ length: 100 }, (_, i) => [i % 10, Math.floor(i / 10)] as const);
      const forward = keys.map(([p, r]) => a.crashPoint(p, r));
      const backward = [...keys].reverse().map(([p, r]) => b.crashPoint(p, r)).reverse();
      expect(backward).to.deep.equal(forward);
      for (const f of forward) if (f !== null) expect(f).to.be.at.least(0.6).and.below(1);
    });

    it('probability 0 never crashes; a fixed fraction is reported as is', () => {
      const none = new CrashModel({ probability: 0 }, createRng(3));
      expect(Array.from({ length: 100 }, (_, p) => none.crashPoint(p, 0)).every((f) => f === null)).to.equal(true);
      const fixed = new CrashModel({ probability: 1, fraction: { kind: 'fixed', value: 0.75 } }, createRng(3));
      expect(fixed.crashPoint(4, 9)).to.equal(0.75);
    });

    it('rejects fractions that can reach 1 or leave [0, 1], naming the key', () => {
      for (const fraction of [
        { kind: 'fixed', value: 1 },
        { kind: 'uniform', min: 0.5, max: 1.5 },
        { kind: 'normal', mean: 0.5, std: 0.1, min: 0 },
        { kind: 'uniform', min: -0.1, max: 0.5 },
      ] as const) {
        const error = thrown(ConfigError, () => new CrashModel({ probability: 0.1, fraction }, createRng(1)));
        expect(error.key).to.match(/^churn\.crash\.fraction/);
      }
      expect(thrown(ConfigError, () => new CrashModel({ probability: -0.1 }, createRng(1))).key).to.equal('churn.crash.probability');
    });
  });

  describe('joins', () => {
    it('Poisson joins arrive at ≈ rate · time with consecutive ids from firstPeerId', () => {
      const joins = new PoissonJoins(0.05, 1000, createRng(1));
      const all = joins.joinsBetween(0, 100_000);
      expect(all.length).to.be.closeTo(5000, 250);
      all.forEach((j, i) => expect(j.peer).to.equal(1000 + i));
      for (let i = 1; i < all.length; i++) expect(all[i]!.atS).to.be.above(all[i - 1]!.atS);
    });

    it('Poisson joins per round window partition the arrivals, whatever the query order', () => {
      const whole = new PoissonJoins(0.2, 0, createRng(2)).joinsBetween(0, 1000);
      const byRound = new PoissonJoins(0.2, 0, createRng(2));
      const rounds = [9, 3, 0, 5, 1, 2, 8, 4, 7, 6].map((r) => [r, byRound.joinsForRound(windowOf(r))] as const);
      const merged = rounds.sort((a, b) => a[0] - b[0]).flatMap(([, js]) => js);
      expect(merged).to.deep.equal(whole);
      for (const [r, js] of rounds) for (const j of js) expect(j.atS).to.be.within(r * 100, (r + 1) * 100);
    });

    it('listed joins allocate ids in round order at the window start', () => {
      const joins = new ListedJoins(100, [
        { round: 5, count: 2 },
        { round: 2, count: 3 },
      ]);
      expect(joins.joinsForRound(windowOf(2)).map((j) => j.peer)).to.deep.equal([100, 101, 102]);
      expect(joins.joinsForRound(windowOf(5))).to.deep.equal([
        { peer: 103, atS: 500 },
        { peer: 104, atS: 500 },
      ]);
      expect(joins.joinsForRound(windowOf(3))).to.deep.equal([]);
    });

    it('rejects bad join configs, naming the key', () => {
      expect(thrown(ConfigError, () => new PoissonJoins(0, 0, createRng(1))).key).to.equal('churn.joins.ratePerS');
      expect(thrown(ConfigError, () => new ListedJoins(0, [{ round: 1, count: 0 }])).key).to.equal('churn.joins.rounds[0].count');
      expect(thrown(ConfigError, () => new ListedJoins(0, [{ round: 1, count: 1 }, { round: 1, count: 2 }])).key).to.equal('churn.joins.rounds[1].round');
    });
  });

  describe('createChurn', () => {
    it('builds each model kind from typed config', () => {
      const rng = createRng(1).fork('churn');
      expect(createChurn({ availability: { kind: 'always' } }, rng).availability.isPresent(3, windowOf(0))).to.equal(true);
      const bern = createChurn({ availability: { kind: 'bernoulli', dropout: 0.3 } }, rng).availability;
      expect(bern.isPresent(3, windowOf(1))).to.equal(new BernoulliDropout(0.3, rng).isPresent(3, windowOf(1)));
      const sessions = createChurn({ availability: { kind: 'sessions', onS: { kind: 'exponential', mean: 10 }, offS: { kind: 'exponential', mean: 10 } } }, rng);
      expect(sessions.availability.kind).to.equal('sessions');
      const full = createChurn(
        { availability: { kind: 'trace', csv: '0,0,inf' }, crash: { probability: 0.1 }, joins: { kind: 'listed', firstPeerId: 10, rounds: [{ round: 0, count: 1 }] } },
        rng,
      );
      expect(full.availability.isPresent(0, windowOf(4))).to.equal(true);
      expect(full.crashes).to.be.instanceOf(CrashModel);
      expect(full.joins!.joinsForRound(windowOf(0))).to.deep.equal([{ peer: 10, atS: 0 }]);
    });

    it('names the bad key', () => {
      const rng = createRng(1);
      expect(thrown(ConfigError, () => createChurn({ availability: { kind: 'bernoulli', dropout: -1 } }, rng)).key).to.equal('churn.availability.dropout');
      expect(thrown(ConfigError, () => createChurn({ availability: { kind: 'random' } as never }, rng)).key).to.equal('churn.availability.kind');
      expect(thrown(ConfigError, () => createChurn({ availability: { kind: 'always' }, crash: { probability: 2 } }, rng)).key).to.equal('churn.crash.probability');
      expect(
        thrown(ConfigError, () =>
          createChurn({ availability: { kind: 'sessions', onS: { kind: 'exponential', mean: 1 }, offS: { kind: 'exponential', mean: -1 } } }, rng),
        ).key,
      ).to.equal('churn.availability.offS.mean');
    });
  });
});
