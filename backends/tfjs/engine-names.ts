/**
 * The names of the tfjs engines and the error for one that cannot run, kept apart from
 * engine.ts because that module imports `@tensorflow/tfjs` (about half a second per process):
 * config validation (backends/config.ts) and the front door (backends/index.ts) need the names
 * without loading tfjs, so a surrogate-only run never pays for it.
 *
 * @example
 * ENGINE_KINDS.includes('wasm'); // true
 */
import { SparseLocoError } from '../../core/errors.ts';

/** What a caller may ask for. */
export type EngineKind = 'auto' | 'gpu' | 'cpu' | 'wasm';

/** The engine actually running. */
export type EngineName = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

export const ENGINE_KINDS: readonly EngineKind[] = Object.freeze(['auto', 'gpu', 'cpu', 'wasm']);

/** An engine that was asked for cannot run here. `packageName` and `installHint` say how to fix it. */
export class EngineUnavailableError extends SparseLocoError {
  override name = 'EngineUnavailableError';
  constructor(
    readonly engine: EngineName,
    readonly packageName: string,
    readonly installHint: string,
    cause: unknown,
  ) {
    super(`tfjs engine "${engine}" is unavailable: ${packageName} could not be loaded (${describe(cause)}). ${installHint}`, { cause });
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    const first = cause.message.split('\n')[0]!;
    return typeof code === 'string' ? `${code}: ${first}` : first;
  }
  return String(cause);
}
