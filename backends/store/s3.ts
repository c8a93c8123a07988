/**
 * {@link ObjectStore} over any S3-API endpoint (AWS S3, R2, MinIO; `s3rver` in the tests) through
 * `@aws-sdk/client-s3`. One store = one bucket, as in Covenant-72B where each peer owns a bucket.
 *
 * Every call has one deadline (`timeoutMs`, an AbortSignal over the whole request) and no SDK
 * retries by default: retrying is {@link withRetry}'s job, so there is one policy, not two stacked.
 * SDK errors are mapped to {@link StoreError}: NoSuchKey/404 → 'not-found'; a deadline → retryable
 * 'timeout'; a refused/reset connection, 5xx or throttling → retryable 'unavailable'.
 *
 * @example
 * const store = new S3Store({ endpoint: 'http://127.0.0.1:4568', bucket: 'peer-3',
 *   credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, forcePathStyle: true });
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ConfigError } from '../../core/errors.ts';
import { StoreError, validateKey, validatePrefix } from './store.ts';
import type { ObjectStore } from './store.ts';

/** Options of {@link S3Store}. */
export interface S3StoreOptions {
  /** Endpoint URL ('http://127.0.0.1:4568'); omit for AWS S3 itself. */
  readonly endpoint?: string;
  readonly bucket: string;
  /** Default 'us-east-1' (any value works for most S3-compatible servers). */
  readonly region?: string;
  /** Omit to use the SDK's default chain (env vars, profile, instance role). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** Bucket in the path rather than the host name; default true when `endpoint` is set (what S3-compatible servers expect). */
  readonly forcePathStyle?: boolean;
  /** Deadline of each operation, connection included (ms). Default 30 000. */
  readonly timeoutMs?: number;
  /** Create the bucket on first use when it does not exist. Default false. */
  readonly createBucketIfMissing?: boolean;
  /** SDK-level attempts per request. Default 1: retries belong to {@link withRetry}. */
  readonly sdkMaxAttempts?: number;
  /**
   * Use this client instead of building one from the options above (endpoint, region,
   * credentials, forcePathStyle, timeout, sdkMaxAttempts are then ignored; the per-call deadline
   * still applies). Lets a validator share one connection pool across many peers' buckets;
   * {@link S3Store.close} leaves a shared client open.
   */
  readonly client?: S3Client;
  /** Keys per ListObjectsV2 page (1–1000). Default 1000; small values exercise pagination in tests. */
  readonly listPageSize?: number;
}

/** S3 bucket naming rules (lower case, digits, '.', '-'; 3–63 chars). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** An {@link ObjectStore} backed by one S3 bucket. */
export class S3Store implements ObjectStore {
  readonly bucket: string;
  readonly timeoutMs: number;
  readonly #client: S3Client;
  readonly #listPageSize: number;
  readonly #createBucketIfMissing: boolean;
  readonly #ownsClient: boolean;
  #bucketReady: Promise<void> | undefined;

