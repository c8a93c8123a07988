/**
 * Store URLs, as the cluster CLI takes them (`--store s3://bucket --s3-endpoint URL`, or
 * `--store /path` / `--store file:///path`), turned into the matching {@link ObjectStore}.
 *
 * @example
 * parseStoreUrl('/tmp/run/store');                                        // FolderStore
 * parseStoreUrl('s3://peer-3', { s3Endpoint: 'http://127.0.0.1:4568' });   // S3Store, path-style
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../core/errors.ts';
import { FolderStore } from './folder.ts';
import { S3Store } from './s3.ts';
import type { S3StoreOptions } from './s3.ts';

/** S3 settings a URL cannot carry; used only for `s3://` URLs. */
export interface StoreUrlOptions extends Omit<S3StoreOptions, 'bucket' | 'endpoint'> {
  /** S3-API endpoint URL; omit for AWS S3. */
  readonly s3Endpoint?: string;
}

/** A parsed store URL, before any store is built (for logs and for passing to child processes). */
export type StoreLocation = { readonly kind: 'folder'; readonly rootDir: string } | { readonly kind: 's3'; readonly bucket: string };

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

/**
 * Parses `file:///abs/path`, a bare path (absolute or relative to the working directory) or
 * `s3://bucket`.
 *
 * @throws {ConfigError} ('store') for an unknown scheme, an empty path, or an s3 URL with a path.
 */
export function parseStoreLocation(url: string): StoreLocation {
  if (typeof url !== 'string' || url.trim() === '') throw new ConfigError('store', url, 'must be a path, file:///path or s3://bucket');
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'folder', rootDir: path.resolve(url) };
  if (scheme === 'file') {
    try {
      return { kind: 'folder', rootDir: fileURLToPath(url) };
    } catch (error) {
      throw new ConfigError('store', url, 'must be a file URL with an absolute path (file:///path)', { cause: error });
    }
  }
  if (scheme === 's3') {
    const match = /^s3:\/\/([^/?#]+)\/?$/i.exec(url);
    if (match === null) throw new ConfigError('store', url, 'must be s3://<bucket> (no path, query or fragment)');
    return { kind: 's3', bucket: match[1]! };
  }
  throw new ConfigError('store', url, `scheme "${scheme}:" is not supported (use a path, file:///path or s3://bucket)`);
}

/**
 * Builds the store `url` names. S3 options (endpoint, credentials, timeout) come from `options`.
 *
 * @throws {ConfigError} as {@link parseStoreLocation}, or for a bad bucket name / S3 option.
 */
export function parseStoreUrl(url: string, options: StoreUrlOptions = {}): FolderStore | S3Store {
  const location = parseStoreLocation(url);
  if (location.kind === 'folder') return new FolderStore(location.rootDir);
  const { s3Endpoint, ...s3Options } = options;
  return new S3Store({ ...s3Options, bucket: location.bucket, ...(s3Endpoint !== undefined ? { endpoint: s3Endpoint } : {}) });
}
