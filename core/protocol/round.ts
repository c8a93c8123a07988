/**
 * The round protocol for one window as a pure state machine, shared by the simulator (driven by
 * sim time) and the real cluster (driven by wall time). It never reads a clock: every input
 * carries its time (seconds, in whatever clock the caller runs) and the machine checks that the
 * times are consistent. It never sees gradients either: a submission is its size and commitment
 * hash, and the caller's {@link Communicator} decodes and applies the selected messages, so the
 * protocol works with any method.
 *
 *   openRound ──submit*──▶ 'open' ──close(at ≥ windowEnd, or earlier once complete)──▶ 'closed' ──finalise(report)──▶ 'finalised'
 *                                                                                      └──▶ 'skipped'
 *
 * Rules (SPEC.md §3 "Who is aggregated", §4):
 *   - a submission counts only from a peer in the round's active set ('not-active' otherwise) and
 *     only if it arrived by windowEnd ('late' otherwise);
 *   - one message per peer: of a peer's on-time submissions the earliest arrival is kept (ties:
 *     smaller hash, then fewer bytes) and every other is a 'duplicate'. Choosing by arrival time,
 *     not by call order, makes the closed set depend only on who sent what when — the property
 *     test checks it — so a real node that learns of uploads out of order agrees with the sim;
 *   - at close the on-time messages, ascending by peerUid, go through the selection hook (identity
 *     "accept all valid" by default; Gauntlet plugs in here);
 *   - the apply report decides the end: no valid message ⇒ 'skipped', no outer step, and the
 *     global step is not incremented (see progress.ts).
 *
 * Every illegal transition throws a {@link ProtocolError} naming the reason and the phase.
 *
 * @example
 * const r = openRound({ round: 3, windowStart: 30, windowEnd: 40, activePeers: [1, 2, 5] });
 * r.submit(5, { bytes: 1200, hash: 'ab12', arrivedAt: 38.5 }); // 'accepted'
 * r.submit(2, { bytes: 1200, hash: 'cd34', arrivedAt: 41 });   // 'late'
 * const { selected } = r.close(41);                            // [peer 5's submission]
 * r.finalise(42, comm.apply(params, shared, messagesOf(selected))); // 'finalised' or 'skipped'
 */
import { ConfigError, SparseLocoError } from '../errors.ts';
import type { ApplyReport, WireBytes } from '../communicator.ts';

/** Where a round is. 'finalised' and 'skipped' are terminal. */
export type RoundPhase = 'open' | 'closed' | 'finalised' | 'skipped';

/** Machine-readable reasons of {@link ProtocolError}. */
export type ProtocolErrorReason =
  | 'submit-after-close'
  | 'close-twice'
  | 'close-before-window-end'
  | 'finalise-before-close'
  | 'finalise-twice'
  | 'non-monotonic-time'
  | 'bad-selection'
  | 'bad-report'
  | 'round-not-done'
  | 'round-out-of-order';

/** An input the protocol rules out in the current phase; `phase` is the phase it arrived in. */
export class ProtocolError extends SparseLocoError {
  override name = 'ProtocolError';
  constructor(
    readonly reason: ProtocolErrorReason,
    readonly phase: RoundPhase | null,
    message: string,
  ) {
    super(`${message} [${reason}${phase === null ? '' : `, phase ${phase}`}]`);
  }
}

/** What a peer put in the store for a round, as the protocol sees it. */
export interface SubmissionInput {
  /** Encoded message size (bytes). */
  readonly bytes: number;
  /** Commitment to the message (e.g. the hash posted on chain); opaque here. */
  readonly hash: string;
  /** When the upload completed (seconds, the caller's clock). */
  readonly arrivedAt: number;
}

/** A submission with its sender. */
export interface Submission extends SubmissionInput {
  readonly peerUid: number;
}

/**
 * How one `submit` was classified when it was made. 'accepted' means "on time and currently this
 * peer's kept message": a later call reporting an *earlier* arrival from the same peer displaces it.
 */
export type SubmitOutcome = 'accepted' | 'late' | 'duplicate' | 'not-active';

/** Picks, from the on-time submissions (ascending peerUid), the uids to aggregate. */
export type SelectionHook = (onTime: readonly Submission[]) => readonly number[];

/** The default hook: every on-time submission is selected ("accept all valid"). */
export const selectAll: SelectionHook = (onTime) => onTime.map((s) => s.peerUid);

