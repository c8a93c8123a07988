/**
 * The block clock's pacing rule (cluster/block-clock.ts `blocksToMine`): a fast-forward wins,
 * 'tick' mines one block, 'wall' mines up to the wall-clock block and nothing while the chain is
 * ahead of it (automined transactions add blocks of their own).
 */
import { expect } from 'chai';
import { blocksToMine } from '../../cluster/block-clock.ts';

describe('cluster/block-clock: blocks to mine per tick', () => {
  it('jumps to a fast-forward target ahead of the chain, whatever the pace', () => {
    expect(blocksToMine({ pace: 'wall', block: 10n, target: 50n, wallBlock: 12n })).to.equal(40n);
    expect(blocksToMine({ pace: 'tick', block: 10n, target: 50n, wallBlock: 12n })).to.equal(40n);
  });

  it("'tick' mines one block when there is no target ahead", () => {
    expect(blocksToMine({ pace: 'tick', block: 10n, target: null, wallBlock: 30n })).to.equal(1n);
    expect(blocksToMine({ pace: 'tick', block: 10n, target: 10n, wallBlock: 0n })).to.equal(1n);
  });

  it("'wall' catches up with the wall-clock block, and waits while the chain is ahead of it", () => {
    expect(blocksToMine({ pace: 'wall', block: 10n, target: null, wallBlock: 13n })).to.equal(3n);
    expect(blocksToMine({ pace: 'wall', block: 10n, target: null, wallBlock: 10n })).to.equal(0n);
    expect(blocksToMine({ pace: 'wall', block: 15n, target: 12n, wallBlock: 13n })).to.equal(0n);
  });
});
