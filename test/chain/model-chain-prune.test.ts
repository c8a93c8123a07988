/**
 * ModelChain's `retainFinalisedRounds`: a model that drops finalised rounds' per-peer commitments
 * must answer every read it still allows exactly as the full model (itself held to the Solidity by
 * the differential test), and refuse the pruned reads with a typed PrunedRoundError — never a
 * silently wrong answer. Random operation sequences from test/chain/ops.ts drive both models.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError } from '../../core/errors.ts';
import { devWallets, HARDHAT_MNEMONIC } from '../../chain/devnet.ts';
import { ModelChain, PrunedRoundError } from '../../chain/model-chain.ts';
import type { CoordinatorReader } from '../../chain/types.ts';
import { TEST_CONFIG, h, snapshotState } from './helpers.ts';
import { ACCOUNTS, OWNER, UIDS, VALIDATOR, actorFor, callFor, ops, outcomeOf } from './ops.ts';
import type { Op } from './ops.ts';

const accounts = devWallets(HARDHAT_MNEMONIC, ACCOUNTS).map((w) => w.address);

/** The shared operations, plus honest posts of the last round and mining, so many rounds get finalised (and pruned). */
const pruningOps: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: ops },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('post' as const),
      actor: fc.constant(VALIDATOR),
      roundOffset: fc.constant(-1),
      honest: fc.constant(true),
      mask: fc.integer({ min: 0, max: 2 ** UIDS - 1 }),
      weights: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: UIDS, maxLength: UIDS }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('mine' as const), blocks: fc.constant(Number(TEST_CONFIG.roundLength)) }) },
);

/** A marker standing where a pruned round's commitment read would be. */
interface Pruned {
  readonly pruned: bigint;
}

/** `reader` with its two per-peer commitment views answering {@link Pruned} for the rounds `isPruned` names. */
function commitmentViews(reader: CoordinatorReader, onRead: (round: bigint) => Pruned | null): CoordinatorReader {
  return new Proxy(reader, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== 'commitment' && prop !== 'hasCommitted') return value;
      return async (args: { round: bigint; uid: number }) => onRead(args.round) ?? (value as (a: typeof args) => Promise<unknown>).call(target, args);
    },
  });
}

function deploy(retainFinalisedRounds?: number): ModelChain {
  const model = new ModelChain({ config: TEST_CONFIG, deployer: accounts[OWNER]!, retainFinalisedRounds });
  model.addValidator(accounts[OWNER]!, accounts[VALIDATOR]!);
  return model;
}

