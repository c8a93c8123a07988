/**
 * One conformance suite for every {@link ChainClient} implementation (in-process Hardhat, a
 * Hardhat node and ganache over HTTP, and the ModelChain): a round's life cycle through the
 * client — register, commit, late and duplicate commits rejected with decoded custom errors,
 * results posted, a slash, rewards claimed — and the event stream that records it.
 */
import { expect } from 'chai';
import { ChainRevertError } from '../../chain/errors.ts';
import { PeerStatus } from '../../chain/types.ts';
import type { ChainClient } from '../../chain/types.ts';
import { TEST_CONFIG, h } from './helpers.ts';

/** A fresh deployment of TEST_CONFIG with `validator` holding the role, and a way to mine blocks. */
export interface SuiteChain {
  readonly owner: ChainClient;
  readonly validator: ChainClient;
  readonly alice: ChainClient;
  readonly bob: ChainClient;
  mine(blocks: bigint): Promise<void>;
}

/** Runs `promise` and returns the {@link ChainRevertError} it must reject with. */
export async function revertOf(promise: Promise<unknown>): Promise<ChainRevertError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ChainRevertError) return error;
    throw error;
  }
  throw new Error('expected a revert, but the call succeeded');
}

/** Mines until the next transaction lands in block `target`. */
async function mineUntilNextTxIn(chain: SuiteChain, target: bigint): Promise<void> {
  const gap = target - 1n - (await chain.owner.blockNumber());
  if (gap > 0n) await chain.mine(gap);
}

