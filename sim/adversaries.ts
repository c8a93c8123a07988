/**
 * Simulated Byzantine peers: a seeded roster of attackers (any mix of attacks, each a fraction of
 * the initial peers) and what each of them trains and puts in the store every round. Honest peers
 * go through the same code, so a run with adversaries differs from a clean run only where an
 * attacker acts. SparseLoCo only: the attacks read and forge its wire format.
 *
 * Who attacks: the initial uids 0 … P − 1 are shuffled with stream `adversaries/roster`; group g
 * takes the next round(fraction_g · P) of them, so groups are disjoint and the roster depends only
 * on (seed, peers, groups). Joiners are always honest.
 *
 * What each attack does (stage in brackets):
 *   sign-flip        [message] trains honestly, uploads its message with every value negated
 *   scale            [message] … with every value × factor (mean, lut, scale of the quantiser)
 *   noise            [Δ]       Δ + N(0, s²) per coordinate, s = sigma·‖Δ‖/√n (noise norm ≈ sigma·‖Δ‖)
 *   nan              [bytes]   writes NaN (or +Inf) into the first tensor's quantiser mean
 *   malformed        [bytes]   one fault: index-out-of-range, duplicate-index, truncated, wrong-version
 *                              (byte surgery on a packed12 message; run with indexCoding 'packed12')
 *   free-rider       [none]    does not train; uploads an all-zero message (Δ = 0, fresh EF)
 *   copycat          [store]   does not train; at its upload time copies the lowest-uid honest
 *                              message already in the store this round, else the previous round's,
 *                              else uploads nothing (round 0 before anyone arrived)
 *   stale            [store]   trains honestly but uploads its own message from `roundsBehind`
 *                              rounds ago, committing that message's true base step (the current
 *                              one until it has such a message)
 *   lazy             [train]   trains `innerSteps` (default 1) instead of H
 *   data-poison      [train]   trains on random shards other than its assigned ones. On the
 *                              surrogate's IID shards this hides the work from Gauntlet's
 *                              assigned-vs-random test but does not hurt the model.
 *   sybil            [train]   one identity (lowest uid present) trains 1 inner step; every other
 *                              member uploads the same bytes without training
 *   colluding        [Δ]       all members train; the lowest-uid member present encodes
 *                              −scale · mean(members' Δ) and every member uploads those bytes
 *   commit-mismatch  [commit]  commits the hash of its honest message, uploads it sign-flipped
 *
 * Random streams: `adversaries/roster`, `adversaries/noise:<uid>:<round>`,
 * `adversaries/poison:<uid>:<round>` — none of the run's other streams is touched.
 *
 * @example
 * const adv = createAdversaries(cfg, backend.layout, comm, root.fork('adversaries'));
 * adv?.isAttacker(3);
 */
import type { Communicator } from '../core/baselines/index.ts';
import { ConfigError } from '../core/errors.ts';
import { fnv1a } from '../core/hash.ts';
import { pickRandomShards } from '../core/gauntlet/score.ts';
import type { ParamLayout } from '../core/layout.ts';
import type { Rng } from '../core/rng.ts';
import { decodeUpdate, encodeUpdate, peekHeader } from '../core/sparseloco/codec.ts';
import type { CompressedTensor, CompressedUpdate } from '../core/sparseloco/message.ts';
import { trainHonestly } from './contribution.ts';
import type { PeerUpload } from './contribution.ts';
import type { SimContext } from './context.ts';
import type { Participant } from './round-open.ts';

/** The malformed-payload faults. */
export const MALFORMED_FAULTS = ['index-out-of-range', 'duplicate-index', 'truncated', 'wrong-version'] as const;
export type MalformedFault = (typeof MALFORMED_FAULTS)[number];

/** One attack and its parameters. */
export type AttackConfig =
  | { readonly kind: 'sign-flip' }
  | { readonly kind: 'scale'; readonly factor: number }
  | { readonly kind: 'noise'; readonly sigma: number }
  | { readonly kind: 'nan'; readonly value?: 'nan' | 'inf' }
  | { readonly kind: 'malformed'; readonly fault: MalformedFault }
  | { readonly kind: 'free-rider' }
  | { readonly kind: 'copycat' }
  | { readonly kind: 'stale'; readonly roundsBehind: number }
  | { readonly kind: 'lazy'; readonly innerSteps?: number }
  | { readonly kind: 'data-poison' }
  | { readonly kind: 'sybil' }
  | { readonly kind: 'colluding'; readonly scale: number }
  | { readonly kind: 'commit-mismatch' };

