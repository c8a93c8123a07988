/**
 * The one interface behind which every synchronisation method sits (DDP, DiLoCo, DeMo and
 * SparseLoCo), so an experiment switches method by config and a simulator drives them all the
 * same way:
 *
 *   1. Each peer computes its *contribution*: for cadence 'inner-step' (DDP, DeMo) the gradient of
 *      one inner step at the global parameters; for cadence 'round' (DiLoCo, SparseLoCo) the
 *      pseudo-gradient Δ = θ_start − θ_end after H local AdamW steps (SPEC.md §1 sign convention).
 *   2. `encode(peerState, contribution)` turns it into wire bytes, mutating only that peer's own
 *      state (error-feedback buffer, DeMo momentum).
 *   3. Every node calls `apply(params, sharedState, messages)` with the same set of messages; the
 *      result is bit-identical on every node and independent of message order (messages are
 *      sorted by peerUid and summed in that order). A message that fails to decode is *data*, not
 *      an exception: it is listed in the report with its typed reason and the rest are applied
 *      (after flower's `aggregate(results, failures)`).
 *   4. `wireBytes(sizes)` counts what crosses the wire for one sync, per participant.
 *
 * This file also holds the helpers shared by the implementations: message ordering and
 * de-duplication, decode-with-rejection, and the two byte-accounting formulas. It sits at the top
 * of core/, beside layout.ts, because both core/sparseloco and core/baselines implement it: kept
 * in either, the other would have to import it and the two sub-packages would import each other.
 */
import { ConfigError, SparseLocoError } from './errors.ts';
import type { ParamLayout } from './layout.ts';

/** Names of the synchronisation methods; the key of {@link createCommunicator}'s config. */
export type MethodName = 'ddp' | 'diloco' | 'demo' | 'sparseloco';

/** When a peer contributes: every inner step (a gradient) or once per round (a pseudo-gradient). */
export type Cadence = 'inner-step' | 'round';

/** One peer's wire message as received. */
export interface PeerMessage {
  readonly peerUid: number;
  readonly bytes: Uint8Array;
}

/** A message left out of a sync, with the machine-readable reason and the human message. */
export interface RejectedMessage {
  readonly peerUid: number;
  /** e.g. 'bad-magic', 'length-mismatch', 'non-finite', 'duplicate-peer', or a codec reason. */
  readonly reason: string;
  readonly message: string;
}

/** What one `apply` did. */
export interface ApplyReport {
  /** False when no message was valid: then params and shared state are untouched (SPEC.md §3). */
  readonly applied: boolean;
  /** Peers whose messages entered the update, ascending. */
  readonly contributors: readonly number[];
  /** Peers whose messages were left out, ascending by peerUid. */
  readonly rejected: readonly RejectedMessage[];
  /** Tensors whose update was skipped because it was not finite (SparseLoCo, SPEC.md §3 step 5). */
  readonly skippedTensors: readonly string[];
  /** The learning rate used (inner lr for inner-step methods, outer lr for round methods). */
  readonly lr: number;
}

/** Bytes one participant sends and receives for one sync. */
export interface WireBytes {
  readonly uploadBytes: number; // bytes
  readonly downloadBytes: number; // bytes
}

/** Options of `encode`. */
export interface EncodeOptions {
  /**
   * SparseLoCo null round (SPEC.md §1): zero the EF buffer instead of accumulating. Only the
   * SparseLoCo communicator supports it; the others throw a {@link ConfigError}.
   */
  readonly nullRound?: boolean;
}

/** Options of `apply`. */
export interface ApplyOptions {
  /** Overrides the method's learning rate for this sync (e.g. SparseLoCo's manual outer-lr decay). */
  readonly lr?: number;
  /**
   * Per-peer aggregation weights by uid (core/weighting): SparseLoCo's weighted sparse mean. Only
   * the SparseLoCo communicator supports them; the others throw a {@link ConfigError}.
   */
  readonly weights?: ReadonlyMap<number, number>;
}

/** For a method without weighted aggregation: throws unless `options.weights` is absent. */
export function rejectWeights(method: MethodName, options: ApplyOptions | undefined): void {
  if (options?.weights !== undefined) throw new ConfigError('apply weights', method, 'weighted aggregation is implemented for sparseloco only');
}

/**
 * A synchronisation method. `PeerState` is private to one peer; `SharedState` is the outer
 * optimiser state every node keeps identical (AdamW for DDP, Nesterov buffer for DiLoCo). Both are
 * opaque to callers: create them here, pass them back.
 *
 * @example
 * const comm = createCommunicator(layout, { method: 'diloco' });
 * const peer = comm.createPeerState();
 * const shared = comm.createSharedState();
 * const bytes = comm.encode(peer, delta);
 * const report = comm.apply(params, shared, [{ peerUid: 3, bytes }]);
 */
export interface Communicator<PeerState = unknown, SharedState = unknown> {
  readonly method: MethodName;
  readonly cadence: Cadence;
  readonly layout: ParamLayout;
  createPeerState(): PeerState;
  createSharedState(): SharedState;
  /**
   * Encodes this peer's contribution (gradient or Δ, length layout.size). MUTATES `peer` only;
   * `contribution` is read only.
   */
  encode(peer: PeerState, contribution: Float32Array, options?: EncodeOptions): Uint8Array;
  /**
   * Applies one sync's messages to `params`. MUTATES `params` and `shared`. Never throws for a bad
   * message: it is reported in `rejected` and the others are applied.
   */
  apply(params: Float32Array, shared: SharedState, messages: readonly PeerMessage[], options?: ApplyOptions): ApplyReport;
  /** Per-participant bytes for one sync, index-aligned with `messageSizes` (R = its length). */
  wireBytes(messageSizes: readonly number[]): readonly WireBytes[];
}

