import { expect } from 'chai';
import { getAddress } from 'ethers';
import { ConfigError } from '../../core/errors.ts';
import { PrunedRoundError } from '../../chain/model-chain.ts';
import { SLASH_REASON_CODES } from '../../core/defence/chain-post.ts';
import { CHAIN_DEFAULTS, SimChain, peerAddress, resolveChainConfig, storageKeyBytes32 } from '../../sim/chain.ts';
import type { ChainRowFigures } from '../../sim/chain.ts';
import { resolveSimConfig } from '../../sim/config.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { runSimulation } from '../../sim/run.ts';
import type { SimResult, SimRoundRow } from '../../sim/run.ts';

const NET = {
  uplinkMbps: { kind: 'fixed', value: 100 },
  downlinkMbps: { kind: 'fixed', value: 100 },
  latencyMs: { kind: 'fixed', value: 10 },
  store: { ingressMbps: 1e4, egressMbps: 1e4, latencyMs: 0 },
} as const;

function base(extra: Partial<SimConfigInput> = {}): SimConfigInput {
  return {
    seed: 7, peers: 8, rounds: 5, innerSteps: 2, windowS: 60,
    backend: { hiddenDim: 8, batchSize: 4, numShards: 16 },
    optim: { method: 'sparseloco', topK: 8, quantBits: 2, outerLr: 0.8 },
    net: NET,
    ...extra,
  };
}

/** Runs `config` and keeps its chain mirror. */
function runWithChain(config: SimConfigInput): { result: SimResult; chain: SimChain } {
  let chain: SimChain | null = null;
  const result = runSimulation(config, { onChain: (c) => (chain = c) });
  expect(chain, 'onChain called').to.not.equal(null);
  return { result, chain: chain! };
}

/** "Name=count;…" → the count of `name` (0 when absent). */
function revertCount(row: SimRoundRow, name: string): number {
  const match = new RegExp(`(?:^|;)${name}=(\\d+)`).exec(row.chainReverts ?? '');
  return match === null ? 0 : Number(match[1]);
}

const CHAIN_FIELDS = ['chainCommits', 'chainReverts', 'chainRewardsPaid', 'cumulativeChainRewardsPaid'] as const;

/**
 * Runs `config` (whose mirror prunes finalised rounds, as every run's does) and tees every call the
 * simulator makes on its mirror into a twin mirror over an unpruned model. Returns the run, both
 * mirrors, and the rows as they would read with the unpruned mirror's chain columns.
 */
function runTeedOntoUnprunedModel(config: SimConfigInput) {
  const cfg = resolveSimConfig(config);
  let pruned: SimChain | null = null;
  let unpruned: SimChain | null = null;
  const unprunedFigures: ChainRowFigures[] = [];
  const result = runSimulation(config, {
    onChain: (chain) => {
      const initial = [...Array(cfg.peers).keys()];
      expect(initial.map((uid) => chain.chainUidOf(uid))).to.deep.equal(initial); // the initial peers are uids 0..P-1
      const twin = new SimChain(cfg.chain, cfg.rounds, initial, { retainFinalisedRounds: Infinity });
      const teed = chain as unknown as Record<string, (...args: unknown[]) => unknown>;
      for (const method of ['register', 'openRound', 'closeRound', 'commit', 'finalise'] as const) {
        const own = chain[method].bind(chain) as (...args: unknown[]) => unknown;
        const other = twin[method].bind(twin) as (...args: unknown[]) => unknown;
        teed[method] = (...args) => (other(...args), own(...args));
      }
      const ownFigures = chain.takeRowFigures.bind(chain);
      teed.takeRowFigures = () => (unprunedFigures.push(twin.takeRowFigures()), ownFigures());
      pruned = chain;
      unpruned = twin;
    },
  });
  expect(unprunedFigures).to.have.length(result.rows.length);
  const unprunedRows = result.rows.map((row, i) => ({ ...row, ...unprunedFigures[i] }));
  return { result, pruned: pruned! as SimChain, unpruned: unpruned! as SimChain, unprunedRows };
}

function withoutChainFields(row: SimRoundRow): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...row };
  for (const k of CHAIN_FIELDS) delete copy[k];
  return copy;
}

