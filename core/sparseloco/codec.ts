/**
 * The versioned binary wire format of one peer's SparseLoCo message ({@link CompressedUpdate}),
 * and its strict decoder. The encoded length is the exact byte count the simulator charges.
 *
 * All multi-byte fields are little-endian; all bit fields are LSB-first (bit i of a section is
 * bit i mod 8 of byte ⌊i/8⌋). Every section starts on a byte boundary.
 *
 * Message header (16 bytes):
 * | offset | size | field                                                            |
 * |-------:|-----:|------------------------------------------------------------------|
 * |      0 |    4 | magic "SLCO" (0x53 0x4C 0x43 0x4F)                               |
 * |      4 |    1 | version u8 = 1                                                   |
 * |      5 |    1 | index coding u8: 0 = packed12, 1 = rice                          |
 * |      6 |    1 | value coding u8: 1, 2, 4, 8 = quantised code bits; 0 = raw fp32  |
 * |      7 |    1 | reserved u8, must be 0                                           |
 * |      8 |    4 | layoutId u32 (must equal layout.id)                              |
 * |     12 |    4 | tensor count u32 (must equal layout.tensors.length)              |
 *
 * Then one record per layout tensor, in layout order (N = numChunks · kEff entries, bins = 2^bits):
 * | size                | field                                                              |
 * |--------------------:|--------------------------------------------------------------------|
 * |                   4 | kEff u32, 1 ≤ kEff ≤ chunkLen                                      |
 * |                   4 | indexBytes u32: length of the index section                        |
 * |  4 (quantised only) | mean f32 (finite)                                                  |
 * |  4 (quantised only) | scale f32 (finite, > 0)                                            |
 * | 4·bins (quantised)  | lut f32 × bins (finite)                                            |
 * |          indexBytes | index section (below)                                              |
 * | ⌈N·bits/8⌉ or 4·N   | value section: packed codes, or raw f32 values                     |
 *
 * Index section, packed12 (SPEC.md §2.3 exactly): the N indices chunk-major, in message order;
 * pairs (a, b) → byte0 = a & 0xFF, byte1 = ((a >> 8) & 0x0F) | ((b & 0x0F) << 4),
 * byte2 = (b >> 4) & 0xFF. An odd N (only possible for chunks of one element) pads the last pair
 * with b = 0, which the decoder requires. indexBytes must be exactly 3·⌈N/2⌉.
 *
 * Index section, rice (SPEC.md §8): each chunk in turn, as rice.ts describes (4-bit parameter,
 * then Golomb–Rice gaps of the ascending indices); zero bits pad the tensor's stream to a byte
 * boundary and indexBytes must be exactly ⌈bits/8⌉. Indices decode ascending per chunk; an encoder
 * given unsorted chunks writes them sorted and permutes codes/values with them (same message).
 *
 * Value section: code n sits at bits (n mod (8/bits))·bits of byte ⌊n·bits/8⌋ (2-bit codes: four
 * per byte, little end first). Bits after the last code must be zero, so every message has exactly
 * one encoding per index coding (packed12: decode → encode gives the same bytes back).
 * Raw values: f32 each; NaN and ±Inf are rejected on both sides.
 *
 * The decoder validates every field, length, index (range and uniqueness per chunk), padding and
 * float, and throws only {@link CodecError}, whatever the input bytes.
 *
 * @example
 * const bytes = encodeUpdate(update, layout, { indexCoding: 'rice' });
 * const same = decodeUpdate(bytes, layout); // deep-equals update (indices ascending per chunk)
 */
import { SparseLocoError } from '../errors.ts';
import type { ParamLayout, TensorLayout } from '../layout.ts';
import type { IndexCoding, QuantBits } from './config.ts';
import type { CompressedTensor, CompressedUpdate, QuantParams } from './message.ts';
import { BitReader, BitWriter } from './bitio.ts';
import { chooseRiceParameter, readRiceChunk, riceChunkBits, writeRiceChunk } from './rice.ts';
import type { RiceFault } from './rice.ts';