export type AttackKind = AttackConfig['kind'];

export const ATTACK_KINDS: readonly AttackKind[] = [
  'sign-flip', 'scale', 'noise', 'nan', 'malformed', 'free-rider', 'copycat', 'stale', 'lazy', 'data-poison', 'sybil', 'colluding', 'commit-mismatch',
];

/** A group of attackers: `fraction` of the initial peers run `attack`. */
export interface AdversaryGroup {
  readonly attack: AttackConfig;
  /** In [0, 1]; the group has round(fraction · peers) members. */
  readonly fraction: number;
}

/** Validates the groups against the peer count; throws {@link ConfigError} naming the bad value. */
export function validateAdversaries(groups: readonly AdversaryGroup[], peers: number, indexCoding: string, key = 'adversaries'): void {
  if (!Array.isArray(groups)) throw new ConfigError(key, groups, 'must be an array of { attack, fraction }');
  let members = 0;
  groups.forEach((g, i) => {
    const k = `${key}[${i}]`;
    if (typeof g !== 'object' || g === null) throw new ConfigError(k, g, 'must be { attack, fraction }');
    for (const field of Object.keys(g)) if (field !== 'attack' && field !== 'fraction') throw new ConfigError(`${k}.${field}`, (g as unknown as Record<string, unknown>)[field], 'is not a group field (attack, fraction)');
    if (!(g.fraction >= 0 && g.fraction <= 1)) throw new ConfigError(`${k}.fraction`, g.fraction, 'must be in [0, 1]');
    validateAttack(g.attack, indexCoding, `${k}.attack`);
    members += groupSize(g.fraction, peers);
  });
  if (members > peers) throw new ConfigError(key, members, `attackers in all groups must not exceed the ${peers} peers`);
}

function validateAttack(a: AttackConfig, indexCoding: string, key: string): void {
  if (typeof a !== 'object' || a === null || !ATTACK_KINDS.includes(a.kind)) {
    throw new ConfigError(`${key}.kind`, (a as { kind?: unknown } | null)?.kind, `must be one of ${ATTACK_KINDS.join(', ')}`);
  }
  const positive = (field: string, v: unknown): void => {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new ConfigError(`${key}.${field}`, v, 'must be a finite number > 0');
  };
  switch (a.kind) {
    case 'scale':
      positive('factor', a.factor);
      break;
    case 'noise':
      positive('sigma', a.sigma);
      break;
    case 'colluding':
      positive('scale', a.scale);
      break;
    case 'nan':
      if (a.value !== undefined && a.value !== 'nan' && a.value !== 'inf') throw new ConfigError(`${key}.value`, a.value, 'must be "nan" or "inf"');
      break;
    case 'malformed':
      if (!MALFORMED_FAULTS.includes(a.fault)) throw new ConfigError(`${key}.fault`, a.fault, `must be one of ${MALFORMED_FAULTS.join(', ')}`);
      if ((a.fault === 'index-out-of-range' || a.fault === 'duplicate-index') && indexCoding !== 'packed12') {
        throw new ConfigError('optim.indexCoding', indexCoding, `must be "packed12" for the ${a.fault} fault (it edits packed12 index bytes)`);
      }
      break;
    case 'stale':
      if (!Number.isSafeInteger(a.roundsBehind) || a.roundsBehind < 1) throw new ConfigError(`${key}.roundsBehind`, a.roundsBehind, 'must be an integer ≥ 1');
      break;
    case 'lazy':
      if (a.innerSteps !== undefined && (!Number.isSafeInteger(a.innerSteps) || a.innerSteps < 1)) throw new ConfigError(`${key}.innerSteps`, a.innerSteps, 'must be an integer ≥ 1');
      break;
    default:
      break;
  }
}

function groupSize(fraction: number, peers: number): number {
  return Math.round(fraction * peers);
}

