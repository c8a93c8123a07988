/**
 * Root `postinstall` (plain .mjs: it runs before anything could compile TypeScript). It makes
 * Hardhat's native EDR binding present whatever Node ran `npm ci`.
 *
 * Why: the project's scripts run on the Node 22 that the `node` devDependency puts in
 * node_modules/.bin, but `npm ci` itself runs on the machine's Node. On Node 20, npm skips EDR's
 * platform package (its engines say node >= 22) and Hardhat then fails with "Cannot find native
 * binding". This script runs on node_modules/.bin/node (npm puts it first on PATH), so the npm it
 * starts here runs on Node 22 and installs the package for this platform, arch and libc.
 *
 * A no-op when EDR already loads (any machine whose npm ran on Node ≥ 22). Prints one line; exits
 * non-zero with the reason when the package cannot be chosen or installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const EDR = '@nomicfoundation/edr';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The libc this Node runs on: 'glibc' or 'musl' on Linux (the same test npm and napi-rs use: a
 * glibc Node reports its glibc version), null elsewhere.
 * @returns {'glibc' | 'musl' | null}
 */
export function currentLibc() {
  if (process.platform !== 'linux') return null;
  const report = /** @type {{ header?: { glibcVersionRuntime?: string } }} */ (process.report.getReport());
  return report.header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

/**
 * EDR's platform package for this machine, chosen from EDR's own `optionalDependencies` (so a new
 * EDR release with other targets needs no change here). Names look like
 * `@nomicfoundation/edr-linux-x64-gnu`, `-linux-arm64-musl`, `-darwin-arm64`, `-win32-x64-msvc`.
 * @example edrBindingPackage({ '@nomicfoundation/edr-linux-x64-gnu': '0.22.0' }, 'linux', 'x64', 'glibc')
 *   // → { name: '@nomicfoundation/edr-linux-x64-gnu', version: '0.22.0' }
 * @param {Readonly<Record<string, string>>} optionalDependencies EDR's package.json field
 * @param {string} platform process.platform
 * @param {string} arch process.arch
 * @param {'glibc' | 'musl' | null} libc currentLibc()
 * @returns {{ name: string, version: string }}
 */
export function edrBindingPackage(optionalDependencies, platform, arch, libc) {
  const prefix = `${EDR}-${platform}-${arch}`;
  const abi = libc === 'musl' ? ['musl'] : libc === 'glibc' ? ['gnu'] : ['', 'msvc'];
  const matches = Object.keys(optionalDependencies).filter((name) => abi.some((a) => name === (a ? `${prefix}-${a}` : prefix)));
  if (matches.length !== 1) {
    const target = `${platform}-${arch}${libc ? ` (${libc})` : ''}`;
    throw new Error(`${EDR} has ${matches.length === 0 ? 'no' : 'more than one'} native package for ${target} among its optionalDependencies: ${Object.keys(optionalDependencies).join(', ')}`);
  }
  const name = /** @type {string} */ (matches[0]);
  return { name, version: /** @type {string} */ (optionalDependencies[name]) };
}

/**
 * Whether EDR's native binding loads, tried in a fresh Node so a failed load leaves no trace.
 * @param {string} edrDir the folder holding EDR's package.json
 * @returns {{ ok: boolean, error: string }}
 */
function tryLoad(edrDir) {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(edrDir)})`], { cwd: root, encoding: 'utf8' });
  // Node prints the failing source line first; the message is the line that starts "SomeError: ".
  const message = (r.stderr ?? '').split('\n').find((l) => /^\w*Error: /.test(l)) ?? r.error?.message ?? `exit ${r.status}`;
  return { ok: r.status === 0, error: message.trim() };
}

/** @param {string} line */
function fail(line) {
  console.error(`postinstall: ${line}`);
  process.exit(1);
}

function main() {
  if (process.env.SLL_POSTINSTALL_NESTED === '1') return; // the npm started below must not recurse
  const edrDir = join(root, 'node_modules', ...EDR.split('/'));
  // Read by file path: EDR's `exports` do not expose ./package.json.
  const manifestPath = join(edrDir, 'package.json');
  if (!existsSync(manifestPath)) {
    console.log(`postinstall: ${EDR} is not installed (no devDependencies?), nothing to do`);
    return;
  }
  const before = tryLoad(edrDir);
  if (before.ok) {
    console.log(`postinstall: ${EDR} loads on Node ${process.version}, nothing to do`);
    return;
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  let pkg;
  try {
    pkg = edrBindingPackage(manifest.optionalDependencies ?? {}, process.platform, process.arch, currentLibc());
  } catch (error) {
    return fail(`${EDR} does not load (${before.error}) and ${error instanceof Error ? error.message : String(error)}`);
  }
  const npmCli = process.env.npm_execpath;
  if (!npmCli) return fail(`${EDR} does not load (${before.error}); run the install through npm (npm_execpath is not set), or install ${pkg.name}@${pkg.version} by hand`);
  const spec = `${pkg.name}@${pkg.version}`;
  const install = spawnSync(process.execPath, [npmCli, 'install', '--no-save', '--no-audit', '--no-fund', spec], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, SLL_POSTINSTALL_NESTED: '1' },
  });
  if (install.status !== 0) {
    process.stderr.write(`${install.stdout ?? ''}${install.stderr ?? ''}${install.error ? `${install.error.message}\n` : ''}`);
    return fail(`\`npm install --no-save ${spec}\` on Node ${process.version} failed (exit ${install.status}); Hardhat cannot start without it`);
  }
  const after = tryLoad(edrDir);
  if (!after.ok) return fail(`installed ${spec} but ${EDR} still does not load: ${after.error}`);
  // npm's user agent names the Node the outer `npm ci` ran on ("npm/11.19.1 node/v20.20.2 linux x64 …").
  const outerNode = /node\/(v\S+)/.exec(process.env.npm_config_user_agent ?? '')?.[1] ?? 'an older Node';
  console.log(`postinstall: installed ${spec} (npm on ${outerNode} skipped it, EDR needs Node ≥ 22) with npm on Node ${process.version}; ${EDR} loads now`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
