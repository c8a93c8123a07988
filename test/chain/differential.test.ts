/**
 * Differential test: the TypeScript ModelChain must not drift from contracts/Coordinator.sol.
 * Random operation sequences (fast-check, fixed seed) from six accounts — owner, validator and
 * four peers, each also trying what it may not do — run against a fresh Coordinator on the
 * in-process Hardhat chain (through the EVM client) and against a ModelChain. After every step
 * the outcome must match (the same events with the same arguments, or the same custom error with
 * the same arguments) and so must every getter; at the end, the whole event logs must match.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { deployCoordinator } from '../../chain/deploy.ts';
import { devWallets, HARDHAT_MNEMONIC, mineBlocks } from '../../chain/devnet.ts';
import { ChainRevertError } from '../../chain/errors.ts';
import { createEvmChainClient } from '../../chain/evm-client.ts';
import { ModelChain, ZERO_ADDRESS, ZERO_HASH } from '../../chain/model-chain.ts';
import type { ChainTransport } from '../../chain/transport.ts';
import type { Address, ChainClient } from '../../chain/types.ts';
import { TEST_CONFIG, h, inProcessTransport, snapshotState } from './helpers.ts';

const OWNER = 0;
const VALIDATOR = 1;
const ACCOUNTS = 6; // owner, validator, four peers
const UIDS = 7; // uids an operation may name (some beyond peerCount)

type Op =
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
const ops: fc.Arbitrary<Op> = fc.oneof(
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
function callFor(op: Exclude<Op, { kind: 'mine' }>, model: ModelChain, accounts: readonly Address[]) {
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
async function outcomeOf(send: () => Promise<{ events: readonly unknown[] }>) {
  try {
    return { events: (await send()).events };
  } catch (error) {
    if (error instanceof ChainRevertError) return { revert: error.errorName, args: error.args };
    throw error;
  }
}

describe('chain/ModelChain vs Coordinator.sol (differential, in-process Hardhat)', function () {
  this.timeout(120_000);
  let transport: ChainTransport;
  const wallets = devWallets(HARDHAT_MNEMONIC, ACCOUNTS);
  const accounts = wallets.map((w) => w.address);

  before(async () => {
    transport = await inProcessTransport();
  });

  it('has identical state, events and reverts after every step of random operation sequences', async () => {
    let steps = 0;
    let reverts = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(ops, { minLength: 5, maxLength: 20 }), async (sequence) => {
        const deployment = await deployCoordinator({
          transport,
          wallet: wallets[OWNER],
          config: TEST_CONFIG,
          validators: [accounts[VALIDATOR]],
        });
        const evm = wallets.map((wallet) => createEvmChainClient({ transport, address: deployment.address, wallet }));
        const model = new ModelChain({ config: TEST_CONFIG, deployer: accounts[OWNER], startBlock: deployment.deployBlock - 1n });
        model.addValidator(accounts[OWNER], accounts[VALIDATOR]);
        const modelClients = accounts.map((a) => model.client(a));

        for (const op of sequence) {
          if (op.kind === 'mine') {
            await mineBlocks(transport, BigInt(op.blocks));
            model.mine(BigInt(op.blocks));
          } else {
            const call = callFor(op, model, accounts);
            const fromEvm = await outcomeOf(() => call(evm[op.actor]));
            const fromModel = await outcomeOf(() => call(modelClients[op.actor]));
            expect(fromModel, `outcome of ${JSON.stringify(op, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`).to.deep.equal(fromEvm);
            if ('revert' in fromEvm) reverts++;
          }
          steps++;
          const current = model.currentRound();
          const rounds = [current - 2n, current - 1n, current, current + 1n].filter((r) => r >= 0n);
          expect(await snapshotState(modelClients[0], accounts, rounds)).to.deep.equal(await snapshotState(evm[0], accounts, rounds));
        }
        const fromBlock = deployment.deployBlock;
        const strip = (logs: readonly { txHash: string }[]) => logs.map(({ txHash: _, ...rest }) => rest);
        expect(strip(await modelClients[0].events({ fromBlock }))).to.deep.equal(strip(await evm[0].events({ fromBlock })));
      }),
      { seed: 20_240_601, numRuns: 25 },
    );
    // The sequences must exercise both paths, or the comparison proves little.
    expect(reverts).to.be.greaterThan(steps / 10);
    expect(reverts).to.be.lessThan(steps * 0.8);
  });
});
