/**
 * Random Coordinator operation sequences for the chain tests (fast-check): six accounts — owner,
 * validator and four peers, each also trying what it may not do — and the client call each
 * operation becomes. Shared by the differential test (model vs Solidity) and the pruning test
 * (pruned model vs full model).
 */
import fc from 'fast-check';
import { ChainRevertError } from '../../chain/errors.ts';
import { ZERO_ADDRESS, ZERO_HASH } from '../../chain/model-chain.ts';
import type { ModelChain } from '../../chain/model-chain.ts';
import { PeerStatus } from '../../chain/types.ts';
import type { Address, ChainClient } from '../../chain/types.ts';
import { TEST_CONFIG, h } from './helpers.ts';

export const OWNER = 0;
export const VALIDATOR = 1;
export const ACCOUNTS = 6; // owner, validator, four peers
export const UIDS = 7; // uids an operation may name (some beyond peerCount)

export type Op =
  | { kind: 'register'; actor: number; extra: bigint }
  | { kind: 'topUp'; actor: number; amount: bigint }
  | { kind: 'deregister'; actor: number }
  | { kind: 'withdraw'; actor: number; own: boolean }
  | { kind: 'commit'; actor: number; roundOffset: number; zeroHash: boolean }
  | { kind: 'slash'; actor: number; target: UidTarget; amount: bigint; reason: number }
  | { kind: 'fund'; actor: number; amount: bigint }
  | { kind: 'post'; actor: number; roundOffset: number; honest: boolean; mask: number; weights: number[] }
  | { kind: 'claim'; actor: number; own: boolean; target: UidTarget }
  | { kind: 'role'; actor: number; action: 'add' | 'remove' | 'transfer'; target: number }
  | { kind: 'mine'; blocks: number };

/**
 * Which uid an operation names: mostly one of the uids registered so far (`pick` modulo the peer
 * count, read from the model when the call is built), sometimes any uid below {@link UIDS}, which
 * may be beyond the peer count. Uids drawn blind would mostly revert with
 * PeerRegistryUnknownUid, and the success paths would go untested.
 */
export type UidTarget = { registered: boolean; pick: number };

const anyone = fc.integer({ min: 0, max: ACCOUNTS - 1 });
const peerActor = fc.constantFrom(2, 3, 4, 5, 2, 3, 4, 5, 0); // mostly peers, sometimes the owner
const validatorActor = fc.constantFrom(VALIDATOR, VALIDATOR, VALIDATOR, VALIDATOR, 3); // 20%: unauthorised
const uidTarget: fc.Arbitrary<UidTarget> = fc.record({
  registered: fc.integer({ min: 0, max: 4 }).map((x) => x > 0), // 80%: a registered uid
  pick: fc.integer({ min: 0, max: UIDS - 1 }),
});
export const ops: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('register' as const), actor: peerActor, extra: fc.constantFrom(-1n, 0n, 0n, 5n) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('topUp' as const), actor: peerActor, amount: fc.constantFrom(0n, 7n, 100n, 7n) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deregister' as const), actor: peerActor }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('withdraw' as const),
      actor: peerActor,
      own: fc.integer({ min: 0, max: 3 }).map((x) => x > 0), // 75%: sent by an unbonding peer, when there is one
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('commit' as const),
      actor: peerActor,
      roundOffset: fc.constantFrom(0, 0, 0, -1, 1),
      zeroHash: fc.integer({ min: 0, max: 19 }).map((x) => x === 0),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('slash' as const),
      actor: validatorActor,
      target: uidTarget,
      amount: fc.constantFrom(0n, 1n, 30n, 100n, 1000n),
      reason: fc.integer({ min: 0, max: 65535 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fund' as const), actor: anyone, amount: fc.constantFrom(0n, 50n, 500n) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('post' as const),
      actor: validatorActor,
      roundOffset: fc.constantFrom(-1, -1, -2, 0),
      honest: fc.integer({ min: 0, max: 3 }).map((x) => x > 0),
      mask: fc.integer({ min: 0, max: 2 ** UIDS - 1 }),
      weights: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: UIDS, maxLength: UIDS }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('claim' as const),
      actor: peerActor,
      own: fc.integer({ min: 0, max: 3 }).map((x) => x > 0), // 75%: a uid with rewards, sent by its account, when there is one
      target: uidTarget,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('role' as const),
      actor: fc.constantFrom(OWNER, OWNER, OWNER, 4),
      action: fc.constantFrom('add' as const, 'remove' as const, 'add' as const, 'transfer' as const),
      target: fc.integer({ min: 1, max: ACCOUNTS }), // ACCOUNTS: the zero address
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('mine' as const), blocks: fc.integer({ min: 1, max: 6 }) }) },
);

/**
 * Operations every sequence starts with: the four peers register at the minimum stake, the owner
 * funds the reward pool, two peers commit to a round, one peer deregisters and the validator
 * finalises the round paying the committers once the unbonding has ended — so commits, top-ups,
 * slashes, claims and withdrawals can succeed from the first random step on,
 * not only after a lucky registration and round.
 */
