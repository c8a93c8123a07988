/**
 * A peer's local state on its own disk: the error-feedback buffer (the communicator's peer state),
 * the AdamW moments and the step count, saved after each round's encode so a restarted peer
 * continues bit-identically (the simulator's `churn.restart: 'resume'`, sim/peer-state.ts).
 *
 * Layout: two slots, `slot-0.bin` and `slot-1.bin`; round r goes to slot r mod 2, written as a
 * temp file, fsynced and renamed over the slot, so a kill mid-write leaves the other slot (the
 * previous round's) intact. Each slot is a 4-byte little-endian header length, the JSON header
 * (round, step, buffer names and lengths, sha256 of header fields and payload) and the buffers'
 * float32 bytes. A slot whose checksum does not match is ignored.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import type { MethodName } from '../core/baselines/index.ts';
import type { PeerTrainer } from '../backends/backend.ts';

const SLOTS = 2;
const VERSION = 1;

/** The communicator peer-state fields that are state (not scratch), per method. */
const COMM_STATE_FIELDS: Readonly<Record<MethodName, readonly string[]>> = {
  sparseloco: ['ef'],
  demo: ['momentum'],
  diloco: [],
  ddp: [],
};

interface SlotHeader {
  readonly version: number;
  readonly round: number;
  readonly step: number;
  /** Buffer names in payload order with their float counts. */
  readonly buffers: readonly { readonly name: string; readonly length: number }[];
  readonly sha256: string;
}

/** What a slot held: the round it was saved after and the step count (buffers are restored in place). */
export interface RestoredState {
  readonly round: number;
  readonly step: number;
}

/** The buffers that make up a peer's state, by name: AdamW's m and v, then the communicator's. */
function stateBuffers(method: MethodName, trainer: PeerTrainer, commState: unknown): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>([
    ['adamw.m', trainer.optimizerState.m],
    ['adamw.v', trainer.optimizerState.v],
  ]);
  for (const field of COMM_STATE_FIELDS[method]) {
    const buffer = (commState as Record<string, unknown>)[field];
    if (!(buffer instanceof Float32Array)) throw new ConfigError('optim.method', method, `has no Float32Array peer-state field "${field}" to persist`);
    out.set(`comm.${field}`, buffer);
  }
  return out;
}

function digest(round: number, step: number, buffers: SlotHeader['buffers'], payload: readonly Uint8Array[]): string {
  const h = createHash('sha256').update(JSON.stringify({ version: VERSION, round, step, buffers }));
  for (const p of payload) h.update(p);
  return h.digest('hex');
}

const bytesOf = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** A peer's two-slot state folder. */
export class LocalPeerState {
  constructor(
    readonly dir: string,
    private readonly method: MethodName,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** Saves the state after `round`'s encode, atomically, into slot `round mod 2`. */
  save(round: number, trainer: PeerTrainer, commState: unknown): void {
    const named = stateBuffers(this.method, trainer, commState);
    const buffers = [...named].map(([name, a]) => ({ name, length: a.length }));
    const payload = [...named.values()].map(bytesOf);
    const step = trainer.optimizerState.step;
    const header: SlotHeader = { version: VERSION, round, step, buffers, sha256: digest(round, step, buffers, payload) };
    const headerBytes = new TextEncoder().encode(JSON.stringify(header));
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, headerBytes.length, true);
    const slot = this.#slotPath(round % SLOTS);
    const temp = `${slot}.tmp`;
    const fd = openSync(temp, 'w');
    try {
      for (const part of [length, headerBytes, ...payload]) writeSync(fd, part);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, slot);
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd); // the rename itself survives a power cut
    } finally {
      closeSync(dirFd);
    }
  }

  /**
   * Restores the newest intact slot saved after a round ≤ `maxRound` into `trainer` and
   * `commState` (MUTATES both); null when there is none (a first start: fresh state stays).
   */
  restore(maxRound: number, trainer: PeerTrainer, commState: unknown): RestoredState | null {
    let best: { header: SlotHeader; data: Uint8Array; offset: number } | null = null;
    for (let k = 0; k < SLOTS; k++) {
      const read = this.#readSlot(k);
      if (read !== null && read.header.round <= maxRound && (best === null || read.header.round > best.header.round)) best = read;
    }
    if (best === null) return null;
    const named = stateBuffers(this.method, trainer, commState);
    let offset = best.offset;
    for (const { name, length } of best.header.buffers) {
      const target = named.get(name);
      if (target === undefined || target.length !== length) {
        throw new ConfigError(`${this.dir} state buffer ${name}`, length, `must match this run's ${name} (${target?.length ?? 'absent'} floats): the folder holds another run's state`);
      }
      target.set(new Float32Array(best.data.buffer.slice(best.data.byteOffset + offset, best.data.byteOffset + offset + length * 4)));
      offset += length * 4;
    }
    trainer.optimizerState.step = best.header.step;
    return { round: best.header.round, step: best.header.step };
  }

  #slotPath(k: number): string {
    return join(this.dir, `slot-${k}.bin`);
  }

  /** A slot's header and bytes when it exists and its checksum holds; null otherwise. */
  #readSlot(k: number): { header: SlotHeader; data: Uint8Array; offset: number } | null {
    let data: Uint8Array;
    try {
      data = readFileSync(this.#slotPath(k));
    } catch {
      return null;
    }
    if (data.length < 4) return null;
    const headerLength = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true);
    if (4 + headerLength > data.length) return null;
    let header: SlotHeader;
    try {
      header = JSON.parse(new TextDecoder().decode(data.subarray(4, 4 + headerLength))) as SlotHeader;
    } catch {
      return null;
    }
    const offset = 4 + headerLength;
    const payload: Uint8Array[] = [];
    let at = offset;
    for (const b of header.buffers ?? []) {
      payload.push(data.subarray(at, at + b.length * 4));
      at += b.length * 4;
    }
    if (header.version !== VERSION || at !== data.length || digest(header.round, header.step, header.buffers, payload) !== header.sha256) return null;
    return { header, data, offset };
  }
}
