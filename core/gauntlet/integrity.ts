/**
 * Gauntlet's fast filter (SPEC.md §5 "Fast filter first"): the cheap checks every submission passes
 * before the validator spends a loss evaluation on it. One submission in, one typed verdict out;
 * peer input never makes it throw — a bad payload is *data* (a reason the round records), not an
 * exception.
 *
 * Checks, cheapest first (the first failing one is reported):
 *   1. 'missing'         — no object in the store for this round (bytes null).
 *   2. 'late'            — the upload completed after the window's end (arrivedAt > windowEnd).
 *   3. 'hash-mismatch'   — no commitment was posted, or hash(bytes) differs from the committed hash.
 *   4. 'stale'           — the update was computed from an older (or a future) global step.
 *   5. 'decode'          — the strict wire decoder rejected the bytes (carries the CodecError reason:
 *                          truncated, bad magic/version, index out of range, duplicate index, …).
 *   6. 'config-mismatch' — decodes, but with a value coding or per-tensor kEff other than the run's
 *                          (`configMismatch`, core/sparseloco/config-match.ts).
 *   7. 'non-finite'      — a dequantised value (lut + mean, in fp32) is NaN or ±Inf.
 *   8. 'norm-bound'      — a tensor's L2 norm of dequantised values exceeds its bound.
 *
 * Freshness: the wire message carries no round or step, so freshness travels in the commitment.
 * A peer commits `{ hash, baseStep }` where `baseStep` is the global step (number of outer steps
 * applied) of the θ it started its inner loop from. Because the commitment is posted on chain
 * before the window closes and `hash` binds the bytes, a peer cannot re-label an old upload without
 * also committing a false `baseStep`, which the sync check (SPEC.md §5, parameter sample) then
 * catches. An update is fresh iff globalStep − maxStepsBehind ≤ baseStep ≤ globalStep.
 *
 * @example
 * const verdict = checkSubmission(
 *   { bytes, commitment: { hash: 'ab12…', baseStep: 41 }, arrivedAt: 38.5 },
 *   { layout, cfg, hash: sha256Hex, windowEnd: 40, globalStep: 41 },
 * );
 * if (!verdict.ok) record(verdict.reason, verdict.detail);
 */
import { ConfigError } from '../errors.ts';
import type { ParamLayout } from '../layout.ts';
import { CodecError, decodeUpdate } from '../sparseloco/codec.ts';
import type { CodecErrorReason } from '../sparseloco/codec.ts';
import { configMismatch } from '../sparseloco/config-match.ts';
import type { SparseLocoConfig } from '../sparseloco/config.ts';
import { dequantise } from '../sparseloco/message.ts';
import type { CompressedUpdate } from '../sparseloco/message.ts';

/** Why a submission failed the fast filter. */
export type IntegrityReason =
  | 'missing'
  | 'late'
  | 'hash-mismatch'
  | 'stale'
  | 'decode'
  | 'config-mismatch'
  | 'non-finite'
  | 'norm-bound';

/** What a peer posted on chain for a round: a hash of its upload and the step it started from. */
export interface Commitment {
  /** Hash of the uploaded bytes, in whatever encoding the injected `hash` function returns. */
  readonly hash: string;
  /** Global step (outer steps applied) of the θ the peer's inner loop started from. */
  readonly baseStep: number;
}

/** One peer's submission as the validator finds it. */
export interface SubmissionEvidence {
  /** The object read from the store, or null when there was none. */
  readonly bytes: Uint8Array | null;
  /** The commitment posted on chain, or null when none was posted. */
  readonly commitment: Commitment | null;
  /** When the upload completed (seconds, the caller's clock); null when unknown. */
  readonly arrivedAt: number | null;
}

/**
 * Per-tensor upper bounds on the L2 norm of the dequantised values: one number for every tensor,
 * or one per layout tensor (e.g. k × the round's median norms, see {@link medianNormBounds}).
 */
export type NormBound = number | readonly number[];

