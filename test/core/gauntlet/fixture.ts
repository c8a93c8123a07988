/**
 * A tiny world for Gauntlet tests: a quadratic loss where every data shard has its own target, so
 * "trained on its assigned data" is measurable, plus helpers that turn a Δ into committed bytes.
 *
 *   loss(θ, S) = mean_{s ∈ S} ½·mean_i (θ_i − t_{s,i})²,   t_s = c + u_s
 *
 * c (common, std 1) is what every shard agrees on; u_s (shard-specific, std 0.5) is what only
 * training on shard s reveals.
 */
import type { ParamLayout } from '../../../core/layout.ts';
import { defineLayout } from '../../../core/layout.ts';
import { createRng } from '../../../core/rng.ts';
import { encodeUpdate } from '../../../core/sparseloco/codec.ts';
import { compress } from '../../../core/sparseloco/compress.ts';
import { resolveSparseLocoConfig } from '../../../core/sparseloco/config.ts';
import type { SparseLocoConfig } from '../../../core/sparseloco/config.ts';
import type { LossOracle } from '../../../core/gauntlet/score.ts';

export const layout: ParamLayout = defineLayout([
  { name: 'w', shape: [8, 8] },
  { name: 'b', shape: [8] },
]);
/** Dense raw-fp32 messages keep the test about scoring, not about compression error. */
export const denseCfg: SparseLocoConfig = resolveSparseLocoConfig({ topK: 64, quantBits: null });
/** The run's default message format (top-64 of 64, 2-bit codes). */
export const defaultCfg: SparseLocoConfig = resolveSparseLocoConfig({});
export const NUM_SHARDS = 8;

const targets: Float32Array[] = (() => {
  const rng = createRng('gauntlet-fixture');
  const common = rng.fork('common').fillNormal(new Float32Array(layout.size), 1);
  return Array.from({ length: NUM_SHARDS }, (_, s) => {
    const t = rng.fork(`shard:${s}`).fillNormal(new Float32Array(layout.size), 0.5);
    for (let i = 0; i < t.length; i++) t[i] = t[i]! + common[i]!;
    return t;
  });
})();

export const quadraticLoss: LossOracle = (params, data) => {
  let total = 0;
  for (const s of data.shards) {
    const t = targets[s]!;
    let l = 0;
    for (let i = 0; i < params.length; i++) l += 0.5 * (params[i]! - t[i]!) ** 2;
    total += l / params.length;
  }
  return total / data.shards.length;
};

/** An honest inner loop on `shards`: θ_end = θ + h·(mean target − θ), Δ = θ − θ_end. */
export function honestDelta(params: Float32Array, shards: readonly number[], h = 0.5): Float32Array {
  const delta = new Float32Array(params.length);
  for (let i = 0; i < params.length; i++) {
    let mean = 0;
    for (const s of shards) mean += targets[s]![i]!;
    mean /= shards.length;
    delta[i] = h * (params[i]! - mean);
  }
  return delta;
}

/** Test hash: FNV-1a over the bytes, hex. */
export { fnv1a as fnvHash } from '../../../core/hash.ts';

/** Compresses Δ with a fresh EF buffer and encodes it. */
export function encodeDelta(delta: Float32Array, cfg: SparseLocoConfig = denseCfg): Uint8Array {
  const update = compress(layout, cfg, new Float32Array(layout.size), delta);
  return encodeUpdate(update, layout);
}
