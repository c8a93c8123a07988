/**
 * Which experiment code a process runs: the checkout's git commit, plus a hash of uncommitted
 * changes when the tree is dirty (`<sha>+dirty.<12 hex>`), so a submitter and a worker agree only
 * when they would run the same simulator. A queue task carries the submitter's version and a
 * worker on another version refuses it (experiments/queue/worker.ts).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Outside a git checkout: nothing to compare, so two such processes are taken to agree. */
export const UNKNOWN_VERSION = 'unknown';

function git(args: readonly string[], cwd: string): Buffer {
  return execFileSync('git', [...args], { cwd, stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 * 1024 * 1024 });
}

/** The code version of the checkout at `root` (default: this one). */
export function codeVersion(root: string = REPO_ROOT): string {
  let sha: string;
  try {
    sha = git(['rev-parse', 'HEAD'], root).toString('utf8').trim();
  } catch {
    return UNKNOWN_VERSION;
  }
  // Tracked changes as a binary diff, untracked (not ignored) files by name and content.
  const diff = git(['diff', 'HEAD', '--binary'], root);
  const untracked = git(['ls-files', '--others', '--exclude-standard', '-z'], root).toString('utf8').split('\0').filter(Boolean).sort();
  if (diff.length === 0 && untracked.length === 0) return sha;
  const hash = createHash('sha256').update(diff);
  for (const file of untracked) {
    const path = join(root, file);
    hash.update(`\0${file}\0`).update(lstatSync(path).isSymbolicLink() ? readlinkSync(path) : readFileSync(path));
  }
  return `${sha}+dirty.${hash.digest('hex').slice(0, 12)}`;
}