  constructor(options: S3StoreOptions) {
    if (!BUCKET_NAME.test(options.bucket)) throw new ConfigError('bucket', options.bucket, `must match ${BUCKET_NAME.source}`);
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new ConfigError('timeoutMs', timeoutMs, 'must be a positive number of milliseconds');
    const listPageSize = options.listPageSize ?? 1000;
    if (!Number.isInteger(listPageSize) || listPageSize < 1 || listPageSize > 1000) {
      throw new ConfigError('listPageSize', listPageSize, 'must be an integer in [1, 1000]');
    }
    this.bucket = options.bucket;
    this.timeoutMs = timeoutMs;
    this.#listPageSize = listPageSize;
    this.#createBucketIfMissing = options.createBucketIfMissing ?? false;
    if (options.endpoint !== undefined && !URL.canParse(options.endpoint)) {
      throw new ConfigError('endpoint', options.endpoint, 'must be a URL such as http://127.0.0.1:4568');
    }
    this.#ownsClient = options.client === undefined;
    this.#client = options.client ?? new S3Client({
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      maxAttempts: options.sdkMaxAttempts ?? 1,
      // Checksums only where the API demands them: S3-compatible servers (s3rver, older MinIO)
      // reject or ignore the newer default CRC headers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
    });
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    validateKey(key);
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentLength: bytes.byteLength });
    await this.#run(key, (abortSignal) => this.#client.send(command, { abortSignal }));
  }

  async get(key: string): Promise<Uint8Array> {
    validateKey(key);
    return this.#run(key, async (abortSignal) => {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal });
      if (response.Body === undefined) throw new StoreError('integrity', key, true, 'response has no body');
      const bytes = await response.Body.transformToByteArray();
      // A connection cut mid-body can surface as a short read rather than an error.
      if (response.ContentLength !== undefined && bytes.byteLength !== response.ContentLength) {
        throw new StoreError('integrity', key, true, `got ${bytes.byteLength} bytes, Content-Length said ${response.ContentLength}`);
      }
      return bytes;
    });
  }

  async head(key: string): Promise<{ readonly size: number } | null> {
    validateKey(key);
    try {
      const command = new HeadObjectCommand({ Bucket: this.bucket, Key: key });
      const response = await this.#run(key, (abortSignal) => this.#client.send(command, { abortSignal }));
      return { size: response.ContentLength ?? 0 };
    } catch (error) {
      if (error instanceof StoreError && error.reason === 'not-found') return null;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    validatePrefix(prefix);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const command = new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: this.#listPageSize, ContinuationToken: token });
      const page = await this.#run(prefix, (abortSignal) => this.#client.send(command, { abortSignal }));
      for (const item of page.Contents ?? []) if (item.Key !== undefined) keys.push(item.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    const command = new DeleteObjectCommand({ Bucket: this.bucket, Key: key });
    await this.#run(key, (abortSignal) => this.#client.send(command, { abortSignal }));
  }

  /** Closes the SDK's sockets (keep-alive would otherwise hold the process open); a shared client is left open. */
  close(): void {
    if (this.#ownsClient) this.#client.destroy();
  }

  /** Runs `call` under one deadline after the bucket check, mapping every failure to a StoreError. */
  async #run<T>(key: string, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.#createBucketIfMissing) await this.#ensureBucket();
    try {
      return await call(AbortSignal.timeout(this.timeoutMs));
    } catch (error) {
      throw toStoreError(key, this.bucket, this.timeoutMs, error);
    }
  }

  /** Creates the bucket once if missing; a failed attempt is forgotten so the next call tries again. */
  #ensureBucket(): Promise<void> {
    this.#bucketReady ??= (async () => {
      const signal = () => AbortSignal.timeout(this.timeoutMs);
      try {
        await this.#client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: signal() });
      } catch (error) {
        if (httpStatus(error) !== 404 && errorName(error) !== 'NotFound' && errorName(error) !== 'NoSuchBucket') {
          throw toStoreError('', this.bucket, this.timeoutMs, error);
        }
        try {
          await this.#client.send(new CreateBucketCommand({ Bucket: this.bucket }), { abortSignal: signal() });
        } catch (createError) {
          // Another peer created it between our HEAD and CREATE: fine.
          const name = errorName(createError);
          if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw toStoreError('', this.bucket, this.timeoutMs, createError);
        }
      }
    })().catch((error: unknown) => {
      this.#bucketReady = undefined;
      throw error;
    });
    return this.#bucketReady;
  }
}

const NOT_FOUND_NAMES = new Set(['NoSuchKey', 'NotFound']);
const TIMEOUT_NAMES = new Set(['AbortError', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ABORT_ERR', 'ERR_HTTP_REQUEST_TIMEOUT']);
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'UND_ERR_SOCKET']);
const THROTTLE_NAMES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'ServiceUnavailable', 'InternalError']);

/**
 * Maps an SDK / network error to a {@link StoreError}. Exported for tests.
 */
export function toStoreError(key: string, bucket: string, timeoutMs: number, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const name = errorName(error);
  const status = httpStatus(error);
  const codes = networkCodes(error);
  const detail = `${name ?? 'Error'}${status !== undefined ? ` (HTTP ${status})` : ''}${codes.length > 0 ? ` ${codes.join('/')}` : ''}`;
  const options = { cause: error, details: error instanceof Error ? error.message : String(error) };
  if (name === 'NoSuchBucket') return new StoreError('unavailable', key, false, `bucket ${JSON.stringify(bucket)} does not exist: ${detail}`, options);
  if ((name !== undefined && NOT_FOUND_NAMES.has(name)) || status === 404) return new StoreError('not-found', key, false, `no such object in bucket ${JSON.stringify(bucket)}`, options);
  if ((name !== undefined && TIMEOUT_NAMES.has(name)) || codes.some((code) => TIMEOUT_CODES.has(code)) || status === 408) {
    return new StoreError('timeout', key, true, `no answer within ${timeoutMs} ms: ${detail}`, options);
  }
  if (codes.some((code) => UNAVAILABLE_CODES.has(code)) || (name !== undefined && THROTTLE_NAMES.has(name)) || status === 429 || (status !== undefined && status >= 500)) {
    return new StoreError('unavailable', key, true, `endpoint unavailable: ${detail}`, options);
  }
  if (status === 401 || status === 403) return new StoreError('unavailable', key, false, `access denied to bucket ${JSON.stringify(bucket)}: ${detail}`, options);
  return new StoreError('io', key, false, `S3 request failed: ${detail}`, options);
}

function errorName(error: unknown): string | undefined {
  return error instanceof Object && typeof (error as { name?: unknown }).name === 'string' ? (error as { name: string }).name : undefined;
}

function httpStatus(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Node error codes on the error, its cause chain and an AggregateError's members (happy-eyeballs connects). */
function networkCodes(error: unknown, depth = 0): string[] {
  if (!(error instanceof Object) || depth > 4) return [];
  const codes: string[] = [];
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') codes.push(code);
  codes.push(...networkCodes((error as { cause?: unknown }).cause, depth + 1));
  const members = (error as { errors?: unknown }).errors;
  if (Array.isArray(members)) for (const member of members) codes.push(...networkCodes(member, depth + 1));
  return [...new Set(codes)];
}
