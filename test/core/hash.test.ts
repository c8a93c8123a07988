import { expect } from 'chai';
import { fnv1a, fnv1a32, paramBytes } from '../../core/hash.ts';

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

  it('paramBytes is a no-copy view of exactly the params\' bytes, subarrays included', () => {
    const all = new Float32Array([1, -2, 0.5, 3]);
    const mid = all.subarray(1, 3);
    const bytes = paramBytes(mid);
    expect(bytes.length).to.equal(8);
    expect([...bytes]).to.deep.equal([...new Uint8Array(Float32Array.from([-2, 0.5]).buffer)]);
    mid[0] = 7; // a view: it follows the params
    expect(fnv1a(bytes)).to.equal(fnv1a(new Uint8Array(Float32Array.from([7, 0.5]).buffer)));
    expect(fnv1a(paramBytes(new Float32Array([1])))).to.equal(fnv1a(Uint8Array.from([0x00, 0x00, 0x80, 0x3f]))); // little-endian host
  });
});
