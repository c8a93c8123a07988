/**
 * The client conformance suite (client-suite.ts) against every implementation: the ModelChain,
 * the EVM client on the in-process Hardhat chain, and the EVM client over JSON-RPC/HTTP to a
 * Hardhat node and to ganache, both started on 127.0.0.1 by this file and stopped afterwards.
 */
import { deployCoordinator } from '../../chain/deploy.ts';
import { devWallets, HARDHAT_MNEMONIC, mineBlocks, startGanache, startHardhatNode } from '../../chain/devnet.ts';
import type { LocalNode } from '../../chain/devnet.ts';
import { createEvmChainClient } from '../../chain/evm-client.ts';
import { ModelChain } from '../../chain/model-chain.ts';
import { httpTransport } from '../../chain/transport.ts';
import type { ChainTransport } from '../../chain/transport.ts';
import { clientConformanceSuite } from './client-suite.ts';
import type { SuiteChain } from './client-suite.ts';
import { TEST_CONFIG, inProcessTransport } from './helpers.ts';

/** Deploys a fresh Coordinator through `transport` and returns the suite's four clients. */
async function evmSuiteChain(transport: ChainTransport, mnemonic: string): Promise<SuiteChain> {
  const [owner, validator, alice, bob] = devWallets(mnemonic, 4);
  const { address } = await deployCoordinator({ transport, wallet: owner, config: TEST_CONFIG, validators: [validator.address] });
  const client = (wallet: typeof owner) => createEvmChainClient({ transport, address, wallet, pollIntervalMs: 5 });
  return { owner: client(owner), validator: client(validator), alice: client(alice), bob: client(bob), mine: (n) => mineBlocks(transport, n) };
}

describe('chain client conformance', function () {
  this.timeout(60_000);

  describe('ModelChain', () => {
    const [owner, validator, alice, bob] = devWallets(HARDHAT_MNEMONIC, 4).map((w) => w.address);
    clientConformanceSuite(async () => {
      const model = new ModelChain({ config: TEST_CONFIG, deployer: owner, startBlock: 41n });
      model.addValidator(owner, validator);
      return {
        owner: model.client(owner),
        validator: model.client(validator),
        alice: model.client(alice),
        bob: model.client(bob),
        mine: async (n) => model.mine(n),
      };
    });
  });

  describe('EVM client, in-process Hardhat', () => {
    let transport: ChainTransport;
    before(async () => {
      transport = await inProcessTransport();
    });
    clientConformanceSuite(() => evmSuiteChain(transport, HARDHAT_MNEMONIC));
  });

  for (const start of [startHardhatNode, startGanache]) {
    describe(`EVM client over HTTP, ${start === startHardhatNode ? 'Hardhat node' : 'ganache'} on 127.0.0.1`, () => {
      let node: LocalNode;
      before(async () => {
        node = await start();
      });
      after(async () => {
        await node?.close();
      });
      clientConformanceSuite(() => evmSuiteChain(httpTransport(node.url), node.mnemonic));
    });
  }
});
