/**
 * The front door of backends/: what the simulator, the cluster and the experiments use of the
 * training side. sim/ imports backends/ only through this file and backends/backend.ts (the
 * `TrainingBackend` interface); `npm run check` enforces it (scripts/check-imports.ts).
 *
 *   - the `backend` config section: {@link resolveBackendConfig}, its types and the checks of a run
 *     against the backend's shape (config.ts);
 *   - {@link prepareBackend}: a resolved section → a backend built synchronously per run (prepare.ts);
 *   - engine selection for the tfjs GPT (tfjs/engine.ts).
 *
 * Nothing here imports `@tensorflow/tfjs` at load time: {@link selectEngine} and `prepareBackend`
 * import it on first use, so a surrogate-only run never loads it (tested in
 * test/backends/front-door.test.ts). The object stores have their own door, backends/store/index.ts.
 *
 * @example
 * const backend = resolveBackendConfig({ kind: 'tfjs', engine: 'wasm' });
 * const prepared = await prepareBackend(backend);
 * prepared.engine; // 'wasm'
 */
import type { EngineKind } from './tfjs/engine-names.ts';
import type { SelectEngineOptions, TfjsEngine } from './tfjs/engine.ts';

export { BACKEND_KINDS, checkRunFitsBackend, knownShapeOf, resolveBackendConfig, surrogateOptionsOf, tfjsOptionsOf } from './config.ts';
export type { BackendConfig, BackendInput, BackendShape, SurrogateBackendInput, TfjsBackendInput } from './config.ts';
export { prepareBackend, prepareSurrogateBackend } from './prepare.ts';
export type { PreparedBackend } from './prepare.ts';
export { AUTO_ORDER, ENGINE_KINDS, EngineUnavailableError, NoGpuError } from './tfjs/engine-names.ts';
export type { EngineKind, EngineName } from './tfjs/engine-names.ts';
export type { EngineDevice } from './tfjs/device.ts';
export type { EngineAttempt, ModuleImporter, SelectEngineOptions, TfjsEngine } from './tfjs/engine.ts';
export type { PeerTrainer, TrainingBackend } from './backend.ts';
export { CLEAN_DATA, DATA_QUALITY_KINDS, validateDataQuality } from './data-quality.ts';
export type { DataQuality, DataQualityKind } from './data-quality.ts';

/**
 * Loads tfjs (on the first call) and selects the engine `kind` asks for; see tfjs/engine.ts.
 *
 * @throws {NoGpuError} when 'gpu' or 'webgpu' loads but finds no GPU.
 * @throws {EngineUnavailableError} when the engine asked for (not 'auto') cannot run here.
 * @throws {ConfigError} on an unknown kind.
 */
export async function selectEngine(kind: EngineKind = 'auto', options: SelectEngineOptions = {}): Promise<TfjsEngine> {
  const engine = await import('./tfjs/engine.ts');
  return engine.selectEngine(kind, options);
}