/** The round facts a submission is checked against. */
export interface IntegrityContext {
  readonly layout: ParamLayout;
  readonly cfg: SparseLocoConfig;
  /** Hash function of the commitment scheme (injected: core does no crypto or I/O). */
  readonly hash: (bytes: Uint8Array) => string;
  /** End of the upload window (seconds, same clock as arrivedAt); arrival at windowEnd is on time. */
  readonly windowEnd: number;
  /** Current global step: an update must start from it (or from maxStepsBehind steps earlier). */
  readonly globalStep: number;
  /** Tolerated staleness in outer steps (default 0: only the current global step is fresh). */
  readonly maxStepsBehind?: number;
  /** Optional per-tensor norm bounds; omitted ⇒ no norm check. */
  readonly normBound?: NormBound;
}

/** A submission that passed: its decoded update and the per-tensor norms (reused by callers). */
export interface IntegrityPass {
  readonly ok: true;
  readonly update: CompressedUpdate;
  /** L2 norm of each tensor's dequantised values, layout order. */
  readonly tensorNorms: readonly number[];
}

/** A submission that failed, with the typed reason and a human detail. */
export interface IntegrityFailure {
  readonly ok: false;
  readonly reason: IntegrityReason;
  /** The wire decoder's reason when `reason` is 'decode' ('internal-error' for a decoder bug). */
  readonly codecReason?: CodecErrorReason | 'internal-error';
  readonly detail: string;
}

export type IntegrityVerdict = IntegrityPass | IntegrityFailure;

/**
 * Runs the fast filter on one submission. Never throws on peer input; throws
 * {@link ConfigError} only for a bad `context` (the validator's own configuration).
 */
export function checkSubmission(submission: SubmissionEvidence, context: IntegrityContext): IntegrityVerdict {
  const maxStepsBehind = checkContext(context);
  const { bytes, commitment, arrivedAt } = submission;
  if (!(bytes instanceof Uint8Array)) return fail('missing', 'no object in the store for this round');
  if (typeof arrivedAt !== 'number' || !Number.isFinite(arrivedAt)) {
    return fail('late', `arrival time ${String(arrivedAt)} is unknown`);
  }
  if (arrivedAt > context.windowEnd) return fail('late', `arrived at ${arrivedAt}, after window end ${context.windowEnd}`);
  if (commitment === null || typeof commitment !== 'object') return fail('hash-mismatch', 'no commitment was posted');
  const actual = context.hash(bytes);
  if (actual !== commitment.hash) {
    return fail('hash-mismatch', `hash of the ${bytes.length} uploaded bytes (${actual}) differs from the commitment (${String(commitment.hash)})`);
  }
  const staleness = checkFreshness(commitment.baseStep, context.globalStep, maxStepsBehind);
  if (staleness !== null) return fail('stale', staleness);

  let update: CompressedUpdate;
  try {
    update = decodeUpdate(bytes, context.layout);
  } catch (error) {
    if (error instanceof CodecError) return { ok: false, reason: 'decode', codecReason: error.reason, detail: error.message };
    // The decoder promises CodecError only; anything else is a decoder bug, but the validator must
    // still not crash on a peer's bytes, so it is recorded as a rejection with its own code.
    return { ok: false, reason: 'decode', codecReason: 'internal-error', detail: String(error) };
  }
  const mismatch = configMismatch(update, context.layout, context.cfg);
  if (mismatch !== null) return fail('config-mismatch', mismatch);

  const norms: number[] = [];
  for (let ti = 0; ti < context.layout.tensors.length; ti++) {
    const name = context.layout.tensors[ti]!.name;
    const values = dequantise(update.tensors[ti]!);
    let sumSq = 0;
    for (let n = 0; n < values.length; n++) {
      const v = values[n]!;
      if (!Number.isFinite(v)) return fail('non-finite', `tensor "${name}" entry ${n} dequantises to ${v}`);
      sumSq += v * v;
    }
    norms.push(Math.sqrt(sumSq));
  }
  if (context.normBound !== undefined) {
    const over = exceededNormBound(context.layout, norms, context.normBound);
    if (over !== null) return fail('norm-bound', over);
  }
  return { ok: true, update, tensorNorms: norms };
}