/** Builds the run's adversaries, or null when there are none (the clean path). */
export function createAdversaries(groups: readonly AdversaryGroup[], peers: number, layout: ParamLayout, comm: Communicator, rng: Rng): Adversaries | null {
  const roster = assignRoster(groups, peers, rng.fork('roster'));
  return roster.size === 0 ? null : new Adversaries(roster, groups, layout, comm, rng);
}

/** uid → group index: shuffled initial uids dealt to the groups in order (disjoint). */
export function assignRoster(groups: readonly AdversaryGroup[], peers: number, rng: Rng): Map<number, number> {
  const order = rng.shuffle(Array.from({ length: peers }, (_, uid) => uid));
  const roster = new Map<number, number>();
  let next = 0;
  groups.forEach((g, gi) => {
    for (let n = groupSize(g.fraction, peers); n > 0; n--) roster.set(order[next++]!, gi);
  });
  return roster;
}

interface Sent {
  readonly round: number;
  readonly bytes: Uint8Array;
  readonly baseStep: number;
}

/** The attackers of one run; MUTATED each round (message history for stale and copycat peers). */
export class Adversaries {
  /** Each stale attacker's recent honest messages, oldest first. */
  readonly #history = new Map<number, Sent[]>();
  /** Honest messages that arrived last round, by uid (the copycats' fallback). */
  #lastRound = new Map<number, Uint8Array>();

  constructor(
    /** uid → group index. */
    readonly roster: ReadonlyMap<number, number>,
    private readonly groups: readonly AdversaryGroup[],
    private readonly layout: ParamLayout,
    private readonly comm: Communicator,
    private readonly rng: Rng,
  ) {}

  /** Attacker uids, ascending. */
  get attackers(): number[] {
    return [...this.roster.keys()].sort((a, b) => a - b);
  }

  isAttacker(uid: number): boolean {
    return this.roster.has(uid);
  }

  /** The attack a peer runs, or null for an honest peer. */
  attackOf(uid: number): AttackConfig | null {
    const g = this.roster.get(uid);
    return g === undefined ? null : this.groups[g]!.attack;
  }