/** Parameters of {@link openRound}. */
export interface OpenRoundParameters {
  /** Round (window) number, non-negative integer. */
  readonly round: number;
  /** Opening time of the window (seconds); also the time of the `open` input. */
  readonly windowStart: number;
  /** Submissions arriving after this are late (seconds, > windowStart). */
  readonly windowEnd: number;
  /** Uids allowed to submit this round (any order, no duplicates). */
  readonly activePeers: readonly number[];
  /** Selection applied at close; defaults to {@link selectAll}. */
  readonly select?: SelectionHook;
}

/** What `close` returns. */
export interface ClosedRound {
  /** Kept on-time submissions from active peers, ascending peerUid. */
  readonly onTime: readonly Submission[];
  /** The subset chosen by the selection hook, ascending peerUid: the messages to apply. */
  readonly selected: readonly Submission[];
}

/** The part of an {@link ApplyReport} the protocol needs (any method's report fits). */
export type FinaliseReport = Pick<ApplyReport, 'applied' | 'contributors'>;

/** Optional extras of `finalise`. */
export interface FinaliseOptions {
  /**
   * Per-node wire bytes of the sync (e.g. `communicator.wireBytes(sizes)`), summed into
   * `bytesDown`. Downloads depend on the method and on who syncs, which only the caller knows.
   */
  readonly wire?: readonly WireBytes[];
}

/** Counters the simulator records as metrics. All counts are submissions unless named otherwise. */
export interface RoundCounters {
  /** Every `submit` call. */
  readonly submitted: number;
  /** Kept on-time messages from active peers (one per peer). */
  readonly onTime: number;
  /** Arrived after windowEnd (from active peers). */
  readonly late: number;
  /** Extra on-time submissions of a peer beyond its kept one. */
  readonly duplicate: number;
  /** From peers outside the round's active set. */
  readonly notActive: number;
  /** Chosen by the selection hook (set at close). */
  readonly selected: number;
  /** Selected but left out by `apply` (set at finalise). */
  readonly rejectedByApply: number;
  /** Peers whose messages entered the update (set at finalise). */
  readonly contributors: number;
  /** Sum of all submissions' sizes, whatever their fate: it all crossed the uplink (bytes). */
  readonly bytesUp: number;
  /** Sum of the `wire` download bytes given to finalise; 0 when none given (bytes). */
  readonly bytesDown: number;
}

/** A snapshot of a round, for metrics and for {@link GlobalProgress}. */
export interface RoundOutcome {
  readonly round: number;
  readonly phase: RoundPhase;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly closedAt: number | null;
  readonly finalisedAt: number | null;
  /** Selected uids, ascending ([] before close). */
  readonly selected: readonly number[];
  /** Contributors from the apply report, ascending ([] before finalise or when skipped). */
  readonly contributors: readonly number[];
  readonly counters: RoundCounters;
}

/** Opens a round at `windowStart`. @throws {ConfigError} on bad parameters. */
export function openRound(params: OpenRoundParameters): RoundState {
  return new RoundState(params);
}

/** One round's state. Create it with {@link openRound}. MUTATED by submit, close and finalise. */
export class RoundState {
  readonly round: number;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly activePeers: ReadonlySet<number>;
  #phase: RoundPhase = 'open';
  readonly #select: SelectionHook;
  /** The kept on-time submission of each peer. */
  readonly #kept = new Map<number, Submission>();
  #latestArrival: number;
  #closedAt: number | null = null;
  #finalisedAt: number | null = null;
  #selected: readonly Submission[] = [];
  #contributors: readonly number[] = [];
  #counters = { submitted: 0, late: 0, duplicate: 0, notActive: 0, rejectedByApply: 0, bytesUp: 0, bytesDown: 0 };

  constructor(params: OpenRoundParameters) {
    const { round, windowStart, windowEnd } = params;
    if (!Number.isSafeInteger(round) || round < 0) throw new ConfigError('round', round, 'must be a non-negative safe integer');
    checkTime('windowStart', windowStart);
    checkTime('windowEnd', windowEnd);
    if (!(windowEnd > windowStart)) throw new ConfigError('windowEnd', windowEnd, `must be > windowStart (${windowStart})`);
    const active = new Set<number>();
    for (const uid of params.activePeers) {
      checkPeerUid(uid);
      if (active.has(uid)) throw new ConfigError('activePeers', uid, 'must not list a peer uid twice');
      active.add(uid);
    }
    this.round = round;
    this.windowStart = windowStart;
    this.windowEnd = windowEnd;
    this.activePeers = active;
    this.#select = params.select ?? selectAll;
    this.#latestArrival = windowStart;
  }

