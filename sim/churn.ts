/**
 * Churn world models: who is present for a round, who crashes mid-round, who joins. Every model
 * answers from (rng path, peer id, round or time) alone — each decision draws from its own fork
 * (`churn:<peer>:<round>`, `session:<peer>`, `crash:<peer>:<round>`, `joins`) — so answers do not
 * depend on which peers were asked, or in what order.
 *
 * Availability models (behind {@link ChurnModel}):
 * - `always`: no churn.
 * - `bernoulli`: each peer misses each round independently with probability `dropout`
 *   (the `churn-30pct` case is dropout 0.3).
 * - `sessions`: each peer alternates online/offline periods (sim seconds) drawn from two
 *   {@link Distribution}s, e.g. exponential or Weibull.
 * - `trace`: replay of online intervals from CSV text (`peer,start,end`, see {@link parseAvailabilityTrace}).
 *
 * For the time-based models a round's presence rule is `'whole-window'` (default: online for the
 * whole window [start, end) — a peer whose session ends mid-round could not upload, so it is absent)
 * or `'at-start'` (online at the window start; use {@link IntervalChurn.onlineUntil} to learn when it
 * leaves). Crashes ({@link CrashModel}) and joins ({@link JoinModel}) are separate, composable models.
 *
 * @example
 * const churn = createChurn({ availability: { kind: 'bernoulli', dropout: 0.3 } }, rng.fork('churn'));
 * churn.availability.isPresent(17, { round: 4, startS: 400, endS: 500 });
 */
import { ConfigError, SparseLocoError, assertInvariant } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import { distributionMean, sample, validateDistribution, type Distribution } from './distributions.ts';

/** A round's window on the sim clock: [startS, endS), sim seconds. */
export interface RoundWindow {
  readonly round: number;
  readonly startS: number;
  readonly endS: number;
}

/** Whether a peer takes part in a round. One interface for every availability model. */
export interface ChurnModel {
  readonly kind: 'always' | 'bernoulli' | 'sessions' | 'trace';
  isPresent(peer: number, window: RoundWindow): boolean;
}

/** How a time-based model turns online intervals into round presence (see the file header). */
export type PresenceRule = 'whole-window' | 'at-start';

// ---------------------------------------------------------------------------------------------
// Bernoulli dropout

/** No churn: every peer is present for every round. */
export class AlwaysPresent implements ChurnModel {
  readonly kind = 'always';
  isPresent(): boolean {
    return true;
  }
}

/**
 * Per-round Bernoulli dropout: peer `p` misses round `r` with probability `dropout`, drawn from
 * `rng.fork('churn:<p>:<r>')` — independent across peers and rounds and of query order.
 */
export class BernoulliDropout implements ChurnModel {
  readonly kind = 'bernoulli';
  constructor(
    readonly dropout: number,
    private readonly rng: Rng,
    key = 'churn.availability',
  ) {
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) throw new ConfigError(`${key}.dropout`, dropout, 'must be in [0, 1]');
  }

  isPresent(peer: number, window: RoundWindow): boolean {
    return !this.rng.fork(`churn:${peer}:${window.round}`).bernoulli(this.dropout);
  }
}

// ---------------------------------------------------------------------------------------------
// Interval models: sessions and traces

/**
 * A model in which each peer is online on a set of disjoint intervals [start, end) of sim time.
 * Subclasses supply the intervals; presence for a round follows the {@link PresenceRule}.
 */
export abstract class IntervalChurn implements ChurnModel {
  abstract readonly kind: 'sessions' | 'trace';
  constructor(readonly rule: PresenceRule) {
    if (rule !== 'whole-window' && rule !== 'at-start') throw new ConfigError('churn.availability.rule', rule, 'must be "whole-window" or "at-start"');
  }

  /**
   * Flat [start0, end0, start1, end1, …] online intervals of `peer`, ascending, disjoint and
   * non-touching, covering at least up to time `t` (sessions are generated lazily up to `t`).
   */
  protected abstract intervalsThrough(peer: number, t: number): readonly number[];

  /** Whether `peer` is online at sim time `t`. */
  isOnline(peer: number, t: number): boolean {
    return this.onlineUntil(peer, t) !== null;
  }

  /**
   * When `peer` is online at `t`: the end of that online stretch (sim seconds; may be Infinity).
   * When offline: `null`. Lets the round protocol schedule a mid-round departure.
   */
  onlineUntil(peer: number, t: number): number | null {
    const iv = this.intervalsThrough(peer, t);
    // Last interval whose start ≤ t (binary search over the starts).
    let lo = 0;
    let hi = iv.length / 2 - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (iv[2 * mid]! <= t) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return null;
    const end = iv[2 * found + 1]!;
    return t < end ? end : null;
  }

