/**
 * The object-store layer of the real cluster: one import for peers, validator and CLI.
 */
export { StoreError, MAX_KEY_LENGTH, isRetryableStoreError, validateKey, validatePrefix } from './store.ts';
export type { ObjectStore, StoreErrorReason } from './store.ts';
export { FolderStore } from './folder.ts';
export { S3Store, toStoreError } from './s3.ts';
export type { S3StoreOptions } from './s3.ts';
export { withRetry } from './retry.ts';
export type { RetryOptions } from './retry.ts';
export { parseStoreLocation, parseStoreUrl } from './url.ts';
export type { StoreLocation, StoreUrlOptions } from './url.ts';
