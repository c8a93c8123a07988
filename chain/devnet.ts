/**
 * Development-chain helpers shared by tests, scripts and small simulations: the well-known
 * deterministic accounts of Hardhat and ganache, mining empty blocks on either, and starting a
 * Hardhat node or ganache on 127.0.0.1 (both in this process, stopped with `close()`).
 */
import { HDNodeWallet, toQuantity } from 'ethers';
import { JsonRpcError } from './transport.ts';
import type { ChainTransport } from './transport.ts';

/** Hardhat's default account mnemonic (accounts funded with 10,000 ETH on every Hardhat network). */
export const HARDHAT_MNEMONIC = 'test test test test test test test test test test test junk';
/** ganache's `wallet.deterministic: true` mnemonic. */
export const GANACHE_MNEMONIC = 'myth like bonus scare over problem client lizard pioneer submit female collect';

/** The first `count` accounts of `mnemonic` (path m/44'/60'/0'/0/i), as offline-signing wallets. */
export function devWallets(mnemonic: string, count: number): HDNodeWallet[] {
  const root = HDNodeWallet.fromPhrase(mnemonic, undefined, "m/44'/60'/0'/0"); // one PBKDF2 for all children
  return Array.from({ length: count }, (_, i) => root.deriveChild(i));
}

/**
 * Mines `blocks` empty blocks: `hardhat_mine` on Hardhat, `evm_mine({ blocks })` on ganache
 * (which lacks hardhat_mine).
 */
export async function mineBlocks(transport: ChainTransport, blocks: bigint): Promise<void> {
  if (blocks <= 0n) return;
  try {
    await transport.request({ method: 'hardhat_mine', params: [toQuantity(blocks)] });
  } catch (error) {
    if (!(error instanceof JsonRpcError)) throw error;
    await transport.request({ method: 'evm_mine', params: [{ blocks: Number(blocks) }] });
  }
}

/** A JSON-RPC node started by this process. */
export interface LocalNode {
  readonly url: string;
  readonly kind: 'hardhat' | 'ganache';
  /** The deterministic mnemonic whose accounts the node funds. */
  readonly mnemonic: string;
  close(): Promise<void>;
}

/**
 * Starts a Hardhat node (a fresh EDR chain, Hardhat's `network.createServer`) on `hostname:port`
 * (port 0: a free one), the same server `npx hardhat node` runs.
 */
export async function startHardhatNode(options: { hostname?: string; port?: number } = {}): Promise<LocalNode> {
  const { network } = await import('hardhat');
  const server = await network.createServer('default', options.hostname ?? '127.0.0.1', options.port ?? 0);
  const { address, port } = await server.listen();
  return { url: `http://${address}:${port}`, kind: 'hardhat', mnemonic: HARDHAT_MNEMONIC, close: () => server.close() };
}

/**
 * Starts ganache on `hostname:port` (port 0: a free one) with deterministic accounts (10, or
 * `totalAccounts`), in memory or on disk in `dbPath`. ganache 7.9
 * knows hardforks up to shanghai; the Coordinator uses no cancun opcode (checked by the ganache test).
 */
export async function startGanache(options: { hostname?: string; port?: number; dbPath?: string; totalAccounts?: number } = {}): Promise<LocalNode> {
  const ganache = await importGanacheQuietly();
  const server = ganache.server({
    logging: { quiet: true },
    chain: { hardfork: 'shanghai' },
    wallet: { deterministic: true, ...(options.totalAccounts === undefined ? {} : { totalAccounts: options.totalAccounts }) },
    // A folder keeps the chain on disk: ganache started again on it goes on from the last block written.
    ...(options.dbPath === undefined ? {} : { database: { dbPath: options.dbPath } }),
  });
  await server.listen(options.port ?? 0, options.hostname ?? '127.0.0.1');
  const { address, port } = server.address();
  return { url: `http://${address}:${port}`, kind: 'ganache', mnemonic: GANACHE_MNEMONIC, close: () => server.close() };
}

/**
 * Imports ganache without the warning its websocket dependency prints on Node ≥ 21 (it has no
 * native µWS binary for that ABI and falls back to a Node implementation, which is all we need).
 */
async function importGanacheQuietly(): Promise<typeof import('ganache').default> {
  const { warn } = console;
  console.warn = () => {};
  try {
    return (await import('ganache')).default;
  } finally {
    console.warn = warn;
  }
}