/** Registers the conformance tests; `setup` is called before each. */
export function clientConformanceSuite(setup: () => Promise<SuiteChain>): void {
  let chain: SuiteChain;
  beforeEach(async () => {
    chain = await setup();
  });

  it('registers peers with sequential uids and reads them back', async () => {
    const { alice, bob, owner } = chain;
    const a = await alice.register({ stake: TEST_CONFIG.minStake });
    const b = await bob.register({ stake: TEST_CONFIG.minStake + 5n });
    expect([a.uid, b.uid]).to.deep.equal([0, 1]);
    expect(a.events).to.deep.equal([{ name: 'PeerRegistered', args: { uid: 0, account: alice.account, stake: 100n } }]);
    expect(await owner.peer({ uid: 1 })).to.deep.equal({ account: bob.account, unbondingEndsAt: 0n, status: PeerStatus.Active, stake: 105n });
    expect(await owner.uidOf({ account: bob.account })).to.equal(1);
    expect(await owner.config()).to.deep.equal(TEST_CONFIG);
    expect(await owner.balance()).to.equal(205n);
  });

  it('decodes a view revert and a write revert into ChainRevertError with typed arguments', async () => {
    const { alice, owner } = chain;
    const notRegistered = await revertOf(owner.uidOf({ account: alice.account }));
    expect([notRegistered.errorName, notRegistered.args]).to.deep.equal(['PeerRegistryNotRegistered', [alice.account]]);
    const low = await revertOf(alice.register({ stake: 99n }));
    expect([low.errorName, low.args]).to.deep.equal(['PeerRegistryStakeTooLow', [99n, 100n]]);
    await alice.register({ stake: 100n });
    const again = await revertOf(alice.register({ stake: 100n }));
    expect([again.errorName, again.args]).to.deep.equal(['PeerRegistryAlreadyRegistered', [alice.account, 0]]);
  });

  it('commits once per round; duplicate, early and late commits revert with their arguments', async () => {
    const { alice, bob, owner } = chain;
    await alice.register({ stake: 100n });
    await bob.register({ stake: 100n });
    const round = (await owner.currentRound()) + 2n; // opens at least one block after the next transaction
    const { firstBlock, lastBlock } = await owner.roundWindow({ round });
    const early = await revertOf(alice.commit({ round, updateHash: h('u'), storageKey: h('k') }));
    const earlyBlock = (await owner.blockNumber()) + 1n;
    expect([early.errorName, early.args]).to.deep.equal(['RoundCommitmentsWindowNotOpen', [round, firstBlock, earlyBlock]]);

    await mineUntilNextTxIn(chain, firstBlock);
    const receipt = await alice.commit({ round, updateHash: h('u'), storageKey: h('k') });
    expect(receipt.blockNumber).to.equal(firstBlock);
    expect(receipt.events).to.deep.equal([{ name: 'UpdateCommitted', args: { round, uid: 0, updateHash: h('u'), storageKey: h('k') } }]);
    expect(await owner.commitment({ round, uid: 0 })).to.deep.equal({ updateHash: h('u'), storageKey: h('k') });

    const duplicate = await revertOf(alice.commit({ round, updateHash: h('u2'), storageKey: h('k') }));
    expect([duplicate.errorName, duplicate.args]).to.deep.equal(['RoundCommitmentsDuplicate', [round, 0]]);

    await mineUntilNextTxIn(chain, lastBlock + 1n);
    const late = await revertOf(bob.commit({ round, updateHash: h('b'), storageKey: h('k') }));
    expect([late.errorName, late.args]).to.deep.equal(['RoundCommitmentsWindowClosed', [round, lastBlock, lastBlock + 1n]]);
    expect(await owner.commitCount({ round })).to.equal(1);
  });

  it('posts results once, accrues rewards by weight, slashes into the pool and pays claims', async () => {
    const { alice, bob, owner, validator } = chain;
    await alice.register({ stake: 100n });
    await bob.register({ stake: 100n });
    await owner.fundRewards({ amount: 1000n });
    const round = await owner.currentRound();
    await alice.commit({ round, updateHash: h('a'), storageKey: h('ka') });
    await bob.commit({ round, updateHash: h('b'), storageKey: h('kb') });
    const notClosed = await revertOf(validator.postResults({ round, uids: [0, 1], weights: [1, 2], aggregateHash: h('agg') }));
    expect(notClosed.errorName).to.equal('ValidationResultsRoundNotClosed');
    const { lastBlock } = await owner.roundWindow({ round });
    await mineUntilNextTxIn(chain, lastBlock + 1n);

    const unauthorised = await revertOf(alice.postResults({ round, uids: [0], weights: [1], aggregateHash: h('agg') }));
    expect([unauthorised.errorName, unauthorised.args]).to.deep.equal(['RolesUnauthorizedValidator', [alice.account]]);
    const posted = await validator.postResults({ round, uids: [0, 1], weights: [1, 2], aggregateHash: h('agg') });
    expect(posted.events.map((e) => e.name)).to.deep.equal(['RewardAccrued', 'RewardAccrued', 'RoundFinalised']);
    expect(posted.events[2].args).to.deep.equal({
      round, validator: validator.account, aggregateHash: h('agg'), uids: [0, 1], weights: [1, 2], distributed: 90n, newPool: 910n,
    });
    const twice = await revertOf(validator.postResults({ round, uids: [], weights: [], aggregateHash: h('agg') }));
    expect([twice.errorName, twice.args]).to.deep.equal(['ValidationResultsAlreadyFinalised', [round]]);
    expect(await owner.rewardsOf({ uid: 1 })).to.equal(60n);

    const slashed = await validator.slash({ uid: 1, amount: 40n, reasonCode: 7 });
    expect(slashed.events).to.deep.equal([
      { name: 'PeerSlashed', args: { uid: 1, validator: validator.account, amount: 40n, reasonCode: 7, remainingStake: 60n } },
      { name: 'SlashedStakePooled', args: { amount: 40n, newPool: 950n } },
    ]);
    const record = await owner.slashRecord({ index: 0n });
    expect([record.uid, record.amount, record.reasonCode, record.blockNumber]).to.deep.equal([1, 40n, 7, slashed.blockNumber]);
    const tooMuch = await revertOf(validator.slash({ uid: 1, amount: 61n, reasonCode: 7 }));
    expect([tooMuch.errorName, tooMuch.args]).to.deep.equal(['PeerRegistrySlashExceedsStake', [1, 61n, 60n]]);

    const notYours = await revertOf(alice.claimRewards({ uid: 1 }));
    expect([notYours.errorName, notYours.args]).to.deep.equal(['ValidationResultsNotPeerAccount', [1, alice.account]]);
    await bob.claimRewards({ uid: 1 });
    expect(await owner.rewardsOf({ uid: 1 })).to.equal(0n);
    expect(await owner.balance()).to.equal(100n + 60n + 950n + 30n); // stakes + pool + alice's unclaimed reward
  });

  it('returns the event stream in chain order, with blocks that match the receipts', async () => {
    const { alice, owner } = chain;
    const from = await owner.blockNumber();
    const registered = await alice.register({ stake: 100n });
    await chain.mine(2n);
    const topped = await alice.topUp({ amount: 5n });
    const logs = await owner.events({ fromBlock: from + 1n });
    expect(logs.map((l) => [l.name, l.blockNumber])).to.deep.equal([
      ['PeerRegistered', registered.blockNumber],
      ['StakeToppedUp', topped.blockNumber],
    ]);
    expect(topped.blockNumber - registered.blockNumber).to.equal(3n);
    expect(logs[1].args).to.deep.equal({ uid: 0, amount: 5n, newStake: 105n });
  });
}