/** Machine-readable cause of a {@link CodecError}. */
export type CodecErrorReason =
  | 'bad-input' // not a Uint8Array / unknown encoder option
  | 'truncated' // the bytes end before a field or section does
  | 'bad-magic'
  | 'bad-version'
  | 'bad-index-coding'
  | 'bad-value-coding' // unknown code width, or a tensor's values disagree with the message's
  | 'bad-reserved' // a reserved byte is not 0
  | 'layout-mismatch' // layout id or tensor count differ from the receiver's layout
  | 'bad-k' // kEff outside [1, chunkLen]
  | 'bad-length' // a length field or array length disagrees with what kEff and the layout imply
  | 'index-out-of-range'
  | 'duplicate-index'
  | 'bad-code' // a code ≥ bins (encoder side; the wire cannot hold one)
  | 'bad-padding' // non-zero bits after the last index pair, code or Rice gap
  | 'bad-rice-parameter'
  | 'non-finite' // NaN or ±Inf in mean, scale, lut or a raw value
  | 'not-fp32' // a mean or scale that f32 cannot hold exactly (encoder side)
  | 'bad-scale' // scale ≤ 0
  | 'trailing-bytes';

/** A message that cannot be encoded or decoded. Names the tensor, chunk and bad value. */
export class CodecError extends SparseLocoError {
  override name = 'CodecError';
  constructor(
    readonly reason: CodecErrorReason,
    message: string,
    /** Tensor name, when the fault is inside one tensor's record. */
    readonly tensor?: string,
    /** Chunk number within that tensor, when the fault is inside one chunk. */
    readonly chunk?: number,
  ) {
    super(`${where(tensor, chunk)}${message} [${reason}]`);
  }
}

function where(tensor: string | undefined, chunk: number | undefined): string {
  if (tensor === undefined) return '';
  return chunk === undefined ? `tensor "${tensor}": ` : `tensor "${tensor}" chunk ${chunk}: `;
}

/** Wire format version written by {@link encodeUpdate}; the decoder accepts only this one. */
export const CODEC_VERSION = 1;
const MAGIC = [0x53, 0x4c, 0x43, 0x4f]; // "SLCO"
/** Message header: magic, version, index coding, quant bits, flags, layout id, tensor count. */
export const HEADER_BYTES = 16;
/** Per-tensor header: kEff u32 + indexBytes u32. */
export const TENSOR_HEADER_BYTES = 8;
const INDEX_CODINGS: readonly IndexCoding[] = ['packed12', 'rice'];
/** Within-chunk index sort key = index · 2^12 + position in chunk (both < 4096). */
const KEY_SHIFT = 12;

/** The fixed header fields of an encoded message. */
export interface UpdateHeader {
  readonly version: number;
  readonly indexCoding: IndexCoding;
  /** Code bits, or null for raw fp32 values. */
  readonly quantBits: QuantBits | null;
  readonly layoutId: number;
  readonly tensorCount: number;
}

/** Little-endian hosts (every Node target) can memcpy f32 arrays instead of a DataView loop. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reads and checks the 16-byte header only (magic, version, codings, reserved byte), e.g. to route
 * a message by layout id before decoding it. Throws {@link CodecError}.
 */
