/** PeerRegistry: stake, sequential uids, unbonding, withdrawal and slashing. */
import { expect } from 'chai';
import {
  CONFIG,
  Status,
  as,
  deployFixture,
  ethers,
  latestBlock,
  mineUntilNextTxIn,
  registerPeer,
} from './helpers.ts';

describe('contracts/PeerRegistry', () => {
  describe('register', () => {
    it('assigns sequential uids from 0 and holds the stake', async () => {
      const { coordinator, alice, bob } = await deployFixture();
      const stake = CONFIG.minStake + 5n;
      const tx = await as(coordinator, alice).register({ value: stake });
      await expect(tx)
        .to.emit(coordinator, 'PeerRegistered')
        .withArgs(0n, alice.address, stake);
      await expect(tx).to.changeEtherBalances(ethers, [alice, coordinator], [-stake, stake]);
      await expect(as(coordinator, bob).register({ value: CONFIG.minStake }))
        .to.emit(coordinator, 'PeerRegistered')
        .withArgs(1n, bob.address, CONFIG.minStake);
      expect(await coordinator.peerCount()).to.equal(2n);
      expect(await coordinator.uidOf(bob.address)).to.equal(1n);
      expect(await coordinator.isRegistered(alice.address)).to.equal(true);
      const peer = await coordinator.peer(0);
      expect(peer.account).to.equal(alice.address);
      expect(peer.stake).to.equal(stake);
      expect(peer.status).to.equal(Status.Active);
      expect(peer.unbondingEndsAt).to.equal(0n);
    });

    it('rejects a stake below the minimum', async () => {
      const { coordinator, alice } = await deployFixture();
      for (const value of [0n, CONFIG.minStake - 1n]) {
        await expect(as(coordinator, alice).register({ value }))
          .to.be.revertedWithCustomError(coordinator, 'PeerRegistryStakeTooLow')
          .withArgs(value, CONFIG.minStake);
      }
    });

    it('allows one live identity per account, active or unbonding', async () => {
      const { coordinator, alice } = await deployFixture();
      await registerPeer(coordinator, alice);
      await expect(as(coordinator, alice).register({ value: CONFIG.minStake }))
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryAlreadyRegistered')
        .withArgs(alice.address, 0n);
      await as(coordinator, alice).deregister();
      await expect(as(coordinator, alice).register({ value: CONFIG.minStake }))
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryAlreadyRegistered')
        .withArgs(alice.address, 0n);
    });

    it('gives an account that exited a new uid when it registers again', async () => {
      const { coordinator, alice, bob } = await deployFixture();
      await registerPeer(coordinator, alice);
      await registerPeer(coordinator, bob);
      await as(coordinator, alice).deregister();
      await mineUntilNextTxIn((await coordinator.peer(0)).unbondingEndsAt);
      await as(coordinator, alice).withdraw();
      await expect(as(coordinator, alice).register({ value: CONFIG.minStake }))
        .to.emit(coordinator, 'PeerRegistered')
        .withArgs(2n, alice.address, CONFIG.minStake);
      expect((await coordinator.peer(0)).status).to.equal(Status.Exited);
    });
  });

  describe('topUp', () => {
    it('adds to an active stake', async () => {
      const { coordinator, alice } = await deployFixture();
      await registerPeer(coordinator, alice);
      const tx = await as(coordinator, alice).topUp({ value: 7n });
      await expect(tx)
        .to.emit(coordinator, 'StakeToppedUp')
        .withArgs(0n, 7n, CONFIG.minStake + 7n);
      await expect(tx).to.changeEtherBalances(ethers, [alice, coordinator], [-7n, 7n]);
      expect((await coordinator.peer(0)).stake).to.equal(CONFIG.minStake + 7n);
    });

    it('rejects zero, an unregistered caller and an unbonding peer', async () => {
      const { coordinator, alice, outsider } = await deployFixture();
      await registerPeer(coordinator, alice);
      await expect(as(coordinator, alice).topUp({ value: 0n })).to.be.revertedWithCustomError(
        coordinator,
        'PeerRegistryZeroAmount',
      );
      await expect(as(coordinator, outsider).topUp({ value: 1n }))
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryNotRegistered')
        .withArgs(outsider.address);
      await as(coordinator, alice).deregister();
      await expect(as(coordinator, alice).topUp({ value: 1n }))
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryNotActive')
        .withArgs(0n, Status.Unbonding);
    });
  });

  describe('deregister', () => {
    it('starts unbonding for unbondingBlocks blocks', async () => {
      const { coordinator, alice } = await deployFixture();
      await registerPeer(coordinator, alice);
      const endsAt = (await latestBlock()) + 1n + CONFIG.unbondingBlocks;
      await expect(as(coordinator, alice).deregister())
        .to.emit(coordinator, 'PeerDeregistered')
        .withArgs(0n, endsAt);
      const peer = await coordinator.peer(0);
      expect(peer.status).to.equal(Status.Unbonding);
      expect(peer.unbondingEndsAt).to.equal(endsAt);
      expect(await coordinator.isRegistered(alice.address)).to.equal(true);
    });

    it('rejects an unregistered caller and a second deregister', async () => {
      const { coordinator, alice, outsider } = await deployFixture();
      await expect(as(coordinator, outsider).deregister())
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryNotRegistered')
        .withArgs(outsider.address);
      await registerPeer(coordinator, alice);
      await as(coordinator, alice).deregister();
      await expect(as(coordinator, alice).deregister())
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryNotActive')
        .withArgs(0n, Status.Unbonding);
    });
  });

  describe('withdraw', () => {
    it('returns the stake from the unbonding end block on, and ends the identity', async () => {
      const { coordinator, alice } = await deployFixture();
      await registerPeer(coordinator, alice, CONFIG.minStake + 3n);
      await as(coordinator, alice).deregister();
      const { unbondingEndsAt } = await coordinator.peer(0);
      await mineUntilNextTxIn(unbondingEndsAt);
      const tx = await as(coordinator, alice).withdraw();
      await expect(tx)
        .to.emit(coordinator, 'StakeWithdrawn')
        .withArgs(0n, alice.address, CONFIG.minStake + 3n);
      await expect(tx).to.changeEtherBalances(
          ethers,
          [alice, coordinator],
          [CONFIG.minStake + 3n, -(CONFIG.minStake + 3n)],
        );
      const peer = await coordinator.peer(0);
      expect(peer.status).to.equal(Status.Exited);
      expect(peer.stake).to.equal(0n);
      expect(await coordinator.isRegistered(alice.address)).to.equal(false);
      await expect(coordinator.uidOf(alice.address))
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryNotRegistered')
        .withArgs(alice.address);
    });

    it('rejects a withdrawal before the unbonding end block', async () => {
      const { coordinator, alice } = await deployFixture();
      await registerPeer(coordinator, alice);
      await as(coordinator, alice).deregister();
      const { unbondingEndsAt } = await coordinator.peer(0);
      await mineUntilNextTxIn(unbondingEndsAt - 1n);
      await expect(as(coordinator, alice).withdraw())
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryStillUnbonding')
        .withArgs(0n, unbondingEndsAt, unbondingEndsAt - 1n);
    });

    it('rejects an active peer and an unregistered caller', async () => {
      const { coordinator, alice, outsider } = await deployFixture();
      await registerPeer(coordinator, alice);
      await expect(as(coordinator, alice).withdraw())
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryNotUnbonding')
        .withArgs(0n, Status.Active);
      await expect(as(coordinator, outsider).withdraw())
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryNotRegistered')
        .withArgs(outsider.address);
    });

    it('reverts the whole withdrawal when the account refuses the payment', async () => {
      const { coordinator, alice } = await deployFixture();
      const peerContract = await ethers.deployContract('PeerContract', [await coordinator.getAddress()]);
      const address = await peerContract.getAddress();
      await as(peerContract, alice).register({ value: CONFIG.minStake });
      await peerContract.deregister();
      await mineUntilNextTxIn((await coordinator.peer(0)).unbondingEndsAt);
      await peerContract.setAcceptPayments(false);
      await expect(peerContract.withdraw())
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryTransferFailed')
        .withArgs(address, CONFIG.minStake);
      expect((await coordinator.peer(0)).status).to.equal(Status.Unbonding);
      await peerContract.setAcceptPayments(true);
      await expect(peerContract.withdraw()).to.emit(coordinator, 'StakeWithdrawn');
    });

    it('cannot be re-entered to withdraw twice', async () => {
      const { coordinator, alice, bob } = await deployFixture();
      await registerPeer(coordinator, bob); // other stake the attacker would like to drain
      const peerContract = await ethers.deployContract('PeerContract', [await coordinator.getAddress()]);
      const address = await peerContract.getAddress();
      await as(peerContract, alice).register({ value: CONFIG.minStake });
      await peerContract.deregister();
      await mineUntilNextTxIn((await coordinator.peer(1)).unbondingEndsAt);
      await peerContract.setReenterWithdraw(true);
      // The nested withdraw finds the identity already exited, so the payment (and the call) fail.
      await expect(peerContract.withdraw())
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryTransferFailed')
        .withArgs(address, CONFIG.minStake);
      expect(await ethers.provider.getBalance(await coordinator.getAddress())).to.equal(2n * CONFIG.minStake);
      expect((await coordinator.peer(1)).status).to.equal(Status.Unbonding);
    });
  });

  describe('slash', () => {
    it('takes stake, records amount and reason, and pools it for rewards', async () => {
      const { coordinator, validator, alice } = await deployFixture();
      await registerPeer(coordinator, alice);
      const block = (await latestBlock()) + 1n;
      await expect(as(coordinator, validator).slash(0, 400n, 7))
        .to.emit(coordinator, 'PeerSlashed')
        .withArgs(0n, validator.address, 400n, 7, CONFIG.minStake - 400n)
        .and.to.emit(coordinator, 'SlashedStakePooled')
        .withArgs(400n, 400n);
      expect((await coordinator.peer(0)).stake).to.equal(CONFIG.minStake - 400n);
      expect(await coordinator.rewardPool()).to.equal(400n);
      expect(await coordinator.slashCount()).to.equal(1n);
      const record = await coordinator.slashRecord(0);
      expect([record.uid, record.reasonCode, record.blockNumber, record.validator, record.amount]).to.deep.equal([
        0n,
        7n,
        block,
        validator.address,
        400n,
      ]);
    });

    it('reaches an unbonding peer, and may take the whole stake', async () => {
      const { coordinator, validator, alice } = await deployFixture();
      await registerPeer(coordinator, alice);
      await as(coordinator, alice).deregister();
      await expect(as(coordinator, validator).slash(0, CONFIG.minStake, 2))
        .to.emit(coordinator, 'PeerSlashed')
        .withArgs(0n, validator.address, CONFIG.minStake, 2, 0n);
      await mineUntilNextTxIn((await coordinator.peer(0)).unbondingEndsAt);
      await expect(as(coordinator, alice).withdraw())
        .to.emit(coordinator, 'StakeWithdrawn')
        .withArgs(0n, alice.address, 0n);
    });

    it('rejects zero, an unknown uid, an exited peer and more than the stake', async () => {
      const { coordinator, validator, alice, bob } = await deployFixture();
      await registerPeer(coordinator, alice);
      await registerPeer(coordinator, bob);
      const v = as(coordinator, validator);
      await expect(v.slash(0, 0n, 1)).to.be.revertedWithCustomError(coordinator, 'PeerRegistryZeroAmount');
      await expect(v.slash(9, 1n, 1)).to.be.revertedWithCustomError(coordinator, 'PeerRegistryUnknownUid').withArgs(9n);
      await expect(v.slash(0, CONFIG.minStake + 1n, 1))
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistrySlashExceedsStake')
        .withArgs(0n, CONFIG.minStake + 1n, CONFIG.minStake);
      await as(coordinator, bob).deregister();
      await mineUntilNextTxIn((await coordinator.peer(1)).unbondingEndsAt);
      await as(coordinator, bob).withdraw();
      await expect(v.slash(1, 1n, 1))
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryNotSlashable')
        .withArgs(1n, Status.Exited);
    });

    it('rejects callers without the validator role (owner, peers, outsiders)', async () => {
      const { coordinator, owner, alice, outsider } = await deployFixture();
      await registerPeer(coordinator, alice);
      for (const caller of [owner, alice, outsider]) {
        await expect(as(coordinator, caller).slash(0, 1n, 1))
          .to.be.revertedWithCustomError(coordinator, 'RolesUnauthorizedValidator')
          .withArgs(caller.address);
      }
    });
  });

  describe('getters', () => {
    it('reject unknown uids, accounts and slash indices', async () => {
      const { coordinator, outsider } = await deployFixture();
      await expect(coordinator.peer(0)).to.be.revertedWithCustomError(coordinator, 'PeerRegistryUnknownUid').withArgs(0n);
      await expect(coordinator.uidOf(outsider.address))
        .to.be.revertedWithCustomError(coordinator, 'PeerRegistryNotRegistered')
        .withArgs(outsider.address);
      expect(await coordinator.isRegistered(outsider.address)).to.equal(false);
      await expect(coordinator.slashRecord(0)).to.be.revertedWithPanic(0x32);
    });
  });
});
