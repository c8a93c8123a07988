/**
 * FolderStore: the shared conformance suite, plus what only a folder can show — atomic writes
 * under a writer killed between write and rename, and the on-disk layout.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FolderStore } from '../../../backends/store/folder.ts';
import { expectStoreError, runStoreConformance } from './conformance.ts';

const roots: string[] = [];
async function freshStore(): Promise<FolderStore> {
  const root = await mkdtemp(path.join(tmpdir(), 'folder-store-'));
  roots.push(root);
  return new FolderStore(root);
}
after(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

runStoreConformance('FolderStore', freshStore);

describe('FolderStore', () => {
  it('stores key a/b/c as the file <root>/a/b/c, creating folders (a bucket = a sub-folder)', async () => {
    const store = await freshStore();
    await store.put('peer-3/gradient-1-3-v1', new Uint8Array([1, 2]));
    expect(await readdir(path.join(store.rootDir, 'peer-3'))).to.deep.equal(['gradient-1-3-v1']);
  });

  it('a writer killed before the rename leaves get not-found, head null and list empty', async () => {
    const store = await freshStore();
    // Simulate the crash: the temp file is fully written, the rename never happens.
    await writeFile(path.join(store.rootDir, store.tempNameFor('gradient-4-1-v1')), new Uint8Array(100).fill(7));
    await expectStoreError(store.get('gradient-4-1-v1'), 'not-found');
    expect(await store.head('gradient-4-1-v1')).to.equal(null);
    expect(await store.list('')).to.deep.equal([]);
  });

  it('a writer killed mid-overwrite leaves the old object intact', async () => {
    const store = await freshStore();
    await store.put('peer-1/ckpt', new Uint8Array([1, 2, 3]));
    await writeFile(path.join(store.rootDir, 'peer-1', store.tempNameFor('ckpt')), new Uint8Array([9, 9])); // half of a new version
    expect(Array.from(await store.get('peer-1/ckpt'))).to.deep.equal([1, 2, 3]);
    expect(await store.list('peer-1/')).to.deep.equal(['peer-1/ckpt']);
    // The next successful put still replaces it cleanly.
    await store.put('peer-1/ckpt', new Uint8Array([4]));
    expect(Array.from(await store.get('peer-1/ckpt'))).to.deep.equal([4]);
  });

  it('a writer process SIGKILLed while overwriting leaves one whole version, never a partial one', async () => {
    const store = await freshStore();
    const size = 8 * 1024 * 1024;
    const moduleUrl = new URL('../../../backends/store/folder.ts', import.meta.url).href;
    // The child writes version 1, says so, then overwrites with versions 2, 3, … until killed.
    const script = `
      import { FolderStore } from ${JSON.stringify(moduleUrl)};
      const store = new FolderStore(${JSON.stringify(store.rootDir)});
      await store.put('peer-1/big', new Uint8Array(${size}).fill(1));
      process.stdout.write('ready\\n');
      for (let v = 2; ; v = v === 255 ? 2 : v + 1) await store.put('peer-1/big', new Uint8Array(${size}).fill(v));
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`writer exited early (${code})`)));
    });
    await new Promise((resolve) => setTimeout(resolve, 120)); // let it get into later writes
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const back = await store.get('peer-1/big');
    expect(back.byteLength).to.equal(size);
    expect(new Set(back).size).to.equal(1);
    expect(await store.list('')).to.deep.equal(['peer-1/big']); // any leftover temp file is invisible
  });

  it('a successful put leaves no temp file behind', async () => {
    const store = await freshStore();
    await Promise.all([1, 2, 3].map((i) => store.put(`k${i}`, new Uint8Array(i))));
    expect((await readdir(store.rootDir)).sort()).to.deep.equal(['k1', 'k2', 'k3']);
  });

  it('temp names are unique and start with "." (outside the key space)', async () => {
    const store = await freshStore();
    const names = new Set(Array.from({ length: 100 }, () => store.tempNameFor('x')));
    expect(names.size).to.equal(100);
    for (const name of names) expect(name.startsWith('.x.tmp-')).to.equal(true);
  });

  it('a put under a key whose parent is an object fails with a typed io error, leaving the object', async () => {
    const store = await freshStore();
    await store.put('a', new Uint8Array([1]));
    const error = await expectStoreError(store.put('a/b', new Uint8Array([2])), 'io');
    expect(error.key).to.equal('a/b');
    expect(Array.from(await store.get('a'))).to.deep.equal([1]);
  });

  it('list on a root that does not exist yet is empty, not an error', async () => {
    const store = new FolderStore(path.join(await mkdtemp(path.join(tmpdir(), 'folder-store-')), 'not-yet'));
    roots.push(path.dirname(store.rootDir));
    expect(await store.list('')).to.deep.equal([]);
    await expectStoreError(store.get('x'), 'not-found');
  });
});
