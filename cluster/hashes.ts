/**
 * The hashes the cluster puts on chain: sha256 of an uploaded message (the commitment's
 * `updateHash`), sha256 of the global params after a round (the validator's `aggregateHash`, which
 * every peer checks its own params against), and a storage key packed into a `bytes32`.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '../core/errors.ts';
import { paramBytes } from '../core/hash.ts';
import type { Hex } from '../chain/types.ts';

/** sha256 of `bytes` as `0x`-prefixed lower-case hex (a bytes32). */
export function sha256Hex(bytes: Uint8Array): Hex {
  return `0x${createHash('sha256').update(bytes).digest('hex')}`;
}

/** sha256 of the params' bytes: equal hashes ⇔ bit-identical params. */
export function paramsHash(params: Float32Array): Hex {
  return sha256Hex(paramBytes(params));
}

/**
 * A store key as the commitment's `storageKey` (bytes32): its ASCII bytes, zero-padded on the right
 * (contracts/README.md: "the key itself when ≤ 32 bytes").
 *
 * @throws {ConfigError} when the key is longer than 32 bytes or not ASCII.
 * @example storageKeyBytes32('gradient-12-3-v1'); // '0x6772…0000'
 */
export function storageKeyBytes32(key: string): Hex {
  if (key.length > 32 || !/^[\x20-\x7e]*$/.test(key)) throw new ConfigError('storageKey', key, 'must be at most 32 ASCII characters to fit a bytes32');
  return `0x${Buffer.from(key, 'ascii').toString('hex').padEnd(64, '0')}`;
}
