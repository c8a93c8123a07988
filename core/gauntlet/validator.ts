/**
 * One round of Gauntlet validation as a pure function (SPEC.md §5): fast filter → loss scores for
 * a sample → OpenSkill update → binary moving averages → penalties → final scores → top-G selection
 * and weights. State goes in and comes out; the loss oracle and the hash are injected; the only
 * randomness (which peers to evaluate, which random shards to compare with) comes from `rng`.
 *
 * Order of work, each step over peers in ascending uid:
 *   1. every active peer (a key of `assignments`) is checked by {@link checkSubmission}; a peer
 *      with no submission is 'missing';
 *   2. if `normBoundMultiple` is set, bounds = multiple × the lower median of the passing peers'
 *      tensor norms, and peers above them fail with 'norm-bound';
 *   3. `evalSampleSize` of the passing peers (all by default) are scored (score.ts);
 *      (a negative loss score is a failure unless the round's `negativeGuardRank`-th best score is
 *      negative too, templar's guard against penalising everyone in a bad round);
 *   4. the round's ranking = evaluated peers' loss scores plus `failureRankScore` for each failing
 *      peer (templar `record_missing_gradient_for_openskill`), rated with OpenSkill;
 *   5. evaluated peers update their bma and sync; failures and successes go through the graduated
 *      penalties (rating.ts); slashes are reported;
 *   6. final scores are recomputed for every ranked peer; the others keep theirs;
 *   7. selection: top-G by final score among peers that passed this round, did not fail, are not
 *      excluded, and have a positive final score. Cold start: when none has one (the first rounds,
 *      when every ordinal is still ≤ 0), top-G by this round's loss score among those with a
 *      positive one, so a run can start without admitting a peer that made the loss worse;
 *   8. weights: normalised max(final, 0)^power over this round's peers that did not fail and are
 *      not excluded.
 *
 * @example
 * const out = validateRound({ round: 7, globalStep: 7, params, submissions, assignments, layout, cfg,
 *   gauntlet: resolveGauntletConfig(), numShards: 16, loss: (p, d) => backend.evaluate(p, d),
 *   hash: sha256Hex, windowEnd: 80, state, rng: rng.fork('validator:7') });
 * comm.apply(params, shared, out.selected.map(uid => messageOf(uid)));
 */
import { ConfigError } from '../errors.ts';
import type { ParamLayout } from '../layout.ts';
import type { Rng } from '../rng.ts';
import type { PeerUpdate } from '../sparseloco/aggregate.ts';
import type { SparseLocoConfig } from '../sparseloco/config.ts';
import type { CodecErrorReason } from '../sparseloco/codec.ts';
import type { GauntletConfig } from './config.ts';
import { checkSubmission, exceededNormBound, medianNormBounds } from './integrity.ts';
import type { IntegrityReason, IntegrityVerdict, SubmissionEvidence } from './integrity.ts';
import {
  finalScore,
  initialRecord,
  isExcluded,
  ordinalOf,
  powerWeights,
  rateRound,
  recordOutcome,
  selectTopG,
  updateBinaryMovingAverage,
} from './rating.ts';
import type { GauntletState, PenaltyAction, PeerRecord } from './rating.ts';
import { pickRandomShards, scoreUpdate } from './score.ts';
import type { LossOracle, LossScore } from './score.ts';

/** One peer's submission for the round. */
export interface ValidatorSubmission extends SubmissionEvidence {
  readonly uid: number;
  /**
   * Result of the sync check (the peer's published parameter sample against the global model), in
   * [0, 1]; default 1. See core/protocol/sync-score.ts for templar's measurement.
   */
  readonly syncScore?: number;
}