export function peekHeader(bytes: Uint8Array): UpdateHeader {
  if (!(bytes instanceof Uint8Array)) throw new CodecError('bad-input', `expected a Uint8Array, got ${typeof bytes}`);
  if (bytes.length < HEADER_BYTES) {
    throw new CodecError('truncated', `${bytes.length} bytes is shorter than the ${HEADER_BYTES}-byte header`);
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) {
      throw new CodecError('bad-magic', `magic bytes [${Array.from(bytes.subarray(0, 4)).join(', ')}] are not "SLCO"`);
    }
  }
  if (bytes[4] !== CODEC_VERSION) throw new CodecError('bad-version', `version ${bytes[4]} is not ${CODEC_VERSION}`);
  const indexCoding = INDEX_CODINGS[bytes[5]!];
  if (indexCoding === undefined) throw new CodecError('bad-index-coding', `index coding ${bytes[5]} is not 0 (packed12) or 1 (rice)`);
  const valueCoding = bytes[6]!;
  if (valueCoding !== 0 && valueCoding !== 1 && valueCoding !== 2 && valueCoding !== 4 && valueCoding !== 8) {
    throw new CodecError('bad-value-coding', `value coding ${valueCoding} is not 0 (raw fp32), 1, 2, 4 or 8`);
  }
  if (bytes[7] !== 0) throw new CodecError('bad-reserved', `reserved byte 7 is ${bytes[7]}, must be 0`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    version: CODEC_VERSION,
    indexCoding,
    quantBits: valueCoding === 0 ? null : valueCoding,
    layoutId: view.getUint32(8, true),
    tensorCount: view.getUint32(12, true),
  };
}

// ─── Encoder ─────────────────────────────────────────────────────────────────────────────────────

/** Options of {@link encodeUpdate}. */
export interface EncodeOptions {
  /** Index section coding (default 'packed12', the run's format). */
  readonly indexCoding?: IndexCoding;
}

/** How one tensor's record will be written: computed before allocating the exact-size output. */
interface TensorPlan {
  /** Indices in wire order: the message's own (packed12, or rice when already ascending) or sorted. */
  readonly indices: Uint16Array;
  /** Wire entry n carries message entry perm[n]; null = identity. */
  readonly perm: Int32Array | null;
  /** Rice parameter per chunk (rice only). */
  readonly riceParams: Uint8Array | null;
  readonly indexBytes: number;
  readonly valueBytes: number;
}

/**
 * Encodes `update` for `layout`. Validates the message first (layout id, lengths, index range and
 * uniqueness, codes < bins, finite fp32 floats, scale > 0) and throws {@link CodecError}.
 * The output is allocated once at its exact length.
 *
 * @example
 * const bytes = encodeUpdate(update, layout); // packed12
 * bytes.length; // bytes on the wire
 */
export function encodeUpdate(update: CompressedUpdate, layout: ParamLayout, options: EncodeOptions = {}): Uint8Array {
  const indexCoding = options.indexCoding ?? 'packed12';
  const codingId = INDEX_CODINGS.indexOf(indexCoding);
  if (codingId < 0) throw new CodecError('bad-input', `index coding ${JSON.stringify(indexCoding)} is not "packed12" or "rice"`);
  const bits = update.quantBits;
  if (bits !== null && bits !== 1 && bits !== 2 && bits !== 4 && bits !== 8) {
    throw new CodecError('bad-value-coding', `quantBits ${String(bits)} is not 1, 2, 4, 8 or null`);
  }
  if (update.layoutId !== layout.id) {
    throw new CodecError('layout-mismatch', `message layoutId ${update.layoutId} is not the layout's id ${layout.id}`);
  }
  if (update.tensors.length !== layout.tensors.length) {
    throw new CodecError('layout-mismatch', `message has ${update.tensors.length} tensors, the layout ${layout.tensors.length}`);
  }

  const marker = new ChunkMarker(maxChunkLen(layout));
  const plans: TensorPlan[] = [];
  let total = HEADER_BYTES;
  for (let ti = 0; ti < layout.tensors.length; ti++) {
    const spec = layout.tensors[ti]!;
    const t = update.tensors[ti]!;
    const ascending = validateTensor(t, spec, bits, marker);
    const plan = indexCoding === 'rice' ? planRice(t, spec, bits, ascending) : planPacked12(t, bits);
    plans.push(plan);
    total += TENSOR_HEADER_BYTES + quantParamBytes(bits) + plan.indexBytes + plan.valueBytes;
  }

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = CODEC_VERSION;
  out[5] = codingId;
  out[6] = bits ?? 0;
  view.setUint32(8, layout.id, true);
  view.setUint32(12, layout.tensors.length, true);
  let pos = HEADER_BYTES;
  for (let ti = 0; ti < layout.tensors.length; ti++) {
    const t = update.tensors[ti]!;
    const plan = plans[ti]!;
    view.setUint32(pos, t.kEff, true);
    view.setUint32(pos + 4, plan.indexBytes, true);
    pos += TENSOR_HEADER_BYTES;
    if (t.quant !== null) pos = writeQuantParams(view, pos, t.quant);
    if (plan.riceParams !== null) writeRiceSection(out, pos, plan.indices, t.kEff, plan.riceParams);
    else writePacked12(out, pos, plan.indices);
    pos += plan.indexBytes;
    if (bits === null) writeRawValues(out, view, pos, t.values!, plan.perm);
    else writeCodes(out, pos, t.codes, bits, plan.perm);
    pos += plan.valueBytes;
  }
  return out;
}

