/**
 * Invariant: the coordinator's state is exactly what its event log implies. Random operation
 * sequences (fast-check, fixed seed; most operations are legal, many are not and revert) run
 * against a fresh coordinator; then the logs are replayed into plain maps and every getter is
 * compared with the replay: stakes, statuses, live identities, commitments, round results,
 * rewards, the pool, slash records, roles, and solvency (balance = stakes + pool + rewards).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import type { Contract, Signer } from 'ethers';
import { CONFIG, as, deployFixture, ethers, h, networkHelpers } from './helpers.ts';

async function registerPeerWith(coordinator: Contract, signer: Signer, extra: bigint): Promise<void> {
  await as(coordinator, signer).register({ value: CONFIG.minStake + extra });
}

type Op =
  | { kind: 'register'; actor: number; extra: bigint }
  | { kind: 'topUp'; actor: number; amount: bigint }
  | { kind: 'deregister'; actor: number }
  | { kind: 'withdraw'; actor: number }
  | { kind: 'commit'; actor: number; roundOffset: number; zeroHash: boolean }
  | { kind: 'slash'; uid: number; amount: bigint; reason: number }
  | { kind: 'fund'; amount: bigint }
  | { kind: 'post'; roundOffset: number; honest: boolean; mask: number; weights: number[] }
  | { kind: 'claim'; actor: number; own: boolean; uid: number }
  | { kind: 'mine'; blocks: number };

const ACTORS = 4;
const actor = fc.integer({ min: 0, max: ACTORS - 1 });
const uid = fc.integer({ min: 0, max: 7 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('register' as const), actor, extra: fc.constantFrom(-1n, 0n, 0n, 1n, 3n) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('topUp' as const), actor, amount: fc.bigInt(0n, 50n) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deregister' as const), actor }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('withdraw' as const), actor }) },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('commit' as const),
      actor,
      roundOffset: fc.constantFrom(0, 0, 0, 0, -1, 1),
      zeroHash: fc.integer({ min: 0, max: 19 }).map((x) => x === 0), // 5% zero hashes
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('slash' as const),
      uid,
      amount: fc.oneof(fc.bigInt(0n, 100n), fc.constant(CONFIG.minStake)),
      reason: fc.integer({ min: 0, max: 65535 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('fund' as const), amount: fc.constantFrom(0n, 1000n, CONFIG.rewardPerRound) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('post' as const),
      roundOffset: fc.constantFrom(-1, -1, -1, -2, 0),
      honest: fc.integer({ min: 0, max: 4 }).map((x) => x > 0), // 80%: a selection the contract accepts
      mask: fc.integer({ min: 0, max: 255 }),
      weights: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 8, maxLength: 8 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('claim' as const),
      actor,
      own: fc.integer({ min: 0, max: 4 }).map((x) => x > 0), // 80%: a uid of the actor with rewards
      uid,
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('mine' as const), blocks: fc.integer({ min: 1, max: 25 }) }) },
);

/** Sends `op`; returns whether it succeeded (a revert is an expected outcome, not a failure). */
async function apply(coordinator: Contract, signers: Signer[], validator: Signer, op: Op): Promise<boolean> {
  const current = (await coordinator.currentRound()) as bigint;
  const round = (offset: number) => (current + BigInt(offset) < 0n ? 0n : current + BigInt(offset));
  try {
    switch (op.kind) {
      case 'register':
        await as(coordinator, signers[op.actor]).register({ value: CONFIG.minStake + op.extra });
        break;
      case 'topUp':
        await as(coordinator, signers[op.actor]).topUp({ value: op.amount });
        break;
      case 'deregister':
        await as(coordinator, signers[op.actor]).deregister();
        break;
      case 'withdraw':
        await as(coordinator, signers[op.actor]).withdraw();
        break;
      case 'commit': {
        const r = round(op.roundOffset);
        const hash = op.zeroHash ? ethers.ZeroHash : h(`update:${op.actor}:${r}`);
        await as(coordinator, signers[op.actor]).commit(r, hash, h(`key:${op.actor}:${r}`));
        break;
      }
      case 'slash':
        await as(coordinator, validator).slash(op.uid, op.amount, op.reason);
        break;
      case 'fund':
        await coordinator.fundRewards({ value: op.amount });
        break;
      case 'post': {
        const r = round(op.roundOffset);
        let uids = [...Array(8).keys()].filter((u) => (op.mask >> u) & 1);
        let weights = uids.map((u) => op.weights[u]);
        if (op.honest) {
          const committed: number[] = [];
          for (const u of uids) if (await coordinator.hasCommitted(r, u)) committed.push(u);
          uids = committed.slice(0, CONFIG.maxSelected);
          weights = uids.map((u) => op.weights[u] + 1);
        }
        await as(coordinator, validator).postResults(r, uids, weights, h(`agg:${r}`));
        break;
      }
      case 'claim': {
        let target = op.uid;
        if (op.own) {
          const address = await signers[op.actor].getAddress();
          const count = Number(await coordinator.peerCount());
          for (let u = 0; u < count; u++) {
            if ((await coordinator.peer(u)).account === address && (await coordinator.rewardsOf(u)) > 0n) target = u;
          }
        }
        await as(coordinator, signers[op.actor]).claimRewards(target);
        break;
      }
      case 'mine':
        await networkHelpers.mine(op.blocks);
        break;
    }
    return true;
  } catch (error) {
    // Only contract reverts are expected; anything else (a provider fault) fails the test.
    if (!(error instanceof Error) || !/revert/i.test(error.message)) throw error;
    return false;
  }
}

