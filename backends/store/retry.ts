/**
 * Retry policy for any {@link ObjectStore}: the one place a transient failure (timeout, refused
 * connection, 5xx) is tried again, with exponential backoff. Only errors that say `retryable` are
 * retried; everything else, a 'not-found' above all, goes straight to the caller unchanged, so
 * "the peer did not upload" is never confused with "the store hiccuped".
 *
 * @example
 * const store = withRetry(new S3Store({ ... }), { attempts: 4, backoffMs: 200 });
 */
import { ConfigError } from '../../core/errors.ts';
import { isRetryableStoreError } from './store.ts';
import type { ObjectStore, StoreError } from './store.ts';

/** Options of {@link withRetry}. */
export interface RetryOptions {
  /** Total tries per call, the first included (≥ 1). */
  readonly attempts: number;
  /** Wait before the 2nd try (ms); doubles each further try. */
  readonly backoffMs: number;
  /** Upper bound on one wait (ms). Default 10 000. */
  readonly maxBackoffMs?: number;
  /** Called before each wait, e.g. to log; `attempt` is the try that just failed (1-based). */
  readonly onRetry?: (info: { readonly op: string; readonly key: string; readonly attempt: number; readonly error: StoreError; readonly waitMs: number }) => void;
  /** Injected for tests; default a real timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Wraps `store` so each call is retried on retryable {@link StoreError}s, up to `attempts` tries. */
export function withRetry(store: ObjectStore, options: RetryOptions): ObjectStore {
  const { attempts, backoffMs } = options;
  if (!Number.isInteger(attempts) || attempts < 1) throw new ConfigError('attempts', attempts, 'must be an integer ≥ 1');
  if (!Number.isFinite(backoffMs) || backoffMs < 0) throw new ConfigError('backoffMs', backoffMs, 'must be a finite number ≥ 0');
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function retrying<T>(op: string, key: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (attempt >= attempts || !isRetryableStoreError(error)) throw error;
        const waitMs = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1));
        options.onRetry?.({ op, key, attempt, error, waitMs });
        await sleep(waitMs);
      }
    }
  }

  return {
    put: (key, bytes) => retrying('put', key, () => store.put(key, bytes)),
    get: (key) => retrying('get', key, () => store.get(key)),
    head: (key) => retrying('head', key, () => store.head(key)),
    list: (prefix) => retrying('list', prefix, () => store.list(prefix)),
    delete: (key) => retrying('delete', key, () => store.delete(key)),
  };
}
