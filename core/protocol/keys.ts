/**
 * Object-store key names of the round protocol (SPEC.md §4: "key names carry the window and peer
 * id"), after templar `comms.py` (`gradient-{window}-{uid}-v{version}.pt`):
 *
 *   update     gradient-<round>-<peerUid>-v<KEY_VERSION>   one peer's message for one round
 *   aggregate  aggregate-<round>-v<KEY_VERSION>           the round's selected set / aggregate
 *   checkpoint checkpoint-<step>-v<KEY_VERSION>           full state after <step> outer steps
 *
 * Numbers are canonical decimals (no sign, no leading zeros), so name ↔ fields is a bijection and
 * two nodes can never write the same object under two spellings. The templar `.pt` suffix is
 * dropped: the payload is our codec's bytes, not a torch pickle. Pure string functions, no I/O.
 *
 * @example
 * updateKey(12, 7);                  // 'gradient-12-7-v1'
 * parseStorageKey('aggregate-12-v1'); // { kind: 'aggregate', round: 12 }
 */
import { ConfigError, SparseLocoError } from '../errors.ts';

/** Bumped when the message format changes, so old and new peers never read each other's objects. */
export const KEY_VERSION = 1;

/** A parsed storage key. */
export type StorageKey =
  | { readonly kind: 'update'; readonly round: number; readonly peerUid: number }
  | { readonly kind: 'aggregate'; readonly round: number }
  | { readonly kind: 'checkpoint'; readonly step: number };

/** Why a key failed to parse. */
export type StorageKeyErrorReason = 'unknown-prefix' | 'wrong-field-count' | 'bad-number' | 'bad-version';

/** A key that is not one of this protocol's names; `key` is the offending string. */
export class StorageKeyError extends SparseLocoError {
  override name = 'StorageKeyError';
  constructor(
    readonly reason: StorageKeyErrorReason,
    readonly key: string,
    message: string,
  ) {
    super(`storage key ${JSON.stringify(key)}: ${message} [${reason}]`);
  }
}

/** Key of one peer's message for one round. */
export function updateKey(round: number, peerUid: number): string {
  return `gradient-${checkField('round', round)}-${checkField('peerUid', peerUid)}-v${KEY_VERSION}`;
}

/** Key of a round's aggregate (the selected set every node applies). */
export function aggregateKey(round: number): string {
  return `aggregate-${checkField('round', round)}-v${KEY_VERSION}`;
}

/** Key of the checkpoint taken after `step` outer steps (step 0 = the initial model). */
export function checkpointKey(step: number): string {
  return `checkpoint-${checkField('step', step)}-v${KEY_VERSION}`;
}

const FIELDS: Readonly<Record<string, number>> = { gradient: 2, aggregate: 1, checkpoint: 1 };
const CANONICAL = /^(0|[1-9][0-9]*)$/;

/**
 * Parses any of the three key kinds.
 *
 * @throws {StorageKeyError} with reason 'unknown-prefix', 'wrong-field-count', 'bad-number'
 *   (not a canonical non-negative safe integer) or 'bad-version' (not v{@link KEY_VERSION}).
 */
export function parseStorageKey(key: string): StorageKey {
  const parts = key.split('-');
  const prefix = parts[0]!;
  const fieldCount = Object.hasOwn(FIELDS, prefix) ? FIELDS[prefix]! : undefined;
  if (fieldCount === undefined) throw new StorageKeyError('unknown-prefix', key, 'must start with gradient-, aggregate- or checkpoint-');
  if (parts.length !== fieldCount + 2) {
    throw new StorageKeyError('wrong-field-count', key, `${prefix} keys have ${fieldCount} number(s) and a version, "-"-separated`);
  }
  const version = parts[parts.length - 1]!;
  if (version !== `v${KEY_VERSION}`) throw new StorageKeyError('bad-version', key, `version ${JSON.stringify(version)} must be "v${KEY_VERSION}"`);
  const numbers = parts.slice(1, 1 + fieldCount).map((text) => parseField(key, text));
  if (prefix === 'gradient') return { kind: 'update', round: numbers[0]!, peerUid: numbers[1]! };
  if (prefix === 'aggregate') return { kind: 'aggregate', round: numbers[0]! };
  return { kind: 'checkpoint', step: numbers[0]! };
}

function parseField(key: string, text: string): number {
  const value = CANONICAL.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new StorageKeyError('bad-number', key, `${JSON.stringify(text)} must be a non-negative integer without sign or leading zeros`);
  }
  return value;
}

function checkField(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new ConfigError(name, value, 'must be a non-negative safe integer');
  return value;
}
