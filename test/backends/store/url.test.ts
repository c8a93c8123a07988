/**
 * Store URLs as the cluster CLI takes them: a path or file:// → FolderStore, s3://bucket (+ the
 * --s3-endpoint option) → S3Store; anything else a ConfigError naming the URL.
 */
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../core/errors.ts';
import { FolderStore } from '../../../backends/store/folder.ts';
import { S3Store } from '../../../backends/store/s3.ts';
import { parseStoreLocation, parseStoreUrl } from '../../../backends/store/url.ts';
import { expectStoreError } from './conformance.ts';

describe('parseStoreUrl', () => {
  it('maps an absolute path and a file:// URL to a FolderStore on that folder', () => {
    const fromPath = parseStoreUrl('/tmp/run-1/store');
    expect(fromPath).to.be.instanceOf(FolderStore);
    expect((fromPath as FolderStore).rootDir).to.equal('/tmp/run-1/store');
    const fromUrl = parseStoreUrl('file:///tmp/run%201/store');
    expect((fromUrl as FolderStore).rootDir).to.equal('/tmp/run 1/store');
  });

  it('resolves a relative path against the working directory', () => {
    expect(parseStoreLocation('runs/store')).to.deep.equal({ kind: 'folder', rootDir: path.resolve('runs/store') });
  });

  it('maps s3://bucket (with the endpoint option) to an S3Store on that bucket', () => {
    const store = parseStoreUrl('s3://peer-3', {
      s3Endpoint: 'http://127.0.0.1:4568',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      timeoutMs: 1000,
    });
    expect(store).to.be.instanceOf(S3Store);
    expect((store as S3Store).bucket).to.equal('peer-3');
    expect((store as S3Store).timeoutMs).to.equal(1000);
    (store as S3Store).close();
    expect(parseStoreLocation('s3://peer-3/')).to.deep.equal({ kind: 's3', bucket: 'peer-3' });
  });

  it('rejects unknown schemes, s3 paths, bad buckets, bad endpoints and empty input with ConfigErrors', () => {
    expect(() => parseStoreUrl('gs://bucket')).to.throw(ConfigError, '"gs:" is not supported');
    expect(() => parseStoreUrl('s3://bucket/some/prefix')).to.throw(ConfigError, 's3://bucket/some/prefix');
    expect(() => parseStoreUrl('s3://')).to.throw(ConfigError);
    expect(() => parseStoreUrl('s3://Bad_Bucket')).to.throw(ConfigError, 'Bad_Bucket');
    expect(() => parseStoreUrl('s3://ok-bucket', { s3Endpoint: 'nope' })).to.throw(ConfigError, 'endpoint');
    expect(() => parseStoreUrl('file://host/path')).to.throw(ConfigError, 'file://host/path');
    expect(() => parseStoreUrl('')).to.throw(ConfigError, 'store');
  });

  it('a FolderStore from a URL works end to end', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'store-url-'));
    try {
      const store = parseStoreUrl(`file://${root}`);
      await store.put('k', new Uint8Array([3]));
      expect(Array.from(await store.get('k'))).to.deep.equal([3]);
      await expectStoreError(store.get('missing'), 'not-found');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