interface ModelPeer {
  account: string;
  stake: bigint;
  status: bigint;
  unbondingEndsAt: bigint;
}

/** The state the event log implies. */
async function replay(coordinator: Contract) {
  const peers: ModelPeer[] = [];
  const commitments = new Map<bigint, Map<bigint, [string, string]>>();
  const results = new Map<bigint, { aggregateHash: string; validator: string; selectedCount: bigint; distributed: bigint }>();
  const rewards = new Map<bigint, bigint>();
  const slashes: [bigint, bigint, bigint, string, bigint][] = [];
  const validators = new Set<string>();
  let owner = ethers.ZeroAddress;
  let pool = 0n;
  const logs = await ethers.provider.getLogs({ address: await coordinator.getAddress(), fromBlock: 0 });
  for (const log of logs) {
    const event = coordinator.interface.parseLog(log);
    if (event === null) throw new Error(`unparsed log ${log.topics[0]}`);
    const a = event.args;
    switch (event.name) {
      case 'OwnershipTransferred':
        owner = a.newOwner;
        break;
      case 'ValidatorAdded':
        validators.add(a.account);
        break;
      case 'ValidatorRemoved':
        validators.delete(a.account);
        break;
      case 'PeerRegistered':
        expect(a.uid).to.equal(BigInt(peers.length)); // uids are sequential
        peers.push({ account: a.account, stake: a.stake, status: 0n, unbondingEndsAt: 0n });
        break;
      case 'StakeToppedUp':
        peers[Number(a.uid)].stake += a.amount;
        expect(peers[Number(a.uid)].stake).to.equal(a.newStake);
        break;
      case 'PeerDeregistered':
        peers[Number(a.uid)].status = 1n;
        peers[Number(a.uid)].unbondingEndsAt = a.unbondingEndsAt;
        break;
      case 'StakeWithdrawn':
        expect(peers[Number(a.uid)].stake).to.equal(a.amount);
        peers[Number(a.uid)].stake = 0n;
        peers[Number(a.uid)].status = 2n;
        break;
      case 'PeerSlashed':
        peers[Number(a.uid)].stake -= a.amount;
        expect(peers[Number(a.uid)].stake).to.equal(a.remainingStake);
        slashes.push([a.uid, a.reasonCode, BigInt(log.blockNumber), a.validator, a.amount]);
        break;
      case 'SlashedStakePooled':
      case 'RewardsFunded':
        pool += a.amount;
        expect(pool).to.equal(a.newPool);
        break;
      case 'UpdateCommitted': {
        const round = commitments.get(a.round) ?? new Map<bigint, [string, string]>();
        expect(round.has(a.uid), 'a second commitment was accepted').to.equal(false);
        round.set(a.uid, [a.updateHash, a.storageKey]);
        commitments.set(a.round, round);
        break;
      }
      case 'RewardAccrued':
        rewards.set(a.uid, (rewards.get(a.uid) ?? 0n) + a.amount);
        break;
      case 'RoundFinalised':
        expect(results.has(a.round), 'a round was finalised twice').to.equal(false);
        pool -= a.distributed;
        expect(pool).to.equal(a.newPool);
        results.set(a.round, {
          aggregateHash: a.aggregateHash,
          validator: a.validator,
          selectedCount: BigInt(a.uids.length),
          distributed: a.distributed,
        });
        break;
      case 'RewardsClaimed':
        expect(rewards.get(a.uid)).to.equal(a.amount);
        rewards.set(a.uid, 0n);
        break;
      default:
        throw new Error(`event ${event.name} not covered by the replay`);
    }
  }
  return { peers, commitments, results, rewards, slashes, validators, owner, pool };
}