/** Inputs of {@link validateRound}. */
export interface ValidateRoundParameters {
  /** The round (window) being validated; exclusions are counted in rounds. */
  readonly round: number;
  /** Outer steps applied so far (freshness reference, see integrity.ts). */
  readonly globalStep: number;
  /** Global θ the peers started from; read only. */
  readonly params: Float32Array;
  /** Submissions, at most one per uid (the round protocol keeps the earliest). */
  readonly submissions: readonly ValidatorSubmission[];
  /** Active peers of the round and the shards each was assigned; submissions from others are ignored. */
  readonly assignments: ReadonlyMap<number, readonly number[]>;
  readonly layout: ParamLayout;
  readonly cfg: SparseLocoConfig;
  readonly gauntlet: GauntletConfig;
  /** Number of data shards (random comparison shards are drawn from [0, numShards)). */
  readonly numShards: number;
  readonly loss: LossOracle;
  readonly hash: (bytes: Uint8Array) => string;
  /** End of the upload window (seconds, the submissions' clock). */
  readonly windowEnd: number;
  readonly state: GauntletState;
  readonly rng: Rng;
}

/** What the validator concluded about one peer. */
export interface PeerVerdict {
  readonly uid: number;
  readonly integrity: 'ok' | IntegrityReason;
  readonly integrityDetail?: string;
  readonly codecReason?: CodecErrorReason | 'internal-error';
  /** Present iff the peer's loss was evaluated this round. */
  readonly score?: LossScore;
  /** Counted as a failure this round (integrity, or a negative loss score when configured). */
  readonly failed: boolean;
  readonly penalty: PenaltyAction;
  readonly excluded: boolean;
  readonly ordinal: number;
  readonly bma: number;
  readonly sync: number;
  readonly finalScore: number;
  readonly weight: number;
  readonly selected: boolean;
}

/** A slash to post on chain. */
export interface Slash {
  readonly uid: number;
  readonly reason: 'repeated-failures';
  /** The failure that triggered it. */
  readonly lastFailure: IntegrityReason | 'negative-score';
}

/** Outputs of {@link validateRound}. */
export interface ValidateRoundResult {
  /** One verdict per active peer, ascending uid. */
  readonly perPeer: readonly PeerVerdict[];
  /** Uids to aggregate, ascending (at most gatherPeerCount). */
  readonly selected: readonly number[];
  /** The selected peers' decoded updates, ascending uid: ready for `aggregate`. */
  readonly selectedUpdates: readonly PeerUpdate[];
  /** True when selection fell back to this round's loss scores (no positive final score yet). */
  readonly coldStart: boolean;
  readonly slashes: readonly Slash[];
  /** Submissions from uids outside `assignments`, ascending. */
  readonly ignored: readonly number[];
  readonly nextState: GauntletState;
}

interface Working {
  uid: number;
  verdict: IntegrityVerdict;
  sync: number;
  score?: LossScore;
  failure: IntegrityReason | 'negative-score' | null;
  penalty: PenaltyAction;
}