/**
 * Ring all-reduce (DDP, DiLoCo): each of R participants sends and receives 2(R−1)/R × the dense
 * payload (reduce-scatter then all-gather, R−1 chunk transfers each). Returned as the exact
 * rational value, not rounded: with N not divisible by R the real chunks differ by one element
 * and the per-peer count varies by a few bytes around this mean. R = 1 moves nothing.
 */
export function ringAllReduceBytes(payloadBytes: number, participants: number): WireBytes[] {
  assertParticipants(participants);
  const each = (2 * (participants - 1) * payloadBytes) / participants;
  return Array.from({ length: participants }, () => ({ uploadBytes: each, downloadBytes: each }));
}

/**
 * All-gather through object storage (SparseLoCo, DeMo; SPEC.md §4): each participant uploads its
 * own message once and downloads the other R−1 messages. Container/HTTP overhead is not counted.
 */
export function allGatherBytes(messageSizes: readonly number[]): WireBytes[] {
  assertParticipants(messageSizes.length);
  let total = 0;
  for (const s of messageSizes) {
    if (!Number.isInteger(s) || s < 0) throw new ConfigError('message size', s, 'must be an integer ≥ 0 (bytes)');
    total += s;
  }
  return messageSizes.map((s) => ({ uploadBytes: s, downloadBytes: total - s }));
}

function assertParticipants(r: number): void {
  if (!Number.isInteger(r) || r < 1) throw new ConfigError('participants', r, 'must be an integer ≥ 1');
}

/** A decoded message ready for aggregation. */
export interface DecodedMessage<T> {
  readonly peerUid: number;
  readonly value: T;
}

/** Result of {@link decodeMessages}: accepted messages ascending by peerUid, and the rejected. */
export interface DecodedMessages<T> {
  readonly accepted: readonly DecodedMessage<T>[];
  readonly rejected: RejectedMessage[];
}

/**
 * Orders messages by peerUid and decodes each with `decode`. A typed decoding error (a
 * {@link SparseLocoError} carrying a string `reason`) rejects that message; any other error is a
 * bug and propagates. A peerUid that appears more than once rejects all its messages: keeping
 * "the first" would make the result depend on arrival order.
 */
export function decodeMessages<T>(messages: readonly PeerMessage[], decode: (bytes: Uint8Array) => T): DecodedMessages<T> {
  const counts = new Map<number, number>();
  for (const msg of messages) counts.set(msg.peerUid, (counts.get(msg.peerUid) ?? 0) + 1);
  const sorted = [...messages].sort((a, b) => a.peerUid - b.peerUid);
  const accepted: DecodedMessage<T>[] = [];
  const rejected: RejectedMessage[] = [];
  let lastDuplicate: number | null = null;
  for (const msg of sorted) {
    if (!Number.isSafeInteger(msg.peerUid) || msg.peerUid < 0) {
      throw new ConfigError('peerUid', msg.peerUid, 'must be a non-negative safe integer');
    }
    if (counts.get(msg.peerUid)! > 1) {
      if (lastDuplicate !== msg.peerUid) {
        rejected.push({ peerUid: msg.peerUid, reason: 'duplicate-peer', message: `peer ${msg.peerUid} sent ${counts.get(msg.peerUid)} messages in one sync` });
        lastDuplicate = msg.peerUid;
      }
      continue;
    }
    try {
      accepted.push({ peerUid: msg.peerUid, value: decode(msg.bytes) });
    } catch (err) {
      const reason = typedReason(err);
      if (reason === null) throw err;
      rejected.push({ peerUid: msg.peerUid, reason, message: (err as Error).message });
    }
  }
  return { accepted, rejected };
}

function typedReason(err: unknown): string | null {
  if (!(err instanceof SparseLocoError)) return null;
  const reason = (err as { reason?: unknown }).reason;
  return typeof reason === 'string' ? reason : null;
}

/** The report of a sync in which nothing valid arrived. */
export function emptyReport(rejected: readonly RejectedMessage[], lr: number): ApplyReport {
  return { applied: false, contributors: [], rejected, skippedTensors: [], lr };
}

/** Rejects the SparseLoCo-only null-round option for methods that have no such notion. */
export function assertNoNullRound(method: MethodName, options: EncodeOptions | undefined): void {
  if (options?.nullRound) throw new ConfigError(`${method} encode nullRound`, true, 'is only supported by sparseloco');
}

/** Checks a contribution's length against the layout. */
export function assertContributionSize(layout: ParamLayout, contribution: Float32Array): void {
  if (contribution.length !== layout.size) {
    throw new ConfigError('contribution length', contribution.length, `must equal the layout size (${layout.size})`);
  }
}

/** Checks a learning rate given to `apply`. */
export function checkLr(lr: number): number {
  if (!(lr >= 0) || !Number.isFinite(lr)) throw new ConfigError('apply lr', lr, 'must be a finite number ≥ 0');
  return lr;
}

/**
 * Mean of equal-length vectors into `out`, summed in the given order in fp32 (the order callers
 * pass is ascending peerUid, which makes the result bit-identical on every node), then divided by
 * the count. MUTATES and returns `out`.
 */
export function meanInto(out: Float32Array, vectors: readonly Float32Array[]): Float32Array {
  out.fill(0);
  for (const v of vectors) for (let i = 0; i < out.length; i++) out[i] = out[i]! + v[i]!;
  const r = vectors.length;
  if (r > 1) for (let i = 0; i < out.length; i++) out[i] = out[i]! / r;
  return out;
}
