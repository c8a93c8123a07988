/**
 * Test fixtures that need a program from Debian's packages (chromium for the browser tests,
 * redis-server for the queue tests): installed when missing, so `npm test` passes on a fresh
 * machine of this project's kind (root, apt-get, Debian's mirror reachable). Elsewhere a missing
 * program fails the suite with the command that installs it — never a silent skip.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Makes `program` (a path, or a name looked up on PATH) available, installing Debian `pkg` if need be. */
export function ensureDebianProgram(program: string, pkg: string): void {
  if (found(program)) return;
  const canInstall = process.getuid?.() === 0 && spawnSync('apt-get', ['--version']).error === undefined;
  if (!canInstall) throw new Error(`${program} is not installed: run \`apt-get update && apt-get install -y ${pkg}\` (Debian; .ci/run does it)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // The package index may be missing or stale on a fresh machine: update once, then install.
  const install = (): boolean => spawnSync('apt-get', ['install', '-y', '-q', pkg], { env, stdio: 'ignore' }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update', '-q'], { env, stdio: 'ignore' });
    if (!install()) throw new Error(`apt-get install -y ${pkg} failed: ${program} is needed by this test`);
  }
  if (!found(program)) throw new Error(`installed Debian ${pkg}, but ${program} is still not found`);
}

function found(program: string): boolean {
  return program.includes('/') ? existsSync(program) : spawnSync(program, ['--version'], { stdio: 'ignore' }).error === undefined;
}