/** Validates one round. Pure: inputs are not mutated. Never throws on peer input. */
export function validateRound(p: ValidateRoundParameters): ValidateRoundResult {
  checkParameters(p);
  const g = p.gauntlet;
  const byUid = new Map<number, ValidatorSubmission>();
  for (const s of p.submissions) {
    if (byUid.has(s.uid)) throw new ConfigError('submissions', s.uid, 'must hold at most one submission per uid');
    byUid.set(s.uid, s);
  }
  const active = [...p.assignments.keys()].sort((a, b) => a - b);
  const ignored = [...byUid.keys()].filter((uid) => !p.assignments.has(uid)).sort((a, b) => a - b);
  const context = { layout: p.layout, cfg: p.cfg, hash: p.hash, windowEnd: p.windowEnd, globalStep: p.globalStep, maxStepsBehind: g.maxStepsBehind };

  // 1–2. Fast filter, then the round-relative norm bound.
  const work: Working[] = active.map((uid) => {
    const s = byUid.get(uid);
    const verdict = checkSubmission(s ?? { bytes: null, commitment: null, arrivedAt: null }, context);
    const sync = clampSync(s?.syncScore);
    return { uid, verdict, sync, failure: verdict.ok ? null : verdict.reason, penalty: 'none' };
  });
  if (g.normBoundMultiple !== null) {
    const passing = work.filter((w) => w.verdict.ok);
    const bounds = medianNormBounds(passing.map((w) => (w.verdict as { tensorNorms: readonly number[] }).tensorNorms), g.normBoundMultiple);
    if (bounds !== null) {
      for (const w of passing) {
        if (!w.verdict.ok) continue;
        const over = exceededNormBound(p.layout, w.verdict.tensorNorms, bounds);
        if (over !== null) {
          w.verdict = { ok: false, reason: 'norm-bound', detail: over };
          w.failure = 'norm-bound';
        }
      }
    }
  }

  // 3. Loss scores for a sample of the passing peers.
  const passing = work.filter((w) => w.verdict.ok);
  const evaluated = sampleForEvaluation(passing.map((w) => w.uid), g.evalSampleSize, p.rng.fork('eval-sample'));
  const lossBeforeCache = new Map<string, number>();
  const lossBefore = (shards: readonly number[]): number => {
    const key = shards.join(',');
    let value = lossBeforeCache.get(key);
    if (value === undefined) {
      value = p.loss(p.params, { shards });
      lossBeforeCache.set(key, value);
    }
    return value;
  };
  const scratch = new Float32Array(p.layout.size);
  const randomRng = p.rng.fork('random-data');
  for (const w of passing) {
    if (!evaluated.has(w.uid) || !w.verdict.ok) continue;
    const assigned = p.assignments.get(w.uid)!;
    const randomShards = pickRandomShards(randomRng.fork(`peer:${w.uid}`), p.numShards, g.randomShardCount ?? Math.min(assigned.length, p.numShards), assigned);
    w.score = scoreUpdate({
      layout: p.layout, cfg: p.cfg, params: p.params, update: w.verdict.update, evalLrFactor: g.evalLrFactor,
      loss: p.loss, assignedShards: assigned, randomShards, lossBefore, scratch,
    });
  }
  if (g.negativeScoreIsFailure && !roundWentBadly(passing, g.negativeGuardRank)) {
    for (const w of passing) if (w.score !== undefined && !(w.score.lossScore >= 0)) w.failure = 'negative-score';
  }

  // 4. OpenSkill over the round's ranking (a non-finite loss score ranks as a failure).
  const ranking = work
    .filter((w) => w.score !== undefined || w.verdict.ok === false)
    .map((w) => ({ uid: w.uid, score: w.score !== undefined && Number.isFinite(w.score.lossScore) ? w.score.lossScore : g.failureRankScore }));
  const rated = rateRound(p.state.peers, ranking, g);

  // 5–6. bma, sync, penalties, final scores.
  const peers = new Map<number, PeerRecord>(p.state.peers);
  const roundsRun = p.state.rounds + 1;
  const slashes: Slash[] = [];
  for (const w of work) {
    let record = peers.get(w.uid) ?? initialRecord(w.uid);
    const r = rated.get(w.uid);
    if (r !== undefined) record = { ...record, mu: r.mu, sigma: r.sigma };
    if (w.score !== undefined) {
      record = { ...record, bma: updateBinaryMovingAverage(record.bma, w.score.binary, g.binaryMaAlpha), sync: w.sync };
    }
    const outcome = recordOutcome(record, w.failure !== null, p.round, g);
    record = outcome.record;
    w.penalty = outcome.action;
    if (outcome.action === 'slashed') slashes.push({ uid: w.uid, reason: 'repeated-failures', lastFailure: w.failure! });
    if (r !== undefined || outcome.action === 'slashed') record = { ...record, finalScore: finalScore(record, roundsRun, g) };
    peers.set(w.uid, record);
  }

  // 7. Selection.
  const eligible = work.filter((w) => w.verdict.ok && w.failure === null && !isExcluded(peers.get(w.uid), p.round));
  const positive = eligible.filter((w) => peers.get(w.uid)!.finalScore > 0);
  const coldStart = positive.length === 0;
  const selected = coldStart
    ? selectTopG(eligible.filter((w) => w.score !== undefined && w.score.lossScore > 0).map((w) => ({ uid: w.uid, score: w.score!.lossScore })), g.gatherPeerCount)
    : selectTopG(positive.map((w) => ({ uid: w.uid, score: peers.get(w.uid)!.finalScore })), g.gatherPeerCount);
  const selectedSet = new Set(selected);

  // 8. Weights (rewards) over this round's peers in good standing.
  const weights = new Map(
    powerWeights(eligible.map((w) => ({ uid: w.uid, score: peers.get(w.uid)!.finalScore })), g.weightPower).map((x) => [x.uid, x.weight]),
  );

  const perPeer: PeerVerdict[] = work.map((w) => {
    const record = peers.get(w.uid)!;
    const v = w.verdict;
    return {
      uid: w.uid,
      integrity: v.ok ? 'ok' : v.reason,
      ...(v.ok ? {} : { integrityDetail: v.detail }),
      ...(!v.ok && v.codecReason !== undefined ? { codecReason: v.codecReason } : {}),
      ...(w.score !== undefined ? { score: w.score } : {}),
      failed: w.failure !== null,
      penalty: w.penalty,
      excluded: isExcluded(record, p.round),
      ordinal: ordinalOf(record),
      bma: record.bma,
      sync: record.sync,
      finalScore: record.finalScore,
      weight: weights.get(w.uid) ?? 0,
      selected: selectedSet.has(w.uid),
    };
  });
  const selectedUpdates: PeerUpdate[] = work
    .filter((w) => selectedSet.has(w.uid) && w.verdict.ok)
    .map((w) => ({ peerUid: w.uid, update: (w.verdict as { update: PeerUpdate['update'] }).update }));
  return { perPeer, selected, selectedUpdates, coldStart, slashes, ignored, nextState: { rounds: roundsRun, peers } };
}

