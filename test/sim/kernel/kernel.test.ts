import { expect } from 'chai';
import fc from 'fast-check';
import { Environment, EventQueue, Interrupt, KernelError, NORMAL, URGENT, type SimEvent } from '../../../sim/kernel/index.ts';

describe('sim/kernel', () => {
  describe('EventQueue', () => {
    it('pops in (time, priority, insertion) order', () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 2 })), { maxLength: 200 }), (keys) => {
          const q = new EventQueue<number>();
          keys.forEach(([t, p], i) => q.push(t, p, i));
          const expected = keys.map(([t, p], i) => ({ t, p, i })).sort((a, b) => a.t - b.t || a.p - b.p || a.i - b.i).map((e) => e.i);
          const got: number[] = [];
          for (let e = q.pop(); e; e = q.pop()) got.push(e.item);
          expect(got).to.deep.equal(expected);
        }),
        { seed: 5, numRuns: 100 },
      );
    });

    it('keeps the order under interleaved pushes and pops (slot reuse), with negative priorities', () => {
      type Op = { push: true; t: number; p: number } | { push: false };
      const op = fc.oneof(
        fc.record({ push: fc.constant(true as const), t: fc.integer({ min: 0, max: 4 }), p: fc.integer({ min: -3, max: 3 }) }),
        fc.record({ push: fc.constant(false as const) }),
      );
      fc.assert(
        fc.property(fc.array(op, { maxLength: 300 }), (ops: Op[]) => {
          const q = new EventQueue<number>();
          const model: { t: number; p: number; seq: number }[] = [];
          let seq = 0;
          for (const o of ops) {
            if (o.push) {
              q.push(o.t, o.p, seq);
              model.push({ t: o.t, p: o.p, seq: seq++ });
            } else {
              model.sort((a, b) => a.t - b.t || a.p - b.p || a.seq - b.seq);
              const want = model.shift();
              const got = q.pop();
              expect(got && { t: got.time, p: got.priority, seq: got.seq, item: got.item }).to.deep.equal(
                want && { t: want.t, p: want.p, seq: want.seq, item: want.seq },
              );
            }
            expect(q.size).to.equal(model.length);
          }
        }),
        { seed: 11, numRuns: 100 },
      );
    });

    it('reports the next time with peekTime and rejects a priority outside the exact key range', () => {
      const q = new EventQueue<string>();
      expect(q.peekTime()).to.equal(Infinity);
      expect(q.popItem()).to.equal(undefined);
      q.push(2.5, 0, 'a');
      expect(q.peekTime()).to.equal(2.5);
      expect(q.peek()).to.deep.equal({ time: 2.5, priority: 0, seq: 0, item: 'a' });
      expect(() => q.push(1, 0.5, 'x')).to.throw(KernelError, /priority \(0\.5\)/);
      expect(() => q.push(1, 5000, 'x')).to.throw(KernelError, /priority \(5000\)/);
      expect(() => q.push(1, Number.NaN, 'x')).to.throw(KernelError);
      expect(q.size).to.equal(1);
    });
  });

  describe('callbacks', () => {
    it('runs several callbacks of one event in the order they were added, processes included', () => {
      const env = new Environment();
      const order: string[] = [];
      const shared = env.timeout(1, 'v');
      shared.then(() => order.push('cb-1'));
      env.process(
        (function* () {
          const v: string = yield shared;
          order.push(`proc-a:${v}`);
        })(),
      );
      shared.then(() => order.push('cb-2'));
      env.process(
        (function* () {
          yield shared;
          order.push('proc-b');
        })(),
      );
      env.run();
      // cb-1 and cb-2 were added at once; the processes added theirs when they started (at t=0).
      expect(order).to.deep.equal(['cb-1', 'cb-2', 'proc-a:v', 'proc-b']);
    });

    it('runs a callback added to an event that is already triggered and scheduled', () => {
      const env = new Environment();
      const e = env.event<number>().succeed(7, NORMAL, 2);
      expect(e.triggered).to.equal(true);
      expect(e.processed).to.equal(false);
      let seen: unknown = null;
      e.then((ev) => {
        seen = [env.now, ev.value];
      });
      env.run();
      expect(seen).to.deep.equal([2, 7]);
      expect(e.processed).to.equal(true);
      expect(() => e.then(() => undefined)).to.throw(KernelError, /already been processed/);
    });

    for (const { victim, withCallback, expected } of [
      { victim: 'a', withCallback: false, expected: ['a interrupted@1', 'b@2', 'c@2'] }, // first waiter
      { victim: 'b', withCallback: true, expected: ['b interrupted@1', 'cb@2', 'a@2', 'c@2'] }, // a later one
    ]) {
      it(`an interrupt removes only the interrupted process (${victim}) from its target, keeping the others in order`, () => {
        const env = new Environment();
        const order: string[] = [];
        const gate = env.event<string>();
        // A plain callback added now runs before the processes', which register when they start.
        if (withCallback) gate.then(() => order.push(`cb@${env.now}`));
        const waiters = new Map(
          ['a', 'b', 'c'].map((name) => [
            name,
            env.process(
              (function* () {
                try {
                  yield gate;
                  order.push(`${name}@${env.now}`);
                } catch (e) {
                  expect(e).to.be.instanceOf(Interrupt);
                  order.push(`${name} interrupted@${env.now}`);
                }
              })(),
            ),
          ]),
        );
        env.process(
          (function* () {
            yield env.timeout(1);
            waiters.get(victim)!.interrupt('stop');
            yield env.timeout(1);
            gate.succeed('open');
          })(),
        );
        env.run();
        expect(order).to.deep.equal(expected);
      });
    }

    it('an interrupt of a process that terminates before it is delivered does nothing', () => {
      const env = new Environment();
      const wake = env.event();
      const p = env.process(
        (function* () {
          yield wake;
          return 'done';
        })(),
      );
      env.process(
        (function* () {
          yield env.timeout(1);
          wake.succeed(undefined, URGENT); // queued ahead of the interruption at the same time
          p.interrupt('late'); // p is alive now, but finishes before the interruption is processed
        })(),
      );
      env.run();
      expect(p.value).to.equal('done');
      expect(p.isAlive).to.equal(false);
    });
  });

  it('advances time through timeouts and returns a process value', () => {
    const env = new Environment();
    const log: number[] = [];
    const p = env.process(
      (function* () {
        yield env.timeout(2);
        log.push(env.now);
        const v: string = yield env.timeout(3, 'x');
        log.push(env.now);
        return v + '!';
      })(),
    );
    expect(env.run(p)).to.equal('x!');
    expect(log).to.deep.equal([2, 5]);
  });

  it('runs equal-time events by priority, then first-scheduled first (documented tie rule)', () => {
    const env = new Environment();
    const order: string[] = [];
    const mk = (name: string) => env.event().then(() => order.push(name));
    mk('normal-1').succeed(undefined, NORMAL, 1);
    mk('urgent').succeed(undefined, URGENT, 1);
    mk('normal-2').succeed(undefined, NORMAL, 1);
    mk('earlier').succeed(undefined, NORMAL, 0.5);
    env.run();
    expect(order).to.deep.equal(['earlier', 'urgent', 'normal-1', 'normal-2']);
  });

  it('starts processes in creation order at the current time', () => {
    const env = new Environment();
    const order: number[] = [];
    for (let i = 0; i < 5; i++) {
      env.process(
        (function* () {
          order.push(i);
          yield env.timeout(0);
          order.push(10 + i);
        })(),
      );
    }
    env.run();
    expect(order).to.deep.equal([0, 1, 2, 3, 4, 10, 11, 12, 13, 14]);
  });

  it('run(until) stops before normal events at that time', () => {
    const env = new Environment();
    const seen: number[] = [];
    env.process(
      (function* () {
        for (;;) {
          yield env.timeout(1);
          seen.push(env.now);
        }
      })(),
    );
    env.run(3);
    expect(env.now).to.equal(3);
    expect(seen).to.deep.equal([1, 2]);
    env.run(5);
    expect(seen).to.deep.equal([1, 2, 3, 4]);
    expect(() => env.run(4)).to.throw(KernelError, /later than now \(5\)/);
  });

  it('allOf waits for every event, anyOf for the first', () => {
    const env = new Environment();
    let all: unknown;
    let any: unknown;
    let tAll = 0;
    let tAny = 0;
    env.process(
      (function* () {
        all = yield env.allOf([env.timeout(1, 'a'), env.timeout(3, 'b')]);
        tAll = env.now;
      })(),
    );
    env.process(
      (function* () {
        any = yield env.anyOf([env.timeout(2, 'slow'), env.timeout(1, 'fast')]);
        tAny = env.now;
      })(),
    );
    env.run();
    expect([tAll, all]).to.deep.equal([3, ['a', 'b']]);
    expect([tAny, any]).to.deep.equal([1, [undefined, 'fast']]);
  });

  it('interrupts a waiting process, which can handle it and go on', () => {
    const env = new Environment();
    const log: string[] = [];
    const worker = env.process(
      (function* () {
        try {
          yield env.timeout(10);
          log.push('finished');
        } catch (e) {
          expect(e).to.be.instanceOf(Interrupt);
          log.push(`interrupted at ${env.now} by ${String((e as Interrupt).cause)}`);
        }
        yield env.timeout(1);
        return 'done';
      })(),
    );
    env.process(
      (function* () {
        yield env.timeout(4);
        worker.interrupt('churn');
      })(),
    );
    env.run();
    expect(log).to.deep.equal(['interrupted at 4 by churn']);
    expect(worker.value).to.equal('done');
    expect(env.now).to.equal(10); // the abandoned timeout still fires, harmlessly
    expect(() => worker.interrupt()).to.throw(KernelError, /terminated/);
  });

  it('fails loudly when a process error is not handled', () => {
    const env = new Environment();
    env.process(
      (function* () {
        yield env.timeout(1);
        throw new RangeError('boom');
      })(),
    );
    expect(() => env.run()).to.throw(RangeError, 'boom');
  });

  it('lets a waiting process catch the failure of the process it waits for', () => {
    const env = new Environment();
    const child = env.process(
      (function* () {
        yield env.timeout(1);
        throw new RangeError('child failed');
      })(),
    );
    let caught = '';
    env.process(
      (function* () {
        try {
          yield child;
        } catch (e) {
          caught = (e as Error).message;
        }
      })(),
    );
    env.run();
    expect(caught).to.equal('child failed');
  });

  it('rejects yielding something that is not an event', () => {
    const env = new Environment();
    env.process(
      (function* (): Generator<SimEvent<any>, void, any> {
        yield 42 as unknown as SimEvent<any>;
      })(),
    );
    expect(() => env.run()).to.throw(KernelError, /not an event/);
  });

  it('rejects negative or non-finite delays and double triggers', () => {
    const env = new Environment();
    expect(() => env.timeout(-1)).to.throw(KernelError, /delay \(-1\)/);
    expect(() => env.timeout(Number.NaN)).to.throw(KernelError);
    const e = env.event().succeed(1);
    expect(() => e.succeed(2)).to.throw(KernelError, /already been triggered/);
  });

  it('rejects a negative or non-finite schedule delay and a non-integer priority', () => {
    const env = new Environment();
    expect(() => env.event().succeed(1, NORMAL, -0.5)).to.throw(KernelError, /delay \(-0\.5\)/);
    expect(() => env.event().succeed(1, NORMAL, Infinity)).to.throw(KernelError, /delay \(Infinity\)/);
    expect(() => env.event().succeed(1, 1.5)).to.throw(KernelError, /priority \(1\.5\)/);
  });

  it('run(until) stops at exactly `until`, whatever the rounding of until − now', () => {
    const env = new Environment();
    env.run(0.1);
    const until = 3 / 7; // 0.1 + (3/7 − 0.1) rounds to 0.4285714285714285, one ulp short
    env.run(until);
    expect(env.now).to.equal(until);
  });

  it('hands a failure to every process waiting on the event, and stops the run if none catches it', () => {
    const env = new Environment();
    const failing = env.event();
    const caught: string[] = [];
    for (const name of ['x', 'y']) {
      env.process(
        (function* () {
          try {
            yield failing;
          } catch (e) {
            caught.push(`${name}:${(e as Error).message}`);
          }
        })(),
      );
    }
    env.process(
      (function* () {
        yield env.timeout(1);
        failing.fail(new RangeError('bad'));
      })(),
    );
    env.run();
    expect(caught).to.deep.equal(['x:bad', 'y:bad']);

    const env2 = new Environment();
    let seen = false;
    env2
      .event()
      .then(() => {
        seen = true; // a plain callback sees the failure but does not take responsibility
      })
      .fail(new RangeError('unhandled'));
    expect(() => env2.run()).to.throw(RangeError, 'unhandled');
    expect(seen).to.equal(true);
  });

  it('a condition fails with the first failing event, which a waiting process can catch', () => {
    const env = new Environment();
    let caught = '';
    env.process(
      (function* () {
        const bad = env.process(
          (function* () {
            yield env.timeout(1);
            throw new RangeError('part failed');
          })(),
        );
        try {
          yield env.allOf([env.timeout(5), bad]);
        } catch (e) {
          caught = `${(e as Error).message}@${env.now}`;
        }
      })(),
    );
    env.run();
    expect(caught).to.equal('part failed@1');
  });

  it('replays identically: same program, same trace', () => {
    const trace = () => {
      const env = new Environment();
      const out: string[] = [];
      for (let i = 0; i < 20; i++) {
        env.process(
          (function* () {
            for (let k = 0; k < 5; k++) {
              yield env.timeout(((i * 7 + k * 3) % 5) * 0.5);
              out.push(`${env.now}:${i}`);
            }
          })(),
        );
      }
      env.run();
      return out;
    };
    expect(trace()).to.deep.equal(trace());
  });
});
