/**
 * Fault injection for the loopback tests: a store whose every n-th call times out, and a chain
 * transport whose every n-th request fails with a dropped connection — both retryable faults the
 * real code must ride out (store: `withRetry`; chain: the reads' retry and the transaction sender's
 * same-bytes resend). Child processes read the plan from the `CLUSTER_FAULTS` environment variable
 * (JSON {@link FaultPlan}), so a test can break one process without touching the others.
 */
import { ChainRpcError } from '../chain/errors.ts';
import type { ChainTransport } from '../chain/transport.ts';
import { ConfigError } from '../core/errors.ts';
import { StoreError } from '../backends/store/index.ts';
import type { ObjectStore } from '../backends/store/index.ts';

/** Which faults to inject (0 or absent = none). */
export interface FaultPlan {
  /** Every n-th store call fails with a retryable 'timeout' before reaching the store. */
  readonly storeTimeoutEvery?: number;
  /** Every n-th JSON-RPC request fails with a retryable 'connection' error before it is sent. */
  readonly rpcErrorEvery?: number;
}

/** The fault plan in `CLUSTER_FAULTS` (none when unset). */
export function faultsFromEnv(env: NodeJS.ProcessEnv = process.env): FaultPlan {
  const text = env.CLUSTER_FAULTS;
  if (text === undefined || text === '') return {};
  try {
    return JSON.parse(text) as FaultPlan;
  } catch (error) {
    throw new ConfigError('CLUSTER_FAULTS', text, 'must be JSON like {"storeTimeoutEvery": 3}', { cause: error });
  }
}

/** `store` with every `every`-th call failing as a timeout (the call never reaches the store). */
export function flakyStore(store: ObjectStore, every: number): ObjectStore {
  let calls = 0;
  const gate = <T>(key: string, call: () => Promise<T>): Promise<T> => {
    calls++;
    if (calls % every === 0) return Promise.reject(new StoreError('timeout', key, true, `injected timeout (call ${calls})`));
    return call();
  };
  return {
    put: (key, bytes) => gate(key, () => store.put(key, bytes)),
    get: (key) => gate(key, () => store.get(key)),
    head: (key) => gate(key, () => store.head(key)),
    list: (prefix) => gate(prefix, () => store.list(prefix)),
    delete: (key) => gate(key, () => store.delete(key)),
  };
}

/** `transport` with every `every`-th request failing as a dropped connection, unsent. */
export function flakyTransport(transport: ChainTransport, every: number): ChainTransport {
  let calls = 0;
  return {
    request(args) {
      calls++;
      if (calls % every === 0) return Promise.reject(new ChainRpcError('connection', true, args.method, `injected connection fault (call ${calls})`));
      return transport.request(args);
    },
  };
}