/** templar's guard: the evaluated peer at `rank` (or the worst, if fewer) has a negative score. */
function roundWentBadly(work: readonly Working[], rank: number): boolean {
  if (rank === 0) return false;
  const scores = work
    .filter((w) => w.score !== undefined)
    .map((w) => (Number.isFinite(w.score!.lossScore) ? w.score!.lossScore : -Infinity))
    .sort((a, b) => b - a);
  if (scores.length === 0) return false;
  return scores[Math.min(rank, scores.length) - 1]! < 0;
}

/** `size` uids drawn uniformly without replacement (all when size is null or ≥ the count). */
function sampleForEvaluation(uids: readonly number[], size: number | null, rng: Rng): Set<number> {
  if (size === null || size >= uids.length) return new Set(uids);
  return new Set(rng.shuffle([...uids]).slice(0, size));
}

function clampSync(sync: number | undefined): number {
  if (sync === undefined) return 1;
  return Number.isFinite(sync) ? Math.min(1, Math.max(0, sync)) : 0;
}

function checkParameters(p: ValidateRoundParameters): void {
  if (!Number.isSafeInteger(p.round) || p.round < 0) throw new ConfigError('round', p.round, 'must be an integer ≥ 0');
  if (!(p.params instanceof Float32Array) || p.params.length !== p.layout.size) {
    throw new ConfigError('params.length', p.params?.length, `must be a Float32Array of layout.size (${p.layout.size})`);
  }
  if (!Number.isSafeInteger(p.numShards) || p.numShards < 1) throw new ConfigError('numShards', p.numShards, 'must be an integer ≥ 1');
  for (const [uid, shards] of p.assignments) {
    if (!Number.isSafeInteger(uid) || uid < 0) throw new ConfigError('assignment uid', uid, 'must be an integer ≥ 0');
    if (shards.length === 0) throw new ConfigError(`assignment of peer ${uid}`, shards, 'must hold at least one shard');
    for (const s of shards) {
      if (!Number.isSafeInteger(s) || s < 0 || s >= p.numShards) throw new ConfigError(`shard of peer ${uid}`, s, `must be an integer in [0, ${p.numShards})`);
    }
  }
}
