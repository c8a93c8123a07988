/**
 * withRetry: retries exactly the retryable StoreErrors, with doubling backoff, and hands every
 * other failure (not-found above all) to the caller unchanged.
 */
import { expect } from 'chai';
import { ConfigError } from '../../../core/errors.ts';
import { StoreError } from '../../../backends/store/store.ts';
import type { ObjectStore, StoreErrorReason } from '../../../backends/store/store.ts';
import { withRetry } from '../../../backends/store/retry.ts';
import { expectStoreError } from './conformance.ts';

/** A store whose every method fails with the queued errors first, then succeeds; counts calls. */
function flakyStore(failures: (StoreError | Error)[]): ObjectStore & { calls: number } {
  const queue = [...failures];
  const store = {
    calls: 0,
    async attempt<T>(value: T): Promise<T> {
      store.calls++;
      const next = queue.shift();
      if (next !== undefined) throw next;
      return value;
    },
    put: (_key: string, _bytes: Uint8Array) => store.attempt(undefined),
    get: (_key: string) => store.attempt(new Uint8Array([42])),
    head: (_key: string) => store.attempt({ size: 1 }),
    list: (_prefix: string) => store.attempt(['a', 'b']),
    delete: (_key: string) => store.attempt(undefined),
  };
  return store;
}

const transient = (reason: StoreErrorReason = 'unavailable') => new StoreError(reason, 'k', true, 'flaky');
const permanent = (reason: StoreErrorReason) => new StoreError(reason, 'k', false, 'nope');

describe('withRetry', () => {
  const noSleep = { sleep: async () => undefined };

  it('retries retryable errors twice, then returns the success (every method)', async () => {
    const calls = [
      (s: ObjectStore) => s.get('k'),
      (s: ObjectStore) => s.put('k', new Uint8Array(1)),
      (s: ObjectStore) => s.head('k'),
      (s: ObjectStore) => s.list(''),
      (s: ObjectStore) => s.delete('k'),
    ];
    const expected = [new Uint8Array([42]), undefined, { size: 1 }, ['a', 'b'], undefined];
    for (const [i, call] of calls.entries()) {
      const inner = flakyStore([transient('timeout'), transient('unavailable')]);
      expect(await call(withRetry(inner, { attempts: 3, backoffMs: 0, ...noSleep }))).to.deep.equal(expected[i]);
      expect(inner.calls).to.equal(3);
    }
  });

  it('waits backoffMs, doubling, capped by maxBackoffMs, and reports each retry', async () => {
    const waits: number[] = [];
    const seen: { op: string; attempt: number; reason: string }[] = [];
    const inner = flakyStore([transient(), transient(), transient(), transient()]);
    const store = withRetry(inner, {
      attempts: 5,
      backoffMs: 100,
      maxBackoffMs: 300,
      sleep: async (ms) => void waits.push(ms),
      onRetry: ({ op, attempt, error }) => void seen.push({ op, attempt, reason: error.reason }),
    });
    await store.list('x');
    expect(waits).to.deep.equal([100, 200, 300, 300]);
    expect(seen.map((s) => s.attempt)).to.deep.equal([1, 2, 3, 4]);
    expect(seen.every((s) => s.op === 'list' && s.reason === 'unavailable')).to.equal(true);
  });

  it('gives up after `attempts` tries and rethrows the last retryable error as is', async () => {
    const last = transient('timeout');
    const inner = flakyStore([transient(), transient(), last, transient()]);
    let caught: unknown;
    await withRetry(inner, { attempts: 3, backoffMs: 0, ...noSleep }).get('k').catch((error: unknown) => (caught = error));
    expect(caught).to.equal(last);
    expect(inner.calls).to.equal(3);
  });

  it('never retries a non-retryable error, and never turns not-found into anything else', async () => {
    for (const reason of ['not-found', 'bad-key', 'io', 'integrity', 'unavailable'] as const) {
      const inner = flakyStore([permanent(reason)]);
      await expectStoreError(withRetry(inner, { attempts: 5, backoffMs: 0, ...noSleep }).get('k'), reason);
      expect(inner.calls, reason).to.equal(1);
    }
  });

  it('does not retry errors that are not StoreErrors', async () => {
    const inner = flakyStore([new TypeError('bug')]);
    let caught: unknown;
    await withRetry(inner, { attempts: 5, backoffMs: 0, ...noSleep }).head('k').catch((error: unknown) => (caught = error));
    expect(caught).to.be.instanceOf(TypeError);
    expect(inner.calls).to.equal(1);
  });

  it('attempts: 1 means no retry', async () => {
    const inner = flakyStore([transient()]);
    await expectStoreError(withRetry(inner, { attempts: 1, backoffMs: 0, ...noSleep }).get('k'), 'unavailable');
    expect(inner.calls).to.equal(1);
  });

  it('uses a real timer by default', async () => {
    const inner = flakyStore([transient()]);
    const started = process.hrtime.bigint();
    await withRetry(inner, { attempts: 2, backoffMs: 20 }).get('k');
    expect(Number(process.hrtime.bigint() - started) / 1e6).to.be.at.least(15);
  });

  it('rejects bad options with ConfigErrors naming the value', () => {
    const inner = flakyStore([]);
    expect(() => withRetry(inner, { attempts: 0, backoffMs: 0 })).to.throw(ConfigError, 'attempts (0)');
    expect(() => withRetry(inner, { attempts: 1.5, backoffMs: 0 })).to.throw(ConfigError, 'attempts');
    expect(() => withRetry(inner, { attempts: 2, backoffMs: -1 })).to.throw(ConfigError, 'backoffMs (-1)');
    expect(() => withRetry(inner, { attempts: 2, backoffMs: Number.NaN })).to.throw(ConfigError, 'backoffMs');
  });
});
