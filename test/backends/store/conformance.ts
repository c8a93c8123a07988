/**
 * The conformance suite every {@link ObjectStore} passes (FolderStore, S3Store over s3rver). Call
 * it from a test file: it registers one mocha `describe` block.
 *
 * @example
 * runStoreConformance('folder', async () => new FolderStore(await mkdtemp(...)));
 */
import { expect } from 'chai';
import { createRng } from '../../../core/rng.ts';
import { StoreError } from '../../../backends/store/store.ts';
import type { ObjectStore, StoreErrorReason } from '../../../backends/store/store.ts';
import { aggregateKey, checkpointKey, updateKey } from '../../../core/protocol/keys.ts';

/** Keys every store must refuse with 'bad-key' before touching storage. */
export const BAD_KEYS: readonly string[] = [
  '',
  '/abs',
  'a//b',
  'trailing/',
  '..',
  'a/../b',
  './a',
  '.hidden',
  'a/.tmp',
  'sp ace',
  'back\\slash',
  'q?x',
  'ü',
  'x'.repeat(1025),
];

/** Awaits `promise` and returns the StoreError it rejects with (fails if it resolves or throws something else). */
export async function expectStoreError(promise: Promise<unknown>, reason: StoreErrorReason): Promise<StoreError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a rejection').to.be.instanceOf(StoreError);
  const error = caught as StoreError;
  expect(error.reason, error.message).to.equal(reason);
  return error;
}

