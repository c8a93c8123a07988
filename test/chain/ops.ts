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
  | { kind: 'withdraw'; actor: number }
  | { kind: 'commit'; actor: number; roundOffset: number; zeroHash: boolean }
  | { kind: 'slash'; actor: number; uid: number; amount: bigint; reason: number }
  | { kind: 'fund'; actor: number; amount: bigint }
  | { kind: 'post'; actor: number; roundOffset: number; honest: boolean; mask: number; weights: number[] }
  | { kind: 'claim'; actor: number; own: boolean; uid: number }
  | { kind: 'role'; actor: number; action: 'add' | 'remove' | 'transfer'; target: number }
  | { kind: 'mine'; blocks: number };

const anyone = fc.integer({ min: 0, max: ACCOUNTS - 1 });
const peerActor = fc.constantFrom(2, 3, 4, 5, 2, 3, 4, 5, 0); // mostly peers, sometimes the owner
const validatorActor = fc.constantFrom(VALIDATOR, VALIDATOR, VALIDATOR, VALIDATOR, 3); // 20%: unauthorised
const uid = fc.integer({ min: 0, max: UIDS - 1 });
export const ops: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('register' as const), actor: peerActor, extra: fc.constantFrom(-1n, 0n, 0n, 5n) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('topUp' as const), actor: peerActor, amount: fc.constantFrom(0n, 7n, 100n) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deregister' as const), actor: peerActor }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('withdraw' as const), actor: peerActor }) },
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
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('slash' as const),
      actor: validatorActor,
      uid,
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
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('claim' as const), actor: peerActor, own: fc.boolean(), uid }) },
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

/** Turns `op` into one client call; state-dependent choices (an honest selection, an own uid) read the model. */
export function callFor(op: Exclude<Op, { kind: 'mine' }>, model: ModelChain, accounts: readonly Address[]) {
  const round = (offset: number) => {
    const r = model.currentRound() + BigInt(offset);
    return r < 0n ? 0n : r;
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
      return (c: ChainClient) => c.slash({ uid: op.uid, amount: op.amount, reasonCode: op.reason });
    case 'fund':
      return (c: ChainClient) => c.fundRewards({ amount: op.amount });
    case 'post': {
      const r = round(op.roundOffset);
      let uids = [...Array(UIDS).keys()].filter((u) => (op.mask >> u) & 1);
      let weights = uids.map((u) => op.weights[u]);
      if (op.honest) {
        uids = uids.filter((u) => model.committed(r, u)).slice(0, TEST_CONFIG.maxSelected);
        weights = uids.map((u) => op.weights[u] + 1);
      }
      return (c: ChainClient) => c.postResults({ round: r, uids, weights, aggregateHash: h(`agg:${r}`) });
    }
    case 'claim': {
      let target = op.uid;
      if (op.own) {
        for (let u = 0; u < Number(model.peerCount()); u++) {
          if (model.peer(u).account === accounts[op.actor] && model.rewardsOf(u) > 0n) target = u;
        }
      }
      return (c: ChainClient) => c.claimRewards({ uid: target });
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
