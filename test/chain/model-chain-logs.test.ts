import { expect } from 'chai';
import { ConfigError } from '../../core/errors.ts';
import { devWallets, HARDHAT_MNEMONIC } from '../../chain/devnet.ts';
import { ModelChain } from '../../chain/model-chain.ts';
import { TEST_CONFIG } from './helpers.ts';

describe('ModelChain retainLogs', () => {
  const [owner, alice] = devWallets(HARDHAT_MNEMONIC, 2).map((w) => w.address);

  it('without retained logs, receipts still carry events and the state is the same', () => {
    const kept = new ModelChain({ config: TEST_CONFIG, deployer: owner! });
    const lean = new ModelChain({ config: TEST_CONFIG, deployer: owner!, retainLogs: false });
    const a = kept.register(alice!, 100n);
    const b = lean.register(alice!, 100n);
    expect(b.events).to.deep.equal(a.events);
    expect(b.blockNumber).to.equal(a.blockNumber);
    expect(kept.events(0n)).to.have.length(2); // OwnershipTransferred, PeerRegistered
  });

  it('refuses to answer events() when logs were not retained', () => {
    const lean = new ModelChain({ config: TEST_CONFIG, deployer: owner!, retainLogs: false });
    expect(() => lean.events(0n)).to.throw(ConfigError, /retainLogs \(false\) must be true/);
  });
});