  /**
   * Trains and encodes for every participant (honest ones exactly as in a clean run:
   * {@link trainHonestly}) and forges the attackers' uploads. MUTATES trainers and communicator
   * states as training does.
   */
  prepareUploads(ctx: SimContext, participants: readonly Participant[], round: number): Map<number, PeerUpload> {
    const uploads = new Map<number, PeerUpload>();
    const deltaOut = new Float32Array(this.layout.size);
    /** Colluders' Δ copies and sybil leaders' bytes, per group. */
    const colluders = new Map<number, { uids: number[]; deltas: Float32Array[]; losses: number[] }>();
    const sybilBytes = new Map<number, Uint8Array>();
    for (const p of participants) {
      const uid = p.peer.uid;
      const baseStep = p.baseStep;
      const attack = this.attackOf(uid);
      const honest = (): PeerUpload => trainHonestly(ctx, p, round, deltaOut);
      const encoded = (delta: Float32Array, trainLoss: number | null): PeerUpload =>
        ({ bytes: this.comm.encode(p.peer.commState, delta), copycat: false, committedHash: null, baseStep, trainLoss });
      if (attack === null) {
        uploads.set(uid, honest());
        continue;
      }
      const group = this.roster.get(uid)!;
      // Participants come in ascending uid, so the first member of a group seen is its leader.
      const plan = attackTraining(attack, { uid, round, shards: p.shards, innerSteps: ctx.cfg.innerSteps, numShards: ctx.backend.numShards, rng: this.rng, leader: !sybilBytes.has(group) });
      /** Training that differs from the honest one (other shards or step count), from its own replica; Δ not yet encoded. */
      const own = () => {
        if (plan.kind !== 'own') throw new TypeError(`adversaries: ${attack.kind} does not train its own loop this round`);
        return p.peer.trainer.runInnerLoop({ params: p.params, round, shards: plan.shards, innerSteps: plan.innerSteps, deltaOut });
      };
      switch (attack.kind) {
        case 'sign-flip':
        case 'scale':
        case 'nan':
        case 'malformed':
        case 'commit-mismatch': {
          const h = honest();
          const forged = forgeMessage(attack, h.bytes!, this.layout);
          uploads.set(uid, { ...h, bytes: forged, committedHash: attack.kind === 'commit-mismatch' ? fnv1a(h.bytes!) : null });
          break;
        }
        case 'noise': {
          const r = own();
          addRelativeNoise(r.delta, attack.sigma, noiseStream(this.rng, uid, round));
          uploads.set(uid, encoded(r.delta, r.meanLoss));
          break;
        }
        case 'free-rider':
          uploads.set(uid, { bytes: zeroMessage(this.comm, this.layout), copycat: false, committedHash: null, baseStep, trainLoss: null });
          break;
        case 'copycat':
          uploads.set(uid, { bytes: null, copycat: true, committedHash: null, baseStep, trainLoss: null });
          break;
        case 'stale': {
          const h = honest();
          const history = this.#history.get(uid) ?? [];
          const current = { round, bytes: h.bytes!, baseStep };
          history.push(current);
          while (history.length > attack.roundsBehind + 1) history.shift();
          this.#history.set(uid, history);
          const old = staleChoice(history, current, attack.roundsBehind);
          uploads.set(uid, { ...h, bytes: old.bytes, baseStep: old.baseStep });
          break;
        }
        case 'lazy':
        case 'data-poison': {
          const r = own();
          uploads.set(uid, encoded(r.delta, r.meanLoss));
          break;
        }
        case 'sybil': {
          const leader = sybilBytes.get(group);
          if (leader === undefined) {
            const r = own();
            const upload = encoded(r.delta, r.meanLoss);
            sybilBytes.set(group, upload.bytes!);
            uploads.set(uid, upload);
          } else {
            uploads.set(uid, { bytes: leader, copycat: false, committedHash: null, baseStep, trainLoss: null });
          }
          break;
        }
        case 'colluding': {
          const r = own();
          const c = colluders.get(group) ?? { uids: [], deltas: [], losses: [] };
          c.uids.push(uid);
          c.deltas.push(Float32Array.from(r.delta));
          c.losses.push(r.meanLoss);
          colluders.set(group, c);
          break;
        }
      }
    }
    for (const [group, c] of colluders) {
      const attack = this.groups[group]!.attack as { kind: 'colluding'; scale: number };
      const leader = participants.find((p) => p.peer.uid === c.uids[0])!;
      const bytes = this.comm.encode(leader.peer.commState, colludingDelta(c.deltas, attack.scale));
      c.uids.forEach((uid, i) => {
        const p = participants.find((q) => q.peer.uid === uid)!;
        uploads.set(uid, { bytes, copycat: false, committedHash: null, baseStep: p.baseStep, trainLoss: c.losses[i]! });
      });
    }
    return uploads;
  }

  /**
   * A copycat's bytes at its upload time: the lowest-uid honest message already in the store this
   * round, else the lowest-uid honest message of last round, else null (nothing to copy yet).
   */
  chooseCopy(arrivedThisRound: ReadonlyMap<number, Uint8Array>): Uint8Array | null {
    return this.#lowestHonest(arrivedThisRound) ?? this.#lowestHonest(this.#lastRound);
  }

  /** Remembers the round's arrived honest messages for next round's copycats. */
  endRound(arrived: ReadonlyMap<number, Uint8Array>): void {
    this.#lastRound = new Map([...arrived].filter(([uid]) => !this.roster.has(uid)));
  }

  #lowestHonest(store: ReadonlyMap<number, Uint8Array>): Uint8Array | null {
    let best: number | null = null;
    for (const uid of store.keys()) if (!this.roster.has(uid) && (best === null || uid < best)) best = uid;
    return best === null ? null : store.get(best)!;
  }
}

/**
 * What an attacker trains in a round — one rule for the simulator and a cluster peer process:
 *   'honest'  H inner steps on its assigned shards, exactly as an honest peer (null rounds kept);
 *   'none'    no training (free-rider, copycat, a sybil identity that is not the leader);
 *   'own'     its own inner loop from its replica, `innerSteps` on `shards`, null rounds ignored
 *             (noise, lazy, data-poison, the sybil leader, colluding).
 */
export type AttackTraining =
  | { readonly kind: 'honest' }
  | { readonly kind: 'none' }
  | { readonly kind: 'own'; readonly innerSteps: number; readonly shards: readonly number[] };