describe('ModelChain retainFinalisedRounds', () => {
  it('rejects a retention that is not an integer ≥ 0 or Infinity, naming the option', () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      expect(() => deploy(bad)).to.throw(ConfigError, /ModelChain\.retainFinalisedRounds .* must be an integer ≥ 0 or Infinity/);
    }
    expect(() => deploy(Infinity)).to.not.throw();
  });

  /** Registers a peer, commits it to round 1 and finalises round 1 with it. */
  function commitAndFinalise(model: ModelChain): { uid: number; round: bigint } {
    const alice = accounts[2]!;
    model.fundRewards(accounts[OWNER]!, 1_000n);
    const { uid } = model.register(alice, TEST_CONFIG.minStake);
    const round = 1n;
    model.mine(model.roundWindow(round).firstBlock - 1n - model.blockNumber); // the commit lands in round 1's first block
    model.commit(alice, round, h('u'), h('k'));
    expect(model.committed(round, uid)).to.equal(true); // open rounds are never pruned
    model.mine(model.roundWindow(round).lastBlock - model.blockNumber);
    model.postResults(accounts[VALIDATOR]!, round, [uid], [1], h('agg'));
    return { uid, round };
  }

  it('retention 0: a round finalised drops its commitments; counts, results and rewards still answer', () => {
    const model = deploy(0);
    const { uid, round } = commitAndFinalise(model);
    expect(() => model.committed(round, uid)).to.throw(PrunedRoundError, /committed: round 1's commitments were pruned .*retainFinalisedRounds = 0/);
    try {
      model.commitment(round, uid);
      expect.fail('a pruned read must throw');
    } catch (error) {
      expect(error).to.be.instanceOf(PrunedRoundError);
      expect((error as PrunedRoundError).round).to.equal(round);
      expect((error as PrunedRoundError).view).to.equal('commitment');
      expect((error as PrunedRoundError).retainFinalisedRounds).to.equal(0);
    }
    expect(model.commitCount(round)).to.equal(1);
    expect(model.roundResult(round)).to.include({ finalised: true, selectedCount: 1, distributed: TEST_CONFIG.rewardPerRound });
    expect(model.rewardsOf(uid)).to.equal(TEST_CONFIG.rewardPerRound);
    // Writes to the pruned round revert exactly as on the contract, before any commitment is read.
    expect(() => model.commit(accounts[2]!, round, h('u2'), h('k2'))).to.throw(/RoundCommitmentsWindowClosed/);
    expect(() => model.postResults(accounts[VALIDATOR]!, round, [], [], h('agg'))).to.throw(/ValidationResultsAlreadyFinalised/);
    expect(model.committed(0n, uid)).to.equal(false); // a never-finalised round still answers
    // Without the option the model answers as the contract does.
    const full = deploy();
    commitAndFinalise(full);
    expect(full.commitment(round, uid)).to.deep.equal({ updateHash: h('u'), storageKey: h('k') });
  });

  it('on random operation sequences, every allowed read agrees with the full model and pruned reads fail typed', async () => {
    let allowedReads = 0;
    let prunedReads = 0;
    let steps = 0;
    let prunedRounds = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(pruningOps, { minLength: 10, maxLength: 40 }), fc.constantFrom(0, 1, 2), async (sequence, retain) => {
        const full = deploy();
        const lean = deploy(retain);
        const fullClients = accounts.map((a) => full.client(a));
        const leanClients = accounts.map((a) => lean.client(a));
        const finalisedInOrder: bigint[] = []; // the test's own record, not the model's
        for (const op of sequence) {
          if (op.kind === 'mine') {
            full.mine(BigInt(op.blocks));
            lean.mine(BigInt(op.blocks));
          } else {
            const call = callFor(op, full, accounts); // state-dependent choices read the full model
            const actor = actorFor(op, full, accounts);
            const expected = await outcomeOf(() => call(fullClients[actor]!));
            expect(await outcomeOf(() => call(leanClients[actor]!)), `outcome of ${op.kind}`).to.deep.equal(expected);
            for (const event of 'events' in expected ? expected.events! : []) {
              const e = event as { name: string; args: { round?: bigint } };
              if (e.name === 'RoundFinalised' && e.args.round !== undefined) finalisedInOrder.push(e.args.round);
            }
          }
          steps++;
          const pruned = new Set(finalisedInOrder.slice(0, Math.max(0, finalisedInOrder.length - retain)));
          prunedRounds += pruned.size;
          const rounds = [...Array(Number(full.currentRound()) + 2).keys()].map(BigInt);
          const expectedView = commitmentViews(fullClients[0]!, (round) => {
            if (pruned.has(round)) return prunedReads++, { pruned: round };
            allowedReads++;
            return null;
          });
          const leanView = commitmentViews(leanClients[0]!, (round) => {
            try {
              lean.committed(round, 0);
              return null;
            } catch (error) {
              if (!(error instanceof PrunedRoundError)) throw error;
              expect(error.round).to.equal(round);
              expect(error.retainFinalisedRounds).to.equal(retain);
              return { pruned: round };
            }
          });
          expect(await snapshotState(leanView, accounts, rounds)).to.deep.equal(await snapshotState(expectedView, accounts, rounds));
        }
      }),
      { seed: 20_261_201, numRuns: 40 },
    );
    // Both kinds of read must be reached, or the comparison proves little (seeded: 700 steps,
    // 327 step × pruned-round pairs, 536 pruned and 3,748 allowed commitment reads).
    expect(steps).to.be.greaterThan(400);
    expect(prunedRounds).to.be.greaterThan(steps / 4);
    expect(prunedReads).to.be.greaterThan(steps / 2);
    expect(allowedReads).to.be.greaterThan(steps);
  });
});
