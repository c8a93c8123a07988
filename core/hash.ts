/**
 * FNV-1a, 32-bit: a fast, deterministic fingerprint for equality checks (layout ids, parameter
 * hashes in results, simulated commitments). Not cryptographic: the real cluster commits with
 * keccak256 on chain.
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
