/**
 * A SparseLoCo message as a dense update vector, for the robust aggregators (which work on dense
 * vectors): strict decode, config match, dequantise, scatter to flat positions. Peer bytes never
 * make it throw: a refusal is a reason string.
 */
import { chunkElementIndex } from '../layout.ts';
import type { ParamLayout } from '../layout.ts';
import { CodecError, decodeUpdate } from '../sparseloco/codec.ts';
import { configMismatch } from '../sparseloco/config-match.ts';
import type { SparseLocoConfig } from '../sparseloco/config.ts';
import { dequantise } from '../sparseloco/message.ts';

/**
 * The message as a dense update vector (dequantised values scattered to their flat positions), or
 * the reason it is refused: 'decode:<codec reason>', 'config-mismatch' or 'non-finite'.
 */
export function decodeDense(bytes: Uint8Array, layout: ParamLayout, cfg: SparseLocoConfig): Float32Array | string {
  let update;
  try {
    update = decodeUpdate(bytes, layout);
  } catch (error) {
    if (error instanceof CodecError) return `decode:${error.reason}`;
    return 'decode:internal-error';
  }
  if (configMismatch(update, layout, cfg) !== null) return 'config-mismatch';
  const dense = new Float32Array(layout.size);
  for (let ti = 0; ti < layout.tensors.length; ti++) {
    const t = layout.tensors[ti]!;
    const m = update.tensors[ti]!;
    const values = dequantise(m);
    for (let n = 0; n < values.length; n++) {
      const v = values[n]!;
      if (!Number.isFinite(v)) return 'non-finite';
      dense[chunkElementIndex(t, Math.floor(n / m.kEff), m.indices[n]!)] = v;
    }
  }
  return dense;
}
