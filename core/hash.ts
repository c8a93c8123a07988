/**
 * FNV-1a, 32-bit: a fast, deterministic fingerprint for equality checks (layout ids, parameter
 * hashes in results, simulated commitments). Not cryptographic: the real cluster commits with
 * keccak256 on chain. Also the one view of a parameter vector as bytes (`paramBytes`) that every
 * params hash (FNV-1a here, sha256 in cluster/) and checkpoint is taken over.
 */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a of `bytes` as an unsigned 32-bit integer. */
export function fnv1a32(bytes: Uint8Array): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** FNV-1a of `bytes` as 8 lower-case hex digits. */
export function fnv1a(bytes: Uint8Array): string {
  return fnv1a32(bytes).toString(16).padStart(8, '0');
}

/**
 * The bytes of `params` (a view, no copy: it changes when `params` does). Every hash of a
 * parameter vector is taken over these bytes, so equal hashes ⇔ (almost surely) bit-identical
 * params. The order is the host's float32 byte order — little-endian on every platform this
 * project runs on — and is not re-ordered (the wire codecs, not hashes, handle big-endian hosts).
 *
 * @example
 * fnv1a(paramBytes(new Float32Array([1]))); // FNV-1a of 00 00 80 3f
 */
export function paramBytes(params: Float32Array): Uint8Array {
  return new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
}
