/** A gathering node's choice from the list in force and the committed messages (core/protocol/gather-committed.ts). */
import { expect } from 'chai';
import { gatherCommitted } from '../../../core/protocol/gather-committed.ts';

describe('core/protocol/gather-committed', () => {
  const bytes = (n: number): Uint8Array => new Uint8Array([n]);
  const valid = (b: Uint8Array): boolean => b[0] !== 99;

  it('takes the primaries that are there and valid, then one reserve per failed primary', () => {
    const onTime = new Map([[0, bytes(0)], [2, new Uint8Array([99])], [4, bytes(4)], [5, bytes(5)]]);
    const out = gatherCommitted({ primaries: [0, 1, 2], reserves: [4, 5, 6] }, onTime, valid);
    expect(out.used).to.deep.equal([0, 4, 5]);
    expect(out.failed).to.deep.equal([{ uid: 1, reason: 'missing' }, { uid: 2, reason: 'invalid' }]);
    expect(out.fellBack).to.deep.equal([4, 5]);
  });

  it('leaves out peers not on the list, even with a valid message', () => {
    const out = gatherCommitted({ primaries: [1], reserves: [] }, new Map([[0, bytes(0)], [1, bytes(1)]]), valid);
    expect(out.used).to.deep.equal([1]);
  });
});