  get phase(): RoundPhase {
    return this.#phase;
  }

  /**
   * Records one upload. Legal only while 'open'; `arrivedAt` must not precede windowStart.
   * @throws {ProtocolError} 'submit-after-close' or 'non-monotonic-time'.
   */
  submit(peerUid: number, input: SubmissionInput): SubmitOutcome {
    if (this.#phase !== 'open') {
      throw new ProtocolError('submit-after-close', this.#phase, `round ${this.round}: peer ${peerUid} submitted after the round closed`);
    }
    checkPeerUid(peerUid);
    checkSubmission(input);
    if (input.arrivedAt < this.windowStart) {
      throw new ProtocolError('non-monotonic-time', this.#phase, `round ${this.round}: arrivedAt (${input.arrivedAt}) is before windowStart (${this.windowStart})`);
    }
    const c = this.#counters;
    c.submitted++;
    c.bytesUp += input.bytes;
    this.#latestArrival = Math.max(this.#latestArrival, input.arrivedAt);
    if (!this.activePeers.has(peerUid)) {
      c.notActive++;
      return 'not-active';
    }
    if (input.arrivedAt > this.windowEnd) {
      c.late++;
      return 'late';
    }
    const submission: Submission = Object.freeze({ peerUid, bytes: input.bytes, hash: input.hash, arrivedAt: input.arrivedAt });
    const current = this.#kept.get(peerUid);
    if (current === undefined) {
      this.#kept.set(peerUid, submission);
      return 'accepted';
    }
    c.duplicate++;
    if (comesFirst(submission, current)) {
      this.#kept.set(peerUid, submission);
      return 'accepted';
    }
    return 'duplicate';
  }

  /**
   * Closes the window at `at` and runs the selection hook.
   * @throws {ProtocolError} 'close-twice', 'close-before-window-end', 'non-monotonic-time'
   *   (a submission arrived after `at`) or 'bad-selection' (hook returned an unknown or repeated uid).
   */
  /** True once every active peer has an on-time submission: the round may close before windowEnd. */
  get complete(): boolean {
    return this.#kept.size === this.activePeers.size;
  }

  close(at: number): ClosedRound {
    if (this.#phase !== 'open') throw new ProtocolError('close-twice', this.#phase, `round ${this.round} is already ${this.#phase}`);
    checkTime('close at', at);
    // Early close is allowed only when nobody can still be waited for (every active peer is in).
    if (at < this.windowEnd && !this.complete) {
      throw new ProtocolError('close-before-window-end', this.#phase, `round ${this.round}: close at ${at} is before windowEnd (${this.windowEnd})`);
    }
    if (at < this.#latestArrival) {
      throw new ProtocolError('non-monotonic-time', this.#phase, `round ${this.round}: close at ${at} is before a submission that arrived at ${this.#latestArrival}`);
    }
    const onTime = Object.freeze([...this.#kept.values()].sort((a, b) => a.peerUid - b.peerUid));
    const byUid = new Map(onTime.map((s) => [s.peerUid, s]));
    const chosen = new Set<number>();
    for (const uid of this.#select(onTime)) {
      if (!byUid.has(uid)) throw new ProtocolError('bad-selection', this.#phase, `round ${this.round}: selection returned peer ${uid}, which has no on-time submission`);
      if (chosen.has(uid)) throw new ProtocolError('bad-selection', this.#phase, `round ${this.round}: selection returned peer ${uid} twice`);
      chosen.add(uid);
    }
    this.#selected = Object.freeze(onTime.filter((s) => chosen.has(s.peerUid)));
    this.#closedAt = at;
    this.#phase = 'closed';
    return Object.freeze({ onTime, selected: this.#selected });
  }

  /**
   * Ends the round with the apply report of the selected messages: 'finalised' when it applied,
   * 'skipped' when no message was valid (no outer step; SPEC.md §3).
   * @throws {ProtocolError} 'finalise-before-close', 'finalise-twice', 'non-monotonic-time', or
   *   'bad-report' (contributors not a subset of the selected set, or `applied` inconsistent with them).
   */
  finalise(at: number, report: FinaliseReport, options: FinaliseOptions = {}): 'finalised' | 'skipped' {
    if (this.#phase === 'open') throw new ProtocolError('finalise-before-close', this.#phase, `round ${this.round} must be closed before it is finalised`);
    if (this.#phase !== 'closed') throw new ProtocolError('finalise-twice', this.#phase, `round ${this.round} is already ${this.#phase}`);
    checkTime('finalise at', at);
    if (at < this.#closedAt!) {
      throw new ProtocolError('non-monotonic-time', this.#phase, `round ${this.round}: finalise at ${at} is before close at ${this.#closedAt}`);
    }
    const contributors = this.#checkReport(report);
    let bytesDown = 0;
    for (const w of options.wire ?? []) {
      if (!(w.downloadBytes >= 0) || !Number.isFinite(w.downloadBytes)) throw new ConfigError('wire downloadBytes', w.downloadBytes, 'must be a finite number ≥ 0');
      bytesDown += w.downloadBytes;
    }
    this.#contributors = contributors;
    this.#counters.rejectedByApply = this.#selected.length - contributors.length;
    this.#counters.bytesDown = bytesDown;
    this.#finalisedAt = at;
    this.#phase = report.applied ? 'finalised' : 'skipped';
    return this.#phase;
  }

  /** The counters so far (a copy). */
  get counters(): RoundCounters {
    return Object.freeze({
      submitted: this.#counters.submitted,
      onTime: this.#kept.size,
      late: this.#counters.late,
      duplicate: this.#counters.duplicate,
      notActive: this.#counters.notActive,
      selected: this.#selected.length,
      rejectedByApply: this.#counters.rejectedByApply,
      contributors: this.#contributors.length,
      bytesUp: this.#counters.bytesUp,
      bytesDown: this.#counters.bytesDown,
    });
  }

  /** A frozen snapshot of the round. */
  outcome(): RoundOutcome {
    return Object.freeze({
      round: this.round,
      phase: this.#phase,
      windowStart: this.windowStart,
      windowEnd: this.windowEnd,
      closedAt: this.#closedAt,
      finalisedAt: this.#finalisedAt,
      selected: Object.freeze(this.#selected.map((s) => s.peerUid)),
      contributors: this.#contributors,
      counters: this.counters,
    });
  }

  #checkReport(report: FinaliseReport): readonly number[] {
    const selected = new Set(this.#selected.map((s) => s.peerUid));
    const contributors = [...report.contributors];
    for (let i = 0; i < contributors.length; i++) {
      const uid = contributors[i]!;
      if (!selected.has(uid)) throw new ProtocolError('bad-report', this.#phase, `round ${this.round}: contributor ${uid} was not selected`);
      if (i > 0 && uid <= contributors[i - 1]!) {
        throw new ProtocolError('bad-report', this.#phase, `round ${this.round}: contributors ${JSON.stringify(contributors)} must be strictly ascending`);
      }
    }
    if (report.applied !== contributors.length > 0) {
      throw new ProtocolError('bad-report', this.#phase, `round ${this.round}: applied (${report.applied}) contradicts ${contributors.length} contributor(s)`);
    }
    return Object.freeze(contributors);
  }
}

/** Whether `a` is kept over `b` (same peer, both on time): earlier arrival, then smaller hash, then fewer bytes. */
function comesFirst(a: Submission, b: Submission): boolean {
  if (a.arrivedAt !== b.arrivedAt) return a.arrivedAt < b.arrivedAt;
  if (a.hash !== b.hash) return a.hash < b.hash;
  return a.bytes < b.bytes;
}

function checkTime(name: string, t: number): void {
  if (typeof t !== 'number' || !Number.isFinite(t)) throw new ConfigError(name, t, 'must be a finite number (seconds)');
}

function checkPeerUid(uid: number): void {
  if (!Number.isSafeInteger(uid) || uid < 0) throw new ConfigError('peerUid', uid, 'must be a non-negative safe integer');
}

function checkSubmission(input: SubmissionInput): void {
  if (!Number.isSafeInteger(input.bytes) || input.bytes < 0) throw new ConfigError('submission bytes', input.bytes, 'must be an integer ≥ 0 (bytes)');
  if (typeof input.hash !== 'string' || input.hash.length === 0) throw new ConfigError('submission hash', input.hash, 'must be a non-empty string');
  checkTime('submission arrivedAt', input.arrivedAt);
}
