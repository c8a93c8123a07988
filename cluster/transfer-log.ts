/**
 * Timestamps around every store put and get of a process, for holding the simulator's transfer
 * times against real ones (scripts/validate-clock.ts). Enabled by the orchestrator through the
 * environment (`CLUSTER_TRANSFER_LOG=<file>`, one file per process): each finished request
 * appends one JSON line. Times are wall ms since the epoch at sub-ms resolution
 * (performance.timeOrigin + now), comparable across the processes of one host.
 */
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ObjectStore } from '../backends/store/index.ts';

/** The environment variable naming a process's transfer log. */
export const TRANSFER_LOG_ENV = 'CLUSTER_TRANSFER_LOG';

/** One request to the store, as its process saw it. */
export interface TransferRecord {
  /** Who made it: the process's name as the orchestrator forked it ('peer-w0', 'validator'). */
  readonly node: string;
  readonly op: 'put' | 'get';
  readonly key: string;
  readonly bytes: number;
  /** Wall ms (epoch) when the call was made and when it resolved. */
  readonly startMs: number;
  readonly endMs: number;
  /** False when the call failed (its bytes are those asked for, a get's 0). */
  readonly ok: boolean;
}

const nowMs = (): number => performance.timeOrigin + performance.now();

/** `store`, with every put and get reported to `record` once it ends. */
export function timedStore(store: ObjectStore, node: string, record: (r: TransferRecord) => void): ObjectStore {
  return {
    async put(key, bytes) {
      const startMs = nowMs();
      try {
        await store.put(key, bytes);
        record({ node, op: 'put', key, bytes: bytes.length, startMs, endMs: nowMs(), ok: true });
      } catch (error) {
        record({ node, op: 'put', key, bytes: bytes.length, startMs, endMs: nowMs(), ok: false });
        throw error;
      }
    },
    async get(key) {
      const startMs = nowMs();
      try {
        const bytes = await store.get(key);
        record({ node, op: 'get', key, bytes: bytes.length, startMs, endMs: nowMs(), ok: true });
        return bytes;
      } catch (error) {
        record({ node, op: 'get', key, bytes: 0, startMs, endMs: nowMs(), ok: false });
        throw error;
      }
    },
    head: (key) => store.head(key),
    list: (prefix) => store.list(prefix),
    delete: (key) => store.delete(key),
  };
}

/** `store` logged to the file `CLUSTER_TRANSFER_LOG` names, or `store` itself when it is unset. */
export function timedStoreFromEnv(store: ObjectStore, node: string): ObjectStore {
  const file = process.env[TRANSFER_LOG_ENV];
  if (file === undefined || file === '') return store;
  return timedStore(store, node, (r) => appendFileSync(file, `${JSON.stringify(r)}\n`));
}