export const SET_UP: readonly Op[] = [
  ...[2, 3, 4, 5].map((actor): Op => ({ kind: 'register', actor, extra: 0n })),
  ...[2, 3].map((actor): Op => ({ kind: 'commit', actor, roundOffset: 0, zeroHash: false })),
  { kind: 'fund', actor: OWNER, amount: 500n },
  { kind: 'deregister', actor: 5 },
  { kind: 'mine', blocks: Number(TEST_CONFIG.roundLength) },
  { kind: 'post', actor: VALIDATOR, roundOffset: -2, honest: true, mask: 0, weights: Array(UIDS).fill(1) }, // the committed round
];

/** A random sequence of operations after {@link SET_UP}. */
export function sequences(constraints: { minLength: number; maxLength: number }): fc.Arbitrary<Op[]> {
  return fc.array(ops, constraints).map((random) => [...SET_UP, ...random]);
}

/**
 * Who sends `op`: its drawn actor, except that a claim or a withdraw marked `own` goes to an
 * account that can succeed (one with a uid holding rewards; one that is unbonding), when one
 * exists — so both success paths are reached, not only their reverts.
 */
export function actorFor(op: Exclude<Op, { kind: 'mine' }>, model: ModelChain, accounts: readonly Address[]): number {
  if (op.kind === 'claim' && op.own) {
    const uid = uidWithRewards(model, accounts, op.target.pick);
    if (uid !== undefined) return accounts.indexOf(model.peer(uid).account);
  }
  if (op.kind === 'withdraw' && op.own) {
    const unbonding = accounts.findIndex((a) => model.isRegistered(a) && model.peer(model.uidOf(a)).status === PeerStatus.Unbonding);
    if (unbonding >= 0) return unbonding;
  }
  return op.actor;
}

/** The first uid from `start` on (cyclically) that has rewards and belongs to one of `accounts`. */
function uidWithRewards(model: ModelChain, accounts: readonly Address[], start: number): number | undefined {
  const count = Number(model.peerCount());
  for (let i = 0; i < count; i++) {
    const uid = (start + i) % count;
    if (model.rewardsOf(uid) > 0n && accounts.includes(model.peer(uid).account)) return uid;
  }
  return undefined;
}

/** Turns `op` into one client call; state-dependent choices (an honest selection, an own uid) read the model. */
export function callFor(op: Exclude<Op, { kind: 'mine' }>, model: ModelChain, accounts: readonly Address[]) {
  const round = (offset: number) => {
    const r = model.currentRound() + BigInt(offset);
    return r < 0n ? 0n : r;
  };
  const uidOf = ({ registered, pick }: UidTarget) => {
    const count = Number(model.peerCount());
    return registered && count > 0 ? pick % count : pick;
  };
  switch (op.kind) {
    case 'register':
      return (c: ChainClient) => c.register({ stake: TEST_CONFIG.minStake + op.extra });
    case 'topUp':
      return (c: ChainClient) => c.topUp({ amount: op.amount });
    case 'deregister':
      return (c: ChainClient) => c.deregister();
    case 'withdraw':
      return (c: ChainClient) => c.withdraw();
    case 'commit': {
      const r = round(op.roundOffset);
      const updateHash = op.zeroHash ? ZERO_HASH : h(`update:${op.actor}:${r}`);
      return (c: ChainClient) => c.commit({ round: r, updateHash, storageKey: h(`key:${op.actor}:${r}`) });
    }
    case 'slash':
      return (c: ChainClient) => c.slash({ uid: uidOf(op.target), amount: op.amount, reasonCode: op.reason });
    case 'fund':
      return (c: ChainClient) => c.fundRewards({ amount: op.amount });
    case 'post': {
      const r = round(op.roundOffset);
      let uids = [...Array(UIDS).keys()].filter((u) => (op.mask >> u) & 1);
      let weights = uids.map((u) => op.weights[u]);
      if (op.honest) {
        // every committed uid (up to the cap), so honest posts mostly pay someone
        uids = [...Array(UIDS).keys()].filter((u) => model.committed(r, u)).slice(0, TEST_CONFIG.maxSelected);
        weights = uids.map((u) => op.weights[u] + 1);
      }
      return (c: ChainClient) => c.postResults({ round: r, uids, weights, aggregateHash: h(`agg:${r}`) });
    }
    case 'claim': {
      const uid = op.own ? (uidWithRewards(model, accounts, op.target.pick) ?? uidOf(op.target)) : uidOf(op.target);
      return (c: ChainClient) => c.claimRewards({ uid });
    }
    case 'role': {
      const account = op.target === ACCOUNTS ? ZERO_ADDRESS : accounts[op.target];
      if (op.action === 'add') return (c: ChainClient) => c.addValidator({ account });
      if (op.action === 'remove') return (c: ChainClient) => c.removeValidator({ account });
      return (c: ChainClient) => c.transferOwnership({ newOwner: account });
    }
  }
}

/** The events of a successful call, or the revert's name and arguments. */
export async function outcomeOf(send: () => Promise<{ events: readonly unknown[] }>) {
  try {
    return { events: (await send()).events };
  } catch (error) {
    if (error instanceof ChainRevertError) return { revert: error.errorName, args: error.args };
    throw error;
  }
}