/**
 * The first tensor whose norm exceeds its bound, as a detail string, or null when all are within.
 * Exported so a caller that learns the bounds only after decoding everyone (k × median) can apply
 * them to the norms of an {@link IntegrityPass}.
 */
export function exceededNormBound(layout: ParamLayout, tensorNorms: readonly number[], bound: NormBound): string | null {
  for (let ti = 0; ti < layout.tensors.length; ti++) {
    const limit = typeof bound === 'number' ? bound : bound[ti]!;
    const norm = tensorNorms[ti]!;
    if (norm > limit) return `tensor "${layout.tensors[ti]!.name}" norm ${norm} exceeds its bound ${limit}`;
  }
  return null;
}

/**
 * Per-tensor bounds = multiple × the lower median (torch.median, as SPEC.md §3) of the given
 * peers' non-zero tensor norms. Zero norms are left out: an all-zero update carries no
 * information, and counting them would let ≥ 50 % free-riders drive the bound to 0 and reject
 * every honest peer (seen in the byzantine experiment). Returns null when `norms` is empty; a
 * tensor where every norm is 0 gets an infinite bound (nothing to compare against).
 */
export function medianNormBounds(norms: readonly (readonly number[])[], multiple: number): number[] | null {
  if (!(multiple > 0) || !Number.isFinite(multiple)) throw new ConfigError('normBoundMultiple', multiple, 'must be a finite number > 0');
  if (norms.length === 0) return null;
  const tensors = norms[0]!.length;
  const bounds: number[] = [];
  for (let ti = 0; ti < tensors; ti++) {
    const column = norms.map((n) => n[ti]!).filter((x) => x > 0).sort((a, b) => a - b);
    bounds.push(column.length === 0 ? Infinity : multiple * column[Math.floor((column.length - 1) / 2)]!);
  }
  return bounds;
}

function checkFreshness(baseStep: unknown, globalStep: number, maxStepsBehind: number): string | null {
  if (typeof baseStep !== 'number' || !Number.isSafeInteger(baseStep) || baseStep < 0) {
    return `committed base step ${String(baseStep)} is not a non-negative integer`;
  }
  if (baseStep > globalStep) return `committed base step ${baseStep} is ahead of the global step ${globalStep}`;
  if (globalStep - baseStep > maxStepsBehind) {
    return `computed from step ${baseStep}, ${globalStep - baseStep} behind the global step ${globalStep} (at most ${maxStepsBehind} allowed)`;
  }
  return null;
}

function checkContext(context: IntegrityContext): number {
  const maxStepsBehind = context.maxStepsBehind ?? 0;
  if (!Number.isSafeInteger(maxStepsBehind) || maxStepsBehind < 0) {
    throw new ConfigError('maxStepsBehind', maxStepsBehind, 'must be an integer ≥ 0');
  }
  if (!Number.isSafeInteger(context.globalStep) || context.globalStep < 0) {
    throw new ConfigError('globalStep', context.globalStep, 'must be an integer ≥ 0');
  }
  if (typeof context.windowEnd !== 'number' || Number.isNaN(context.windowEnd)) {
    throw new ConfigError('windowEnd', context.windowEnd, 'must be a number');
  }
  const bound = context.normBound;
  if (bound !== undefined) {
    const list = typeof bound === 'number' ? [bound] : bound;
    if (typeof bound !== 'number' && bound.length !== context.layout.tensors.length) {
      throw new ConfigError('normBound.length', bound.length, `must equal the number of tensors (${context.layout.tensors.length})`);
    }
    for (const b of list) if (!(b >= 0)) throw new ConfigError('normBound', b, 'must be ≥ 0');
  }
  return maxStepsBehind;
}

function fail(reason: IntegrityReason, detail: string): IntegrityFailure {
  return { ok: false, reason, detail };
}
