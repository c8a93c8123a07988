/** RoundCommitments: block windows, one commitment per peer and round, late / early / duplicate reverts. */
import { expect } from 'chai';
import {
  CONFIG,
  Status,
  as,
  closeRound,
  deployFixture,
  h,
  latestBlock,
  mineUntilNextTxIn,
  registerPeer,
  windowOf,
} from './helpers.ts';

const ZERO_HASH = '0x' + '00'.repeat(32);

describe('contracts/RoundCommitments', () => {
  it('cuts time into roundLength-block windows from the deploy block', async () => {
    const { coordinator } = await deployFixture();
    const genesis = (await coordinator.genesisBlock()) as bigint;
    const deployBlock = (await coordinator.deploymentTransaction()!.wait())!.blockNumber;
    expect(genesis).to.equal(BigInt(deployBlock));
    expect(await windowOf(coordinator, 0n)).to.deep.equal([genesis, genesis + CONFIG.roundLength - 1n]);
    expect(await windowOf(coordinator, 3n)).to.deep.equal([
      genesis + 3n * CONFIG.roundLength,
      genesis + 4n * CONFIG.roundLength - 1n,
    ]);
    await mineUntilNextTxIn(genesis + 2n * CONFIG.roundLength); // latest block = first of round 2 - 1
    expect(await coordinator.currentRound()).to.equal(1n);
    await mineUntilNextTxIn(genesis + 2n * CONFIG.roundLength + 1n);
    expect(await coordinator.currentRound()).to.equal(2n);
  });

  describe('commit', () => {
    it('stores the hash and key on the first and on the last block of the window', async () => {
      const { coordinator, alice, bob } = await deployFixture();
      await registerPeer(coordinator, alice);
      await registerPeer(coordinator, bob);
      const [first, last] = await windowOf(coordinator, 1n);
      await mineUntilNextTxIn(first);
      await expect(as(coordinator, alice).commit(1n, h('a1'), h('key-a1')))
        .to.emit(coordinator, 'UpdateCommitted')
        .withArgs(1n, 0n, h('a1'), h('key-a1'));
      await mineUntilNextTxIn(last);
      await expect(as(coordinator, bob).commit(1n, h('b1'), h('key-b1')))
        .to.emit(coordinator, 'UpdateCommitted')
        .withArgs(1n, 1n, h('b1'), h('key-b1'));
      const c = await coordinator.commitmentOf(1n, 0);
      expect([c.updateHash, c.storageKey]).to.deep.equal([h('a1'), h('key-a1')]);
      expect(await coordinator.hasCommitted(1n, 1)).to.equal(true);
      expect(await coordinator.hasCommitted(0n, 1)).to.equal(false);
      expect(await coordinator.commitCount(1n)).to.equal(2n);
      expect(await coordinator.commitCount(0n)).to.equal(0n);
    });

    it('accepts a zero storage key (only the update hash is reserved)', async () => {
      const { coordinator, alice } = await deployFixture();
      await registerPeer(coordinator, alice);
      await expect(as(coordinator, alice).commit(0n, h('a0'), ZERO_HASH)).to.emit(coordinator, 'UpdateCommitted');
    });

    it('lets a peer commit once in each round', async () => {
      const { coordinator, alice } = await deployFixture();
      await registerPeer(coordinator, alice);
      await as(coordinator, alice).commit(0n, h('a0'), h('k0'));
      await closeRound(coordinator, 0n);
      await expect(as(coordinator, alice).commit(1n, h('a1'), h('k1')))
        .to.emit(coordinator, 'UpdateCommitted')
        .withArgs(1n, 0n, h('a1'), h('k1'));
    });

    it('rejects a duplicate commitment, even with other data', async () => {
      const { coordinator, alice } = await deployFixture();
      await registerPeer(coordinator, alice);
      await as(coordinator, alice).commit(0n, h('a0'), h('k0'));
      await expect(as(coordinator, alice).commit(0n, h('other'), h('k0')))
        .to.be.revertedWithCustomError(coordinator, 'RoundCommitmentsDuplicate')
        .withArgs(0n, 0n);
      expect((await coordinator.commitmentOf(0n, 0)).updateHash).to.equal(h('a0'));
    });

    it('rejects a commitment after the last block of the window', async () => {
      const { coordinator, alice } = await deployFixture();
      await registerPeer(coordinator, alice);
      const [, last] = await windowOf(coordinator, 0n);
      await closeRound(coordinator, 0n);
      await expect(as(coordinator, alice).commit(0n, h('a0'), h('k0')))
        .to.be.revertedWithCustomError(coordinator, 'RoundCommitmentsWindowClosed')
        .withArgs(0n, last, last + 1n);
    });

    it('rejects a commitment before the window opens', async () => {
      const { coordinator, alice } = await deployFixture();
      await registerPeer(coordinator, alice);
      const [first] = await windowOf(coordinator, 2n);
      const block = (await latestBlock()) + 1n;
      await expect(as(coordinator, alice).commit(2n, h('a2'), h('k2')))
        .to.be.revertedWithCustomError(coordinator, 'RoundCommitmentsWindowNotOpen')
        .withArgs(2n, first, block);
    });

    it('rejects a zero update hash', async () => {
      const { coordinator, alice } = await deployFixture();
      await registerPeer(coordinator, alice);
      await expect(as(coordinator, alice).commit(0n, ZERO_HASH, h('k0')))
        .to.be.revertedWithCustomError(coordinator, 'RoundCommitmentsZeroHash')
        .withArgs(0n, 0n);
    });

    it('rejects unregistered callers, including the owner and validators', async () => {
      const { coordinator, owner, validator, outsider } = await deployFixture();
      for (const caller of [owner, validator, outsider]) {
        await expect(as(coordinator, caller).commit(0n, h('x'), h('k')))
          .to.be.revertedWithCustomError(coordinator, 'PeerRegistryNotRegistered')
          .withArgs(caller.address);
      }
    });

    it('rejects an unbonding peer', async () => {
      const { coordinator, alice } = await deployFixture();
      await registerPeer(coordinator, alice);
      await as(coordinator, alice).deregister();
      await expect(as(coordinator, alice).commit(0n, h('a0'), h('k0')))
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryNotActive')
        .withArgs(0n, Status.Unbonding);
    });

    it('rejects a peer slashed below the minimum stake until it tops up', async () => {
      const { coordinator, validator, alice } = await deployFixture();
      await registerPeer(coordinator, alice);
      await as(coordinator, validator).slash(0, 10n, 3);
      await expect(as(coordinator, alice).commit(0n, h('a0'), h('k0')))
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryStakeTooLow')
        .withArgs(CONFIG.minStake - 10n, CONFIG.minStake);
      await as(coordinator, alice).topUp({ value: 10n });
      await expect(as(coordinator, alice).commit(0n, h('a0'), h('k0'))).to.emit(coordinator, 'UpdateCommitted');
    });
  });
});