function maxChunkLen(layout: ParamLayout): number {
  let max = 1;
  for (const t of layout.tensors) max = Math.max(max, t.chunk.chunkLen);
  return max;
}

/** A tensor's quantisation parameters on the wire: mean, scale and lut[2^bits], f32 each; none for raw fp32 values. */
export function quantParamBytes(bits: QuantBits | null): number {
  return bits === null ? 0 : 4 * (2 + (1 << bits));
}

/** A tensor's value section for `n` values: `bits`-bit codes packed to bytes, or raw fp32. */
export function valueSectionBytes(bits: QuantBits | null, n: number): number {
  return bits === null ? 4 * n : Math.ceil((n * bits) / 8);
}

/** A tensor's packed12 index section for `n` indices: two 12-bit indices per 3 bytes. */
export function packed12IndexBytes(n: number): number {
  return 3 * Math.ceil(n / 2);
}

/**
 * Checks one tensor of an outgoing message against its layout entry. Returns whether every
 * chunk's indices are strictly ascending (rice can then write them without sorting).
 */
function validateTensor(t: CompressedTensor, spec: TensorLayout, bits: QuantBits | null, marker: ChunkMarker): boolean {
  const name = spec.name;
  if (typeof t !== 'object' || t === null) throw new CodecError('bad-input', `tensor record is ${String(t)}`, name);
  const { chunkLen, numChunks } = spec.chunk;
  const k = t.kEff;
  if (!Number.isInteger(k) || k < 1 || k > chunkLen) {
    throw new CodecError('bad-k', `kEff ${k} is not an integer in [1, chunkLen ${chunkLen}]`, name);
  }
  const n = numChunks * k;
  if (!(t.indices instanceof Uint16Array) || t.indices.length !== n) {
    throw new CodecError('bad-length', `indices length ${t.indices?.length} is not numChunks ${numChunks} × kEff ${k} = ${n}`, name);
  }
  if (bits === null) {
    if (t.quant !== null || !(t.values instanceof Float32Array) || t.codes?.length !== 0) {
      throw new CodecError('bad-value-coding', 'a raw-fp32 message needs values, no quant and no codes', name);
    }
    if (t.values.length !== n) throw new CodecError('bad-length', `values length ${t.values.length} is not ${n}`, name);
    checkFiniteValues(t.values, k, name);
  } else {
    if (t.quant === null || t.values !== null || !(t.codes instanceof Uint8Array)) {
      throw new CodecError('bad-value-coding', `a ${bits}-bit message needs codes and quant params, no values`, name);
    }
    checkQuantParams(t.quant, bits, name, true);
    if (t.codes.length !== n) throw new CodecError('bad-length', `codes length ${t.codes.length} is not ${n}`, name);
    const bins = 1 << bits;
    for (let i = 0; i < n; i++) {
      if (t.codes[i]! >= bins) {
        throw new CodecError('bad-code', `code ${t.codes[i]} at entry ${i % k} is ≥ bins ${bins}`, name, Math.floor(i / k));
      }
    }
  }
  return checkChunkIndices(t.indices, k, numChunks, chunkLen, name, marker);
}