/** Seeded bytes, so failures reproduce. */
export function seededBytes(length: number, seed: string): Uint8Array {
  const rng = createRng(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(rng.next() * 256);
  return bytes;
}

/**
 * Registers `describe(\`ObjectStore conformance: ${name}\`)`. `makeStore` must return a store that
 * is empty (a fresh folder / bucket prefix) on every call.
 */
export function runStoreConformance(name: string, makeStore: () => Promise<ObjectStore>): void {
  describe(`ObjectStore conformance: ${name}`, () => {
    let store: ObjectStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it('round-trips binary bytes, all 256 values', async () => {
      const bytes = new Uint8Array(256 * 3).map((_, i) => (i * 7) % 256);
      await store.put(updateKey(12, 7), bytes);
      const back = await store.get(updateKey(12, 7));
      expect(back).to.be.instanceOf(Uint8Array);
      expect(Array.from(back)).to.deep.equal(Array.from(bytes));
    });

    it('round-trips an empty object', async () => {
      await store.put('empty', new Uint8Array(0));
      expect((await store.get('empty')).byteLength).to.equal(0);
      expect(await store.head('empty')).to.deep.equal({ size: 0 });
    });

    it('round-trips a 5 MB object byte for byte', async () => {
      const bytes = seededBytes(5 * 1024 * 1024, 'store-5mb');
      await store.put(checkpointKey(3), bytes);
      const back = await store.get(checkpointKey(3));
      expect(back.byteLength).to.equal(bytes.byteLength);
      expect(Buffer.compare(Buffer.from(back), Buffer.from(bytes))).to.equal(0);
    });

    it('round-trips a byte view into a larger buffer (only the view is stored)', async () => {
      const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
      await store.put('view', backing.subarray(2, 5));
      expect(Array.from(await store.get('view'))).to.deep.equal([1, 2, 3]);
    });

    it('overwrites: the last put wins and head reports its size', async () => {
      await store.put('k', new Uint8Array([1, 2, 3, 4]));
      await store.put('k', new Uint8Array([5]));
      expect(Array.from(await store.get('k'))).to.deep.equal([5]);
      expect(await store.head('k')).to.deep.equal({ size: 1 });
      expect(await store.list('')).to.deep.equal(['k']);
    });

    it('head gives the size of an object and null for a missing one', async () => {
      await store.put('peer-3/obj', new Uint8Array(10));
      expect(await store.head('peer-3/obj')).to.deep.equal({ size: 10 });
      expect(await store.head('peer-3/missing')).to.equal(null);
      expect(await store.head('peer-3')).to.equal(null); // a "folder" is not an object
    });

    it('lists keys by prefix, sorted, across "/" levels', async () => {
      const keys = [updateKey(2, 1), updateKey(10, 0), updateKey(2, 0), aggregateKey(2), 'peer-1/gradient-3-1-v1', 'peer-1/gradient-2-1-v1', 'peer-10/x', 'peer-2/x'];
      for (const key of keys) await store.put(key, new Uint8Array([1]));
      expect(await store.list('')).to.deep.equal([...keys].sort());
      expect(await store.list('gradient-2-')).to.deep.equal(['gradient-2-0-v1', 'gradient-2-1-v1']);
      expect(await store.list('peer-1')).to.deep.equal(['peer-1/gradient-2-1-v1', 'peer-1/gradient-3-1-v1', 'peer-10/x']);
      expect(await store.list('peer-1/')).to.deep.equal(['peer-1/gradient-2-1-v1', 'peer-1/gradient-3-1-v1']);
      expect(await store.list('peer-1/gradient-3')).to.deep.equal(['peer-1/gradient-3-1-v1']);
      expect(await store.list('nothing-here')).to.deep.equal([]);
      expect(await store.list('nothing/here/')).to.deep.equal([]);
    });

    it('lists many keys in code-unit order (digits before upper case before "_" before lower case)', async () => {
      const keys = ['b', 'B', '_x', 'a-1', 'a.1', 'a_1', 'a1', 'A', '0', '9z'];
      await Promise.all(keys.map((key) => store.put(key, new Uint8Array([0]))));
      expect(await store.list('')).to.deep.equal(['0', '9z', 'A', 'B', '_x', 'a-1', 'a.1', 'a1', 'a_1', 'b']);
    });

    it('deletes an object; deleting a missing key is a no-op', async () => {
      await store.put('peer-1/a', new Uint8Array([1]));
      await store.put('peer-1/b', new Uint8Array([2]));
      await store.delete('peer-1/a');
      expect(await store.head('peer-1/a')).to.equal(null);
      expect(await store.list('peer-1/')).to.deep.equal(['peer-1/b']);
      await expectStoreError(store.get('peer-1/a'), 'not-found');
      await store.delete('peer-1/a');
      await store.delete('never/existed');
    });

    it('a key below an existing object\'s name is simply missing', async () => {
      await store.put('a', new Uint8Array([1]));
      expect(await store.head('a/b')).to.equal(null);
      await expectStoreError(store.get('a/b'), 'not-found');
      await store.delete('a/b');
      expect(await store.list('a/')).to.deep.equal([]);
    });

    it('get of a missing key rejects with a typed, non-retryable not-found naming the key', async () => {
      const error = await expectStoreError(store.get(updateKey(99, 4)), 'not-found');
      expect(error.retryable).to.equal(false);
      expect(error.key).to.equal('gradient-99-4-v1');
      expect(error.message).to.contain('gradient-99-4-v1');
    });

    it('rejects bad keys with a typed bad-key error naming the key, on every operation', async () => {
      for (const key of BAD_KEYS) {
        for (const call of [() => store.put(key, new Uint8Array(1)), () => store.get(key), () => store.head(key), () => store.delete(key)]) {
          const error = await expectStoreError(call(), 'bad-key');
          expect(error.retryable).to.equal(false);
          expect(error.key).to.equal(key);
        }
      }
      for (const prefix of ['/a', 'a//', '../', '.x', 'a b']) await expectStoreError(store.list(prefix), 'bad-key');
      expect(await store.list('')).to.deep.equal([]); // nothing was written
    });

    it('takes concurrent puts of different keys', async () => {
      const count = 24;
      const payload = (i: number) => seededBytes(1000 + i, `concurrent-${i}`);
      await Promise.all(Array.from({ length: count }, (_, i) => store.put(updateKey(5, i), payload(i))));
      const keys = await store.list('gradient-5-');
      expect(keys).to.have.length(count);
      for (let i = 0; i < count; i++) expect(Buffer.from(await store.get(updateKey(5, i))).equals(Buffer.from(payload(i)))).to.equal(true);
    });

    it('concurrent puts of the same key leave one whole writer\'s bytes', async () => {
      const versions = [0, 1, 2, 3, 4, 5].map((v) => new Uint8Array(50_000).fill(v));
      await Promise.all(versions.map((bytes) => store.put('race', bytes)));
      const back = await store.get('race');
      expect(back.byteLength).to.equal(50_000);
      expect(new Set(back).size).to.equal(1); // never a mix of two writers
    });
  });
}
