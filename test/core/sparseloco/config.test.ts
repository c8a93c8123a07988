import { expect } from 'chai';
import { validateCommunicatorConfig } from '../../../core/baselines/index.ts';
import type { CommunicatorConfig } from '../../../core/baselines/index.ts';
import { ConfigError } from '../../../core/errors.ts';
import { defineLayout } from '../../../core/layout.ts';
import { assertTopKFitsChunks, resolveSparseLocoConfig } from '../../../core/sparseloco/config.ts';

describe('core/sparseloco/config: topK against the layout', () => {
  // A 128×128 tensor chunks to 64×64 = 4096 elements; the 8×8 one is a single 64-element chunk.
  const layout = defineLayout([{ name: 'w', shape: [128, 128] }, { name: 'b', shape: [8, 8] }]);

  it('accepts k up to the largest chunk and rejects one beyond it, naming both', () => {
    expect(() => assertTopKFitsChunks(4096, layout)).to.not.throw();
    expect(() => assertTopKFitsChunks(4097, layout)).to.throw(ConfigError, /^optim\.topK \(4097\) must be ≤ chunk size \(4096\)/);
    expect(() => assertTopKFitsChunks(99999, layout, 'x.topK')).to.throw(ConfigError, /^x\.topK \(99999\) must be ≤ chunk size \(4096\)/);
  });

  it('is checked for every method that has a topK (SparseLoCo, DeMo), under the caller\'s key', () => {
    const configs = [{ method: 'sparseloco', topK: 99999 }, { method: 'demo', topK: 99999 }] as const;
    let rejected = 0;
    for (const config of configs) {
      expect(() => validateCommunicatorConfig(layout, config, 'optim')).to.throw(ConfigError, /^optim\.topK \(99999\) must be ≤ chunk size \(4096\)/);
      rejected++;
      expect(() => validateCommunicatorConfig(layout, { ...config, topK: 4096 }, 'optim')).to.not.throw();
    }
    expect(rejected).to.equal(2);
    // Methods without a topK keep their own error for it.
    expect(() => validateCommunicatorConfig(layout, { method: 'diloco', topK: 99999 } as CommunicatorConfig)).to.throw(ConfigError, /is not an option of diloco/);
  });

  it('still rejects a non-positive k before any layout is known', () => {
    expect(() => resolveSparseLocoConfig({ topK: 0 })).to.throw(ConfigError, 'optim.topK (0) must be a positive integer');
  });
});
