import { expect } from 'chai';
import { ConfigError } from '../../core/errors.ts';
import { createRng } from '../../core/rng.ts';
import { requireCleanData, validateDataQuality } from '../../backends/data-quality.ts';
import type { DataQuality } from '../../backends/data-quality.ts';
import { createSurrogateBackend } from '../../backends/surrogate/backend.ts';

const bits = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));

/** One peer's Δ and result from θ⁰ of a fresh backend (same seed every call), trained with `quality`. */
function train(quality: DataQuality | undefined, peer = 3) {
  const backend = createSurrogateBackend(createRng(11).fork('backend'), { numShards: 16, shardSize: 64 });
  const params = backend.initParams(createRng(11).fork('init'));
  const request = { params, round: 2, shards: [4, 9], innerSteps: 4 };
  return backend.createTrainer(peer).runInnerLoop(quality === undefined ? request : { ...request, quality });
}

describe('backends/data-quality (surrogate)', () => {
  it('clean, label noise at rate 0 and duplicates of the whole pool train exactly as no quality at all', () => {
    const plain = bits(train(undefined).delta);
    for (const q of [{ kind: 'clean' }, { kind: 'label-noise', rate: 0 }, { kind: 'duplicates', samples: 128 }, { kind: 'short', keep: 1 }] as const) {
      expect(bits(train(q).delta), q.kind).to.deep.equal(plain);
    }
  });

  it('every low-quality kind changes the update, deterministically', () => {
    const plain = bits(train(undefined).delta);
    for (const q of [{ kind: 'label-noise', rate: 0.8 }, { kind: 'duplicates', samples: 4 }, { kind: 'short', keep: 0.0625 }, { kind: 'shifted', scale: 0 }, { kind: 'shifted', scale: 1 }] as const) {
      const a = bits(train(q).delta);
      expect(a, q.kind).to.not.deep.equal(plain);
      expect(bits(train(q).delta), `${q.kind} twice`).to.deep.equal(a);
    }
  });

  it('short shards count only the examples kept (⌈keep × batch⌉ per step)', () => {
    expect(train(undefined).samples).to.equal(4 * 16);
    expect(train({ kind: 'short', keep: 0.25 }).samples).to.equal(4 * 4);
    expect(train({ kind: 'short', keep: 0.01 }).samples).to.equal(4 * 1);
  });

  it('training on low-quality data leaves the dataset and the held-out set clean', () => {
    const backend = createSurrogateBackend(createRng(11).fork('backend'), { numShards: 16, shardSize: 64 });
    const theta = backend.initParams(createRng(11).fork('init'));
    const before = backend.evaluate(theta, 'heldout');
    const shardBefore = backend.evaluate(theta, { shards: [1] });
    for (const quality of [{ kind: 'label-noise', rate: 1 }, { kind: 'shifted', scale: 2 }] as const) {
      backend.createTrainer(0).runInnerLoop({ params: theta, round: 0, shards: [1], innerSteps: 2, quality });
    }
    expect(backend.evaluate(theta, 'heldout')).to.equal(before);
    expect(backend.evaluate(theta, { shards: [1] })).to.equal(shardBefore);
  });

  it('rejects bad fields, naming them; a backend without low-quality data refuses all but clean', () => {
    const bad: [unknown, RegExp][] = [
      [{ kind: 'label-noise', rate: 1.5 }, /quality\.rate/],
      [{ kind: 'duplicates', samples: 0 }, /quality\.samples/],
      [{ kind: 'short', keep: 0 }, /quality\.keep/],
      [{ kind: 'shifted', scale: -1 }, /quality\.scale/],
      [{ kind: 'blurry' }, /quality\.kind/],
    ];
    for (const [q, re] of bad) {
      expect(() => validateDataQuality(q as DataQuality, 'quality')).to.throw(ConfigError, re);
      expect(() => train(q as DataQuality)).to.throw(ConfigError, re);
    }
    expect(() => requireCleanData('tfjs', { kind: 'short', keep: 0.5 })).to.throw(ConfigError, /not implemented by the tfjs backend/);
    requireCleanData('tfjs', { kind: 'clean' });
    requireCleanData('tfjs', undefined);
  });
});
