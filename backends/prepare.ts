/**
 * Turns a resolved `backend` section into a {@link PreparedBackend}: something that builds the
 * training backend synchronously from a seeded stream, which is what a simulated round loop or a
 * cluster replica needs. The surrogate is ready at once; the tfjs GPT needs its engine selected
 * first, which is asynchronous and loads the tfjs modules — on demand only (they cost about half a
 * second per process or worker thread), so a surrogate-only run never loads tfjs.
 *
 * @example
 * const prepared = await prepareBackend(resolveBackendConfig({ kind: 'tfjs', engine: 'wasm' }));
 * const backend = prepared.create(rng.fork('backend'));
 */
import type { Rng } from '../core/rng.ts';
import type { TrainingBackend } from './backend.ts';
import { tfjsOptionsOf, surrogateOptionsOf } from './config.ts';
import type { BackendConfig } from './config.ts';
import { createSurrogateBackend } from './surrogate/backend.ts';
import type { EngineDevice } from './tfjs/device.ts';
import type { EngineName } from './tfjs/engine-names.ts';

/** A training backend that can be built synchronously (for tfjs: its engine already selected). */
export interface PreparedBackend {
  /** The resolved `backend` section it was prepared for. */
  readonly config: BackendConfig;
  /** The tfjs engine that runs the model ('wasm', 'cpu', 'tfjs-node', 'webgpu', 'tfjs-node-gpu'); null for the surrogate. */
  readonly engine: EngineName | null;
  /** What runs the engine's kernels, as the engine reported it (GPU adapter, GPUs, host CPU); null for the surrogate. */
  readonly device: EngineDevice | null;
  /** Builds the run's backend from its 'backend' stream. */
  create(rng: Rng): TrainingBackend;
}

/**
 * Prepares the backend a resolved section names: for tfjs this loads the tfjs modules and selects
 * the engine `backend.engine` asks for.
 *
 * @throws {NoGpuError} when engine 'gpu' or 'webgpu' finds no GPU.
 * @throws {EngineUnavailableError} when the engine asked for (not 'auto') cannot run here.
 */
export async function prepareBackend(backend: BackendConfig): Promise<PreparedBackend> {
  if (backend.kind === 'surrogate') return prepareSurrogateBackend(backend);
  const [{ selectEngine }, { createTfjsBackend }] = await Promise.all([import('./tfjs/engine.ts'), import('./tfjs/backend.ts')]);
  const engine = await selectEngine(backend.engine);
  const options = tfjsOptionsOf(backend);
  return Object.freeze({ config: backend, engine: engine.name, device: engine.device, create: (rng: Rng) => createTfjsBackend(engine, rng, options) });
}

/** The surrogate needs no preparation: this is {@link prepareBackend} for it, synchronous. */
export function prepareSurrogateBackend(backend: BackendConfig & { kind: 'surrogate' }): PreparedBackend {
  const options = surrogateOptionsOf(backend);
  return Object.freeze({ config: backend, engine: null, device: null, create: (rng: Rng) => createSurrogateBackend(rng, options) });
}