  /**
   * Presence for a round: `'whole-window'` → online throughout [window.startS, window.endS);
   * `'at-start'` → online at window.startS.
   */
  availableForRound(peer: number, windowStartS: number, windowEndS: number): boolean {
    const until = this.onlineUntil(peer, windowStartS);
    if (until === null) return false;
    return this.rule === 'at-start' || until >= windowEndS;
  }

  isPresent(peer: number, window: RoundWindow): boolean {
    return this.availableForRound(peer, window.startS, window.endS);
  }
}

/** How a session model starts each peer at time 0. */
export type InitialState = 'stationary' | 'online' | 'offline';

export interface SessionConfig {
  /** Online (session) durations, sim seconds; must draw values > 0. */
  readonly onS: Distribution;
  /** Offline durations, sim seconds; must draw values > 0. */
  readonly offS: Distribution;
  /**
   * `'stationary'` (default): online at time 0 with probability E[on] / (E[on] + E[off]), the
   * long-run online fraction. The first period is then a full draw, which is exactly stationary for
   * exponential durations and an approximation otherwise (the residual of a Weibull differs).
   */
  readonly initial?: InitialState;
  readonly rule?: PresenceRule;
}

interface SessionState {
  readonly rng: Rng;
  /** Flat online intervals generated so far. */
  readonly intervals: number[];
  /** Time up to which the on/off sequence has been generated. */
  horizonS: number;
  /** State from `horizonS` on. */
  online: boolean;
}

/**
 * Alternating renewal on/off sessions per peer, from `rng.fork('session:<peer>')`, generated lazily
 * as far as queries reach. Long-run online fraction: E[on] / (E[on] + E[off]) ({@link onlineFraction}).
 */
export class SessionChurn extends IntervalChurn {
  readonly kind = 'sessions';
  readonly #peers = new Map<number, SessionState>();
  readonly #onlineAtStartP: number;

  constructor(
    readonly config: SessionConfig,
    private readonly rng: Rng,
    key = 'churn.availability',
  ) {
    super(config.rule ?? 'whole-window');
    validateDistribution(`${key}.onS`, config.onS, 'positive');
    validateDistribution(`${key}.offS`, config.offS, 'positive');
    const initial = config.initial ?? 'stationary';
    if (initial !== 'stationary' && initial !== 'online' && initial !== 'offline') {
      throw new ConfigError(`${key}.initial`, initial, 'must be "stationary", "online" or "offline"');
    }
    this.#onlineAtStartP = initial === 'stationary' ? this.onlineFraction() : initial === 'online' ? 1 : 0;
  }

  /** Long-run fraction of time a peer is online: E[on] / (E[on] + E[off]). */
  onlineFraction(): number {
    const on = distributionMean(this.config.onS);
    return on / (on + distributionMean(this.config.offS));
  }

