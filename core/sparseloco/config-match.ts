/**
 * The one rule for "this decoded message was made under the run's configuration" (SPEC.md §2):
 * the same value coding (quantisation bits) and, per tensor, k = effectiveTopK(cfg.topK, chunkLen).
 * The communicator's `apply`, Gauntlet's fast filter and the simulator's dense decoder all ask it.
 * Why it matters: a peer sending a larger k would buy itself a bigger share of the sparse mean;
 * a smaller k or other bits is not what the run agreed.
 *
 * @example
 * const mismatch = configMismatch(decodeUpdate(bytes, layout), layout, cfg);
 * if (mismatch !== null) reject('config-mismatch', mismatch);
 */
import type { ParamLayout } from '../layout.ts';
import { effectiveTopK } from './config.ts';
import type { SparseLocoConfig } from './config.ts';
import type { CompressedUpdate } from './message.ts';

/**
 * Why `update` does not match `cfg` (the first difference, value coding before tensors, as a
 * human detail naming both values), or null when it matches. `update` must be decoded against
 * `layout` (one compressed tensor per layout tensor).
 */
export function configMismatch(update: CompressedUpdate, layout: ParamLayout, cfg: Pick<SparseLocoConfig, 'quantBits' | 'topK'>): string | null {
  if (update.quantBits !== cfg.quantBits) {
    return `value coding ${String(update.quantBits)} bits differs from the run's ${String(cfg.quantBits)}`;
  }
  for (let ti = 0; ti < layout.tensors.length; ti++) {
    const t = layout.tensors[ti]!;
    const expected = effectiveTopK(cfg.topK, t.chunk.chunkLen);
    const got = update.tensors[ti]!.kEff;
    if (got !== expected) return `tensor "${t.name}" kEff ${got} differs from the run's ${expected}`;
  }
  return null;
}
