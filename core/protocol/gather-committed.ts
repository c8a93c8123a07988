/**
 * What a gathering node takes from a round's on-time messages and the peer list in force
 * (templar's `gather_with_reserve`): the primaries whose message is there and passes the checks a
 * gathering node makes while downloading — strict decoding and the run's compression config
 * (templar's gather checks shapes and indices) — then as many reserves as primaries failed.
 * The cluster's validator gathers this way (cluster/validator.ts); the simulator's RoundGather
 * (sim/round-gather.ts) uses the same check and adds what only it models (late uploads, download
 * timeouts over timed flows).
 */
import type { ParamLayout } from '../layout.ts';
import { CodecError, decodeUpdate } from '../sparseloco/codec.ts';
import { configMismatch } from '../sparseloco/config-match.ts';
import type { SparseLocoConfig } from '../sparseloco/config.ts';
import { gatherFromList } from './peer-list.ts';
import type { GatherAvailability, GatherResult, PeerList } from './peer-list.ts';

/** Whether `bytes` decodes strictly as a SparseLoCo message of `layout` with the run's config `cfg`. */
export function passesGatherChecks(bytes: Uint8Array, layout: ParamLayout, cfg: SparseLocoConfig): boolean {
  try {
    return configMismatch(decodeUpdate(bytes, layout), layout, cfg) === null;
  } catch (error) {
    if (error instanceof CodecError) return false;
    throw error;
  }
}

/**
 * The gather of `list` from `onTime` (uid → bytes of a message that arrived in the window):
 * absent ⇒ 'missing', failing `isValid` ⇒ 'invalid' (its bytes were still downloaded).
 */
export function gatherCommitted(list: PeerList, onTime: ReadonlyMap<number, Uint8Array>, isValid: (bytes: Uint8Array) => boolean): GatherResult {
  const available = new Map<number, GatherAvailability>();
  const check = (uid: number): void => {
    const bytes = onTime.get(uid);
    available.set(uid, bytes === undefined ? 'missing' : isValid(bytes) ? 'ok' : 'invalid');
  };
  for (const uid of list.primaries) check(uid);
  const failed = list.primaries.filter((uid) => available.get(uid) !== 'ok').length;
  for (const uid of list.reserves.slice(0, failed)) check(uid);
  return gatherFromList(list, available);
}