  protected intervalsThrough(peer: number, t: number): readonly number[] {
    assertInvariant(t >= 0, `session churn queried at t = ${t}; sessions start at 0`);
    let state = this.#peers.get(peer);
    if (state === undefined) {
      const rng = this.rng.fork(`session:${peer}`);
      state = { rng, intervals: [], horizonS: 0, online: rng.bernoulli(this.#onlineAtStartP) };
      this.#peers.set(peer, state);
    }
    // Generate until the period covering t is known (horizon strictly past t).
    while (state.horizonS <= t) {
      const durationS = sample(state.online ? this.config.onS : this.config.offS, state.rng);
      if (state.online) state.intervals.push(state.horizonS, state.horizonS + durationS);
      state.horizonS += durationS;
      state.online = !state.online;
    }
    return state.intervals;
  }
}

// ---------------------------------------------------------------------------------------------
// Trace replay

/** A malformed availability trace; names the 1-based line and column and the bad value. */
export class TraceParseError extends SparseLocoError {
  override name = 'TraceParseError';
  constructor(
    readonly line: number,
    readonly column: number,
    readonly columnName: string,
    readonly value: string,
    readonly constraint: string,
  ) {
    super(`availability trace line ${line}, column ${column} (${columnName}): ${JSON.stringify(value)} ${constraint}`);
  }
}

/** Parsed trace: per peer, flat sorted online intervals [start, end) in sim seconds. */
export interface AvailabilityTrace {
  readonly intervals: ReadonlyMap<number, readonly number[]>;
  /** Peer ids that appear in the trace, ascending. */
  readonly peers: readonly number[];
}

const TRACE_COLUMNS = ['peer', 'start', 'end'] as const;

/**
 * Parses an availability trace from CSV text (the caller reads the file; nothing under sim/ does
 * I/O). Format: one online interval per row, `peer,start,end` — a peer id (integer ≥ 0) online
 * over [start, end) sim seconds, with 0 ≤ start < end; `end` may be `inf`. An optional header row
 * `peer,start,end`, blank lines and `#` comment lines are allowed; fields are trimmed. Intervals of
 * one peer may come in any order; touching ones merge, overlapping ones are an error.
 *
 * @example parseAvailabilityTrace('peer,start,end\n0,0,3600\n1,600,inf\n')
 * @throws {TraceParseError} naming the line, column and value.
 */
export function parseAvailabilityTrace(csv: string): AvailabilityTrace {
  const rows = new Map<number, { start: number; end: number; line: number }[]>();
  let seenData = false;
  csv.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) return;
    const fields = text.split(',').map((f) => f.trim());
    if (!seenData && fields.length === 3 && fields.every((f, i) => f.toLowerCase() === TRACE_COLUMNS[i])) {
      seenData = true; // the header
      return;
    }
    seenData = true;
    if (fields.length < 3) {
      throw new TraceParseError(line, fields.length + 1, TRACE_COLUMNS[fields.length]!, '', `is missing: expected 3 fields (peer,start,end), got ${fields.length}`);
    }
    if (fields.length > 3) {
      throw new TraceParseError(line, 4, '(extra)', fields[3]!, `is one field too many: expected 3 fields (peer,start,end), got ${fields.length}`);
    }
    const [peerText, startText, endText] = fields as [string, string, string];
    if (!/^\d+$/.test(peerText) || !Number.isSafeInteger(Number(peerText))) {
      throw new TraceParseError(line, 1, 'peer', peerText, 'must be an integer ≥ 0');
    }
    const start = parseTime(startText);
    if (start === null || !Number.isFinite(start) || start < 0) throw new TraceParseError(line, 2, 'start', startText, 'must be a finite number ≥ 0 (sim seconds)');
    const end = parseTime(endText);
    if (end === null || !(end > start)) throw new TraceParseError(line, 3, 'end', endText, `must be a number > start (${start}) or "inf"`);
    const peer = Number(peerText);
    if (!rows.has(peer)) rows.set(peer, []);
    rows.get(peer)!.push({ start, end, line });
  });

  const intervals = new Map<number, readonly number[]>();
  for (const [peer, list] of rows) {
    list.sort((a, b) => a.start - b.start || a.line - b.line);
    const flat: number[] = [];
    let prevLine = 0;
    for (const { start, end, line } of list) {
      const last = flat.length - 1;
      if (last > 0 && start < flat[last]!) {
        throw new TraceParseError(line, 2, 'start', String(start), `overlaps peer ${peer}'s interval ending at ${flat[last]} (line ${prevLine})`);
      }
      if (last > 0 && start === flat[last]) flat[last] = end; // touching: merge
      else flat.push(start, end);
      prevLine = line;
    }
    intervals.set(peer, flat);
  }
  return { intervals, peers: [...intervals.keys()].sort((a, b) => a - b) };
}

function parseTime(text: string): number | null {
  if (/^(inf|infinity)$/i.test(text)) return Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null;
  return Number(text);
}

/** Replays a parsed trace. Peers absent from the trace are never online. */
export class TraceChurn extends IntervalChurn {
  readonly kind = 'trace';
  constructor(
    readonly trace: AvailabilityTrace,
    rule: PresenceRule = 'whole-window',
  ) {
    super(rule);
  }

  protected intervalsThrough(peer: number): readonly number[] {
    return this.trace.intervals.get(peer) ?? [];
  }
}

// ---------------------------------------------------------------------------------------------
// Mid-round crashes

export interface CrashConfig {
  /** Probability that a peer present at round start crashes after training, before upload. */
  readonly probability: number;
  /**
   * Where in the round the crash happens, as a fraction of the round window in [0, 1): `fixed`,
   * `uniform` (within [0, 1]) or `choice` (values in [0, 1)). Default uniform on [0, 1).
   */
  readonly fraction?: Distribution;
}

/**
 * Mid-round crashes, drawn from `rng.fork('crash:<peer>:<round>')`: with `probability` a peer that
 * was present at round start trains but leaves before uploading. The crash point is reported as a
 * fraction f ∈ [0, 1) of the round window (crash time = start + f · (end − start)); the round
 * protocol uses it for time and energy accounting.
 */