describe('sim/chain', () => {
  describe('config', () => {
    it('fills the documented defaults and rejects bad values by key', () => {
      const cfg = resolveChainConfig({});
      expect(cfg).to.deep.equal({
        enabled: true, roundLength: 10, minStake: CHAIN_DEFAULTS.minStake, rewardPerRound: CHAIN_DEFAULTS.rewardPerRound,
        maxSelected: 2 ** 32 - 1, slashAmount: (10n ** 17n).toString(),
      });
      expect(resolveChainConfig({ minStake: 50n }).slashAmount).to.equal('5');
      expect(resolveSimConfig(base()).chain.enabled).to.equal(true);
      expect(() => resolveChainConfig({ roundLength: 0 })).to.throw(ConfigError, /chain\.roundLength/);
      expect(() => resolveChainConfig({ minStake: '0' })).to.throw(ConfigError, /chain\.minStake/);
      expect(() => resolveChainConfig({ minStake: '1e18' })).to.throw(ConfigError, /chain\.minStake/);
      expect(() => resolveChainConfig({ maxSelected: 2 ** 32 })).to.throw(ConfigError, /chain\.maxSelected/);
      expect(() => resolveChainConfig({ blocks: 3 } as never)).to.throw(ConfigError, /chain\.blocks/);
      expect(() => resolveSimConfig(base({ chain: { enabled: 'yes' as never } }))).to.throw(ConfigError, /chain\.enabled/);
    });

    it('derives distinct checksummed peer addresses and bytes32 storage keys', () => {
      const a = peerAddress(0);
      expect(a).to.equal(getAddress(a));
      expect(new Set([0, 1, 255, 9_999, 2 ** 31].map(peerAddress)).size).to.equal(5);
      expect(storageKeyBytes32('gradient-3-7-v1')).to.match(/^0x6772616469656e742d332d372d7631(00)+$/);
      expect(storageKeyBytes32('x'.repeat(40))).to.match(/^0x[0-9a-f]{64}$/);
    });
  });

  describe('a SparseLoCo run mirrored onto the model chain', () => {
    it('commits = on-time submissions, every round posted, stakes intact, rewards as the rows say', () => {
      const { result, chain } = runWithChain(base({ churn: { availability: { kind: 'bernoulli', dropout: 0.3 } } }));
      const model = chain.model;
      const minStake = BigInt(resolveChainConfig({}).minStake);
      let rewards = 0n;
      for (const row of result.rows) {
        expect(row.chainCommits, `round ${row.round}`).to.equal(row.onTime);
        expect(model.commitCount(BigInt(row.round)), `round ${row.round}`).to.equal(row.onTime);
        const posted = model.roundResult(BigInt(row.round));
        expect(posted.finalised).to.equal(true);
        expect(posted.selectedCount > 0).to.equal(row.status === 'finalised');
        expect(posted.selectedCount).to.equal(row.status === 'finalised' ? row.contributors : 0);
        rewards += BigInt(row.chainRewardsPaid!);
        expect(row.cumulativeChainRewardsPaid).to.equal(rewards.toString());
      }
      const summary = result.chain!;
      expect(summary.finalisedRounds).to.equal(result.rows.length);
      expect(summary.emptyRounds).to.equal(result.totals.skippedRounds);
      expect(summary.commits).to.equal(result.rows.reduce((a, r) => a + r.onTime, 0));
      expect(summary.totalSlashed).to.equal('0');
      expect(summary.totalStake).to.equal((minStake * 8n).toString());
      expect(summary.totalRewards).to.equal(rewards.toString());
      // Each finalised round pays rewardPerRound split by weight, less the flooring dust (< 1 wei per selected peer).
      const full = BigInt(CHAIN_DEFAULTS.rewardPerRound) * BigInt(result.totals.finalisedRounds);
      const selected = result.rows.reduce((a, r) => a + (r.status === 'finalised' ? r.contributors : 0), 0);
      expect(rewards <= full && rewards > full - BigInt(selected)).to.equal(true);
      const byUid = Object.values(summary.rewardsByUid!).reduce((a, w) => a + BigInt(w), 0n);
      expect(byUid).to.equal(rewards);
      // Solvency: the contract holds every stake, the pool and the unclaimed rewards.
      expect(model.balance).to.equal(minStake * 8n + model.rewardPool() + rewards);
      // Each round spends exactly roundLength blocks.
      expect(model.blockNumber).to.equal(model.roundWindow(BigInt(result.rows.length - 1)).lastBlock);
    });

    it('a late upload commits after its window and is counted as RoundCommitmentsWindowClosed', () => {
      const { result, chain } = runWithChain(base({ rounds: 4, windowS: 5, stepTimeS: { kind: 'uniform', min: 1, max: 4 } }));
      const late = result.rows.reduce((a, r) => a + r.late, 0);
      const allClosed = result.rows.reduce((a, r) => a + revertCount(r, 'RoundCommitmentsWindowClosed'), 0);
      expect(late).to.be.greaterThan(0);
      expect(allClosed).to.be.greaterThan(0);
      expect(allClosed).to.be.at.most(late); // the last round's late uploads land after its row
      for (const row of result.rows) expect(chain.model.commitCount(BigInt(row.round))).to.equal(row.onTime);
    });

    it("Gauntlet's slashes are posted, and a slashed peer's later commits revert", () => {
      const { result, chain } = runWithChain(base({
        rounds: 7, peers: 10,
        adversaries: [{ attack: { kind: 'commit-mismatch' }, fraction: 0.2 }],
        defence: { kind: 'gauntlet-oracle' },
      }));
      const model = chain.model;
      const summary = result.chain!;
      expect(summary.slashes).to.be.greaterThan(0);
      expect(Number(model.slashCount())).to.equal(summary.slashes);
      const cfg = resolveChainConfig({});
      const minStake = BigInt(cfg.minStake);
      let slashed = 0n;
      for (let i = 0n; i < model.slashCount(); i++) {
        const record = model.slashRecord(i);
        expect(record.reasonCode).to.equal(SLASH_REASON_CODES['repeated-failures']);
        expect(record.validator).to.equal(chain.validator);
        slashed += record.amount;
      }
      expect(summary.totalSlashed).to.equal(slashed.toString());
      expect(summary.totalStake).to.equal((minStake * 10n - slashed).toString());
      // Slashed below minStake, the attackers can no longer commit.
      expect(result.rows.some((r) => revertCount(r, 'PeerRegistryStakeTooLow') > 0)).to.equal(true);
    });

    it('is deterministic, and switching the chain off changes only the chain fields', () => {
      const config = base({ rounds: 3, churn: { availability: { kind: 'bernoulli', dropout: 0.2 } } });
      const on = runSimulation(config);
      const again = runSimulation(config);
      const off = runSimulation({ ...config, chain: { enabled: false } });
      expect(again.rows).to.deep.equal(on.rows);
      expect(again.chain).to.deep.equal(on.chain);
      expect(off.chain).to.equal(undefined);
      expect(off.finalParamsHash).to.equal(on.finalParamsHash);
      for (const row of off.rows) for (const k of CHAIN_FIELDS) expect(row).to.not.have.property(k);
      expect(off.rows).to.deep.equal(on.rows.map(withoutChainFields));
    });

    it('pruning finalised rounds in the model leaves every row byte-identical (late commits, slashes, joins, DDP)', () => {
      const configs = [
        base({ rounds: 5, windowS: 5, stepTimeS: { kind: 'uniform', min: 1, max: 4 }, churn: { availability: { kind: 'bernoulli', dropout: 0.2 }, joins: { kind: 'listed', firstPeerId: 100, rounds: [{ round: 2, count: 2 }] } } }),
        base({ rounds: 6, peers: 10, adversaries: [{ attack: { kind: 'commit-mismatch' }, fraction: 0.2 }], defence: { kind: 'gauntlet-oracle' } }),
        base({ rounds: 3, peers: 4, optim: { method: 'ddp' } }),
      ];
      let lateReverts = 0;
      let slashes = 0;
      for (const config of configs) {
        const { result, pruned, unpruned, unprunedRows } = runTeedOntoUnprunedModel(config);
        expect(JSON.stringify(unprunedRows)).to.equal(JSON.stringify(result.rows));
        expect(unpruned.summary()).to.deep.equal(result.chain);
        // The twin really kept what the run's model dropped: round 0's commitments.
        const committer = [...Array(Number(unpruned.model.peerCount())).keys()].find((uid) => unpruned.model.committed(0n, uid));
        expect(committer, 'someone committed to round 0').to.not.equal(undefined);
        expect(() => pruned.model.committed(0n, committer!)).to.throw(PrunedRoundError);
        lateReverts += result.rows.reduce((a, r) => a + revertCount(r, 'RoundCommitmentsWindowClosed'), 0);
        slashes += result.chain!.slashes;
      }
      expect(lateReverts, 'late commits reached').to.be.greaterThan(0);
      expect(slashes, 'slashes reached').to.be.greaterThan(0);
    });

    it('mirrors an inner-step method (DDP): every stepping peer commits, contributors are posted', () => {
      const { result, chain } = runWithChain(base({ rounds: 2, peers: 4, optim: { method: 'ddp' } }));
      for (const row of result.rows) {
        expect(row.chainCommits).to.equal(row.onTime);
        expect(chain.model.roundResult(BigInt(row.round)).selectedCount).to.equal(row.contributors);
      }
    });

    it('registers joiners in their join round', () => {
      const { result, chain } = runWithChain(base({
        rounds: 4, peers: 4,
        churn: { availability: { kind: 'always' }, joins: { kind: 'listed', firstPeerId: 100, rounds: [{ round: 1, count: 2 }, { round: 3, count: 1 }] } },
      }));
      const joined = result.rows.reduce((a, r) => a + r.joined, 0);
      expect(joined).to.equal(3);
      expect(Number(chain.model.peerCount())).to.equal(4 + joined);
      for (const row of result.rows) expect(row.chainCommits).to.equal(row.onTime);
    });
  });
});
