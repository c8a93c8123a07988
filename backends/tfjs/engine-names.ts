/**
 * The names of the tfjs engines and the errors for one that cannot run, kept apart from
 * engine.ts because that module imports `@tensorflow/tfjs` (about half a second per process):
 * config validation (backends/config.ts) and the front door (backends/index.ts) need the names
 * without loading tfjs, so a surrogate-only run never pays for it.
 *
 * @example
 * ENGINE_KINDS.includes('webgpu'); // true
 */
import { SparseLocoError } from '../../core/errors.ts';

/** What a caller may ask for. */
export type EngineKind = 'auto' | 'gpu' | 'webgpu' | 'cpu' | 'wasm';

/** The engine actually running. */
export type EngineName = 'tfjs-node-gpu' | 'webgpu' | 'tfjs-node' | 'wasm' | 'cpu';

export const ENGINE_KINDS: readonly EngineKind[] = Object.freeze(['auto', 'gpu', 'webgpu', 'cpu', 'wasm']);

/** The engines 'auto' tries, in order: GPU engines first, then native CPU, wasm, pure JS. */
export const AUTO_ORDER: readonly EngineName[] = Object.freeze(['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu']);

/** The engine a (non-'auto') kind names. */
export function engineOfKind(kind: Exclude<EngineKind, 'auto'>): EngineName {
  return kind === 'gpu' ? 'tfjs-node-gpu' : kind;
}

/** An engine that was asked for cannot run here. `packageName` and `installHint` say how to fix it. */
export class EngineUnavailableError extends SparseLocoError {
  override name = 'EngineUnavailableError';
  /** What went wrong, without the install hint. */
  readonly reason: string;
  constructor(
    readonly engine: EngineName,
    readonly packageName: string,
    readonly installHint: string,
    cause: unknown,
    /** What went wrong, in words; default: the package could not be loaded, and why. */
    reason: string = `${packageName} could not be loaded (${describeCause(cause)})`,
  ) {
    super(`tfjs engine "${engine}" is unavailable: ${reason}. ${installHint}`, { cause });
    this.reason = reason;
  }
}

/**
 * A GPU engine loaded but found no GPU to run on: Dawn returned no WebGPU adapter (or only a
 * software one), or libtensorflow listed no GPU device. Never a silent CPU run under a GPU label.
 * `probe` says what was asked and what came back.
 */
export class NoGpuError extends EngineUnavailableError {
  override name = 'NoGpuError';
  constructor(
    engine: EngineName,
    packageName: string,
    readonly probe: string,
    installHint: string,
  ) {
    super(engine, packageName, installHint, undefined, `no GPU found: ${probe}`);
  }
}

/** The first line of an error (with its code, if any): enough to say why an engine failed. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    const first = cause.message.split('\n')[0]!;
    return typeof code === 'string' ? `${code}: ${first}` : first;
  }
  return String(cause);
}
