/**
 * What a peer or validator process needs to join a run, from nothing but its command line: the
 * RPC URL, the store URL (plus `--s3-endpoint` for S3) and its private key. Everything else — the
 * experiment config, the Coordinator's address, the run plan — it reads from the store, so a peer
 * on another host joins with one command:
 *
 *   npx tsx cluster/peer.ts --rpc http://host:8545 --store s3://run-1 --s3-endpoint http://host:4568 --key 0x…
 */
import { parseArgs } from 'node:util';
import { Wallet } from 'ethers';
import { createEvmChainClient } from '../chain/evm-client.ts';
import { httpTransport } from '../chain/transport.ts';
import type { ChainTransport } from '../chain/transport.ts';
import type { Address, ChainClient } from '../chain/types.ts';
import { ConfigError } from '../core/errors.ts';
import { resolveSimConfig } from '../sim/config.ts';
import type { SimConfig, SimConfigInput } from '../sim/config.ts';
import { parseStoreUrl, withRetry } from '../backends/store/index.ts';
import type { ObjectStore } from '../backends/store/index.ts';
import { sleep } from './chain-wait.ts';
import { ClusterError } from './errors.ts';
import { faultsFromEnv, flakyStore, flakyTransport } from './faults.ts';
import type { ClusterPlan } from './plan.ts';
import { CONFIG_KEY, DEPLOYMENT_KEY, PLAN_KEY, getJsonOrNull } from './store-keys.ts';
import { timedStoreFromEnv } from './transfer-log.ts';

/** The environment variable carrying a forked process's name (its transfer-log records say who). */
export const NODE_NAME_ENV = 'CLUSTER_NODE_NAME';

/**
 * Chain-client retries of every cluster process: 9 retries from 50 ms, doubling, ride out ≈ 25 s
 * without the node (a restart of the chain node process, cluster/chain-node.ts).
 */
export const CHAIN_RETRY = Object.freeze({ retries: 9, backoffMs: 50 });

/** A process's command line. */
export interface NodeArgs {
  readonly rpc: string;
  readonly store: string;
  readonly s3Endpoint: string | undefined;
  /** 0x-prefixed private key (or env CLUSTER_KEY). */
  readonly key: string;
  /** A peer's own folder for its local state (cluster/local-state.ts); absent: kept in memory only. */
  readonly stateDir?: string;
}

/** Parses `--rpc URL --store URL [--s3-endpoint URL] [--key 0x…] [--state-dir DIR]` (strict: unknown flags are errors). */
export function parseNodeArgs(argv: readonly string[]): NodeArgs {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: { rpc: { type: 'string' }, store: { type: 'string' }, 's3-endpoint': { type: 'string' }, key: { type: 'string' }, 'state-dir': { type: 'string' } },
  });
  const key = values.key ?? process.env.CLUSTER_KEY; // env keeps the key out of `ps`
  if (values.rpc === undefined) throw new ConfigError('--rpc', undefined, 'is required (the EVM node URL)');
  if (values.store === undefined) throw new ConfigError('--store', undefined, 'is required (a folder, file:///path or s3://bucket)');
  if (key === undefined || !/^0x[0-9a-fA-F]{64}$/.test(key)) throw new ConfigError('--key', key === undefined ? undefined : '(hidden)', 'must be a 0x-prefixed 32-byte private key (or set CLUSTER_KEY)');
  return { rpc: values.rpc, store: values.store, s3Endpoint: values['s3-endpoint'], key, ...(values['state-dir'] === undefined ? {} : { stateDir: values['state-dir'] }) };
}

/** The joined run, as one process sees it. */
export interface NodeContext {
  readonly store: ObjectStore;
  readonly chain: ChainClient;
  readonly account: Address;
  readonly cfg: SimConfig;
  readonly coordinator: Address;
  /** The peer's local-state folder (`--state-dir`), if any. */
  readonly stateDir?: string;
}

/** Opens the store and the chain, and reads the config and deployment (waiting for them to appear). */
export async function openNode(args: NodeArgs): Promise<NodeContext> {
  const faults = faultsFromEnv();
  let store: ObjectStore = parseStoreUrl(args.store, args.s3Endpoint === undefined ? {} : { s3Endpoint: args.s3Endpoint });
  store = timedStoreFromEnv(store, process.env[NODE_NAME_ENV] ?? 'node');
  if (faults.storeTimeoutEvery) store = flakyStore(store, faults.storeTimeoutEvery);
  store = withRetry(store, { attempts: 6, backoffMs: 50, maxBackoffMs: 2_000 });
  let transport: ChainTransport = httpTransport(args.rpc);
  if (faults.rpcErrorEvery) transport = flakyTransport(transport, faults.rpcErrorEvery);
  const cfgInput = await waitForJson<SimConfigInput>(store, CONFIG_KEY);
  const deployment = await waitForJson<{ address: Address }>(store, DEPLOYMENT_KEY);
  const wallet = new Wallet(args.key);
  const chain = createEvmChainClient({ transport, address: deployment.address, wallet, retry: CHAIN_RETRY });
  return { store, chain, account: wallet.address, cfg: resolveSimConfig(cfgInput), coordinator: deployment.address, ...(args.stateDir === undefined ? {} : { stateDir: args.stateDir }) };
}

/** Reads the run plan, waiting until the orchestrator has written it. */
export function readPlan(store: ObjectStore, timeoutMs = 600_000): Promise<ClusterPlan> {
  return waitForJson<ClusterPlan>(store, PLAN_KEY, timeoutMs);
}

async function waitForJson<T>(store: ObjectStore, key: string, timeoutMs = 600_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | null = null;
    try {
      value = await getJsonOrNull<T>(store, key);
    } catch (error) {
      // s3rver (the shaped cluster's store) can serve an object its PUT is still writing: a
      // truncated JSON is an object not there yet. Anything else is a real failure.
      if (!(error instanceof SyntaxError)) throw error;
    }
    if (value !== null) return value;
    if (Date.now() > deadline) throw new ClusterError('timeout', `store object ${key} did not appear within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Sends a progress message to the orchestrator when this process was forked with IPC (no-op otherwise). */
export function notifyParent(message: ChildMessage): void {
  process.send?.(message);
}

/** Messages a child sends its orchestrator. */
export type ChildMessage =
  | { readonly kind: 'ready'; readonly role: 'peer' | 'validator' | 'store'; readonly uid: number | null }
  | { readonly kind: 'phase'; readonly role: 'peer' | 'validator'; readonly uid: number | null; readonly round: number; readonly phase: 'trained' | 'committed' | 'synced' | 'fetched' | 'finalised' }
  | { readonly kind: 'done'; readonly role: 'peer' | 'validator' }
  /** Caught up from the store and the chain (and local state): it plays from `round` on. */
  | { readonly kind: 'caught-up'; readonly role: 'peer' | 'validator'; readonly uid: number | null; readonly round: number };

/** Runs a process's main, reporting a typed error on stderr and exiting 1 on failure, 0 on success. */
export function runMain(role: string, main: () => Promise<void>): void {
  // Forked by an orchestrator that has gone away: stop too, so no process outlives its run.
  if (process.send !== undefined) process.once('disconnect', () => process.exit(4));
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`${role}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
