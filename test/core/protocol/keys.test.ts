/**
 * Storage key names: the documented templar-like spelling, a bijective round trip, and a typed
 * error with its reason for every kind of malformed key.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError } from '../../../core/errors.ts';
import { KEY_VERSION, StorageKeyError, aggregateKey, checkpointKey, parseStorageKey, updateKey } from '../../../core/protocol/keys.ts';
import type { StorageKeyErrorReason } from '../../../core/protocol/keys.ts';

describe('core/protocol/keys', () => {
  it('spells keys with the window, the peer id and the version', () => {
    expect(KEY_VERSION).to.equal(1);
    expect(updateKey(12, 7)).to.equal('gradient-12-7-v1');
    expect(aggregateKey(0)).to.equal('aggregate-0-v1');
    expect(checkpointKey(455)).to.equal('checkpoint-455-v1');
  });

  it('round-trips every key (property)', () => {
    const n = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
    fc.assert(
      fc.property(n, n, (a, b) => {
        expect(parseStorageKey(updateKey(a, b))).to.deep.equal({ kind: 'update', round: a, peerUid: b });
        expect(parseStorageKey(aggregateKey(a))).to.deep.equal({ kind: 'aggregate', round: a });
        expect(parseStorageKey(checkpointKey(b))).to.deep.equal({ kind: 'checkpoint', step: b });
      }),
      { seed: 9, numRuns: 200 },
    );
  });

  it('rejects malformed keys with a typed reason', () => {
    const cases: [string, StorageKeyErrorReason][] = [
      ['', 'unknown-prefix'],
      ['gradients-1-2-v1', 'unknown-prefix'],
      ['toString-1-v1', 'unknown-prefix'],
      ['gradient-1-v1', 'wrong-field-count'],
      ['gradient-1-2-3-v1', 'wrong-field-count'],
      ['aggregate-1', 'wrong-field-count'],
      ['gradient-1-2-v2', 'bad-version'],
      ['checkpoint-4-1', 'bad-version'],
      ['gradient-01-2-v1', 'bad-number'],
      ['gradient-1-+2-v1', 'bad-number'],
      ['aggregate-1.5-v1', 'bad-number'],
      ['aggregate--v1', 'bad-number'],
      ['checkpoint-9007199254740993-v1', 'bad-number'],
      ['checkpoint-1e3-v1', 'bad-number'],
    ];
    for (const [key, reason] of cases) {
      let caught: unknown;
      try {
        parseStorageKey(key);
      } catch (err) {
        caught = err;
      }
      expect(caught, key).to.be.instanceOf(StorageKeyError);
      expect((caught as StorageKeyError).reason, key).to.equal(reason);
      expect((caught as StorageKeyError).key).to.equal(key);
    }
  });

  it('refuses to build a key from a bad number', () => {
    expect(() => updateKey(-1, 0)).to.throw(ConfigError, /round \(-1\)/);
    expect(() => updateKey(0, 1.5)).to.throw(ConfigError, /peerUid \(1.5\)/);
    expect(() => checkpointKey(Number.NaN)).to.throw(ConfigError, /step/);
  });
});
