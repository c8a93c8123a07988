/**
 * How the surrogate trains a low-quality peer (backends/data-quality.ts): the pool it samples
 * from, how many examples of each batch it keeps, and the corruption applied to the batch after
 * it is gathered. The batch stream itself is untouched, so a peer draws the same positions
 * whatever its quality; label noise has its own stream `quality/round:r/peer:p`, the shifted
 * domain its own `quality/shift`.
 */
import type { Rng } from '../../core/rng.ts';
import type { DataQuality } from '../data-quality.ts';

/** Examples the peer's batches are drawn from: only the first `samples` for near-duplicate shards. */
export function qualityPoolSize(quality: DataQuality, poolSize: number): number {
  return quality.kind === 'duplicates' ? Math.min(quality.samples, poolSize) : poolSize;
}

/** Examples of a `batchSize` batch the peer trains on: ⌈keep × B⌉ for short shards. */
export function qualityBatchCount(quality: DataQuality, batchSize: number): number {
  return quality.kind === 'short' ? Math.max(1, Math.ceil(quality.keep * batchSize)) : batchSize;
}

/** The 'shifted' domain's fixed map: a permutation of the input coordinates and an offset (per-coordinate N(0, 1)). */
export interface DomainShift {
  readonly permutation: Int32Array;
  readonly offset: Float32Array;
  /** One example's input, reused. */
  readonly row: Float32Array;
}

/** The shifted domain of `root` (streams `shift/permutation`, `shift/offset`): the same for every peer. */
export function domainShift(root: Rng, inputDim: number): DomainShift {
  const perm = Array.from({ length: inputDim }, (_, i) => i);
  root.fork('shift').fork('permutation').shuffle(perm);
  const offset = new Float32Array(inputDim);
  root.fork('shift').fork('offset').fillNormal(offset, 1);
  return { permutation: Int32Array.from(perm), offset, row: new Float32Array(inputDim) };
}

/**
 * Corrupts examples [0, count) of the batch in place: labels (label noise, `noise` the peer's
 * stream for the round) or inputs (shifted domain, `shift` the direction). MUTATES inputs/labels
 * and `noise`. Both draws of a label are always made, so the stream position per example is fixed.
 */
export function corruptBatch(
  quality: DataQuality,
  inputs: Float32Array,
  labels: Uint16Array,
  count: number,
  inputDim: number,
  numClasses: number,
  noise: Rng | null,
  shift: DomainShift | null,
): void {
  if (quality.kind === 'label-noise') {
    for (let b = 0; b < count; b++) {
      const flip = noise!.next() < quality.rate;
      const noisyClass = noise!.int(0, numClasses - 1);
      if (flip) labels[b] = noisyClass;
    }
  } else if (quality.kind === 'shifted') {
    // x' = P·x + scale·u: the features arrive in other positions (the surrogate's "shuffled
    // characters"), and moved; labels are those of x.
    const { permutation, offset, row } = shift!;
    const s = quality.scale;
    for (let b = 0; b < count; b++) {
      row.set(inputs.subarray(b * inputDim, b * inputDim + inputDim));
      for (let i = 0; i < inputDim; i++) inputs[b * inputDim + i] = row[permutation[i]!]! + s * offset[i]!;
    }
  }
}
