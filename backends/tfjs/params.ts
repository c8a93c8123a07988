/**
 * The crossing between the core's flat `Float32Array` parameter vector and tfjs tensors, the only
 * place the two meet: the core never sees a tensor, the model never sees the flat vector.
 *
 * @example
 * const loss = tf.tidy(() => {
 *   const { value, grads } = tf.valueAndGrads((...ws) => objective(namedWeights(layout, ws)))(flatToTensors(tf, layout, theta));
 *   gradientsToFlat(layout, grads, gradOut);
 *   return value.dataSync()[0];
 * });
 */
import type { Tensor } from '@tensorflow/tfjs';
import { assertInvariant } from '../../core/errors.ts';
import type { ParamLayout } from '../../core/layout.ts';
import type { Tf } from './engine.ts';
import type { GptWeights } from './model.ts';

/**
 * One tensor per layout entry, in layout order, holding a copy of that slice of `flat`. The caller
 * owns (disposes) them: create them inside `tf.tidy`.
 */
export function flatToTensors(tf: Tf, layout: ParamLayout, flat: Float32Array): Tensor[] {
  assertInvariant(flat.length === layout.size, `flat vector of ${flat.length} values for a layout of ${layout.size}`);
  // slice(), not subarray(): the cpu engine may keep a reference to the array it is given, and the
  // trainer overwrites the flat vector in place after every step.
  return layout.tensors.map((t) => tf.tensor(flat.slice(t.offset, t.offset + t.size), t.shape as number[], 'float32'));
}

/** Names tensors given in layout order, for the model's `weights[name]` lookups. */
export function namedWeights(layout: ParamLayout, tensors: readonly Tensor[]): GptWeights {
  assertInvariant(tensors.length === layout.tensors.length, `${tensors.length} tensors for a layout of ${layout.tensors.length}`);
  const out: Record<string, Tensor> = {};
  layout.tensors.forEach((t, i) => (out[t.name] = tensors[i]!));
  return out;
}

/** Copies gradients given in layout order into `out` (length layout.size) and returns it. */
export function gradientsToFlat(layout: ParamLayout, grads: readonly Tensor[], out: Float32Array): Float32Array {
  assertInvariant(grads.length === layout.tensors.length, `${grads.length} gradients for a layout of ${layout.tensors.length}`);
  layout.tensors.forEach((t, i) => {
    const g = grads[i]!;
    assertInvariant(g.size === t.size, `gradient of "${t.name}" has ${g.size} values, expected ${t.size}`);
    out.set(g.dataSync() as Float32Array, t.offset);
  });
  return out;
}

/**
 * {@link gradientsToFlat} reading each gradient asynchronously (`data()`): the only way to read an
 * engine without synchronous readback (webgpu on Node).
 */
export async function gradientsToFlatAsync(layout: ParamLayout, grads: readonly Tensor[], out: Float32Array): Promise<Float32Array> {
  assertInvariant(grads.length === layout.tensors.length, `${grads.length} gradients for a layout of ${layout.tensors.length}`);
  for (let i = 0; i < grads.length; i++) {
    const t = layout.tensors[i]!;
    const g = grads[i]!;
    assertInvariant(g.size === t.size, `gradient of "${t.name}" has ${g.size} values, expected ${t.size}`);
    out.set((await g.data()) as Float32Array, t.offset);
  }
  return out;
}
