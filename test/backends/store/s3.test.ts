/**
 * S3Store: the shared conformance suite against an s3rver instance this file starts on loopback
 * (random free port, tmp folder) and stops afterwards; then pagination, bucket creation, and the
 * failure modes a cluster meets: a refused connection and an endpoint that never answers.
 */
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../core/errors.ts';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { S3Store } from '../../../backends/store/s3.ts';
import type { S3StoreOptions } from '../../../backends/store/s3.ts';
import { withRetry } from '../../../backends/store/retry.ts';
import { expectStoreError, runStoreConformance } from './conformance.ts';

/** The slice of s3rver's API this file uses (the package ships no types). */
interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  port: number;
  address: string;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}) => S3rverServer;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
let server: S3rverServer;
let directory: string;
let endpoint: string;
const stores: S3Store[] = [];
let bucketCounter = 0;

function s3Store(options: Partial<S3StoreOptions> = {}): S3Store {
  const store = new S3Store({ endpoint, bucket: 'shared', credentials: CREDENTIALS, forcePathStyle: true, timeoutMs: 5000, ...options });
  stores.push(store);
  return store;
}

/** A port nothing listens on: bind 0, read it, close. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

before(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 's3rver-'));
  server = new S3rver({ port: 0, address: '127.0.0.1', directory, silent: true, configureBuckets: [{ name: 'shared' }] });
  const address = await server.run();
  endpoint = `http://127.0.0.1:${address.port}`;
});

after(async () => {
  for (const store of stores) store.close();
  await server?.close();
  await rm(directory, { recursive: true, force: true });
});

// A fresh bucket per test keeps every case's store empty; it also exercises createBucketIfMissing.
runStoreConformance('S3Store (s3rver)', async () => s3Store({ bucket: `conformance-${++bucketCounter}`, createBucketIfMissing: true }));

describe('S3Store', () => {
  // s3rver 3.7.1 cannot page ListObjectsV2 on Node ≥ 17 (its continuation tokens use DES, which
  // OpenSSL 3 dropped: HTTP 500), so pagination is checked against a scripted client.
  it('pages through ListObjectsV2 with continuation tokens (page size 2, 7 keys)', async () => {
    const keys = ['p/g', 'p/a', 'p/e', 'p/c', 'p/b', 'p/f', 'p/d'];
    const requests: { Prefix?: string; MaxKeys?: number; ContinuationToken?: string }[] = [];
    const fakeClient = {
      send: async (command: unknown) => {
        expect(command).to.be.instanceOf(ListObjectsV2Command);
        const input = (command as ListObjectsV2Command).input;
        requests.push({ Prefix: input.Prefix, MaxKeys: input.MaxKeys, ContinuationToken: input.ContinuationToken });
        const start = input.ContinuationToken === undefined ? 0 : Number(input.ContinuationToken.slice('page-'.length));
        const end = Math.min(keys.length, start + input.MaxKeys!);
        const truncated = end < keys.length;
        return { Contents: keys.slice(start, end).map((Key) => ({ Key })), IsTruncated: truncated, ...(truncated ? { NextContinuationToken: `page-${end}` } : {}) };
      },
      destroy: () => expect.fail('a shared client must not be destroyed'),
    };
    const store = new S3Store({ bucket: 'paging', listPageSize: 2, client: fakeClient as unknown as S3Client });
    expect(await store.list('p/')).to.deep.equal([...keys].sort());
    expect(requests.map((r) => r.ContinuationToken)).to.deep.equal([undefined, 'page-2', 'page-4', 'page-6']);
    expect(requests.every((r) => r.Prefix === 'p/' && r.MaxKeys === 2)).to.equal(true);
    store.close();
  });

  it('lists a single page from s3rver with a page size above the key count', async () => {
    const store = s3Store({ bucket: 'paging', createBucketIfMissing: true, listPageSize: 10 });
    const keys = ['g', 'a', 'e', 'c', 'b', 'f', 'd'];
    for (const key of keys) await store.put(`p/${key}`, new Uint8Array([1]));
    expect(await store.list('p/')).to.deep.equal(keys.sort().map((key) => `p/${key}`));
  });

  it('uses an existing bucket and sees what another client wrote to it', async () => {
    const writer = s3Store({ bucket: 'shared' });
    const reader = s3Store({ bucket: 'shared', createBucketIfMissing: true }); // exists already: no error
    await writer.put('peer-2/gradient-1-2-v1', new Uint8Array([4, 2]));
    expect(Array.from(await reader.get('peer-2/gradient-1-2-v1'))).to.deep.equal([4, 2]);
  });

  it('a missing bucket without createBucketIfMissing is a non-retryable typed error, not not-found', async () => {
    const store = s3Store({ bucket: 'no-such-bucket' });
    const error = await expectStoreError(store.put('k', new Uint8Array(1)), 'unavailable');
    expect(error.retryable).to.equal(false);
    expect(error.message).to.contain('no-such-bucket');
  });

  it('an unknown access key is a non-retryable typed error', async () => {
    // s3rver does not check SigV4 signatures, only that the access key id exists.
    const store = s3Store({ bucket: 'shared', credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'S3RVER' } });
    const error = await expectStoreError(store.put('k', new Uint8Array(1)), 'unavailable');
    expect(error.retryable).to.equal(false);
  });

  it('an endpoint refusing connections gives a retryable typed error within the timeout', async () => {
    const port = await closedPort();
    const store = s3Store({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 2000 });
    const started = process.hrtime.bigint();
    for (const call of [() => store.get('k'), () => store.put('k', new Uint8Array(1)), () => store.list(''), () => store.head('k')]) {
      const error = await expectStoreError(call(), 'unavailable');
      expect(error.retryable).to.equal(true);
    }
    expect(Number(process.hrtime.bigint() - started) / 1e6).to.be.below(2000);
  });

  it('an endpoint that accepts but never answers gives a retryable timeout after timeoutMs', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const store = s3Store({ endpoint: `http://127.0.0.1:${port}`, timeoutMs: 300 });
      const started = process.hrtime.bigint();
      const error = await expectStoreError(store.get('k'), 'timeout');
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      expect(error.retryable).to.equal(true);
      expect(elapsedMs).to.be.within(250, 2000);
      // withRetry tries again, then surfaces the same typed timeout.
      let retries = 0;
      const retrying = withRetry(store, { attempts: 2, backoffMs: 1, onRetry: () => void retries++ });
      await expectStoreError(retrying.get('k'), 'timeout');
      expect(retries).to.equal(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('validates its options with ConfigErrors naming the value', () => {
    expect(() => new S3Store({ bucket: 'Bad_Bucket' })).to.throw(ConfigError, 'Bad_Bucket');
    expect(() => new S3Store({ bucket: 'ok-bucket', timeoutMs: 0 })).to.throw(ConfigError, 'timeoutMs');
    expect(() => new S3Store({ bucket: 'ok-bucket', listPageSize: 1001 })).to.throw(ConfigError, 'listPageSize');
    expect(() => new S3Store({ bucket: 'ok-bucket', endpoint: 'not a url' })).to.throw(ConfigError, 'endpoint');
  });
});
