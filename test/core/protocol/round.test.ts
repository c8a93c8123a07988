/**
 * The round state machine: classification of submissions (accepted, late, duplicate, not-active),
 * the closed set sorted by peer uid and independent of call order, selection, skipped rounds, the
 * typed error of every illegal transition, and its driving by a real Communicator.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError } from '../../../core/errors.ts';
import { defineLayout } from '../../../core/layout.ts';
import { createRng } from '../../../core/rng.ts';
import { createCommunicator } from '../../../core/baselines/index.ts';
import { ProtocolError, openRound } from '../../../core/protocol/round.ts';
import type { ProtocolErrorReason, RoundPhase, RoundState, SubmissionInput } from '../../../core/protocol/round.ts';

const at = (arrivedAt: number, hash = 'h', bytes = 100): SubmissionInput => ({ bytes, hash, arrivedAt });

function window10(activePeers: readonly number[] = [1, 2, 3, 4]): RoundState {
  return openRound({ round: 7, windowStart: 100, windowEnd: 110, activePeers });
}

function expectProtocolError(fn: () => unknown, reason: ProtocolErrorReason, phase: RoundPhase | null): ProtocolError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ProtocolError ${reason}`).to.be.instanceOf(ProtocolError);
  const err = caught as ProtocolError;
  expect(err.reason).to.equal(reason);
  expect(err.phase).to.equal(phase);
  expect(err.message).to.include(reason);
  return err;
}

describe('core/protocol/round', () => {
  it('happy path: on-time submissions are selected, applied, and the round is finalised', () => {
    const r = window10();
    expect(r.phase).to.equal('open');
    expect(r.submit(3, at(101, 'c', 300))).to.equal('accepted');
    expect(r.submit(1, at(105, 'a', 100))).to.equal('accepted');
    expect(r.submit(2, at(110, 'b', 200))).to.equal('accepted'); // exactly at windowEnd is on time
    const closed = r.close(110);
    expect(r.phase).to.equal('closed');
    expect(closed.onTime.map((s) => s.peerUid)).to.deep.equal([1, 2, 3]);
    expect(closed.selected).to.deep.equal(closed.onTime);
    expect(closed.selected[2]).to.deep.equal({ peerUid: 3, bytes: 300, hash: 'c', arrivedAt: 101 });
    const wire = [{ uploadBytes: 100, downloadBytes: 500 }, { uploadBytes: 200, downloadBytes: 400 }, { uploadBytes: 300, downloadBytes: 300 }];
    expect(r.finalise(112, { applied: true, contributors: [1, 2, 3] }, { wire })).to.equal('finalised');
    const out = r.outcome();
    expect(out).to.deep.include({ round: 7, phase: 'finalised', windowStart: 100, windowEnd: 110, closedAt: 110, finalisedAt: 112 });
    expect(out.selected).to.deep.equal([1, 2, 3]);
    expect(out.contributors).to.deep.equal([1, 2, 3]);
    expect(out.counters).to.deep.equal({
      submitted: 3, onTime: 3, late: 0, duplicate: 0, notActive: 0, selected: 3, rejectedByApply: 0, contributors: 3, bytesUp: 600, bytesDown: 1200,
    });
  });

  it('may close before windowEnd only once every active peer is in', () => {
    const r = openRound({ round: 0, windowStart: 0, windowEnd: 100, activePeers: [1, 2] });
    r.submit(1, { bytes: 10, hash: 'a', arrivedAt: 5 });
    expect(r.complete).to.equal(false);
    expect(() => r.close(6)).to.throw(ProtocolError, /before windowEnd/);
    r.submit(2, { bytes: 10, hash: 'b', arrivedAt: 7 });
    expect(r.complete).to.equal(true);
    expect(r.close(7).selected.map((s) => s.peerUid)).to.deep.equal([1, 2]);
  });

  it('counts late, duplicate and not-active submissions and leaves them out', () => {
    const r = window10([1, 2, 3]);
    expect(r.submit(9, at(101, 'x', 50))).to.equal('not-active');
    expect(r.submit(1, at(102, 'a1'))).to.equal('accepted');
    expect(r.submit(1, at(103, 'a2'))).to.equal('duplicate');
    expect(r.submit(2, at(110.5, 'b'))).to.equal('late');
    expect(r.submit(3, at(104, 'c'))).to.equal('accepted');
    expect(r.submit(3, at(111, 'c-late'))).to.equal('late'); // a late resend is late, not duplicate
    const closed = r.close(115);
    expect(closed.onTime.map((s) => [s.peerUid, s.hash])).to.deep.equal([[1, 'a1'], [3, 'c']]);
    expect(r.counters).to.deep.include({ submitted: 6, onTime: 2, late: 2, duplicate: 1, notActive: 1, selected: 2, bytesUp: 550 });
  });

  it('keeps a peer\'s earliest arrival even when it is reported after a later one', () => {
    const r = window10();
    expect(r.submit(2, at(108, 'second'))).to.equal('accepted');
    expect(r.submit(2, at(104, 'first'))).to.equal('accepted'); // displaces the 108 one
    expect(r.submit(2, at(104, 'zzz'))).to.equal('duplicate'); // same time: smaller hash wins
    expect(r.close(110).onTime.map((s) => s.hash)).to.deep.equal(['first']);
    expect(r.counters.duplicate).to.equal(2);
  });

  it('sorts the closed set by peer uid whatever the arrival order', () => {
    const r = window10([40, 3, 17, 8, 25]);
    for (const [uid, t] of [[40, 101], [3, 109], [25, 102], [8, 103], [17, 100]] as const) r.submit(uid, at(t));
    expect(r.close(110).onTime.map((s) => s.peerUid)).to.deep.equal([3, 8, 17, 25, 40]);
  });

  it('runs the selection hook on the sorted on-time set', () => {
    let seen: number[] = [];
    const r = openRound({
      round: 1, windowStart: 0, windowEnd: 10, activePeers: [1, 2, 3, 4],
      select: (onTime) => {
        seen = onTime.map((s) => s.peerUid);
        return [4, 2]; // any order: the result is sorted
      },
    });
    for (const uid of [4, 1, 3, 2]) r.submit(uid, at(uid));
    const closed = r.close(10);
    expect(seen).to.deep.equal([1, 2, 3, 4]);
    expect(closed.selected.map((s) => s.peerUid)).to.deep.equal([2, 4]);
    expect(r.finalise(11, { applied: true, contributors: [4] })).to.equal('finalised');
    expect(r.counters).to.deep.include({ onTime: 4, selected: 2, rejectedByApply: 1, contributors: 1 });
  });

  it('rejects a selection naming a peer without an on-time submission, or one twice', () => {
    const unknown = openRound({ round: 1, windowStart: 0, windowEnd: 10, activePeers: [1, 2], select: () => [2] });
    unknown.submit(1, at(5));
    unknown.submit(2, at(11)); // late: not selectable
    expectProtocolError(() => unknown.close(11), 'bad-selection', 'open');
    const twice = openRound({ round: 1, windowStart: 0, windowEnd: 10, activePeers: [1], select: () => [1, 1] });
    twice.submit(1, at(5));
    expectProtocolError(() => twice.close(10), 'bad-selection', 'open');
  });

  it('is skipped when no valid message arrived (nothing on time, or apply rejected all)', () => {
    const empty = window10();
    empty.submit(1, at(120));
    expect(empty.close(120).selected).to.deep.equal([]);
    expect(empty.finalise(120, { applied: false, contributors: [] })).to.equal('skipped');
    expect(empty.outcome()).to.deep.include({ phase: 'skipped', contributors: [] });

    const allBad = window10();
    allBad.submit(1, at(101));
    allBad.submit(2, at(102));
    allBad.close(110);
    expect(allBad.finalise(111, { applied: false, contributors: [] })).to.equal('skipped');
    expect(allBad.counters).to.deep.include({ selected: 2, rejectedByApply: 2, contributors: 0 });
  });

  describe('illegal transitions throw ProtocolError with the reason and phase', () => {
    it('submit after close, and after finalise', () => {
      const r = window10();
      r.close(110);
      expectProtocolError(() => r.submit(1, at(110)), 'submit-after-close', 'closed');
      r.finalise(110, { applied: false, contributors: [] });
      expectProtocolError(() => r.submit(1, at(110)), 'submit-after-close', 'skipped');
    });

    it('close before windowEnd, close twice, close before a recorded arrival', () => {
      const early = window10();
      expectProtocolError(() => early.close(109.9), 'close-before-window-end', 'open');
      const r = window10();
      r.submit(1, at(112));
      expectProtocolError(() => r.close(111), 'non-monotonic-time', 'open');
      r.close(112);
      expectProtocolError(() => r.close(113), 'close-twice', 'closed');
    });

    it('finalise before close, twice, or before the close time', () => {
      const r = window10();
      expectProtocolError(() => r.finalise(111, { applied: false, contributors: [] }), 'finalise-before-close', 'open');
      r.submit(1, at(101));
      r.close(115);
      expectProtocolError(() => r.finalise(114, { applied: true, contributors: [1] }), 'non-monotonic-time', 'closed');
      r.finalise(115, { applied: true, contributors: [1] });
      expectProtocolError(() => r.finalise(116, { applied: true, contributors: [1] }), 'finalise-twice', 'finalised');
    });

    it('a submission before windowStart', () => {
      expectProtocolError(() => window10().submit(1, at(99)), 'non-monotonic-time', 'open');
    });

    it('an apply report inconsistent with the selection', () => {
      const make = () => {
        const r = window10();
        r.submit(1, at(101));
        r.submit(2, at(101));
        r.close(110);
        return r;
      };
      expectProtocolError(() => make().finalise(110, { applied: true, contributors: [3] }), 'bad-report', 'closed');
      expectProtocolError(() => make().finalise(110, { applied: true, contributors: [2, 1] }), 'bad-report', 'closed');
      expectProtocolError(() => make().finalise(110, { applied: true, contributors: [] }), 'bad-report', 'closed');
      expectProtocolError(() => make().finalise(110, { applied: false, contributors: [1] }), 'bad-report', 'closed');
    });
  });

  it('rejects bad parameters and inputs with a ConfigError naming the value', () => {
    const bad: [() => unknown, string][] = [
      [() => openRound({ round: -1, windowStart: 0, windowEnd: 1, activePeers: [] }), 'round'],
      [() => openRound({ round: 0, windowStart: 5, windowEnd: 5, activePeers: [] }), 'windowEnd'],
      [() => openRound({ round: 0, windowStart: Number.NaN, windowEnd: 5, activePeers: [] }), 'windowStart'],
      [() => openRound({ round: 0, windowStart: 0, windowEnd: 5, activePeers: [2, 2] }), 'activePeers'],
      [() => window10().submit(-1, at(101)), 'peerUid'],
      [() => window10().submit(1, at(101, '')), 'submission hash'],
      [() => window10().submit(1, { bytes: 1.5, hash: 'h', arrivedAt: 101 }), 'submission bytes'],
      [() => window10().submit(1, at(Number.POSITIVE_INFINITY)), 'submission arrivedAt'],
      [() => window10().close(Number.NaN), 'close at'],
    ];
    for (const [fn, key] of bad) {
      expect(fn, key).to.throw(ConfigError);
      try {
        fn();
      } catch (err) {
        expect((err as ConfigError).key).to.equal(key);
      }
    }
  });

  it('the closed set depends only on who sent what when, not on call order (property)', () => {
    const submission = fc.record({
      peerUid: fc.integer({ min: 0, max: 12 }),
      arrivedAt: fc.integer({ min: 0, max: 30 }), // window [0, 20]: about a third arrive late
      hash: fc.constantFrom('a', 'b', 'c'),
      bytes: fc.integer({ min: 0, max: 1000 }),
    });
    fc.assert(
      fc.property(fc.array(submission, { maxLength: 40 }), fc.integer(), (subs, shuffleSeed) => {
        const run = (order: typeof subs) => {
          const r = openRound({ round: 2, windowStart: 0, windowEnd: 20, activePeers: [0, 1, 2, 3, 4, 5, 6, 7, 8] });
          for (const s of order) r.submit(s.peerUid, s);
          return { closed: r.close(30), counters: r.counters };
        };
        const a = run(subs);
        const b = run(createRng(shuffleSeed).shuffle([...subs]));
        expect(b.closed).to.deep.equal(a.closed);
        expect(b.counters).to.deep.equal(a.counters);
        // And it is what the rules say: per active peer, the earliest on-time submission.
        const expected = [...new Set(subs.filter((s) => s.peerUid <= 8 && s.arrivedAt <= 20).map((s) => s.peerUid))].sort((x, y) => x - y);
        expect(a.closed.onTime.map((s) => s.peerUid)).to.deep.equal(expected);
        for (const kept of a.closed.onTime) {
          const times = subs.filter((s) => s.peerUid === kept.peerUid && s.arrivedAt <= 20).map((s) => s.arrivedAt);
          expect(kept.arrivedAt).to.equal(Math.min(...times));
        }
      }),
      { seed: 4242, numRuns: 200 },
    );
  });

  it('drives a real Communicator: selected messages applied, a corrupt one rejected by apply', () => {
    const layout = defineLayout([{ name: 'w', shape: [4, 4] }], { targetChunk: 4 });
    const comm = createCommunicator(layout, { method: 'sparseloco', topK: 4, outerLr: 1 });
    const rng = createRng(3);
    const payloads = new Map<number, Uint8Array>();
    const r = openRound({ round: 0, windowStart: 0, windowEnd: 60, activePeers: [0, 1, 2] });
    for (const uid of [2, 0, 1]) {
      const bytes = comm.encode(comm.createPeerState(), rng.fillNormal(new Float32Array(layout.size)));
      if (uid === 1) bytes[0] = bytes[0]! ^ 0xff; // corrupt peer 1's message
      payloads.set(uid, bytes);
      r.submit(uid, { bytes: bytes.length, hash: `msg-${uid}`, arrivedAt: 10 + uid });
    }
    const { selected } = r.close(60);
    const params = new Float32Array(layout.size);
    const report = comm.apply(params, comm.createSharedState(), selected.map((s) => ({ peerUid: s.peerUid, bytes: payloads.get(s.peerUid)! })));
    expect(r.finalise(61, report, { wire: comm.wireBytes(selected.map((s) => s.bytes)) })).to.equal('finalised');
    expect(r.outcome().contributors).to.deep.equal([0, 2]);
    expect(r.counters).to.deep.include({ selected: 3, rejectedByApply: 1, contributors: 2 });
    expect(r.counters.bytesDown).to.equal(2 * r.counters.bytesUp); // all-gather: each downloads the other two
  });
});
