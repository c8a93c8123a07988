/** The gather bench's figure: under templar's gather a peer downloads ≤ 20 + reserves used, far below R − 1. */
import { expect } from 'chai';
import { gatherDownMessagesPerPeer } from '../../bench/sim-gather.ts';

describe('bench/sim-gather', () => {
  it('40 peers, gather 20 + 10: messages per peer per round ≤ 20 + reserves used and < the all-gather', () => {
    const { perPeer, maxAllowed } = gatherDownMessagesPerPeer();
    expect(perPeer).to.be.at.most(maxAllowed);
    expect(perPeer).to.be.greaterThan(15);
    expect(perPeer).to.be.lessThan(21);
  });
});
