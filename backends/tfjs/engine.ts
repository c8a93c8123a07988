/**
 * Picks the tfjs engine (the numeric backend under `@tensorflow/tfjs`) a tfjs model runs on, and
 * says which device runs its kernels:
 *
 *   'gpu'    → `@tensorflow/tfjs-node-gpu` (libtensorflow with CUDA; an optional package a GPU host
 *              installs itself: `npm install @tensorflow/tfjs-node-gpu`)
 *   'webgpu' → `@tensorflow/tfjs-backend-webgpu` on Dawn (the `webgpu` package), see webgpu.ts
 *   'auto'   → tfjs-node-gpu, else webgpu, else `@tensorflow/tfjs-node` (native CPU), else wasm,
 *              else pure JS cpu
 *   'wasm'   → `@tensorflow/tfjs-backend-wasm`, loaded offline from its package's dist folder
 *   'cpu'    → the pure-JS backend bundled with `@tensorflow/tfjs`
 *
 * Packages are imported dynamically, so a host without them still loads this module; a missing or
 * broken package is an {@link EngineUnavailableError} naming the package and how to install it, and
 * a GPU engine that loads but finds no GPU is a {@link NoGpuError} — never a CPU run labelled GPU.
 * Every engine reports its {@link EngineDevice} (device.ts). 'auto' records every failed attempt in
 * `engine.attempts`, so a run can report why it did not get the GPU.
 *
 * webgpu cannot read a tensor synchronously on Node (tfjs-backend-webgpu's readSync copies through
 * an OffscreenCanvas, which Node lacks), and the TrainingBackend interface is synchronous; so by
 * default a webgpu engine lives in a worker thread that answers the objective's calls
 * synchronously (readback-bridge.ts). `inThread: true` selects it in this thread, for async callers.
 *
 * tfjs keeps one active backend per thread (a global engine): selecting an engine switches it.
 * The engine names and errors live in engine-names.ts (no tfjs import) and are re-exported here.
 *
 * @example
 * const engine = await selectEngine('auto');
 * console.log(engine.name, engine.device.label, engine.attempts); // 'wasm', 'host CPU: … (wasm)', [{ engine: 'tfjs-node-gpu', error: '…' }, …]
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, SparseLocoError } from '../../core/errors.ts';
import { hostCpuDevice, listNvidiaGpus, nativeGpuDevice } from './device.ts';
import type { CommandRunner, EngineDevice } from './device.ts';
import { AUTO_ORDER, ENGINE_KINDS, EngineUnavailableError, NoGpuError, engineOfKind } from './engine-names.ts';
import type { EngineKind, EngineName } from './engine-names.ts';
import type { RemoteObjective } from './readback-bridge.ts';
import { WEBGPU_INSTALL_HINT, findWebgpuAdapter, registerWebgpuBackend } from './webgpu.ts';

export { AUTO_ORDER, ENGINE_KINDS, EngineUnavailableError, NoGpuError } from './engine-names.ts';
export type { EngineKind, EngineName } from './engine-names.ts';
export type { EngineDevice } from './device.ts';

/** The tfjs namespace: every op a model uses goes through it. */
export type Tf = typeof tf;

/** One engine that 'auto' tried and could not use. */
export interface EngineAttempt {
  readonly engine: EngineName;
  readonly error: string;
}

/** A ready engine: `tf` has `backendName` registered, initialised and active (or `remote` hosts it). */
export interface TfjsEngine {
  readonly name: EngineName;
  /** tfjs's own name for the backend ('tensorflow' for both native packages). */
  readonly backendName: string;
  readonly tf: Tf;
  /** What runs the kernels, as the engine reported it. */
  readonly device: EngineDevice;
  /** Engines tried before this one and why each failed (empty unless kind was 'auto'). */
  readonly attempts: readonly EngineAttempt[];
  /** The worker thread running the model when this thread cannot read the engine's tensors synchronously; else null. */
  readonly remote: RemoteObjective | null;
}

/** Dynamic `import()`; replaceable in tests to simulate a broken package. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

export interface SelectEngineOptions {
  readonly importModule?: ModuleImporter;
  /** Runs `nvidia-smi` to name tfjs-node-gpu's GPUs; replaceable in tests. */
  readonly runCommand?: CommandRunner;
  /** Select webgpu in this thread (its tensors then read only asynchronously) instead of a readback worker. */
  readonly inThread?: boolean;
}

