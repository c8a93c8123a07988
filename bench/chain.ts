/**
 * `npm run bench -- --only chain`: gas per operation on the real Coordinator (in-process Hardhat)
 * and operations per second through the EVM client vs the TypeScript ModelChain, measured in one
 * run on the same workload (P peers register; then per round P commits and one postResults).
 *
 * Finalisation is part of `postResults` in this contract (results are posted once and the round is
 * final), so `chain.gas.finalise` is the cost of finalising a round with no selected peer (the
 * fixed part) and `chain.gas.post_scores` the cost with G = 20 selected peers.
 */
import hre, { network } from 'hardhat';
import { keccak256, toUtf8Bytes } from 'ethers';
import { deployCoordinator } from '../chain/deploy.ts';
import { devWallets, HARDHAT_MNEMONIC, mineBlocks } from '../chain/devnet.ts';
import { createEvmChainClient } from '../chain/evm-client.ts';
import { ModelChain } from '../chain/model-chain.ts';
import { eip1193Transport } from '../chain/transport.ts';
import type { ChainClient, CoordinatorConfig, Hex } from '../chain/types.ts';
import type { BenchRow } from './row.ts';

const G = 20;
const CONFIG: CoordinatorConfig = { minStake: 10n ** 18n, unbondingBlocks: 10n, roundLength: 50n, maxSelected: G, rewardPerRound: 10n ** 15n };
const hashOf = (label: string): Hex => keccak256(toUtf8Bytes(label)) as Hex;

/** One workload for both implementations: register `peers`, then `rounds` × (commits + postResults). */
async function workload(clients: readonly ChainClient[], validator: ChainClient, rounds: number, mine: (n: bigint) => Promise<void>): Promise<{ ops: number; gas: Record<string, bigint> }> {
  const gas: Record<string, bigint> = {};
  // A funded reward pool, so posting results accrues rewards to every selected peer (the real cost).
  await validator.fundRewards({ amount: 10n ** 18n });
  let ops = 1;
  const uids: number[] = [];
  for (const c of clients) {
    const r = await c.register({ stake: CONFIG.minStake });
    uids.push(r.uid);
    gas.register ??= r.gasUsed;
    ops++;
  }
  const start = await validator.currentRound();
  for (let k = 0n; k < BigInt(rounds); k++) {
    const round = start + k;
    const window = await validator.roundWindow({ round });
    const now = await validator.blockNumber();
    if (window.firstBlock > now + 1n) await mine(window.firstBlock - now - 1n);
    for (let i = 0; i < clients.length; i++) {
      const r = await clients[i]!.commit({ round, updateHash: hashOf(`u${round}:${i}`), storageKey: hashOf(`k${round}:${i}`) });
      if (i === 1) gas.commit ??= r.gasUsed; // the second commit of a round: the steady-state cost
      ops++;
    }
    const after = await validator.blockNumber();
    if (window.lastBlock >= after) await mine(window.lastBlock - after + 1n);
    const selected = [...uids].sort((a, b) => a - b).slice(0, G);
    const r = await validator.postResults({ round, uids: selected, weights: selected.map(() => 1), aggregateHash: hashOf(`agg${round}`) });
    gas.post_scores ??= r.gasUsed;
    ops++;
  }
  // Finalising a skipped round (no selection): the fixed cost of finalisation.
  const round = start + BigInt(rounds);
  const window = await validator.roundWindow({ round });
  const now = await validator.blockNumber();
  if (window.lastBlock >= now) await mine(window.lastBlock - now + 1n);
  gas.finalise = (await validator.postResults({ round, uids: [], weights: [], aggregateHash: hashOf('empty') })).gasUsed;
  return { ops, gas };
}

export async function runChainBench(log: (line: string) => void): Promise<BenchRow[]> {
  const peers = G;
  const rounds = 3;
  await hre.tasks.getTask('build').run({ quiet: true });
  const wallets = devWallets(HARDHAT_MNEMONIC, peers + 2);
  const [owner, validatorWallet] = wallets;
  const peerWallets = wallets.slice(2);

  log(`chain: ${peers} peers × ${rounds} rounds on in-process Hardhat`);
  const connection = await network.getOrCreate();
  // Hardhat funds 20 dev accounts; the workload needs G peers plus owner and validator.
  for (const w of wallets) await connection.provider.request({ method: 'hardhat_setBalance', params: [w.address, '0x3635c9adc5dea00000'] });
  const transport = eip1193Transport(connection.provider as never);
  const { address } = await deployCoordinator({ transport, wallet: owner!, config: CONFIG, validators: [validatorWallet!.address] });
  const evm = (w: (typeof wallets)[number]) => createEvmChainClient({ transport, address, wallet: w, pollIntervalMs: 1 });
  let t0 = performance.now();
  const evmRun = await workload(peerWallets.map(evm), evm(validatorWallet!), rounds, (n) => mineBlocks(transport, n));
  const evmOpsPerS = evmRun.ops / ((performance.now() - t0) / 1000);

  log('chain: same workload on ModelChain');
  const model = new ModelChain({ config: CONFIG, deployer: owner!.address });
  model.addValidator(owner!.address, validatorWallet!.address);
  t0 = performance.now();
  const modelRun = await workload(peerWallets.map((w) => model.client(w.address)), model.client(validatorWallet!.address), rounds, async (n) => model.mine(n));
  const modelOpsPerS = modelRun.ops / ((performance.now() - t0) / 1000);

  const g = evmRun.gas;
  const round20 = 20n * g.commit! + g.post_scores!;
  const round200 = 200n * g.commit! + g.post_scores!; // top-G = 20 of 200 committed
  return [
    { name: 'chain.gas.register', value: Number(g.register), unit: 'gas' },
    { name: 'chain.gas.commit', value: Number(g.commit), unit: 'gas (a round\'s second commit)' },
    { name: 'chain.gas.post_scores', value: Number(g.post_scores), unit: `gas (postResults, ${G} selected, finalises the round)` },
    { name: 'chain.gas.finalise', value: Number(g.finalise), unit: 'gas (postResults with no selection: finalisation alone)' },
    { name: 'chain.gas.round_20_peers', value: Number(round20), unit: 'gas (20 commits + postResults)' },
    { name: 'chain.gas.round_200_peers', value: Number(round200), unit: `gas (200 commits + postResults, top-${G})` },
    { name: 'chain.ops_per_s.evm', value: evmOpsPerS, unit: 'ops/s (EVM client, in-process Hardhat)' },
    { name: 'chain.ops_per_s.model', value: modelOpsPerS, unit: 'ops/s (ModelChain through the same client interface)' },
    { name: 'chain.model.vs_evm', value: modelOpsPerS / evmOpsPerS, unit: 'ratio' },
  ];
}