/** Per chunk: every index < chunkLen and no repeats. Returns whether all chunks ascend strictly. */
function checkChunkIndices(
  indices: Uint16Array,
  k: number,
  numChunks: number,
  chunkLen: number,
  name: string,
  marker: ChunkMarker,
): boolean {
  let ascending = true;
  for (let c = 0, base = 0; c < numChunks; c++, base += k) {
    const stamp = marker.nextChunk();
    const seen = marker.seen;
    let prev = -1;
    for (let n = base; n < base + k; n++) {
      const idx = indices[n]!;
      if (idx >= chunkLen) {
        throw new CodecError('index-out-of-range', `index ${idx} at entry ${n - base} is ≥ chunkLen ${chunkLen}`, name, c);
      }
      if (seen[idx] === stamp) throw new CodecError('duplicate-index', `index ${idx} appears twice`, name, c);
      seen[idx] = stamp;
      if (idx <= prev) ascending = false;
      prev = idx;
    }
  }
  return ascending;
}

function checkFiniteValues(values: Float32Array, k: number, name: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw new CodecError('non-finite', `value ${values[i]} at entry ${i % k} is not finite`, name, Math.floor(i / k));
    }
  }
}

/** Mean and scale finite (and exact fp32 when encoding), scale > 0, lut of `bins` finite floats. */
function checkQuantParams(q: QuantParams, bits: QuantBits, name: string, encoding: boolean): void {
  const bins = 1 << bits;
  for (const [field, v] of [['mean', q.mean], ['scale', q.scale]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new CodecError('non-finite', `${field} ${v} is not finite`, name);
    if (encoding && Math.fround(v) !== v) throw new CodecError('not-fp32', `${field} ${v} is not an fp32 value`, name);
  }
  if (!(q.scale > 0)) throw new CodecError('bad-scale', `scale ${q.scale} is not > 0`, name);
  if (!(q.lut instanceof Float32Array) || q.lut.length !== bins) {
    throw new CodecError('bad-length', `lut length ${q.lut?.length} is not bins ${bins}`, name);
  }
  for (let b = 0; b < bins; b++) {
    if (!Number.isFinite(q.lut[b]!)) throw new CodecError('non-finite', `lut[${b}] ${q.lut[b]} is not finite`, name);
  }
}

function planPacked12(t: CompressedTensor, bits: QuantBits | null): TensorPlan {
  const n = t.indices.length;
  return { indices: t.indices, perm: null, riceParams: null, indexBytes: packed12IndexBytes(n), valueBytes: valueSectionBytes(bits, n) };
}

/** Sorts unsorted chunks (with the permutation for codes/values), picks p per chunk, sizes the stream. */
function planRice(t: CompressedTensor, spec: TensorLayout, bits: QuantBits | null, ascending: boolean): TensorPlan {
  const k = t.kEff;
  const { numChunks } = spec.chunk;
  let indices = t.indices;
  let perm: Int32Array | null = null;
  if (!ascending) ({ indices, perm } = sortChunks(t.indices, k, numChunks));
  const riceParams = new Uint8Array(numChunks);
  let totalBits = 0;
  for (let c = 0, base = 0; c < numChunks; c++, base += k) {
    const p = chooseRiceParameter(indices, base, k);
    riceParams[c] = p;
    totalBits += riceChunkBits(indices, base, k, p);
  }
  return { indices, perm, riceParams, indexBytes: Math.ceil(totalBits / 8), valueBytes: valueSectionBytes(bits, indices.length) };
}

/** Each chunk's indices ascending, and perm[n] = the message entry that lands at wire entry n. */
function sortChunks(indices: Uint16Array, k: number, numChunks: number): { indices: Uint16Array; perm: Int32Array } {
  const keys = new Int32Array(indices.length);
  for (let c = 0, base = 0; c < numChunks; c++, base += k) {
    for (let j = 0; j < k; j++) keys[base + j] = (indices[base + j]! << KEY_SHIFT) | j;
    keys.subarray(base, base + k).sort();
  }
  const sorted = new Uint16Array(indices.length);
  const perm = new Int32Array(indices.length);
  const low = (1 << KEY_SHIFT) - 1;
  for (let c = 0, base = 0; c < numChunks; c++, base += k) {
    for (let j = base; j < base + k; j++) {
      sorted[j] = keys[j]! >> KEY_SHIFT;
      perm[j] = base + (keys[j]! & low);
    }
  }
  return { indices: sorted, perm };
}

function writeQuantParams(view: DataView, pos: number, q: QuantParams): number {
  view.setFloat32(pos, q.mean, true);
  view.setFloat32(pos + 4, q.scale, true);
  pos += 8;
  for (let b = 0; b < q.lut.length; b++, pos += 4) view.setFloat32(pos, q.lut[b]!, true);
  return pos;
}

/** SPEC.md §2.3 pair packing; an odd count pads with b = 0. Indices were checked < 4096. */
function writePacked12(out: Uint8Array, pos: number, indices: Uint16Array): void {
  const n = indices.length;
  let i = 0;
  for (; i + 1 < n; i += 2, pos += 3) {
    const a = indices[i]!;
    const b = indices[i + 1]!;
    out[pos] = a & 0xff;
    out[pos + 1] = ((a >> 8) & 0x0f) | ((b & 0x0f) << 4);
    out[pos + 2] = (b >> 4) & 0xff;
  }
  if (i < n) {
    const a = indices[i]!;
    out[pos] = a & 0xff;
    out[pos + 1] = (a >> 8) & 0x0f;
  }
}

function writeRiceSection(out: Uint8Array, pos: number, sorted: Uint16Array, k: number, riceParams: Uint8Array): void {
  const w = new BitWriter(out, pos);
  for (let c = 0, base = 0; c < riceParams.length; c++, base += k) writeRiceChunk(w, sorted, base, k, riceParams[c]!);
  w.flush();
}

/** b-bit codes, 8/b per byte, code n at bit (n mod 8/b)·b of byte ⌊n·b/8⌋; output is zeroed. */
function writeCodes(out: Uint8Array, pos: number, codes: Uint8Array, bits: QuantBits, perm: Int32Array | null): void {
  const n = codes.length;
  if (bits === 8) {
    if (perm === null) out.set(codes, pos);
    else for (let i = 0; i < n; i++) out[pos + i] = codes[perm[i]!]!;
    return;
  }
  const perByteLog = 3 - Math.log2(bits); // log2(codes per byte)
  const slotMask = (1 << perByteLog) - 1;
  for (let i = 0; i < n; i++) {
    const code = perm === null ? codes[i]! : codes[perm[i]!]!;
    out[pos + (i >> perByteLog)]! |= code << ((i & slotMask) * bits);
  }
}

function writeRawValues(out: Uint8Array, view: DataView, pos: number, values: Float32Array, perm: Int32Array | null): void {
  if (perm === null && HOST_LITTLE_ENDIAN) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), pos);
    return;
  }
  for (let i = 0; i < values.length; i++) view.setFloat32(pos + 4 * i, values[perm === null ? i : perm[i]!]!, true);
}

