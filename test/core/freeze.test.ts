import { expect } from 'chai';
import { deepFreeze } from '../../core/freeze.ts';

describe('core/freeze', () => {
  it('freezes nested objects and arrays in place and returns the same value', () => {
    const value = { a: { b: [1, { c: 2 }] }, d: 'x' };
    const frozen = deepFreeze(value);
    expect(frozen).to.equal(value);
    expect(Object.isFrozen(value)).to.equal(true);
    expect(Object.isFrozen(value.a)).to.equal(true);
    expect(Object.isFrozen(value.a.b)).to.equal(true);
    expect(Object.isFrozen(value.a.b[1])).to.equal(true);
    expect(() => {
      (value.a.b as unknown[]).push(3);
    }).to.throw(TypeError);
  });

  it('descends into an already-frozen parent to freeze its children', () => {
    const child = { n: 1 };
    const parent = Object.freeze({ child });
    deepFreeze(parent);
    expect(Object.isFrozen(child)).to.equal(true);
  });

  it('leaves typed arrays and other buffer views as they are (Object.freeze would throw on them)', () => {
    expect(() => Object.freeze(new Float32Array(2))).to.throw(TypeError); // why the rule exists
    const weights = new Float32Array([1, 2]);
    const view = new DataView(new ArrayBuffer(4));
    const value = deepFreeze({ weights, nested: { view, list: [new Uint8Array(3)] } });
    expect(Object.isFrozen(value.nested.list)).to.equal(true);
    expect(Object.isFrozen(weights)).to.equal(false);
    expect(Object.isFrozen(view)).to.equal(false);
    weights[0] = 5; // still writable: documented
    expect(weights[0]).to.equal(5);
  });

  it('returns primitives and null unchanged', () => {
    expect(deepFreeze(3)).to.equal(3);
    expect(deepFreeze('s')).to.equal('s');
    expect(deepFreeze(null)).to.equal(null);
    expect(deepFreeze(undefined)).to.equal(undefined);
  });
});