export class CrashModel {
  readonly #fraction: Distribution;

  constructor(
    readonly config: CrashConfig,
    private readonly rng: Rng,
    key = 'churn.crash',
  ) {
    if (typeof config.probability !== 'number' || !(config.probability >= 0 && config.probability <= 1)) {
      throw new ConfigError(`${key}.probability`, config.probability, 'must be in [0, 1]');
    }
    this.#fraction = config.fraction ?? { kind: 'uniform', min: 0, max: 1 };
    validateFraction(`${key}.fraction`, this.#fraction);
  }

  /** `null` when `peer` does not crash in `round`; otherwise the crash point f ∈ [0, 1). */
  crashPoint(peer: number, round: number): number | null {
    const rng = this.rng.fork(`crash:${peer}:${round}`);
    if (!rng.bernoulli(this.config.probability)) return null;
    // Guard the open upper end against rounding in min + (max − min)·u.
    return Math.min(sample(this.#fraction, rng), BELOW_ONE);
  }
}

const BELOW_ONE = 1 - Number.EPSILON / 2;

function validateFraction(key: string, d: Distribution): void {
  validateDistribution(key, d, 'nonNegative');
  const ok =
    (d.kind === 'fixed' && d.value < 1) ||
    (d.kind === 'uniform' && d.max <= 1) ||
    (d.kind === 'choice' && d.values.every((v) => v < 1));
  if (!ok) throw new ConfigError(key, d, 'must be a fixed, uniform or choice distribution with values in [0, 1)');
}

// ---------------------------------------------------------------------------------------------
// Joins

/** A new peer id and when it arrives (sim seconds). */
export interface Join {
  readonly peer: number;
  readonly atS: number;
}

export type JoinConfig =
  /** Poisson arrivals at `ratePerS` (per sim second), ids `firstPeerId`, `firstPeerId + 1`, … in arrival order. */
  | { readonly kind: 'poisson'; readonly ratePerS: number; readonly firstPeerId: number }
  /** `count` new peers at the start of each listed round; ids allocated in round order. */
  | { readonly kind: 'listed'; readonly firstPeerId: number; readonly rounds: readonly { readonly round: number; readonly count: number }[] };

/** New peers arriving over time. */
export interface JoinModel {
  /** The peers that arrive during `window` ([startS, endS), or at its start for listed joins), ascending id. */
  joinsForRound(window: RoundWindow): readonly Join[];
}

/** Poisson arrivals from the single stream `rng.fork('joins')`, generated lazily in time order. */
export class PoissonJoins implements JoinModel {
  readonly #rng: Rng;
  readonly #arrivalsS: number[] = [];
  #lastS = 0;

  constructor(
    readonly ratePerS: number,
    readonly firstPeerId: number,
    rng: Rng,
    key = 'churn.joins',
  ) {
    if (!(Number.isFinite(ratePerS) && ratePerS > 0)) throw new ConfigError(`${key}.ratePerS`, ratePerS, 'must be a finite number > 0 (arrivals per sim second)');
    if (!Number.isSafeInteger(firstPeerId) || firstPeerId < 0) throw new ConfigError(`${key}.firstPeerId`, firstPeerId, 'must be an integer ≥ 0');
    this.#rng = rng.fork('joins');
  }

  /** Arrivals in [fromS, toS), ascending. */
  joinsBetween(fromS: number, toS: number): Join[] {
    while (this.#lastS < toS) {
      this.#lastS += this.#rng.exponential(1 / this.ratePerS);
      this.#arrivalsS.push(this.#lastS);
    }
    const out: Join[] = [];
    for (let i = lowerBound(this.#arrivalsS, fromS); i < this.#arrivalsS.length && this.#arrivalsS[i]! < toS; i++) {
      out.push({ peer: this.firstPeerId + i, atS: this.#arrivalsS[i]! });
    }
    return out;
  }

  joinsForRound(window: RoundWindow): readonly Join[] {
    return this.joinsBetween(window.startS, window.endS);
  }
}

/** Joins at listed rounds; deterministic, no randomness. */
export class ListedJoins implements JoinModel {
  readonly #byRound = new Map<number, { firstId: number; count: number }>();

  constructor(
    readonly firstPeerId: number,
    rounds: readonly { readonly round: number; readonly count: number }[],
    key = 'churn.joins',
  ) {
    if (!Number.isSafeInteger(firstPeerId) || firstPeerId < 0) throw new ConfigError(`${key}.firstPeerId`, firstPeerId, 'must be an integer ≥ 0');
    if (!Array.isArray(rounds)) throw new ConfigError(`${key}.rounds`, rounds, 'must be an array of { round, count }');
    rounds.forEach(({ round, count }, i) => {
      if (!Number.isSafeInteger(round) || round < 0) throw new ConfigError(`${key}.rounds[${i}].round`, round, 'must be an integer ≥ 0');
      if (!Number.isSafeInteger(count) || count < 1) throw new ConfigError(`${key}.rounds[${i}].count`, count, 'must be an integer ≥ 1');
      if (this.#byRound.has(round)) throw new ConfigError(`${key}.rounds[${i}].round`, round, 'must be unique');
      this.#byRound.set(round, { firstId: 0, count });
    });
    let next = firstPeerId;
    for (const round of [...this.#byRound.keys()].sort((a, b) => a - b)) {
      const entry = this.#byRound.get(round)!;
      entry.firstId = next;
      next += entry.count;
    }
  }

  joinsForRound(window: RoundWindow): readonly Join[] {
    const entry = this.#byRound.get(window.round);
    if (entry === undefined) return [];
    return Array.from({ length: entry.count }, (_, i) => ({ peer: entry.firstId + i, atS: window.startS }));
  }
}

function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------
// Config → models

export type AvailabilityConfig =
  | { readonly kind: 'always' }
  | { readonly kind: 'bernoulli'; readonly dropout: number }
  | ({ readonly kind: 'sessions' } & SessionConfig)
  /** `csv` is the trace text (see {@link parseAvailabilityTrace}); the caller reads the file. */
  | { readonly kind: 'trace'; readonly csv: string; readonly rule?: PresenceRule };

export interface ChurnConfig {
  readonly availability: AvailabilityConfig;
  readonly crash?: CrashConfig;
  readonly joins?: JoinConfig;
  /**
   * What a peer keeps when it comes back after an absence or a crash (sim/peer-state.ts):
   * 'resume' (default) its error-feedback buffer, AdamW moments and step count, as a real peer
   * reads them back from its own disk; 'fresh' starts both anew.
   */
  readonly restart?: RestartSemantics;
}

/** The values of `churn.restart`. */
export const RESTART_SEMANTICS = ['resume', 'fresh'] as const;
export type RestartSemantics = (typeof RESTART_SEMANTICS)[number];

export interface Churn {
  readonly availability: ChurnModel;
  readonly crashes: CrashModel | null;
  readonly joins: JoinModel | null;
}

/**
 * Builds the churn models of a run from typed config (validated; errors name `key.…`). Pass a
 * stream reserved for churn, e.g. `rng.fork('churn')`.
 */
export function createChurn(cfg: ChurnConfig, rng: Rng, key = 'churn'): Churn {
  const a = cfg.availability;
  let availability: ChurnModel;
  switch (a?.kind) {
    case 'always':
      availability = new AlwaysPresent();
      break;
    case 'bernoulli':
      availability = new BernoulliDropout(a.dropout, rng, `${key}.availability`);
      break;
    case 'sessions':
      availability = new SessionChurn(a, rng, `${key}.availability`);
      break;
    case 'trace':
      availability = new TraceChurn(parseAvailabilityTrace(a.csv), a.rule ?? 'whole-window');
      break;
    default:
      throw new ConfigError(`${key}.availability.kind`, (a as { kind?: unknown } | undefined)?.kind, 'must be one of always, bernoulli, sessions, trace');
  }
  if (cfg.restart !== undefined && !(RESTART_SEMANTICS as readonly unknown[]).includes(cfg.restart)) {
    throw new ConfigError(`${key}.restart`, cfg.restart, `must be one of ${RESTART_SEMANTICS.join(', ')}`);
  }
  const crashes = cfg.crash === undefined ? null : new CrashModel(cfg.crash, rng, `${key}.crash`);
  let joins: JoinModel | null = null;
  if (cfg.joins !== undefined) {
    const j = cfg.joins;
    if (j.kind === 'poisson') joins = new PoissonJoins(j.ratePerS, j.firstPeerId, rng, `${key}.joins`);
    else if (j.kind === 'listed') joins = new ListedJoins(j.firstPeerId, j.rounds, `${key}.joins`);
    else throw new ConfigError(`${key}.joins.kind`, (j as { kind: unknown }).kind, 'must be "poisson" or "listed"');
  }
  return { availability, crashes, joins };
}