// ─── Decoder ─────────────────────────────────────────────────────────────────────────────────────

/**
 * Decodes and fully validates a message for `layout`. Throws {@link CodecError} (and nothing else)
 * for any byte string that is not a valid encoding: wrong magic/version/coding/layout, truncated or
 * trailing bytes, inconsistent lengths, indices out of range or repeated within a chunk, non-zero
 * padding, bad Rice streams, non-finite floats or scale ≤ 0.
 *
 * @example
 * const update = decodeUpdate(bytes, layout);
 */
export function decodeUpdate(bytes: Uint8Array, layout: ParamLayout): CompressedUpdate {
  const header = peekHeader(bytes);
  if (header.layoutId !== layout.id) {
    throw new CodecError('layout-mismatch', `message layoutId ${header.layoutId} is not the layout's id ${layout.id}`);
  }
  if (header.tensorCount !== layout.tensors.length) {
    throw new CodecError('layout-mismatch', `message has ${header.tensorCount} tensors, the layout ${layout.tensors.length}`);
  }
  const bits = header.quantBits;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const marker = header.indexCoding === 'packed12' ? new ChunkMarker(maxChunkLen(layout)) : null;
  const tensors: CompressedTensor[] = [];
  let pos = HEADER_BYTES;
  for (const spec of layout.tensors) {
    const name = spec.name;
    const { chunkLen, numChunks } = spec.chunk;
    requireBytes(bytes, pos, TENSOR_HEADER_BYTES, 'tensor header', name);
    const k = view.getUint32(pos, true);
    const indexBytes = view.getUint32(pos + 4, true);
    pos += TENSOR_HEADER_BYTES;
    if (k < 1 || k > chunkLen) throw new CodecError('bad-k', `kEff ${k} is not in [1, chunkLen ${chunkLen}]`, name);
    const n = numChunks * k;

    let quant: QuantParams | null = null;
    if (bits !== null) {
      requireBytes(bytes, pos, quantParamBytes(bits), 'quant params', name);
      quant = readQuantParams(view, pos, bits);
      checkQuantParams(quant, bits, name, false);
      pos += quantParamBytes(bits);
    }

    if (header.indexCoding === 'packed12' && indexBytes !== packed12IndexBytes(n)) {
      throw new CodecError('bad-length', `packed12 index section is ${indexBytes} bytes, ${n} indices need ${packed12IndexBytes(n)}`, name);
    }
    const valueBytes = valueSectionBytes(bits, n);
    // Both sections must be present before anything of size N is allocated.
    requireBytes(bytes, pos, indexBytes + valueBytes, 'index and value sections', name);

    const indices = new Uint16Array(n);
    if (marker !== null) readPacked12(bytes, pos, indices, k, numChunks, chunkLen, name, marker);
    else readRiceSection(bytes, pos, indexBytes, indices, k, numChunks, chunkLen, name);
    pos += indexBytes;

    if (bits === null) {
      const values = readRawValues(bytes, view, pos, n);
      checkFiniteValues(values, k, name);
      tensors.push({ kEff: k, indices, codes: new Uint8Array(0), quant: null, values });
    } else {
      tensors.push({ kEff: k, indices, codes: readCodes(bytes, pos, n, bits, name), quant, values: null });
    }
    pos += valueBytes;
  }
  if (pos !== bytes.length) {
    throw new CodecError('trailing-bytes', `${bytes.length - pos} bytes follow the last tensor (message ends at byte ${pos})`);
  }
  return { layoutId: header.layoutId, quantBits: bits, tensors };
}

