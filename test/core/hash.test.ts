import { expect } from 'chai';
import { fnv1a, fnv1a32 } from '../../core/hash.ts';

describe('core/hash', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  it('matches the published FNV-1a 32-bit test vectors', () => {
    expect(fnv1a(bytes(''))).to.equal('811c9dc5');
    expect(fnv1a(bytes('a'))).to.equal('e40c292c');
    expect(fnv1a(bytes('foobar'))).to.equal('bf9cf968');
  });

  it('returns an unsigned 32-bit integer and 8 hex digits', () => {
    const h = fnv1a32(bytes('sparseloco'));
    expect(h).to.be.at.least(0).and.below(2 ** 32);
    expect(fnv1a(bytes('sparseloco'))).to.equal(h.toString(16).padStart(8, '0'));
  });
});
