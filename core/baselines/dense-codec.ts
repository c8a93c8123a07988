/**
 * Wire format of the dense baselines (DDP gradients, DiLoCo pseudo-gradients): a small versioned
 * header followed by the values as fp32 or bf16. Decoding validates everything and throws only
 * {@link DenseCodecError}, never returns garbage.
 *
 * Layout (all little-endian), 16-byte header:
 *   0..3   magic "SLDN"
 *   4      version (1)
 *   5      dtype: 0 = fp32, 1 = bf16
 *   6..7   reserved, must be 0
 *   8..11  layout id (u32, ParamLayout.id)
 *   12..15 element count (u32, must equal layout.size)
 *   16..   payload: count × 4 bytes (fp32) or count × 2 bytes (bf16: the upper half of the fp32 bits)
 *
 * bf16 encoding is round-to-nearest-even on the fp32 bit pattern (what torch's `.to(bfloat16)`
 * does): bits + 0x7FFF + ((bits >> 16) & 1), keep the top 16 bits; NaN stays NaN (quiet bit set).
 * Finite values above the bf16 range round to ±Inf, which the decoder then rejects as non-finite.
 */
import { ConfigError, SparseLocoError } from '../errors.ts';
import type { ParamLayout } from '../layout.ts';

export type DenseDtype = 'fp32' | 'bf16';

export type DenseCodecReason =
  | 'truncated'
  | 'bad-magic'
  | 'unsupported-version'
  | 'bad-dtype'
  | 'bad-reserved'
  | 'layout-mismatch'
  | 'length-mismatch'
  | 'size-mismatch'
  | 'non-finite';

/** A dense message failed validation; `reason` is the machine-readable cause. */
export class DenseCodecError extends SparseLocoError {
  override name = 'DenseCodecError';
  constructor(
    readonly reason: DenseCodecReason,
    message: string,
  ) {
    super(`dense message rejected (${reason}): ${message}`);
  }
}

export const DENSE_HEADER_BYTES = 16;
const MAGIC = [0x53, 0x4c, 0x44, 0x4e]; // "SLDN"
const VERSION = 1;
const DTYPE_CODE: Record<DenseDtype, number> = { fp32: 0, bf16: 1 };

// The payload is viewed through typed arrays, which use host byte order; the wire is little-endian.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Bytes per element on the wire. */
export function denseElementBytes(dtype: DenseDtype): number {
  return dtype === 'fp32' ? 4 : 2;
}

/** Size of the payload alone (what a ring all-reduce moves): layout.size × element bytes. */
export function densePayloadBytes(layout: ParamLayout, dtype: DenseDtype): number {
  return layout.size * denseElementBytes(dtype);
}

/** Rounds an fp32 bit pattern to bf16 bits, round-to-nearest-even; NaN stays a (quiet) NaN. */
export function fp32BitsToBf16(bits: number): number {
  const u = bits >>> 0;
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x007fffff) !== 0) return (u >>> 16) | 0x0040;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The fp32 value nearest to `x` in bf16 (round-to-nearest-even), returned as a number. */
export function roundToBf16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0] = fp32BitsToBf16(u[0]!) << 16;
  return f[0]!;
}

/**
 * Encodes `values` (length layout.size) as a dense message. Values are written as given
 * (non-finite ones too: rejecting them is the receiver's job).
 */
export function encodeDense(values: Float32Array, layout: ParamLayout, dtype: DenseDtype = 'fp32'): Uint8Array {
  if (values.length !== layout.size) throw new ConfigError('dense values length', values.length, `must equal the layout size (${layout.size})`);
  if (dtype !== 'fp32' && dtype !== 'bf16') throw new ConfigError('dense dtype', dtype, 'must be "fp32" or "bf16"');
  const n = values.length;
  const out = new Uint8Array(DENSE_HEADER_BYTES + n * denseElementBytes(dtype));
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  out[5] = DTYPE_CODE[dtype];
  view.setUint32(8, layout.id, true);
  view.setUint32(12, n, true);
  const bits = new Uint32Array(values.buffer, values.byteOffset, n);
  if (dtype === 'fp32') {
    if (HOST_IS_LITTLE_ENDIAN) out.set(new Uint8Array(values.buffer, values.byteOffset, n * 4), DENSE_HEADER_BYTES);
    else for (let i = 0; i < n; i++) view.setUint32(DENSE_HEADER_BYTES + 4 * i, bits[i]!, true);
  } else {
    for (let i = 0; i < n; i++) view.setUint16(DENSE_HEADER_BYTES + 2 * i, fp32BitsToBf16(bits[i]!), true);
  }
  return out;
}

/** A decoded dense message. */
export interface DenseMessage {
  readonly dtype: DenseDtype;
  /** fp32 values (bf16 payloads widened exactly). */
  readonly values: Float32Array;
}

/**
 * Decodes and validates a dense message for `layout`. Throws {@link DenseCodecError} on any
 * defect: short buffer, wrong magic/version/dtype/reserved bits, another layout, wrong element
 * count, wrong byte size, or a non-finite value.
 */
export function decodeDense(bytes: Uint8Array, layout: ParamLayout): DenseMessage {
  if (!(bytes instanceof Uint8Array)) throw new DenseCodecError('truncated', 'message is not a byte array');
  if (bytes.length < DENSE_HEADER_BYTES) throw new DenseCodecError('truncated', `${bytes.length} bytes is shorter than the ${DENSE_HEADER_BYTES}-byte header`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) throw new DenseCodecError('bad-magic', 'magic is not "SLDN"');
  if (bytes[4] !== VERSION) throw new DenseCodecError('unsupported-version', `version ${bytes[4]} (supported: ${VERSION})`);
  const dtypeCode = bytes[5]!;
  const dtype: DenseDtype | null = dtypeCode === 0 ? 'fp32' : dtypeCode === 1 ? 'bf16' : null;
  if (dtype === null) throw new DenseCodecError('bad-dtype', `dtype code ${dtypeCode} (0 = fp32, 1 = bf16)`);
  if (bytes[6] !== 0 || bytes[7] !== 0) throw new DenseCodecError('bad-reserved', 'reserved header bytes must be 0');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const layoutId = view.getUint32(8, true);
  if (layoutId !== layout.id) throw new DenseCodecError('layout-mismatch', `layout id ${layoutId} ≠ expected ${layout.id}`);
  const n = view.getUint32(12, true);
  if (n !== layout.size) throw new DenseCodecError('length-mismatch', `element count ${n} ≠ layout size ${layout.size}`);
  const expectedBytes = DENSE_HEADER_BYTES + n * denseElementBytes(dtype);
  if (bytes.length !== expectedBytes) throw new DenseCodecError('size-mismatch', `${bytes.length} bytes ≠ expected ${expectedBytes}`);
  const values = new Float32Array(n);
  if (dtype === 'fp32') {
    if (HOST_IS_LITTLE_ENDIAN) new Uint8Array(values.buffer).set(bytes.subarray(DENSE_HEADER_BYTES));
    else for (let i = 0; i < n; i++) values[i] = view.getFloat32(DENSE_HEADER_BYTES + 4 * i, true);
  } else {
    const bits = new Uint32Array(values.buffer);
    for (let i = 0; i < n; i++) bits[i] = view.getUint16(DENSE_HEADER_BYTES + 2 * i, true) << 16;
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i]!)) throw new DenseCodecError('non-finite', `element ${i} is ${values[i]}`);
  }
  return { dtype, values };
}