function requireBytes(bytes: Uint8Array, pos: number, size: number, what: string, name: string): void {
  if (pos + size > bytes.length) {
    throw new CodecError('truncated', `${what} needs ${size} bytes at offset ${pos}, only ${bytes.length - pos} remain`, name);
  }
}

function readQuantParams(view: DataView, pos: number, bits: QuantBits): QuantParams {
  const bins = 1 << bits;
  const lut = new Float32Array(bins);
  for (let b = 0; b < bins; b++) lut[b] = view.getFloat32(pos + 8 + 4 * b, true);
  return { mean: view.getFloat32(pos, true), scale: view.getFloat32(pos + 4, true), lut };
}

function readPacked12(
  bytes: Uint8Array,
  pos: number,
  indices: Uint16Array,
  k: number,
  numChunks: number,
  chunkLen: number,
  name: string,
  marker: ChunkMarker,
): void {
  const n = indices.length;
  let i = 0;
  for (; i + 1 < n; i += 2, pos += 3) {
    const b1 = bytes[pos + 1]!;
    indices[i] = bytes[pos]! | ((b1 & 0x0f) << 8);
    indices[i + 1] = (b1 >> 4) | (bytes[pos + 2]! << 4);
  }
  if (i < n) {
    const b1 = bytes[pos + 1]!;
    indices[i] = bytes[pos]! | ((b1 & 0x0f) << 8);
    if ((b1 >> 4) !== 0 || bytes[pos + 2] !== 0) {
      throw new CodecError('bad-padding', `the pad index after the odd last index is ${(b1 >> 4) | (bytes[pos + 2]! << 4)}, must be 0`, name);
    }
  }
  checkChunkIndices(indices, k, numChunks, chunkLen, name, marker);
}

