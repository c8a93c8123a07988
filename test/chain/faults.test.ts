/**
 * RPC faults: a fault-injecting transport drops requests before or after they reach the node
 * (in-process Hardhat), and the client must retry reads, re-send the very same signed bytes for a
 * write whose fate is unknown, never commit an intent twice, report a stolen nonce as retryable,
 * and map HTTP-level faults (refused connection, timeout) to typed ChainRpcErrors.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { deployCoordinator } from '../../chain/deploy.ts';
import { devWallets, HARDHAT_MNEMONIC } from '../../chain/devnet.ts';
import { ChainRpcError } from '../../chain/errors.ts';
import { createEvmChainClient } from '../../chain/evm-client.ts';
import { httpTransport } from '../../chain/transport.ts';
import type { ChainTransport } from '../../chain/transport.ts';
import type { Address, ChainClient } from '../../chain/types.ts';
import { TEST_CONFIG, h, inProcessTransport } from './helpers.ts';

type Fault = 'drop-before' | 'drop-after'; // before: the node never sees it; after: it ran, the answer is lost

/** Wraps `inner`; the listed occurrences (1-based) of a method fail with a transport fault. */
function faultyTransport(inner: ChainTransport, faults: Record<string, Map<number, Fault>>) {
  const seen = new Map<string, number>();
  const sentRaw: string[] = []; // raw transactions that reached the node
  const attemptedRaw: string[] = []; // every attempt, dropped or not
  const transport: ChainTransport = {
    async request(args) {
      const n = (seen.get(args.method) ?? 0) + 1;
      seen.set(args.method, n);
      const fault = faults[args.method]?.get(n);
      if (args.method === 'eth_sendRawTransaction') attemptedRaw.push(String(args.params?.[0]));
      if (fault === 'drop-before') throw new ChainRpcError('connection', true, args.method, 'injected: connection reset');
      if (args.method === 'eth_sendRawTransaction') sentRaw.push(String(args.params?.[0]));
      const result = await inner.request(args);
      if (fault === 'drop-after') throw new ChainRpcError('timeout', true, args.method, 'injected: response lost');
      return result;
    },
  };
  return { transport, sentRaw, attemptedRaw };
}

const always = (fault: Fault) => new Map(Array.from({ length: 20 }, (_, i) => [i + 1, fault] as const));