async function expectStateMatchesReplay(coordinator: Contract, signers: Signer[]): Promise<void> {
  const m = await replay(coordinator);
  expect(await coordinator.owner()).to.equal(m.owner);
  for (const s of signers) {
    const address = await s.getAddress();
    expect(await coordinator.isValidator(address)).to.equal(m.validators.has(address));
    const live = m.peers.findIndex((p) => p.account === address && p.status !== 2n);
    expect(await coordinator.isRegistered(address)).to.equal(live >= 0);
    if (live >= 0) expect(await coordinator.uidOf(address)).to.equal(BigInt(live));
  }
  expect(await coordinator.peerCount()).to.equal(BigInt(m.peers.length));
  for (const [uid, p] of m.peers.entries()) {
    const onChain = await coordinator.peer(uid);
    expect([onChain.account, onChain.stake, onChain.status, onChain.unbondingEndsAt]).to.deep.equal([
      p.account,
      p.stake,
      p.status,
      p.unbondingEndsAt,
    ]);
    expect(await coordinator.rewardsOf(uid)).to.equal(m.rewards.get(BigInt(uid)) ?? 0n);
  }
  const lastRound = (await coordinator.currentRound()) as bigint;
  for (let round = 0n; round <= lastRound; round++) {
    const committed = m.commitments.get(round) ?? new Map<bigint, [string, string]>();
    expect(await coordinator.commitCount(round)).to.equal(BigInt(committed.size));
    for (let uid = 0n; uid < BigInt(m.peers.length); uid++) {
      const c = await coordinator.commitmentOf(round, uid);
      expect([c.updateHash, c.storageKey]).to.deep.equal(committed.get(uid) ?? [ethers.ZeroHash, ethers.ZeroHash]);
    }
    const r = await coordinator.roundResult(round);
    const expected = m.results.get(round);
    expect([r.finalised, r.aggregateHash, r.validator, r.selectedCount, r.distributed]).to.deep.equal(
      expected === undefined
        ? [false, ethers.ZeroHash, ethers.ZeroAddress, 0n, 0n]
        : [true, expected.aggregateHash, expected.validator, expected.selectedCount, expected.distributed],
    );
  }
  expect(await coordinator.finalisedCount()).to.equal(BigInt(m.results.size));
  expect(await coordinator.rewardPool()).to.equal(m.pool);
  expect(await coordinator.slashCount()).to.equal(BigInt(m.slashes.length));
  for (const [i, s] of m.slashes.entries()) {
    const r = await coordinator.slashRecord(i);
    expect([r.uid, r.reasonCode, r.blockNumber, r.validator, r.amount]).to.deep.equal(s);
  }
  // Solvency: every wei held is someone's stake, pooled reward or unclaimed reward.
  const held = m.peers.reduce((sum, p) => sum + p.stake, 0n) + m.pool + [...m.rewards.values()].reduce((a, b) => a + b, 0n);
  expect(await ethers.provider.getBalance(await coordinator.getAddress())).to.equal(held);
}

describe('contracts/Coordinator invariant: state = replay of the event log', () => {
  it('holds after random operation sequences', async () => {
    const outcomes = { ok: 0, reverted: 0 };
    const byKind = new Map<string, [number, number]>();
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 60, maxLength: 120 }), async (ops) => {
        const { coordinator, validator, alice, bob, carol, dave, outsider } = await deployFixture();
        const signers = [alice, bob, carol, dave, outsider];
        // Prologue: every actor joins and the pool has funds, so the random tail mostly hits live paths.
        for (const [i, s] of signers.slice(0, ACTORS).entries()) await registerPeerWith(coordinator, s, BigInt(i));
        await coordinator.fundRewards({ value: CONFIG.rewardPerRound });
        for (const op of ops) {
          const ok = await apply(coordinator, signers, validator, op);
          if (ok) outcomes.ok += 1;
          else outcomes.reverted += 1;
          const k = byKind.get(op.kind) ?? [0, 0];
          k[ok ? 0 : 1] += 1;
          byKind.set(op.kind, k);
        }
        await expectStateMatchesReplay(coordinator, [...signers, validator]);
      }),
      { seed: 20261125, numRuns: 10, endOnFailure: true },
    );
    // The sequences must exercise both paths of every operation, or the property says little.
    for (const [kind, [ok]] of byKind) expect(ok, `successful ${kind} operations`).to.be.greaterThan(0);
    expect(byKind.size).to.equal(10);
    expect(outcomes.ok).to.be.greaterThan(200);
    expect(outcomes.reverted).to.be.greaterThan(200);
  });
});
