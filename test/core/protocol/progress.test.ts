/**
 * Global progress (advances only on finalised rounds) and the catch-up plan of stale, rejoining
 * and new peers.
 */
import { expect } from 'chai';
import { ConfigError } from '../../../core/errors.ts';
import { GlobalProgress, catchUpPlan } from '../../../core/protocol/progress.ts';
import { ProtocolError, openRound } from '../../../core/protocol/round.ts';

/** Progress after rounds 0..n−1, where the rounds in `skipped` were skipped. */
function progressOf(n: number, skipped: readonly number[] = []): GlobalProgress {
  const p = new GlobalProgress();
  for (let round = 0; round < n; round++) p.record({ round, phase: skipped.includes(round) ? 'skipped' : 'finalised' });
  return p;
}

describe('core/protocol/progress', () => {
  describe('GlobalProgress', () => {
    it('advances the global step only on finalised rounds', () => {
      const p = new GlobalProgress();
      expect(p.globalStep).to.equal(0);
      expect(p.lastRound).to.equal(null);
      expect(p.record({ round: 0, phase: 'finalised' })).to.equal(1);
      expect(p.record({ round: 1, phase: 'skipped' })).to.equal(1);
      expect(p.record({ round: 3, phase: 'finalised' })).to.equal(2);
      expect(p.finalisedRounds).to.deep.equal([0, 3]);
      expect(p.lastRound).to.equal(3);
    });

    it('takes a RoundState outcome directly', () => {
      const r = openRound({ round: 5, windowStart: 0, windowEnd: 1, activePeers: [1] });
      r.submit(1, { bytes: 1, hash: 'h', arrivedAt: 0.5 });
      r.close(1);
      const p = new GlobalProgress();
      expect(() => p.record(r.outcome())).to.throw(ProtocolError).with.property('reason', 'round-not-done');
      r.finalise(1, { applied: true, contributors: [1] });
      expect(p.record(r.outcome())).to.equal(1);
    });

    it('rejects rounds out of order', () => {
      const p = progressOf(3);
      for (const round of [2, 1]) {
        expect(() => p.record({ round, phase: 'finalised' })).to.throw(ProtocolError).with.property('reason', 'round-out-of-order');
      }
      expect(p.globalStep).to.equal(3);
    });
  });

  describe('catchUpPlan', () => {
    const options = { maxReplay: 3, checkpointEvery: 4 };

    it('says up-to-date when nothing was finalised after the peer\'s last round', () => {
      expect(catchUpPlan(9, progressOf(10), options)).to.deep.equal({ kind: 'up-to-date' });
      expect(catchUpPlan(7, progressOf(10, [8, 9]), options)).to.deep.equal({ kind: 'up-to-date' });
      expect(catchUpPlan(0, new GlobalProgress(), options)).to.deep.equal({ kind: 'up-to-date' });
    });

    it('replays the missed finalised rounds (skipped ones have no aggregate) up to maxReplay', () => {
      expect(catchUpPlan(6, progressOf(10), options)).to.deep.equal({ kind: 'replay', rounds: [7, 8, 9] });
      expect(catchUpPlan(4, progressOf(10, [6, 8]), options)).to.deep.equal({ kind: 'replay', rounds: [5, 7, 9] });
    });

    it('downloads the latest checkpoint when too far behind, then replays the rest', () => {
      // 10 finalised rounds → step 10; checkpoints every 4 → step 8 = after rounds 0..7.
      expect(catchUpPlan(2, progressOf(10), options)).to.deep.equal({ kind: 'checkpoint', checkpointStep: 8, rounds: [8, 9] });
      // With skips the step is counted in outer steps, not rounds: rounds 0..11 minus {1, 5} → 10 steps.
      expect(catchUpPlan(0, progressOf(12, [1, 5]), options)).to.deep.equal({ kind: 'checkpoint', checkpointStep: 8, rounds: [10, 11] });
    });

    it('takes the checkpoint only when it leaves fewer rounds to replay', () => {
      // Step 7: the peer misses 4 (> maxReplay 3); the checkpoint at step 4 leaves 3 → checkpoint.
      expect(catchUpPlan(2, progressOf(7), options)).to.deep.equal({ kind: 'checkpoint', checkpointStep: 4, rounds: [4, 5, 6] });
      // Step 7, peer missed exactly 4, checkpoint every 100 → only step 0 exists: replay the 4.
      expect(catchUpPlan(2, progressOf(7), { maxReplay: 3, checkpointEvery: 100 })).to.deep.equal({ kind: 'replay', rounds: [3, 4, 5, 6] });
    });

    it('sends a peer without state to the latest checkpoint (step 0 = the initial model)', () => {
      expect(catchUpPlan(null, progressOf(10), options)).to.deep.equal({ kind: 'checkpoint', checkpointStep: 8, rounds: [8, 9] });
      expect(catchUpPlan(null, progressOf(2), options)).to.deep.equal({ kind: 'checkpoint', checkpointStep: 0, rounds: [0, 1] });
    });

    it('rejects bad options with a ConfigError naming the value', () => {
      expect(() => catchUpPlan(0, progressOf(1), { maxReplay: -1, checkpointEvery: 1 })).to.throw(ConfigError, /maxReplay \(-1\)/);
      expect(() => catchUpPlan(0, progressOf(1), { maxReplay: 0, checkpointEvery: 0 })).to.throw(ConfigError, /checkpointEvery \(0\)/);
      expect(() => catchUpPlan(-2, progressOf(1), options)).to.throw(ConfigError, /peerLastRound \(-2\)/);
    });
  });
});
