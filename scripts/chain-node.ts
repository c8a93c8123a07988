/**
 * `npm run chain`: starts a local Hardhat node on 127.0.0.1 (the server `npx hardhat node` runs),
 * deploys the Coordinator, writes `deployments/<network>.json` (address, chain id, deploy block,
 * owner, validators, config) and keeps serving until Ctrl-C.
 * With `--rpc URL` it deploys onto an existing node instead (a Hardhat node, ganache, any EVM
 * node whose accounts the mnemonic controls), writes the file and exits.
 *
 *   npm run chain                                   # http://127.0.0.1:8545, deployments/localhost.json
 *   npm run chain -- --port 0 --round-length 10     # a free port
 *   npm run chain -- --rpc http://127.0.0.1:8545 --network ganache --mnemonic "$MNEMONIC"
 */
import { parseArgs } from 'node:util';
import hre from 'hardhat';
import { deployCoordinator, writeDeployment } from '../chain/deploy.ts';
import { HARDHAT_MNEMONIC, devWallets, startHardhatNode } from '../chain/devnet.ts';
import type { LocalNode } from '../chain/devnet.ts';
import { httpTransport } from '../chain/transport.ts';
import type { CoordinatorConfig } from '../chain/types.ts';

const { values } = parseArgs({
  strict: true, // an unknown or misspelt flag is an error, not a silent default
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8545' },
    rpc: { type: 'string' },
    network: { type: 'string' },
    out: { type: 'string' },
    mnemonic: { type: 'string', default: process.env.CHAIN_MNEMONIC ?? HARDHAT_MNEMONIC },
    validators: { type: 'string', default: '1' }, // dev accounts 1..n get the validator role
    'min-stake': { type: 'string', default: '1000000000000000000' }, // wei
    'unbonding-blocks': { type: 'string', default: '100' },
    'round-length': { type: 'string', default: '20' }, // blocks
    'max-selected': { type: 'string', default: '20' }, // G
    'reward-per-round': { type: 'string', default: '1000000000000000000' }, // wei
  },
});

const config: CoordinatorConfig = {
  minStake: BigInt(values['min-stake']),
  unbondingBlocks: BigInt(values['unbonding-blocks']),
  roundLength: BigInt(values['round-length']),
  maxSelected: Number(values['max-selected']),
  rewardPerRound: BigInt(values['reward-per-round']),
};
const network = values.network ?? (values.rpc ? 'custom' : 'localhost');
const out = values.out ?? `deployments/${network}.json`;

await hre.tasks.getTask('build').run({ quiet: true }); // artifacts for a fresh clone

let node: LocalNode | undefined;
if (!values.rpc) node = await startHardhatNode({ hostname: values.host, port: Number(values.port) });
const url = values.rpc ?? node!.url;

const validatorCount = Number(values.validators);
const [owner, ...rest] = devWallets(values.mnemonic, 1 + validatorCount);
const deployment = await deployCoordinator({
  transport: httpTransport(url),
  wallet: owner,
  config,
  validators: rest.map((w) => w.address),
});
writeDeployment(out, deployment, network);
console.log(`Coordinator ${deployment.address} at ${url} (chain ${deployment.chainId}, block ${deployment.deployBlock}) → ${out}`);

if (node) {
  console.log(`ready: ${url} — Ctrl-C to stop`);
  const stop = async () => {
    await node!.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
