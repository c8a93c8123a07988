/**
 * Picks the tfjs engine (the numeric backend under `@tensorflow/tfjs`) a tfjs model runs on:
 *
 *   'gpu'  → `@tensorflow/tfjs-node-gpu` (libtensorflow with CUDA; an optional package a GPU host
 *            installs itself: `npm install @tensorflow/tfjs-node-gpu`)
 *   'auto' → tfjs-node-gpu, else `@tensorflow/tfjs-node` (native CPU), else wasm, else pure JS cpu
 *   'wasm' → `@tensorflow/tfjs-backend-wasm`, loaded offline from its package's dist folder
 *   'cpu'  → the pure-JS backend bundled with `@tensorflow/tfjs`
 *
 * The native packages are imported dynamically, so a host without them still loads this module; a
 * missing or broken package is an {@link EngineUnavailableError} that names the package and how to
 * install it — never a crash at import time. 'auto' records every failed attempt in
 * `engine.attempts`, so a run can report why it did not get the GPU.
 *
 * tfjs keeps one active backend per process (a global engine): selecting an engine switches it.
 * The engine names and {@link EngineUnavailableError} live in engine-names.ts (no tfjs import) and
 * are re-exported here.
 *
 * @example
 * const engine = await selectEngine('auto');
 * console.log(engine.name, engine.attempts); // 'wasm', [{ engine: 'tfjs-node-gpu', error: '…' }, …]
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, SparseLocoError } from '../../core/errors.ts';
import { ENGINE_KINDS, EngineUnavailableError } from './engine-names.ts';
import type { EngineKind, EngineName } from './engine-names.ts';

export { ENGINE_KINDS, EngineUnavailableError } from './engine-names.ts';
export type { EngineKind, EngineName } from './engine-names.ts';

/** The tfjs namespace: every op a model uses goes through it. */
export type Tf = typeof tf;

/** One engine that 'auto' tried and could not use. */
export interface EngineAttempt {
  readonly engine: EngineName;
  readonly error: string;
}

/** A ready engine: `tf` has `backendName` registered, initialised and active. */
export interface TfjsEngine {
  readonly name: EngineName;
  /** tfjs's own name for the backend ('tensorflow' for both native packages). */
  readonly backendName: string;
  readonly tf: Tf;
  /** Engines tried before this one and why each failed (empty unless kind was 'auto'). */
  readonly attempts: readonly EngineAttempt[];
}

/** Dynamic `import()`; replaceable in tests to simulate a broken package. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

export interface SelectEngineOptions {
  readonly importModule?: ModuleImporter;
}

const NATIVE_HINT =
  'It is an optional dependency: install it on the host that should use it. It downloads libtensorflow at install time ' +
  '(so needs internet access); the GPU build also needs a matching CUDA/cuDNN (see backends/tfjs/README.md).';

interface Candidate {
  readonly name: EngineName;
  readonly packageName: string;
  readonly installHint: string;
  load(importModule: ModuleImporter): Promise<string>;
}

const CANDIDATES: Readonly<Record<EngineName, Candidate>> = {
  'tfjs-node-gpu': {
    name: 'tfjs-node-gpu',
    packageName: '@tensorflow/tfjs-node-gpu',
    installHint: `On a GPU host run \`npm install @tensorflow/tfjs-node-gpu\`. ${NATIVE_HINT}`,
    load: (importModule) => loadNative(importModule, '@tensorflow/tfjs-node-gpu'),
  },
  'tfjs-node': {
    name: 'tfjs-node',
    packageName: '@tensorflow/tfjs-node',
    installHint: `Run \`npm install @tensorflow/tfjs-node\`. ${NATIVE_HINT}`,
    load: (importModule) => loadNative(importModule, '@tensorflow/tfjs-node'),
  },
  wasm: {
    name: 'wasm',
    packageName: '@tensorflow/tfjs-backend-wasm',
    installHint: 'It is a dependency of this project: run `npm ci`.',
    load: loadWasm,
  },
  cpu: {
    name: 'cpu',
    packageName: '@tensorflow/tfjs',
    installHint: 'It is a dependency of this project: run `npm ci`.',
    load: async () => {
      await activate('cpu');
      return 'cpu';
    },
  },
};

const AUTO_ORDER: readonly EngineName[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

/**
 * Loads, initialises and activates the engine for `kind`. 'auto' falls through the candidates in
 * order; any other kind either gets exactly that engine or throws {@link EngineUnavailableError}.
 *
 * @throws {ConfigError} on an unknown kind.
 */
export async function selectEngine(kind: EngineKind = 'auto', options: SelectEngineOptions = {}): Promise<TfjsEngine> {
  if (!ENGINE_KINDS.includes(kind)) throw new ConfigError('engine', kind, `must be one of ${ENGINE_KINDS.join(', ')}`);
  const importModule = options.importModule ?? ((specifier: string) => import(specifier));
  const order: readonly EngineName[] = kind === 'auto' ? AUTO_ORDER : [kind === 'gpu' ? 'tfjs-node-gpu' : kind];
  const attempts: EngineAttempt[] = [];
  for (const name of order) {
    const candidate = CANDIDATES[name];
    try {
      const backendName = await candidate.load(importModule);
      return Object.freeze({ name, backendName, tf, attempts: Object.freeze(attempts) });
    } catch (err) {
      const error = new EngineUnavailableError(name, candidate.packageName, candidate.installHint, err);
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
 * and tfjs switches an initialised backend before its returned promise's first await.
 */
export function ensureActive(engine: TfjsEngine): void {
  if (engine.tf.getBackend() === engine.backendName) return;
  void engine.tf.setBackend(engine.backendName);
  if (engine.tf.getBackend() !== engine.backendName) {
    throw new SparseLocoError(`tfjs backend "${engine.backendName}" could not be re-activated (active: "${engine.tf.getBackend()}")`);
  }
}

/** Imports a native tfjs-node package (it registers the 'tensorflow' backend) and activates it. */
async function loadNative(importModule: ModuleImporter, packageName: string): Promise<string> {
  await importModule(packageName);
  await activate('tensorflow');
  return 'tensorflow';
}

/** Registers the wasm backend with its .wasm binaries read from node_modules (works offline). */
async function loadWasm(importModule: ModuleImporter): Promise<string> {
  const wasm = (await importModule('@tensorflow/tfjs-backend-wasm')) as { setWasmPaths(prefix: string): void };
  // Paths must be set before the backend initialises (and cannot change after). Not via
  // tf.findBackend: that would initialise it with the default paths.
  if (!('wasm' in tf.engine().registry)) {
    const require = createRequire(import.meta.url);
    const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
    wasm.setWasmPaths(`${dist}/`);
  }
  await activate('wasm');
  return 'wasm';
}

async function activate(backendName: string): Promise<void> {
  if (tf.findBackendFactory(backendName) === null) throw new Error(`tfjs has no backend named "${backendName}" registered`);
  const ok = await tf.setBackend(backendName);
  if (!ok) throw new Error(`tfjs backend "${backendName}" failed to initialise`);
  await tf.ready();
}