/** What {@link attackTraining} needs to know about the attacker's round. */
export interface AttackRound {
  readonly uid: number;
  readonly round: number;
  /** Its assigned shards. */
  readonly shards: readonly number[];
  /** The run's H. */
  readonly innerSteps: number;
  readonly numShards: number;
  /** The run's 'adversaries' stream. */
  readonly rng: Rng;
  /** Sybil only: whether this identity is its group's leader (the lowest uid present). */
  readonly leader: boolean;
}

/** How `attack` trains in one round (see {@link AttackTraining}). */
export function attackTraining(attack: AttackConfig, a: AttackRound): AttackTraining {
  switch (attack.kind) {
    case 'free-rider':
    case 'copycat':
      return { kind: 'none' };
    case 'noise':
    case 'colluding':
      return { kind: 'own', innerSteps: a.innerSteps, shards: a.shards };
    case 'lazy':
      return { kind: 'own', innerSteps: attack.innerSteps ?? 1, shards: a.shards };
    case 'data-poison':
      return { kind: 'own', innerSteps: a.innerSteps, shards: pickRandomShards(a.rng.fork(`poison:${a.uid}:${a.round}`), a.numShards, a.shards.length, a.shards) };
    case 'sybil':
      return a.leader ? { kind: 'own', innerSteps: 1, shards: a.shards } : { kind: 'none' };
    default:
      return { kind: 'honest' };
  }
}

/** A noise attacker's stream for one round: `adversaries/noise:<uid>:<round>`. */
export function noiseStream(adversaries: Rng, uid: number, round: number): Rng {
  return adversaries.fork(`noise:${uid}:${round}`);
}

/**
 * The message an attack of the message stage uploads instead of its honest `bytes`: sign-flip,
 * scale, nan, malformed, and commit-mismatch (sign-flipped; it commits the honest bytes' hash).
 */
export function forgeMessage(attack: AttackConfig, bytes: Uint8Array, layout: ParamLayout): Uint8Array {
  switch (attack.kind) {
    case 'sign-flip':
    case 'commit-mismatch':
      return scaleMessage(bytes, layout, -1);
    case 'scale':
      return scaleMessage(bytes, layout, attack.factor);
    case 'nan':
      return corruptMessage(bytes, layout, attack.value === 'inf' ? 'inf' : 'nan');
    case 'malformed':
      return corruptMessage(bytes, layout, attack.fault);
    default:
      throw new ConfigError('adversaries.attack.kind', attack.kind, 'does not forge an honest message (sign-flip, scale, nan, malformed, commit-mismatch do)');
  }
}

/** One of a stale attacker's own honest messages, with the base step it was trained from. */
export interface StaleEntry {
  readonly round: number;
  readonly bytes: Uint8Array;
  readonly baseStep: number;
}

/**
 * What a stale attacker uploads in `current.round`: its own honest message of `roundsBehind`
 * rounds ago when `history` holds it (it ran that round), else this round's.
 */
export function staleChoice<T extends StaleEntry>(history: readonly T[], current: T, roundsBehind: number): T {
  return history.find((x) => x.round === current.round - roundsBehind) ?? current;
}

/** A colluding group's shared Δ: −scale · mean(members' Δ), members in ascending uid (fp32 sums in that order). */
export function colludingDelta(deltas: readonly Float32Array[], scale: number): Float32Array {
  const poisoned = new Float32Array(deltas[0]!.length);
  for (const d of deltas) for (let i = 0; i < poisoned.length; i++) poisoned[i] = poisoned[i]! + d[i]!;
  const factor = -scale / deltas.length;
  for (let i = 0; i < poisoned.length; i++) poisoned[i] = poisoned[i]! * factor;
  return poisoned;
}

/**
 * The message with every dequantised value multiplied by `factor` (−1 = sign flip): the
 * quantiser's mean, lut and scale are scaled (fp32), codes and indices are kept; raw values are
 * scaled directly. Re-encoded with the message's own index coding.
 */
