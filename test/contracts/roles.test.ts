/** Roles: owner and validator set management, and the deploy-time configuration checks. */
import { expect } from 'chai';
import { CONFIG, as, deployFixture, ethers } from './helpers.ts';

describe('contracts/Roles', () => {
  it('makes the deployer owner, announced at deploy', async () => {
    const { coordinator, owner } = await deployFixture();
    expect(await coordinator.owner()).to.equal(owner.address);
    await expect(coordinator.deploymentTransaction())
      .to.emit(coordinator, 'OwnershipTransferred')
      .withArgs(ethers.ZeroAddress, owner.address);
  });

  describe('transferOwnership', () => {
    it('hands ownership over; the old owner loses its powers', async () => {
      const { coordinator, owner, alice, bob } = await deployFixture();
      await expect(coordinator.transferOwnership(alice.address))
        .to.emit(coordinator, 'OwnershipTransferred')
        .withArgs(owner.address, alice.address);
      expect(await coordinator.owner()).to.equal(alice.address);
      await expect(coordinator.addValidator(bob.address))
        .to.be.revertedWithCustomError(coordinator, 'RolesUnauthorizedOwner')
        .withArgs(owner.address);
      await expect(as(coordinator, alice).addValidator(bob.address)).to.emit(coordinator, 'ValidatorAdded');
    });

    it('rejects a non-owner', async () => {
      const { coordinator, validator, outsider } = await deployFixture();
      for (const caller of [validator, outsider]) {
        await expect(as(coordinator, caller).transferOwnership(caller.address))
          .to.be.revertedWithCustomError(coordinator, 'RolesUnauthorizedOwner')
          .withArgs(caller.address);
      }
    });

    it('rejects the zero address', async () => {
      const { coordinator } = await deployFixture();
      await expect(coordinator.transferOwnership(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(coordinator, 'RolesInvalidAccount')
        .withArgs(ethers.ZeroAddress);
    });
  });

  describe('addValidator', () => {
    it('grants the role', async () => {
      const { coordinator, alice } = await deployFixture();
      expect(await coordinator.isValidator(alice.address)).to.equal(false);
      await expect(coordinator.addValidator(alice.address))
        .to.emit(coordinator, 'ValidatorAdded')
        .withArgs(alice.address);
      expect(await coordinator.isValidator(alice.address)).to.equal(true);
    });

    it('rejects a non-owner, even a validator', async () => {
      const { coordinator, validator, alice } = await deployFixture();
      await expect(as(coordinator, validator).addValidator(alice.address))
        .to.be.revertedWithCustomError(coordinator, 'RolesUnauthorizedOwner')
        .withArgs(validator.address);
    });

    it('rejects the zero address and an existing validator', async () => {
      const { coordinator, validator } = await deployFixture();
      await expect(coordinator.addValidator(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(coordinator, 'RolesInvalidAccount')
        .withArgs(ethers.ZeroAddress);
      await expect(coordinator.addValidator(validator.address))
        .to.be.revertedWithCustomError(coordinator, 'RolesValidatorAlreadyAdded')
        .withArgs(validator.address);
    });
  });

  describe('removeValidator', () => {
    it('revokes the role; the former validator can no longer slash', async () => {
      const { coordinator, validator, alice } = await deployFixture();
      await as(coordinator, alice).register({ value: CONFIG.minStake });
      await expect(coordinator.removeValidator(validator.address))
        .to.emit(coordinator, 'ValidatorRemoved')
        .withArgs(validator.address);
      expect(await coordinator.isValidator(validator.address)).to.equal(false);
      await expect(as(coordinator, validator).slash(0, 1n, 1))
        .to.be.revertedWithCustomError(coordinator, 'RolesUnauthorizedValidator')
        .withArgs(validator.address);
    });

    it('rejects a non-owner', async () => {
      const { coordinator, validator } = await deployFixture();
      await expect(as(coordinator, validator).removeValidator(validator.address))
        .to.be.revertedWithCustomError(coordinator, 'RolesUnauthorizedOwner')
        .withArgs(validator.address);
    });

    it('rejects an account that is not a validator', async () => {
      const { coordinator, alice } = await deployFixture();
      await expect(coordinator.removeValidator(alice.address))
        .to.be.revertedWithCustomError(coordinator, 'RolesValidatorNotFound')
        .withArgs(alice.address);
    });
  });

  describe('deploy-time configuration', () => {
    it('exposes every parameter', async () => {
      const { coordinator } = await deployFixture();
      expect(await coordinator.minStake()).to.equal(CONFIG.minStake);
      expect(await coordinator.unbondingBlocks()).to.equal(CONFIG.unbondingBlocks);
      expect(await coordinator.roundLength()).to.equal(CONFIG.roundLength);
      expect(await coordinator.maxSelected()).to.equal(CONFIG.maxSelected);
      expect(await coordinator.rewardPerRound()).to.equal(CONFIG.rewardPerRound);
    });

    it('rejects a zero minStake, roundLength or maxSelected', async () => {
      const factory = await ethers.getContractFactory('Coordinator');
      await expect(factory.deploy({ ...CONFIG, minStake: 0n }))
        .to.be.revertedWithCustomError(factory, 'PeerRegistryInvalidMinStake')
        .withArgs(0n);
      await expect(factory.deploy({ ...CONFIG, roundLength: 0n }))
        .to.be.revertedWithCustomError(factory, 'RoundCommitmentsInvalidRoundLength')
        .withArgs(0n);
      await expect(factory.deploy({ ...CONFIG, maxSelected: 0 }))
        .to.be.revertedWithCustomError(factory, 'ValidationResultsInvalidMaxSelected')
        .withArgs(0);
    });
  });
});
