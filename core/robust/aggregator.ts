/**
 * The one interface behind which every robust aggregator of dense update vectors sits (mean,
 * coordinate-wise median, trimmed mean, norm clipping, centered clipping, Krum / multi-Krum), so an
 * experiment swaps defences by config and one conformance suite runs against each (after epfml/disco
 * `aggregator/`). Also the shared input checks.
 *
 * Contract of `aggregate`:
 *   - the result depends only on the multiset of (uid, vector) pairs, never on their order: inputs
 *     are processed in ascending uid, so results are bit-identical whatever the arrival order;
 *   - accumulation is in double and rounded once to fp32 per coordinate;
 *   - inputs are read only; `out` (when given, of the vectors' length) receives the result and is
 *     returned;
 *   - vectors are assumed finite (Gauntlet's fast filter runs first): a NaN propagates through the
 *     mean-based rules and sorts last in the order-statistic rules.
 */
import { SparseLocoError } from '../errors.ts';

/** One peer's dense update. */
export interface RobustUpdate {
  readonly uid: number;
  readonly vector: Float32Array;
}

/** A rule that turns n peer updates into one. */
export interface RobustAggregator {
  /** Short identifier for metric rows, e.g. 'trimmed-mean(0.2)'. */
  readonly name: string;
  /** Aggregates `updates` (see the file header for the contract). Throws {@link RobustAggregateError}. */
  aggregate(updates: readonly RobustUpdate[], out?: Float32Array): Float32Array;
}

/** Machine-readable reasons of {@link RobustAggregateError}. */
export type RobustAggregateReason = 'empty' | 'length-mismatch' | 'duplicate-uid' | 'bad-uid' | 'too-few' | 'out-length';

/** An update set an aggregator cannot work on; names the rule that failed. */
export class RobustAggregateError extends SparseLocoError {
  override name = 'RobustAggregateError';
  constructor(
    readonly reason: RobustAggregateReason,
    message: string,
  ) {
    super(`${message} [${reason}]`);
  }
}

/**
 * Validates an update set and returns it sorted by ascending uid with the common vector length.
 * `minCount` lets a rule demand more peers (Krum: n > 2f + 2).
 */
export function prepareUpdates(
  updates: readonly RobustUpdate[],
  out: Float32Array | undefined,
  minCount = 1,
  minCountRule = 'at least one update is required',
): { sorted: RobustUpdate[]; dim: number; out: Float32Array } {
  if (updates.length === 0) throw new RobustAggregateError('empty', 'no updates to aggregate');
  const dim = updates[0]!.vector.length;
  const seen = new Set<number>();
  for (const u of updates) {
    if (!Number.isSafeInteger(u.uid) || u.uid < 0) throw new RobustAggregateError('bad-uid', `uid ${u.uid} is not a non-negative integer`);
    if (seen.has(u.uid)) throw new RobustAggregateError('duplicate-uid', `uid ${u.uid} appears twice`);
    seen.add(u.uid);
    if (!(u.vector instanceof Float32Array) || u.vector.length !== dim) {
      throw new RobustAggregateError('length-mismatch', `update of uid ${u.uid} has length ${u.vector?.length}, expected ${dim}`);
    }
  }
  if (updates.length < minCount) throw new RobustAggregateError('too-few', `${updates.length} updates: ${minCountRule}`);
  const result = out ?? new Float32Array(dim);
  if (result.length !== dim) throw new RobustAggregateError('out-length', `out has length ${result.length}, expected ${dim}`);
  return { sorted: [...updates].sort((a, b) => a.uid - b.uid), dim, out: result };
}

/** ‖v‖₂ accumulated in double. */
export function l2Norm(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** out = Σ_i scale_i · v_i / count, in double, one fp32 rounding per coordinate (ascending order). */
export function weightedMeanInto(out: Float32Array, vectors: readonly Float32Array[], scales: readonly number[], count: number): Float32Array {
  const acc = new Float64Array(out.length);
  for (let k = 0; k < vectors.length; k++) {
    const v = vectors[k]!;
    const s = scales[k]!;
    for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! + s * v[i]!;
  }
  for (let i = 0; i < acc.length; i++) out[i] = acc[i]! / count;
  return out;
}
