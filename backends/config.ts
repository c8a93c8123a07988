/**
 * The `backend` section of a run's config: what an experiment may write ({@link BackendInput}),
 * the resolved form ({@link BackendConfig}: `kind`, and for tfjs `engine`, always present) and
 * {@link resolveBackendConfig}, the one validation of it. Shared by the simulator (sim/config.ts)
 * and the real cluster. Nothing here imports tfjs: a surrogate-only run never loads it.
 *
 * @example
 * resolveBackendConfig({ hiddenDim: 8 });              // { kind: 'surrogate', hiddenDim: 8 }
 * resolveBackendConfig({ kind: 'tfjs' });              // { kind: 'tfjs', engine: 'auto' }
 * resolveBackendConfig({ kind: 'tfjs', hiddenDim: 8 }); // ConfigError: backend.hiddenDim (8) is not a tfjs backend option …
 */
import type { CommunicatorConfig } from '../core/baselines/index.ts';
import { validateCommunicatorConfig } from '../core/baselines/index.ts';
import { ConfigError } from '../core/errors.ts';
import type { ParamLayout } from '../core/layout.ts';
import { resolveSurrogateConfig } from './surrogate/backend.ts';
import type { SurrogateOptions } from './surrogate/backend.ts';
import { mlpLayout } from './surrogate/model.ts';
import type { TfjsBackendOptions } from './tfjs/backend.ts';
import { ENGINE_KINDS } from './tfjs/engine-names.ts';
import type { EngineKind } from './tfjs/engine-names.ts';

/** Surrogate backend options; `kind` is optional so every pre-tfjs config keeps its meaning. */
export interface SurrogateBackendInput extends SurrogateOptions {
  readonly kind?: 'surrogate';
}

/** tfjs backend options plus the engine to run on ('auto': tfjs-node-gpu → webgpu → tfjs-node → wasm → cpu). */
export interface TfjsBackendInput extends TfjsBackendOptions {
  readonly kind: 'tfjs';
  readonly engine?: EngineKind;
}

/** What an experiment may write under `backend`. */
export type BackendInput = SurrogateBackendInput | TfjsBackendInput;

/** The resolved `backend` section: `kind` (and for tfjs `engine`) always present. */
export type BackendConfig =
  | (SurrogateOptions & { readonly kind: 'surrogate' })
  | (TfjsBackendOptions & { readonly kind: 'tfjs'; readonly engine: EngineKind });

/** The backend kinds a config may name. */
export const BACKEND_KINDS = Object.freeze(['surrogate', 'tfjs'] as const);

// Records keyed by every option, so adding an option to the tfjs types without listing it here is
// a compile error (a missing key would otherwise reject a valid config at run time).
const TFJS_FIELDS: Readonly<Record<keyof TfjsBackendInput, true>> = {
  kind: true, engine: true, model: true, batchSize: true, numShards: true, heldoutFraction: true, heldoutWindows: true,
  shardEvalWindows: true, evalBatchSize: true, text: true, adamw: true, schedule: true,
};
const TFJS_MODEL_FIELDS: Readonly<Record<keyof NonNullable<TfjsBackendOptions['model']>, true>> = {
  contextLength: true, dModel: true, numLayers: true, numHeads: true, mlpRatio: true, tiedEmbeddings: true,
};
const TFJS_KEYS: readonly string[] = Object.freeze(Object.keys(TFJS_FIELDS));
const TFJS_MODEL_KEYS: readonly string[] = Object.freeze(Object.keys(TFJS_MODEL_FIELDS));

/**
 * Fills `kind` (default 'surrogate') and, for tfjs, `engine` (default 'auto'); rejects an unknown
 * kind or engine, and any key the chosen backend does not take (so switching `kind` with surrogate
 * keys such as `hiddenDim` left behind is an error, not a silently ignored option). The surrogate's
 * own fields are checked by {@link knownShapeOf} (the tfjs ones by the tfjs module, once loaded).
 * Idempotent.
 *
 * @throws {ConfigError} naming `backend.<key>`, the value and the rule.
 */
export function resolveBackendConfig(input: BackendInput): BackendConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ConfigError('backend', input, 'must be an object');
  const kind = input.kind ?? 'surrogate';
  if (!(BACKEND_KINDS as readonly unknown[]).includes(kind)) throw new ConfigError('backend.kind', kind, `must be one of ${BACKEND_KINDS.join(', ')}`);
  if (input.kind !== 'tfjs') {
    if ('engine' in input) throw new ConfigError('backend.engine', (input as { engine?: unknown }).engine, 'is a tfjs option: set backend.kind to "tfjs" to use it');
    return { ...input, kind: 'surrogate' };
  }
  for (const key of Object.keys(input)) {
    if (!TFJS_KEYS.includes(key)) throw new ConfigError(`backend.${key}`, (input as unknown as Record<string, unknown>)[key], `is not a tfjs backend option (expected one of ${TFJS_KEYS.join(', ')})`);
  }
  const engine = input.engine ?? 'auto';
  if (!ENGINE_KINDS.includes(engine)) throw new ConfigError('backend.engine', engine, `must be one of ${ENGINE_KINDS.join(', ')}`);
  if (input.model !== undefined) {
    if (typeof input.model !== 'object' || input.model === null) throw new ConfigError('backend.model', input.model, 'must be an object');
    for (const key of Object.keys(input.model)) {
      if (!TFJS_MODEL_KEYS.includes(key)) throw new ConfigError(`backend.model.${key}`, (input.model as Record<string, unknown>)[key], `is not a GPT shape field (expected one of ${TFJS_MODEL_KEYS.join(', ')})`);
    }
  }
  return { ...input, engine };
}

/** The surrogate's own options: the `backend` section without `kind`. */
export function surrogateOptionsOf(backend: BackendConfig & { kind: 'surrogate' }): SurrogateOptions {
  const { kind: _kind, ...options } = backend;
  return options;
}

/** The tfjs backend's own options: the `backend` section without `kind` and `engine`. */
export function tfjsOptionsOf(backend: BackendConfig & { kind: 'tfjs' }): TfjsBackendOptions {
  const { kind: _kind, engine: _engine, ...options } = backend;
  return options;
}

/** What a run's other sections are checked against: the parameter layout and the shard count. */
export interface BackendShape {
  readonly layout: ParamLayout;
  readonly numShards: number;
}

/**
 * The shape of the backend a resolved section names, where it is known without building it: the
 * surrogate's follows from its options (validated here); a tfjs model's depends on its corpus and
 * is checked by the tfjs module, which loads lazily, so it is null (check the built backend then).
 *
 * @throws {ConfigError} on a bad surrogate option.
 */
export function knownShapeOf(backend: BackendConfig): BackendShape | null {
  if (backend.kind !== 'surrogate') return null;
  const surrogate = resolveSurrogateConfig(surrogateOptionsOf(backend));
  return { layout: mlpLayout(surrogate.model), numShards: surrogate.data.numShards };
}

/**
 * Checks a run against its backend's shape: each peer's `shardsPerPeer` must exist and the
 * communicator config must be valid for the layout (known options, values its constructor
 * accepts). A built TrainingBackend is a shape.
 *
 * @throws {ConfigError} naming `shardsPerPeer` or the `optim` field.
 */
export function checkRunFitsBackend(shape: BackendShape, shardsPerPeer: number, optim: CommunicatorConfig): void {
  if (shardsPerPeer > shape.numShards) {
    throw new ConfigError('shardsPerPeer', shardsPerPeer, `must be ≤ the backend's numShards (${shape.numShards})`);
  }
  validateCommunicatorConfig(shape.layout, optim, 'optim');
}