export function scaleMessage(bytes: Uint8Array, layout: ParamLayout, factor: number): Uint8Array {
  const update = decodeUpdate(bytes, layout);
  const tensors = update.tensors.map((t): CompressedTensor => {
    if (t.quant === null) return { ...t, values: t.values!.map((v) => Math.fround(v * factor)) };
    return {
      ...t,
      quant: {
        mean: Math.fround(t.quant.mean * factor),
        scale: Math.fround(t.quant.scale * Math.abs(factor)),
        lut: t.quant.lut.map((v) => Math.fround(v * factor)),
      },
    };
  });
  const scaled: CompressedUpdate = { ...update, tensors };
  return encodeUpdate(scaled, layout, { indexCoding: peekHeader(bytes).indexCoding });
}

/** Δ ← Δ + N(0, s²) per coordinate with s = sigma·‖Δ‖/√n. MUTATES `delta`. */
export function addRelativeNoise(delta: Float32Array, sigma: number, rng: Rng): void {
  let sumSq = 0;
  for (let i = 0; i < delta.length; i++) sumSq += delta[i]! * delta[i]!;
  const s = (sigma * Math.sqrt(sumSq)) / Math.sqrt(delta.length);
  for (let i = 0; i < delta.length; i++) delta[i] = delta[i]! + s * rng.normal();
}

/** A well-formed message whose values are all zero: Δ = 0 through a fresh (zero) EF buffer. */
export function zeroMessage(comm: Communicator, layout: ParamLayout): Uint8Array {
  return comm.encode(comm.createPeerState(), new Float32Array(layout.size));
}

const HEADER_BYTES = 16;
const TENSOR_HEADER_BYTES = 8;

/**
 * A copy of `bytes` with one fault written into it (the first tensor's record):
 *   'nan' / 'inf'          quantiser mean (raw messages: the first value) set to NaN / +Inf
 *   'index-out-of-range'   first index set to 4095 (needs chunkLen < 4096; packed12)
 *   'duplicate-index'      second index of chunk 0 set equal to the first (needs kEff ≥ 2; packed12)
 *   'truncated'            the last 7 bytes cut off
 *   'wrong-version'        version byte set to 99
 * Throws {@link ConfigError} when the layout cannot express the fault.
 */
export function corruptMessage(bytes: Uint8Array, layout: ParamLayout, fault: MalformedFault | 'nan' | 'inf'): Uint8Array {
  if (fault === 'truncated') return bytes.slice(0, Math.max(0, bytes.length - 7));
  const out = bytes.slice();
  if (fault === 'wrong-version') {
    out[4] = 99;
    return out;
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const bits = out[6]!;
  const quantBytes = bits === 0 ? 0 : 8 + 4 * 2 ** bits;
  const record = HEADER_BYTES;
  const indexStart = record + TENSOR_HEADER_BYTES + quantBytes;
  const t0 = layout.tensors[0]!;
  if (fault === 'nan' || fault === 'inf') {
    const value = fault === 'nan' ? Number.NaN : Number.POSITIVE_INFINITY;
    if (bits !== 0) view.setFloat32(record + TENSOR_HEADER_BYTES, value, true);
    else view.setFloat32(indexStart + view.getUint32(record + 4, true), value, true);
    return out;
  }
  if (out[5] !== 0) throw new ConfigError('optim.indexCoding', 'rice', `must be "packed12" for the ${fault} fault`);
  if (fault === 'index-out-of-range') {
    if (t0.chunk.chunkLen >= 4096) throw new ConfigError(`tensor "${t0.name}" chunkLen`, t0.chunk.chunkLen, 'must be < 4096 for an out-of-range 12-bit index');
    out[indexStart] = 0xff;
    out[indexStart + 1] = (out[indexStart + 1]! & 0xf0) | 0x0f;
    return out;
  }
  // duplicate-index: b (the second index, bits 12–23) := a (bits 0–11).
  if (view.getUint32(record, true) < 2) throw new ConfigError(`tensor "${t0.name}" kEff`, view.getUint32(record, true), 'must be ≥ 2 for a duplicate index in one chunk');
  const a = out[indexStart]! | ((out[indexStart + 1]! & 0x0f) << 8);
  out[indexStart + 1] = (out[indexStart + 1]! & 0x0f) | ((a & 0x0f) << 4);
  out[indexStart + 2] = (a >> 4) & 0xff;
  return out;
}
