// How Environment.run(until) ends: SimPy 4's semantics (simpy/core.py `run`, `StopSimulation`;
// tests/test_environment.py, test_exceptions.py, test_process.py), and the one place we are
// stricter — a failure never comes back as a normal, shorter run.
import { expect } from 'chai';
import { Environment, Interrupt, KernelError, type ProcessGenerator } from '../../../sim/kernel/index.ts';

/** A process that records rounds 0 … rounds − 1, one per sim second, and throws in round `failAt` (−1: never). */
function roundLoop(env: Environment, rows: number[], rounds: number, failAt: number): ProcessGenerator<string> {
  return (function* () {
    for (let round = 0; round < rounds; round++) {
      yield env.timeout(1);
      if (round === failAt) throw new RangeError(`round ${round} failed`);
      rows.push(round);
    }
    return 'done';
  })();
}

describe('sim/kernel: run(until)', () => {
  describe('until an event', () => {
    it('re-throws the failure of the until event: a process that throws mid-run does not return a short run', () => {
      const env = new Environment();
      const rows: number[] = [];
      expect(() => env.run(env.process(roundLoop(env, rows, 5, 2)))).to.throw(RangeError, 'round 2 failed');
      expect(rows).to.deep.equal([0, 1]);
      expect(env.now).to.equal(3);
    });

    it('re-throws the until event failure even when a waiting process caught it (SimPy raises it regardless)', () => {
      const env = new Environment();
      const gate = env.event();
      let caught = '';
      env.process(
        (function* () {
          try {
            yield gate;
          } catch (error) {
            caught = (error as Error).message; // never reached: the run stops first
          }
        })(),
      );
      env.process(
        (function* () {
          yield env.timeout(1);
          gate.fail(new RangeError('gate broke'));
        })(),
      );
      expect(() => env.run(gate)).to.throw(RangeError, 'gate broke');
      expect(caught).to.equal('');
    });

    it('returns the until event value; a processed until event returns it again without running (test_run_with_processed_event)', () => {
      const env = new Environment();
      const rows: number[] = [];
      const loop = env.process(roundLoop(env, rows, 3, -1));
      const later = env.timeout(10, 'later');
      expect(env.run(loop)).to.equal('done');
      expect([env.now, rows]).to.deep.equal([3, [0, 1, 2]]);
      expect(env.run(loop)).to.equal('done');
      expect(env.now).to.equal(3); // nothing ran
      expect(later.processed).to.equal(false);
    });

    it('a processed until event that failed throws its error again (SimPy would return the error as a value)', () => {
      const env = new Environment();
      const loop = env.process(roundLoop(env, [], 5, 0));
      expect(() => env.run(loop)).to.throw(RangeError, 'round 0 failed');
      expect(() => env.run(loop)).to.throw(RangeError, 'round 0 failed');
    });

    it('an until event that is never triggered is an error once the queue runs empty (test_run_with_untriggered_event)', () => {
      const env = new Environment();
      env.timeout(4);
      expect(() => env.run(env.event())).to.throw(KernelError, /no scheduled events left but the until event was not triggered/);
      expect(env.now).to.equal(4);
    });
  });

  describe('until a time', () => {
    it('rejects a time at or before now, NaN and Infinity (test_run_negative_until)', () => {
      const env = new Environment();
      expect(() => env.run(-3)).to.throw(KernelError, /until \(-3\) must be a finite number of sim seconds later than now \(0\)/);
      expect(() => env.run(0)).to.throw(KernelError, /until \(0\)/);
      expect(() => env.run(Number.NaN)).to.throw(KernelError, /until \(NaN\)/);
      expect(() => env.run(Infinity)).to.throw(KernelError, /until \(Infinity\)/);
      env.run(2);
      expect(() => env.run(2)).to.throw(KernelError, /later than now \(2\)/);
    });

    it('rejects an until that is neither a time nor an event', () => {
      const env = new Environment();
      expect(() => env.run('3' as unknown as number)).to.throw(KernelError, /until \("3"\) must be a number of sim seconds or an event/);
    });

    it('a failed event nobody handles crashes run(until=time) (test_exception_handling)', () => {
      const env = new Environment();
      env.event().fail(new RangeError('unhandled'));
      expect(() => env.run(1)).to.throw(RangeError, 'unhandled');
    });

    it('a callback that defuses the failure lets run(until=time) go on (test_callback_exception_handling)', () => {
      const env = new Environment();
      const e = env.event();
      e.then((ev) => {
        ev.defused = true;
      });
      e.fail(new RangeError('handled'));
      expect(e.defused).to.equal(false);
      env.run(1);
      expect([e.defused, env.now]).to.deep.equal([true, 1]);
    });

    it('a run ended by a failure leaves no stop marker behind to end a later run early', () => {
      const env = new Environment();
      const ticks: number[] = [];
      env.process(
        (function* () {
          for (let t = 1; t <= 5; t++) {
            yield env.timeout(1);
            ticks.push(env.now);
          }
        })(),
      );
      env.process(
        (function* () {
          yield env.timeout(1.5);
          throw new RangeError('crash at 1.5');
        })(),
      );
      expect(() => env.run(3)).to.throw(RangeError, 'crash at 1.5');
      expect(ticks).to.deep.equal([1]);
      env.run(); // would stop at t = 3 if run(3)'s marker still ended runs
      expect([env.now, ticks]).to.deep.equal([5, [1, 2, 3, 4, 5]]);
    });
  });

  describe('a failed process nobody waits on still crashes the run', () => {
    it('while its parent waits for something else (test_no_parent_process)', () => {
      const env = new Environment();
      let parentFinished = false;
      const parent = env.process(
        (function* () {
          env.process(
            (function* (): ProcessGenerator<void> {
              throw new RangeError('child failed');
            })(),
          );
          yield env.timeout(1);
          parentFinished = true;
        })(),
      );
      expect(() => env.run(parent)).to.throw(RangeError, 'child failed');
      expect(parentFinished).to.equal(false);
      expect(env.now).to.equal(0);
    });

    it('after the process that waited for it was interrupted away (test_error_and_interrupted_join)', () => {
      const env = new Environment();
      let interrupted = false;
      env.process(
        (function* () {
          const self = env.activeProcess!;
          env.process(
            (function* (): ProcessGenerator<void> {
              self.interrupt('go away');
            })(),
          );
          const failing = env.process(
            (function* (): ProcessGenerator<void> {
              throw new RangeError('spam');
            })(),
          );
          try {
            yield failing;
          } catch (error) {
            expect(error).to.be.instanceOf(Interrupt); // unregistered from `failing`, so it never sees 'spam'
            interrupted = true;
          }
          yield env.timeout(0);
        })(),
      );
      expect(() => env.run(10)).to.throw(RangeError, 'spam');
      expect(interrupted).to.equal(true);
    });
  });
});
