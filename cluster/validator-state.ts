/**
 * The validator's memory between rounds, persisted in the store after each round's computation
 * and before its chain actions (`cluster/validator-state-<round>.json`): Gauntlet's ratings and
 * history (the oracle's `GauntletState`; the lagged validator's window state, its pending
 * judgement, the weights it last set and the peer list schedule) and the chain's slash count
 * before the round's slashes. A restarted validator loads the state of the last round finalised
 * on chain, finishes that round's slashes (those past the recorded count are done: only the
 * validator slashes, in ascending uid order) and goes on — no Gauntlet history lost, no slash
 * repeated.
 *
 * The JSON keeps what plain JSON loses: Maps (as `{"$map": [[k, v], …]}`) and the numbers ±Infinity,
 * NaN and −0 (as `{"$num": "…"}`), so a resumed state is the same bits.
 */
import type { ObjectStore } from '../backends/store/index.ts';
import type { PendingJudgement } from '../core/gauntlet/lagged.ts';
import type { GauntletState } from '../core/gauntlet/rating.ts';
import type { ValidatorWindowState } from '../core/gauntlet/window.ts';
import type { PeerListScheduleState } from '../core/protocol/peer-list-schedule.ts';
import { getJsonOrNull, putJson } from './store-keys.ts';

/** A lagged judgement as it waits to land: only what landing reads (core/gauntlet/lagged.ts). */
export interface LandingJudgement {
  readonly window: number;
  readonly result: {
    readonly weights: ReadonlyMap<number, number>;
    readonly excluded: readonly number[];
    readonly nextState: ValidatorWindowState;
  };
  readonly slashed: readonly number[];
}

/** The lagged validator's memory (defence 'gauntlet'). */
export interface LaggedMemory {
  readonly state: ValidatorWindowState;
  readonly pending: PendingJudgement<LandingJudgement> | null;
  /** The weights last set on chain; null before the first. */
  readonly chainWeights: ReadonlyMap<number, number> | null;
  readonly peerList: PeerListScheduleState | null;
  /** Windows closed while busy, not judged. */
  readonly skipped: number;
}

/** What the validator persists after round `round`. */
export interface ValidatorStateFile {
  readonly round: number;
  /** The oracle's rating state ('gauntlet-oracle'); empty otherwise. */
  readonly gauntletState: GauntletState;
  readonly lagged: LaggedMemory | null;
  /** The uids this round slashes, ascending. */
  readonly slashes: readonly number[];
  /** The chain's slash count before this round's slashes (decimal). */
  readonly slashCountBefore: string;
}

/** Store key of the validator's state after round `round`. */
export function validatorStateKey(round: number): string {
  return `cluster/validator-state-${round}.json`;
}

/** JSON text of `value`, Maps and non-finite numbers kept (see the file header). */
export function stateToJson(value: unknown): string {
  return JSON.stringify(encode(value));
}

/** The inverse of {@link stateToJson}. */
export function stateFromJson<T>(text: string): T {
  return decode(JSON.parse(text)) as T;
}

export async function putValidatorState(store: ObjectStore, file: ValidatorStateFile): Promise<void> {
  await putJson(store, validatorStateKey(file.round), encode(file));
}

/** The state after `round`, or null when none was written. */
export async function getValidatorState(store: ObjectStore, round: number): Promise<ValidatorStateFile | null> {
  const raw = await getJsonOrNull<unknown>(store, validatorStateKey(round));
  return raw === null ? null : (decode(raw) as ValidatorStateFile);
}

function encode(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : { $num: Object.is(v, -0) ? '-0' : String(v) };
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Map) return { $map: [...v.entries()].map(([k, x]) => [encode(k), encode(x)]) };
  if (Array.isArray(v)) return v.map(encode);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, encode(x)]));
  return v;
}

function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.$num === 'string' && Object.keys(o).length === 1) return o.$num === '-0' ? -0 : Number(o.$num);
    if (Array.isArray(o.$map) && Object.keys(o).length === 1) return new Map((o.$map as unknown[][]).map(([k, x]) => [decode(k), decode(x)]));
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decode(x)]));
  }
  return v;
}