const NATIVE_HINT =
  'It is an optional dependency: install it on the host that should use it. It downloads libtensorflow at install time ' +
  '(so needs internet access); the GPU build also needs a matching CUDA/cuDNN (see backends/tfjs/README.md).';

/** What loading a candidate gives: the tfjs backend name, its device and, for a worker-hosted engine, the worker. */
interface Loaded {
  readonly backendName: string;
  readonly device: EngineDevice;
  readonly remote: RemoteObjective | null;
}

interface Candidate {
  readonly packageName: string;
  readonly installHint: string;
  load(options: SelectEngineOptions & { readonly importModule: ModuleImporter }): Promise<Loaded>;
}

const CANDIDATES: Readonly<Record<EngineName, Candidate>> = {
  'tfjs-node-gpu': {
    packageName: '@tensorflow/tfjs-node-gpu',
    installHint: `On a GPU host run \`npm install @tensorflow/tfjs-node-gpu\`. ${NATIVE_HINT}`,
    load: (o) => loadNative(o.importModule, '@tensorflow/tfjs-node-gpu', o.runCommand),
  },
  webgpu: {
    packageName: '@tensorflow/tfjs-backend-webgpu',
    installHint: WEBGPU_INSTALL_HINT,
    load: (o) => (o.inThread === true ? loadWebgpuInThread(o.importModule) : loadWebgpuInWorker(o.importModule)),
  },
  'tfjs-node': {
    packageName: '@tensorflow/tfjs-node',
    installHint: `Run \`npm install @tensorflow/tfjs-node\`. ${NATIVE_HINT}`,
    load: (o) => loadNative(o.importModule, '@tensorflow/tfjs-node', o.runCommand),
  },
  wasm: {
    packageName: '@tensorflow/tfjs-backend-wasm',
    installHint: 'It is a dependency of this project: run `npm ci`.',
    load: (o) => loadWasm(o.importModule),
  },
  cpu: {
    packageName: '@tensorflow/tfjs',
    installHint: 'It is a dependency of this project: run `npm ci`.',
    load: async () => {
      await activate('cpu');
      return { backendName: 'cpu', device: hostCpuDevice('pure JS'), remote: null };
    },
  },
};

/**
 * Loads, initialises and activates the engine for `kind`. 'auto' falls through the candidates in
 * order; any other kind either gets exactly that engine or throws.
 *
 * @throws {NoGpuError} when 'gpu' or 'webgpu' loads but finds no GPU.
 * @throws {EngineUnavailableError} when the engine asked for (not 'auto') cannot be loaded.
 * @throws {ConfigError} on an unknown kind.
 */
export async function selectEngine(kind: EngineKind = 'auto', options: SelectEngineOptions = {}): Promise<TfjsEngine> {
  if (!ENGINE_KINDS.includes(kind)) throw new ConfigError('engine', kind, `must be one of ${ENGINE_KINDS.join(', ')}`);
  const resolved = { ...options, importModule: options.importModule ?? ((specifier: string) => import(specifier)) };
  const order: readonly EngineName[] = kind === 'auto' ? AUTO_ORDER : [engineOfKind(kind)];
  const attempts: EngineAttempt[] = [];
  for (const name of order) {
    const candidate = CANDIDATES[name];
    try {
      const { backendName, device, remote } = await candidate.load(resolved);
      return Object.freeze({ name, backendName, tf, device, attempts: Object.freeze(attempts), remote });
    } catch (err) {
      const error = err instanceof EngineUnavailableError ? err : new EngineUnavailableError(name, candidate.packageName, candidate.installHint, err);
      if (kind !== 'auto') throw error;
      attempts.push({ engine: name, error: error.shortMessage });
    }
  }
  // Unreachable in practice: the pure-JS cpu backend ships inside @tensorflow/tfjs itself.
  throw new EngineUnavailableError('cpu', '@tensorflow/tfjs', CANDIDATES.cpu.installHint, new Error(attempts.map((a) => a.error).join('; ')));
}

/**
 * Makes `engine` the active tfjs backend again (another engine may have been selected since, e.g. in
 * a test that compares engines). Synchronous: the backend was initialised by {@link selectEngine},
 * and tfjs switches an initialised backend before its returned promise's first await. A
 * worker-hosted engine is active in its own thread: nothing to do.
 */
