/**
 * {@link ObjectStore} over a local folder: the cluster's default store, and the one a single host
 * or a shared network filesystem uses. Key `a/b/c` is the file `<root>/a/b/c`; the first segment
 * plays the role of a Covenant-72B per-peer bucket (`peer-3/gradient-12-3-v1`).
 *
 * Writes are atomic: bytes go to a temp file in the object's own folder (`.c.tmp-<pid>-<n>-<rand>`),
 * are fsynced, then renamed over the object (rename within one folder is atomic on POSIX), and the
 * folder is fsynced so the rename survives a power cut. A reader therefore sees the old object or
 * the new one, never half of one, and a peer killed mid-upload leaves at most a dot-named temp file
 * that no key can name and `list` skips.
 *
 * @example
 * const store = new FolderStore('/tmp/run-1/store');
 * await store.put('peer-3/gradient-12-3-v1', bytes);
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { StoreError, validateKey, validatePrefix } from './store.ts';
import type { ObjectStore } from './store.ts';

/** Marks FolderStore temp files; they always start with '.', which no key segment may. */
const TEMP_MARK = '.tmp-';

/** An {@link ObjectStore} whose objects are files under `rootDir` (created on first write). */
export class FolderStore implements ObjectStore {
  readonly rootDir: string;
  #tempCounter = 0;

  constructor(rootDir: string) {
    this.rootDir = path.resolve(rootDir);
  }

  /** Atomic write: temp file + fsync + rename + folder fsync. */
  async put(key: string, bytes: Uint8Array): Promise<void> {
    const file = this.#pathOf(validateKey(key));
    const dir = path.dirname(file);
    const temp = path.join(dir, this.tempNameFor(path.basename(file)));
    try {
      await mkdir(dir, { recursive: true });
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(bytes);
        await handle.sync(); // data on disk before the rename makes it visible
      } finally {
        await handle.close();
      }
      await rename(temp, file);
      await syncDir(dir);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw ioError(key, 'put', error);
    }
  }

  async get(key: string): Promise<Uint8Array> {
    const file = this.#pathOf(validateKey(key));
    try {
      const buffer = await readFile(file);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (error) {
      throw ioError(key, 'get', error);
    }
  }

  async head(key: string): Promise<{ readonly size: number } | null> {
    const file = this.#pathOf(validateKey(key));
    try {
      const info = await stat(file);
      return info.isFile() ? { size: info.size } : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw ioError(key, 'head', error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    validatePrefix(prefix);
    // Only the folder the prefix's complete segments name can hold matches: start the walk there.
    const cut = prefix.lastIndexOf('/');
    const base = cut < 0 ? '' : prefix.slice(0, cut + 1);
    const keys: string[] = [];
    try {
      await walk(path.join(this.rootDir, base), base, prefix, keys);
    } catch (error) {
      throw ioError(prefix, 'list', error);
    }
    return keys.sort(compareCodeUnits);
  }

  async delete(key: string): Promise<void> {
    const file = this.#pathOf(validateKey(key));
    try {
      await unlink(file);
    } catch (error) {
      if (isMissing(error)) return;
      throw ioError(key, 'delete', error);
    }
  }

  /**
   * The temp-file name a `put` of `basename` writes first. Exposed so tests can simulate a writer
   * killed between write and rename.
   */
  tempNameFor(basename: string): string {
    this.#tempCounter += 1;
    return `.${basename}${TEMP_MARK}${process.pid}-${this.#tempCounter}-${randomBytes(4).toString('hex')}`;
  }

  #pathOf(key: string): string {
    // validateKey has ruled out '..', absolute keys and empty segments, so this stays under rootDir.
    return path.join(this.rootDir, ...key.split('/'));
  }
}

/** Collects into `out` every file key under `dir` (whose key prefix is `base`) starting with `prefix`. */
async function walk(dir: string, base: string, prefix: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue; // temp files (and anything else no key can name)
    const key = base + entry.name;
    if (entry.isDirectory()) {
      const asFolder = `${key}/`;
      // Descend only where a match can lie: the folder is inside the prefix, or the prefix inside it.
      if (asFolder.startsWith(prefix) || prefix.startsWith(asFolder)) await walk(path.join(dir, entry.name), asFolder, prefix, out);
    } else if (entry.isFile() && key.startsWith(prefix)) {
      out.push(key);
    }
  }
}

/** fsync a folder so a rename in it is durable; some platforms refuse to open folders, which is fine. */
async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort: durability of the name, not correctness of the bytes, is at stake
  } finally {
    await handle?.close();
  }
}

/** ENOTDIR too: under key 'a/b' with 'a' an object, there is simply no 'a/b'. */
function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Maps a filesystem error to a {@link StoreError}; a missing file (or a folder where a file was asked) is 'not-found'. */
function ioError(key: string, op: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (op === 'get' && (isMissing(error) || code === 'EISDIR')) {
    return new StoreError('not-found', key, false, 'no such object', { cause: error });
  }
  // EAGAIN/EBUSY/EMFILE can clear on their own; the rest (ENOSPC, EACCES, ENOTDIR…) will not.
  const retryable = code === 'EAGAIN' || code === 'EBUSY' || code === 'EMFILE' || code === 'ENFILE';
  return new StoreError('io', key, retryable, `${op} failed: ${code ?? String(error)}`, { cause: error });
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