describe('chain client under RPC faults', function () {
  this.timeout(30_000);
  const [ownerWallet, validatorWallet, aliceWallet] = devWallets(HARDHAT_MNEMONIC, 3);
  let inner: ChainTransport;
  let address: Address;
  let reader: ChainClient;

  beforeEach(async () => {
    inner = await inProcessTransport();
    ({ address } = await deployCoordinator({ transport: inner, wallet: ownerWallet, config: TEST_CONFIG, validators: [validatorWallet.address] }));
    reader = createEvmChainClient({ transport: inner, address, wallet: ownerWallet });
    await createEvmChainClient({ transport: inner, address, wallet: aliceWallet }).register({ stake: 100n });
  });

  const nonceOf = async (account: string) =>
    BigInt((await inner.request({ method: 'eth_getTransactionCount', params: [account, 'latest'] })) as string);

  it('commits exactly once when the send reached the node but its answer was lost', async () => {
    const { transport, sentRaw } = faultyTransport(inner, { eth_sendRawTransaction: new Map([[1, 'drop-after']]) });
    const alice = createEvmChainClient({ transport, address, wallet: aliceWallet, retry: { backoffMs: 1 } });
    const before = await nonceOf(aliceWallet.address);
    const round = await reader.currentRound();
    const receipt = await alice.commit({ round, updateHash: h('u'), storageKey: h('k') });
    expect(receipt.events.map((e) => e.name)).to.deep.equal(['UpdateCommitted']);
    expect(sentRaw).to.have.length(1); // found by hash: nothing re-sent
    expect(await nonceOf(aliceWallet.address)).to.equal(before + 1n);
    expect(await reader.commitCount({ round })).to.equal(1);
  });

  it('re-sends the same signed bytes (never a new nonce) when the node never saw them', async () => {
    const { transport, sentRaw, attemptedRaw } = faultyTransport(inner, {
      eth_sendRawTransaction: new Map([[1, 'drop-before'], [2, 'drop-before']]),
    });
    const alice = createEvmChainClient({ transport, address, wallet: aliceWallet, retry: { backoffMs: 1 } });
    const before = await nonceOf(aliceWallet.address);
    const round = await reader.currentRound();
    await alice.commit({ round, updateHash: h('u'), storageKey: h('k') });
    expect(attemptedRaw).to.have.length(3);
    expect(new Set(attemptedRaw).size).to.equal(1); // one signature, one nonce for the intent
    expect(sentRaw).to.have.length(1);
    expect(await nonceOf(aliceWallet.address)).to.equal(before + 1n);
    const logs = await reader.events({ fromBlock: 0n });
    expect(logs.filter((l) => l.name === 'UpdateCommitted')).to.have.length(1);
  });

  it('retries reads after transient faults', async () => {
    const { transport } = faultyTransport(inner, { eth_call: new Map([[1, 'drop-before'], [2, 'drop-after']]) });
    const client = createEvmChainClient({ transport, address, wallet: ownerWallet, retry: { backoffMs: 1 } });
    expect(await client.peerCount()).to.equal(1n);
  });

  it('gives up with a non-retryable ChainRpcError naming the transaction when its fate stays unknown', async () => {
    const { transport, sentRaw } = faultyTransport(inner, { eth_sendRawTransaction: always('drop-before') });
    const alice = createEvmChainClient({ transport, address, wallet: aliceWallet, retry: { retries: 2, backoffMs: 1 } });
    const round = await reader.currentRound();
    let caught: unknown;
    try {
      await alice.commit({ round, updateHash: h('u'), storageKey: h('k') });
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(ChainRpcError);
    const error = caught as ChainRpcError;
    expect([error.reason, error.retryable, error.method]).to.deep.equal(['connection', false, 'eth_sendRawTransaction']);
    expect(error.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(sentRaw).to.have.length(0);
    expect(await reader.commitCount({ round })).to.equal(0);
  });

  it('reports a nonce taken by another sender as retryable, and the retry commits once', async () => {
    const first = createEvmChainClient({ transport: inner, address, wallet: aliceWallet });
    const second = createEvmChainClient({ transport: inner, address, wallet: aliceWallet });
    await first.topUp({ amount: 1n }); // `first` now caches the next nonce
    await second.topUp({ amount: 1n }); // ... which `second` uses
    const round = await reader.currentRound();
    const intent = () => first.commit({ round, updateHash: h('u'), storageKey: h('k') });
    let caught: unknown;
    try {
      await intent();
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(ChainRpcError);
    expect([(caught as ChainRpcError).reason, (caught as ChainRpcError).retryable]).to.deep.equal(['nonce', true]);
    await intent();
    expect(await reader.commitCount({ round })).to.equal(1);
  });

  it('maps a refused connection and a silent server to typed, retryable ChainRpcErrors', async () => {
    const silent = createServer(() => {}); // accepts and never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const slow = httpTransport(`http://127.0.0.1:${port}`, { timeoutMs: 100 });
      const timeout = await slow.request({ method: 'eth_blockNumber' }).catch((e: unknown) => e);
      expect(timeout).to.be.instanceOf(ChainRpcError);
      expect([(timeout as ChainRpcError).reason, (timeout as ChainRpcError).retryable]).to.deep.equal(['timeout', true]);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
    const refused = await httpTransport(`http://127.0.0.1:${port}`).request({ method: 'eth_blockNumber' }).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(ChainRpcError);
    expect([(refused as ChainRpcError).reason, (refused as ChainRpcError).retryable]).to.deep.equal(['connection', true]);
  });
});
