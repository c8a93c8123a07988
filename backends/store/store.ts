/**
 * The object store the real cluster's peers and validator share (SPEC.md §4: gradients live in
 * object storage, the chain only holds their hashes). One narrow interface, {@link ObjectStore},
 * with a local-folder and an S3 implementation behind it, and one typed error, {@link StoreError},
 * whose `reason` and `retryable` fields are all a caller branches on.
 *
 * Keys are `/`-separated paths of safe segments (`peer-3/gradient-12-3-v1`); the protocol's own
 * names come from `core/protocol/keys.ts`. In Covenant-72B each peer has its own bucket: here the
 * first segment plays that role in a {@link FolderStore}, a real bucket in an S3 store.
 *
 * @example
 * await store.put(updateKey(12, 3), bytes);
 * const back = await store.get(updateKey(12, 3)); // StoreError reason 'not-found' when absent
 */
import { SparseLocoError } from '../../core/errors.ts';
import type { SparseLocoErrorOptions } from '../../core/errors.ts';

/** A minimal key → bytes store. Every method rejects with a {@link StoreError} and nothing else. */
export interface ObjectStore {
  /** Writes (or overwrites) `key`; readers see either the old or the new bytes, never a mix. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Reads `key`. Rejects with reason 'not-found' when it does not exist. */
  get(key: string): Promise<Uint8Array>;
  /** Size of `key` in bytes, or `null` when it does not exist. */
  head(key: string): Promise<{ readonly size: number } | null>;
  /** Every key starting with `prefix` ('' = all), sorted by code unit (= S3's UTF-8 byte order for our ASCII keys). */
  list(prefix: string): Promise<string[]>;
  /** Removes `key`; removing a missing key is not an error (S3 semantics). */
  delete(key: string): Promise<void>;
}

/** Why a store operation failed. */
export type StoreErrorReason = 'not-found' | 'timeout' | 'unavailable' | 'bad-key' | 'io' | 'integrity';

/**
 * A failed store operation. `retryable` says whether the same call may succeed later (a timeout,
 * a refused connection, a 5xx) as opposed to never (a missing object, a bad key, bad credentials).
 */
export class StoreError extends SparseLocoError {
  override name = 'StoreError';
  constructor(
    readonly reason: StoreErrorReason,
    /** The key (or prefix) the operation was about; '' when none. */
    readonly key: string,
    readonly retryable: boolean,
    message: string,
    options: SparseLocoErrorOptions = {},
  ) {
    super(`store key ${JSON.stringify(key)}: ${message} [${reason}${retryable ? ', retryable' : ''}]`, options);
  }
}

/** S3's own limit on key length (bytes; our keys are ASCII so chars = bytes). */
export const MAX_KEY_LENGTH = 1024;

/**
 * A segment starts with a letter, digit or '_' and goes on with those and '.', '-'. Why no leading
 * '.': it rules out '.'/'..' path tricks and keeps FolderStore's temp files (".name.tmp-…") out of
 * the key space, so a half-written object can never be listed or read.
 */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
/** A prefix may end mid-segment ('gradient-12-') or after a '/' ('peer-3/'). */
const PREFIX_CHARS = /^[A-Za-z0-9._/-]*$/;

/**
 * Throws a 'bad-key' {@link StoreError} unless `key` is a valid object key: non-empty, at most
 * {@link MAX_KEY_LENGTH} chars, no leading/trailing '/', no empty segment, every segment {@link SEGMENT}.
 */
export function validateKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) throw badKey(String(key), 'must be a non-empty string');
  if (key.length > MAX_KEY_LENGTH) throw badKey(key, `length ${key.length} must be ≤ ${MAX_KEY_LENGTH}`);
  if (key.startsWith('/')) throw badKey(key, 'must not start with "/"');
  for (const segment of key.split('/')) {
    if (segment === '..' || segment === '.') throw badKey(key, 'must not contain "." or ".." segments');
    if (!SEGMENT.test(segment)) {
      throw badKey(key, `segment ${JSON.stringify(segment)} must match ${SEGMENT.source} (no empty segment, no leading ".")`);
    }
  }
  return key;
}

/**
 * Throws a 'bad-key' {@link StoreError} unless `prefix` is a valid list prefix: '' or the start of
 * some valid key (same characters, no leading '/', no '.'/'..' segment).
 */
export function validatePrefix(prefix: string): string {
  if (typeof prefix !== 'string') throw badKey(String(prefix), 'prefix must be a string');
  if (prefix.length > MAX_KEY_LENGTH) throw badKey(prefix, `prefix length ${prefix.length} must be ≤ ${MAX_KEY_LENGTH}`);
  if (!PREFIX_CHARS.test(prefix)) throw badKey(prefix, `prefix must only use ${PREFIX_CHARS.source.slice(1, -2)}`);
  if (prefix.startsWith('/')) throw badKey(prefix, 'prefix must not start with "/"');
  const segments = prefix.split('/');
  // Every complete segment (all but the last, which may be cut short) must be a valid segment.
  for (const segment of segments.slice(0, -1)) {
    if (!SEGMENT.test(segment)) throw badKey(prefix, `prefix segment ${JSON.stringify(segment)} must match ${SEGMENT.source}`);
  }
  const last = segments[segments.length - 1]!;
  if (last.startsWith('.')) throw badKey(prefix, 'prefix segments must not start with "."');
  return prefix;
}

function badKey(key: string, message: string): StoreError {
  return new StoreError('bad-key', key, false, message);
}

/** True for a {@link StoreError} that may succeed when tried again. */
export function isRetryableStoreError(error: unknown): error is StoreError {
  return error instanceof StoreError && error.retryable;
}
