/** ValidationResults: posting a round's selection once, weighted rewards from the pool, claims. */
import { expect } from 'chai';
import type { Contract } from 'ethers';
import {
  CONFIG,
  as,
  closeRound,
  deployFixture,
  ethers,
  h,
  latestBlock,
  registerPeer,
  windowOf,
} from './helpers.ts';

/** alice (uid 0), bob (uid 1) and carol (uid 2) commit to round 0; dave (uid 3) registers but does not. */
async function roundZeroCommitted() {
  const f = await deployFixture();
  for (const [i, signer] of [f.alice, f.bob, f.carol].entries()) {
    await registerPeer(f.coordinator, signer);
    await as(f.coordinator, signer).commit(0n, h(`u${i}`), h(`k${i}`));
  }
  await registerPeer(f.coordinator, f.dave);
  return f;
}

async function fund(coordinator: Contract, amount: bigint): Promise<void> {
  await coordinator.fundRewards({ value: amount });
}

describe('contracts/ValidationResults', () => {
  describe('fundRewards', () => {
    it('adds to the pool, from anyone', async () => {
      const { coordinator, owner, outsider } = await deployFixture();
      await expect(coordinator.fundRewards({ value: 5n }))
        .to.emit(coordinator, 'RewardsFunded')
        .withArgs(owner.address, 5n, 5n);
      await expect(as(coordinator, outsider).fundRewards({ value: 7n }))
        .to.emit(coordinator, 'RewardsFunded')
        .withArgs(outsider.address, 7n, 12n);
      expect(await coordinator.rewardPool()).to.equal(12n);
    });

    it('rejects zero', async () => {
      const { coordinator } = await deployFixture();
      await expect(coordinator.fundRewards({ value: 0n })).to.be.revertedWithCustomError(
        coordinator,
        'ValidationResultsZeroFunding',
      );
    });
  });

  describe('postResults', () => {
    it('finalises the round and splits rewardPerRound by weight, dust staying in the pool', async () => {
      const { coordinator, validator } = await roundZeroCommitted();
      await fund(coordinator, ethers.parseEther('2'));
      await closeRound(coordinator, 0n);
      const R = CONFIG.rewardPerRound;
      // weights 1:2:4 over 7: each share is floored; the remainder stays pooled.
      const shares = [(R * 1n) / 7n, (R * 2n) / 7n, (R * 4n) / 7n];
      const distributed = shares[0] + shares[1] + shares[2];
      const newPool = ethers.parseEther('2') - distributed;
      const tx = as(coordinator, validator).postResults(0n, [0, 1, 2], [1, 2, 4], h('agg0'));
      await expect(tx)
        .to.emit(coordinator, 'RoundFinalised')
        .withArgs(0n, validator.address, h('agg0'), [0n, 1n, 2n], [1n, 2n, 4n], distributed, newPool);
      for (const uid of [0, 1, 2]) {
        await expect(tx).to.emit(coordinator, 'RewardAccrued').withArgs(0n, BigInt(uid), shares[uid]);
        expect(await coordinator.rewardsOf(uid)).to.equal(shares[uid]);
      }
      expect(distributed).to.be.lessThan(R); // 0.9 ether is not divisible by 7
      expect(await coordinator.rewardPool()).to.equal(newPool);
      const result = await coordinator.roundResult(0n);
      expect([result.aggregateHash, result.validator, result.selectedCount, result.finalised, result.distributed]).to.deep.equal(
        [h('agg0'), validator.address, 3n, true, distributed],
      );
      expect(await coordinator.isFinalised(0n)).to.equal(true);
      expect(await coordinator.finalisedCount()).to.equal(1n);
    });

    it('pays equal weights equally and a subset only to its members', async () => {
      const { coordinator, validator } = await roundZeroCommitted();
      await fund(coordinator, CONFIG.rewardPerRound);
      await closeRound(coordinator, 0n);
      await as(coordinator, validator).postResults(0n, [0, 2], [5, 5], h('agg'));
      expect(await coordinator.rewardsOf(0)).to.equal(CONFIG.rewardPerRound / 2n);
      expect(await coordinator.rewardsOf(1)).to.equal(0n);
      expect(await coordinator.rewardsOf(2)).to.equal(CONFIG.rewardPerRound / 2n);
      expect(await coordinator.rewardPool()).to.equal(0n);
    });

    it('pays at most what the pool holds, and nothing from an empty pool', async () => {
      const { coordinator, validator, alice, bob } = await roundZeroCommitted();
      await fund(coordinator, 100n);
      await closeRound(coordinator, 0n);
      await expect(as(coordinator, validator).postResults(0n, [0, 1], [1, 1], h('agg0')))
        .to.emit(coordinator, 'RoundFinalised')
        .withArgs(0n, validator.address, h('agg0'), [0n, 1n], [1n, 1n], 100n, 0n);
      await as(coordinator, alice).commit(1n, h('a1'), h('k1'));
      await as(coordinator, bob).commit(1n, h('b1'), h('k1'));
      await closeRound(coordinator, 1n);
      await expect(as(coordinator, validator).postResults(1n, [0, 1], [1, 1], h('agg1'))).not.to.emit(
        coordinator,
        'RewardAccrued',
      );
      expect((await coordinator.roundResult(1n)).distributed).to.equal(0n);
    });

    it('finalises a skipped round (empty selection) without paying', async () => {
      const { coordinator, validator } = await roundZeroCommitted();
      await fund(coordinator, 100n);
      await closeRound(coordinator, 0n);
      await expect(as(coordinator, validator).postResults(0n, [], [], ethers.ZeroHash))
        .to.emit(coordinator, 'RoundFinalised')
        .withArgs(0n, validator.address, ethers.ZeroHash, [], [], 0n, 100n);
      expect(await coordinator.isFinalised(0n)).to.equal(true);
    });

    it('rejects a second post, from any validator', async () => {
      const { coordinator, validator, outsider } = await roundZeroCommitted();
      await coordinator.addValidator(outsider.address);
      await closeRound(coordinator, 0n);
      await as(coordinator, validator).postResults(0n, [0], [1], h('agg'));
      for (const caller of [validator, outsider]) {
        await expect(as(coordinator, caller).postResults(0n, [1], [1], h('other')))
          .to.be.revertedWithCustomError(coordinator, 'ValidationResultsAlreadyFinalised')
          .withArgs(0n);
      }
    });

    it('rejects a round whose window has not closed', async () => {
      const { coordinator, validator } = await roundZeroCommitted();
      const [, last0] = await windowOf(coordinator, 0n);
      await expect(as(coordinator, validator).postResults(0n, [0], [1], h('agg')))
        .to.be.revertedWithCustomError(coordinator, 'ValidationResultsRoundNotClosed')
        .withArgs(0n, last0, (await latestBlock()) + 1n);
      const [, last5] = await windowOf(coordinator, 5n);
      await expect(as(coordinator, validator).postResults(5n, [], [], h('agg')))
        .to.be.revertedWithCustomError(coordinator, 'ValidationResultsRoundNotClosed')
        .withArgs(5n, last5, (await latestBlock()) + 1n);
    });

    it('rejects malformed selections', async () => {
      const { coordinator, validator } = await roundZeroCommitted();
      await closeRound(coordinator, 0n);
      const v = as(coordinator, validator);
      await expect(v.postResults(0n, [0, 1], [1], h('agg')))
        .to.be.revertedWithCustomError(coordinator, 'ValidationResultsLengthMismatch')
        .withArgs(2n, 1n);
      await expect(v.postResults(0n, [0, 1, 2, 3], [1, 1, 1, 1], h('agg')))
        .to.be.revertedWithCustomError(coordinator, 'ValidationResultsTooManySelected')
        .withArgs(4n, BigInt(CONFIG.maxSelected));
      await expect(v.postResults(0n, [0, 0], [1, 1], h('agg')))
        .to.be.revertedWithCustomError(coordinator, 'ValidationResultsUidsNotAscending')
        .withArgs(1n, 0n);
      await expect(v.postResults(0n, [2, 1], [1, 1], h('agg')))
        .to.be.revertedWithCustomError(coordinator, 'ValidationResultsUidsNotAscending')
        .withArgs(1n, 1n);
      await expect(v.postResults(0n, [0, 3], [1, 1], h('agg'))) // dave did not commit
        .to.be.revertedWithCustomError(coordinator, 'ValidationResultsNotCommitted')
        .withArgs(0n, 3n);
      await expect(v.postResults(0n, [0, 9], [1, 1], h('agg'))) // no such uid
        .to.be.revertedWithCustomError(coordinator, 'ValidationResultsNotCommitted')
        .withArgs(0n, 9n);
      await expect(v.postResults(0n, [0, 1], [1, 0], h('agg')))
        .to.be.revertedWithCustomError(coordinator, 'ValidationResultsZeroWeight')
        .withArgs(1n);
      expect(await coordinator.isFinalised(0n)).to.equal(false);
    });

    it('rejects callers without the validator role (owner, peers, outsiders)', async () => {
      const { coordinator, owner, alice, outsider } = await roundZeroCommitted();
      await closeRound(coordinator, 0n);
      for (const caller of [owner, alice, outsider]) {
        await expect(as(coordinator, caller).postResults(0n, [0], [1], h('agg')))
          .to.be.revertedWithCustomError(coordinator, 'RolesUnauthorizedValidator')
          .withArgs(caller.address);
      }
    });
  });

  describe('claimRewards', () => {
    it("pays the uid's account and zeroes its balance, even after the peer exited", async () => {
      const { coordinator, validator, alice } = await roundZeroCommitted();
      await fund(coordinator, CONFIG.rewardPerRound);
      await closeRound(coordinator, 0n);
      await as(coordinator, validator).postResults(0n, [0], [1], h('agg'));
      await as(coordinator, alice).deregister();
      await closeRound(coordinator, 1n); // well past the unbonding delay
      await as(coordinator, alice).withdraw();
      const tx = await as(coordinator, alice).claimRewards(0);
      await expect(tx).to.emit(coordinator, 'RewardsClaimed').withArgs(0n, alice.address, CONFIG.rewardPerRound);
      await expect(tx).to.changeEtherBalances(
        ethers,
        [alice, coordinator],
        [CONFIG.rewardPerRound, -CONFIG.rewardPerRound],
      );
      expect(await coordinator.rewardsOf(0)).to.equal(0n);
    });

    it('rejects other accounts, unknown uids and an empty balance', async () => {
      const { coordinator, validator, alice, bob } = await roundZeroCommitted();
      await fund(coordinator, CONFIG.rewardPerRound);
      await closeRound(coordinator, 0n);
      await as(coordinator, validator).postResults(0n, [0], [1], h('agg'));
      for (const caller of [bob, validator]) {
        await expect(as(coordinator, caller).claimRewards(0))
          .to.be.revertedWithCustomError(coordinator, 'ValidationResultsNotPeerAccount')
          .withArgs(0n, caller.address);
      }
      await expect(as(coordinator, alice).claimRewards(9))
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryUnknownUid')
        .withArgs(9n);
      await expect(as(coordinator, bob).claimRewards(1))
        .to.be.revertedWithCustomError(coordinator, 'ValidationResultsNothingToClaim')
        .withArgs(1n);
      await as(coordinator, alice).claimRewards(0);
      await expect(as(coordinator, alice).claimRewards(0))
        .to.be.revertedWithCustomError(coordinator, 'ValidationResultsNothingToClaim')
        .withArgs(0n);
    });

    it('keeps the reward when the account refuses the payment', async () => {
      const { coordinator, validator, alice } = await deployFixture();
      const peerContract = await ethers.deployContract('PeerContract', [await coordinator.getAddress()]);
      await as(peerContract, alice).register({ value: CONFIG.minStake });
      await peerContract.commit(0n, h('p0'), h('k0'));
      await fund(coordinator, 10n);
      await closeRound(coordinator, 0n);
      await as(coordinator, validator).postResults(0n, [0], [1], h('agg'));
      await peerContract.setAcceptPayments(false);
      await expect(peerContract.claimRewards(0))
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryTransferFailed')
        .withArgs(await peerContract.getAddress(), 10n);
      expect(await coordinator.rewardsOf(0)).to.equal(10n);
    });
  });
});
