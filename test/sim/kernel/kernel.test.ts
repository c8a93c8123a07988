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
    expect(() => env.run(4)).to.throw(KernelError, /must be later than now/);
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