export function ensureActive(engine: TfjsEngine): void {
  if (engine.remote !== null || engine.tf.getBackend() === engine.backendName) return;
  void engine.tf.setBackend(engine.backendName);
  if (engine.tf.getBackend() !== engine.backendName) {
    throw new SparseLocoError(`tfjs backend "${engine.backendName}" could not be re-activated (active: "${engine.tf.getBackend()}")`);
  }
}

/**
 * Imports a native tfjs-node package (it registers the 'tensorflow' backend) and activates it. The
 * GPU package must also say that libtensorflow listed a GPU device (its binding's
 * `isUsingGpuDevice`); otherwise it would run on the host CPU.
 */
async function loadNative(importModule: ModuleImporter, packageName: string, runCommand: CommandRunner | undefined): Promise<Loaded> {
  await importModule(packageName);
  await activate('tensorflow');
  const backend = tf.backend() as { isUsingGpuDevice?: unknown; isGPUPackage?: unknown };
  if (packageName !== '@tensorflow/tfjs-node-gpu') {
    return { backendName: 'tensorflow', device: hostCpuDevice(backend.isGPUPackage === true ? 'libtensorflow of tfjs-node-gpu, no GPU device' : 'libtensorflow'), remote: null };
  }
  if (backend.isGPUPackage !== true) {
    throw new NoGpuError('tfjs-node-gpu', packageName, 'the active "tensorflow" backend is the CPU package @tensorflow/tfjs-node (it registered first)', CANDIDATES['tfjs-node-gpu'].installHint);
  }
  if (backend.isUsingGpuDevice !== true) {
    throw new NoGpuError('tfjs-node-gpu', packageName, 'libtensorflow listed no GPU device (CUDA/cuDNN missing or not matching its build), so it would run on the host CPU', CANDIDATES['tfjs-node-gpu'].installHint);
  }
  return { backendName: 'tensorflow', device: nativeGpuDevice(listNvidiaGpus(runCommand)), remote: null };
}

/** webgpu in this thread: Dawn adapter check, backend registration, activation. */
async function loadWebgpuInThread(importModule: ModuleImporter): Promise<Loaded> {
  const device = await registerWebgpuBackend(tf, importModule);
  await activate('webgpu');
  return { backendName: 'webgpu', device, remote: null };
}

/**
 * webgpu in a readback worker (readback-bridge.ts). The adapter is looked for here first (cheap),
 * so a host without a GPU fails without starting a thread; the worker then repeats the checks.
 */
async function loadWebgpuInWorker(importModule: ModuleImporter): Promise<Loaded> {
  await findWebgpuAdapter(importModule);
  // One worker (one GPU device) per thread, shared by every run that selects webgpu.
  webgpuWorker ??= import('./readback-bridge.ts').then(({ startReadbackWorker }) => startReadbackWorker('webgpu'));
  const remote = await webgpuWorker.catch((err: unknown) => {
    webgpuWorker = null; // a failed start is not cached
    throw err;
  });
  return { backendName: 'webgpu', device: remote.device, remote };
}

let webgpuWorker: Promise<RemoteObjective> | null = null;

/** Registers the wasm backend with its .wasm binaries read from node_modules (works offline). */
async function loadWasm(importModule: ModuleImporter): Promise<Loaded> {
  const wasm = (await importModule('@tensorflow/tfjs-backend-wasm')) as { setWasmPaths(prefix: string): void };
  // Paths must be set before the backend initialises (and cannot change after). Not via
  // tf.findBackend: that would initialise it with the default paths.
  if (!('wasm' in tf.engine().registry)) {
    const require = createRequire(import.meta.url);
    const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    wasm.setWasmPaths(`${dist}/`);
  }
  await activate('wasm');
  return { backendName: 'wasm', device: hostCpuDevice('wasm'), remote: null };
}

async function activate(backendName: string): Promise<void> {
  if (tf.findBackendFactory(backendName) === null) throw new Error(`tfjs has no backend named "${backendName}" registered`);
  const ok = await tf.setBackend(backendName);
  if (!ok) throw new Error(`tfjs backend "${backendName}" failed to initialise`);
  await tf.ready();
}