function readRiceSection(
  bytes: Uint8Array,
  pos: number,
  indexBytes: number,
  indices: Uint16Array,
  k: number,
  numChunks: number,
  chunkLen: number,
  name: string,
): void {
  const reader = new BitReader(bytes, pos, pos + indexBytes);
  let chunk = 0;
  const fail = (fault: RiceFault, value: number): never => {
    if (fault === 'bad-parameter') throw new CodecError('bad-rice-parameter', `Rice parameter ${value} is > 11`, name, chunk);
    throw new CodecError('index-out-of-range', `Rice gap gives index ${value}, ≥ chunkLen ${chunkLen}`, name, chunk);
  };
  for (let base = 0; chunk < numChunks; chunk++, base += k) {
    readRiceChunk(reader, indices, base, k, chunkLen, fail);
    if (reader.overran) {
      throw new CodecError('truncated', `Rice stream runs past its ${indexBytes}-byte section`, name, chunk);
    }
  }
  const usedBytes = Math.ceil(reader.bitsConsumed / 8);
  if (usedBytes !== indexBytes) {
    throw new CodecError('bad-length', `Rice stream uses ${usedBytes} bytes, its section claims ${indexBytes}`, name);
  }
  if (reader.pendingValue !== 0) {
    throw new CodecError('bad-padding', `the ${reader.pendingBits} padding bits after the Rice stream are not zero`, name);
  }
}

function readCodes(bytes: Uint8Array, pos: number, n: number, bits: QuantBits, name: string): Uint8Array {
  if (bits === 8) return new Uint8Array(bytes.subarray(pos, pos + n)); // a copy, also for a Buffer input
  const codes = new Uint8Array(n);
  const perByteLog = 3 - Math.log2(bits);
  const slotMask = (1 << perByteLog) - 1;
  const codeMask = (1 << bits) - 1;
  for (let i = 0; i < n; i++) codes[i] = (bytes[pos + (i >> perByteLog)]! >> ((i & slotMask) * bits)) & codeMask;
  const usedSlots = n & slotMask;
  if (usedSlots !== 0) {
    const padding = bytes[pos + (n >> perByteLog)]! >> (usedSlots * bits);
    if (padding !== 0) throw new CodecError('bad-padding', `the bits after the last code are ${padding}, must be 0`, name);
  }
  return codes;
}

function readRawValues(bytes: Uint8Array, view: DataView, pos: number, n: number): Float32Array {
  const values = new Float32Array(n);
  if (HOST_LITTLE_ENDIAN) new Uint8Array(values.buffer).set(bytes.subarray(pos, pos + 4 * n));
  else for (let i = 0; i < n; i++) values[i] = view.getFloat32(pos + 4 * i, true);
  return values;
}

/**
 * "Seen in this chunk" flags for every within-chunk index without clearing per chunk: a slot is
 * set iff it holds the current chunk's stamp, so starting a chunk is O(1) and nothing is allocated.
 */
class ChunkMarker {
  readonly seen: Int32Array;
  #stamp = 0;

  constructor(size: number) {
    this.seen = new Int32Array(size);
  }

  /** A fresh stamp for the next chunk. */
  nextChunk(): number {
    if (this.#stamp === 0x7fffffff) {
      // 2^31 chunks in one message would be absurd, but wrapping must never alias an old stamp.
      this.seen.fill(0);
      this.#stamp = 0;
    }
    return ++this.#stamp;
  }
}
