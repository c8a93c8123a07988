/**
 * The validator's round, one function for the simulator (sim/defence.ts) and the cluster's
 * validator process (cluster/validator.ts): a round's on-time messages go through the run's
 * defence and the accepted ones make the outer step on `params`. Flower-shaped: what happened
 * before the defence (integrity failures found by the caller, late or missing peers) arrives as
 * data in `failures` and is counted with the defence's own rejections.
 *
 *   'none' / 'gauntlet'  the communicator's own apply (for 'gauntlet' the lagged validator judges
 *                        the window later, core/gauntlet/window.ts; nothing here waits for it);
 *   'robust'             robust-step.ts;
 *   'gauntlet-oracle'    `validateRound` (core/gauntlet/validator.ts) on every message —
 *                        integrity, loss scores on assigned and random shards, OpenSkill rating,
 *                        penalties and slashes, top-G selection, weights — then only the
 *                        selection goes through the communicator.
 *
 * Rejection reasons: the caller's failure reasons, then 'decode:<codec reason>',
 * 'config-mismatch', 'non-finite', 'robust:<reason>', and for the oracle 'hash-mismatch',
 * 'stale', 'norm-bound', 'late' and 'negative-score' (a peer with no submission is not counted:
 * it is late or crashed).
 */
import type { ApplyReport, Communicator, PeerMessage } from '../baselines/index.ts';
import type { GauntletConfig } from '../gauntlet/config.ts';
import type { Commitment } from '../gauntlet/integrity.ts';
import type { GauntletState } from '../gauntlet/rating.ts';
import type { LossOracle } from '../gauntlet/score.ts';
import { validateRound } from '../gauntlet/validator.ts';
import type { PeerVerdict, Slash, ValidatorSubmission } from '../gauntlet/validator.ts';
import type { ParamLayout } from '../layout.ts';
import type { Rng } from '../rng.ts';
import type { SparseLocoConfig } from '../sparseloco/config.ts';
import type { DefenceConfig } from './config.ts';
import { countReasons } from './reasons.ts';
import type { RoundFailure } from './reasons.ts';
import { robustOuterStep } from './robust-step.ts';

/** What the Gauntlet oracle needs besides the round: its config, state and loss oracle. */
export interface OracleContext {
  readonly gauntlet: GauntletConfig;
  readonly state: GauntletState;
  /** Number of data shards (random comparison shards come from [0, numShards)). */
  readonly numShards: number;
  /** Real forward passes of the model on a shard set. */
  readonly loss: LossOracle;
  /** The commitment hash (FNV-1a in the simulator, SHA-256 on the cluster). */
  readonly hash: (bytes: Uint8Array) => string;
  /** This round's randomness (which peers and random shards are evaluated). */
  readonly rng: Rng;
}

/** Inputs of {@link aggregateRound}. */
export interface AggregateRoundParameters {
  readonly defence: DefenceConfig;
  readonly round: number;
  /** Outer steps applied before this round (the freshness reference). */
  readonly globalStep: number;
  /** Global θ; MUTATED by the outer step. */
  readonly params: Float32Array;
  /** The communicator's shared state; MUTATED by its apply. */
  readonly shared: unknown;
  /** On-time messages that passed the caller's checks, ascending uid. */
  readonly accepted: readonly PeerMessage[];
  /** Peers the caller turned away (counted as rejections; never aggregated). */
  readonly failures: readonly RoundFailure[];
  /** End of the upload window, on the clock of `arrivedAt` (seconds). */
  readonly windowEnd: number;
  readonly arrivedAt: ReadonlyMap<number, number>;
  readonly commitments: ReadonlyMap<number, Commitment>;
  /** The round's participants and their assigned shards. */
  readonly assignments: ReadonlyMap<number, readonly number[]>;
  readonly layout: ParamLayout;
  /** The run's SparseLoCo config; null for other methods (then only 'none' is allowed). */
  readonly sparseloco: SparseLocoConfig | null;
  readonly comm: Communicator;
  /** Per-peer aggregation weights by uid (core/weighting) for the communicator's apply; absent: unweighted. */
  readonly weights?: ReadonlyMap<number, number>;
  /** Required for 'gauntlet-oracle', ignored otherwise. */
  readonly oracle: OracleContext | null;
}

/** What the round's validation did. */
export interface AggregateRoundResult {
  readonly report: Pick<ApplyReport, 'applied' | 'contributors'>;
  /** Every rejection: the caller's failures first, then the defence's own. */
  readonly rejections: readonly RoundFailure[];
  /** The same, counted by reason. */
  readonly rejected: ReadonlyMap<string, number>;
  /** The oracle's weights (rewards) by uid; null for the other defences. */
  readonly weights: ReadonlyMap<number, number> | null;
  /** The oracle's verdicts, ascending uid; empty for the other defences. */
  readonly verdicts: readonly PeerVerdict[];
  /** Slashes the oracle decided this round; empty for the other defences. */
  readonly slashes: readonly Slash[];
  /** The oracle's state after the round; null for the other defences. */
  readonly nextState: GauntletState | null;
}

/** Runs one round of the defence and the outer step. MUTATES params and shared. */
export function aggregateRound(p: AggregateRoundParameters): AggregateRoundResult {
  if (p.defence.kind === 'gauntlet-oracle') return oracleRound(p);
  const step = applySelection(p.defence, p.params, p.shared, p.accepted, p);
  return plainResult(p, step, step.rejections);
}

/** What the outer step of a selection did. */
export interface SelectionStep extends Pick<ApplyReport, 'applied' | 'contributors'> {
  readonly rejections: readonly RoundFailure[];
}

/**
 * The outer step of an already chosen set of messages under `defence`: the robust step for
 * 'robust', the communicator's own apply otherwise. The validator's step (inside
 * {@link aggregateRound}) and a peer's sync of the validator's selection (cluster/sync.ts) are
 * this one call, so they agree bit for bit. MUTATES params and shared.
 */
export function applySelection(
  defence: DefenceConfig,
  params: Float32Array,
  shared: unknown,
  messages: readonly PeerMessage[],
  run: Pick<AggregateRoundParameters, 'comm' | 'layout' | 'sparseloco' | 'weights'>,
): SelectionStep {
  if (defence.kind === 'robust') {
    if (run.sparseloco === null) throw new TypeError('applySelection: defence "robust" needs a SparseLoCo run');
    return robustOuterStep(params, defence.aggregator, messages, run.layout, run.sparseloco);
  }
  const report = run.comm.apply(params, shared, messages, run.weights === undefined ? undefined : { weights: run.weights });
  return { applied: report.applied, contributors: report.contributors, rejections: report.rejected.map((r) => ({ uid: r.peerUid, reason: r.reason })) };
}

function plainResult(p: AggregateRoundParameters, report: Pick<ApplyReport, 'applied' | 'contributors'>, own: readonly RoundFailure[]): AggregateRoundResult {
  const rejections = [...p.failures, ...own];
  return {
    report: { applied: report.applied, contributors: report.contributors },
    rejections,
    rejected: countReasons(rejections.map((r) => r.reason)),
    weights: null,
    verdicts: [],
    slashes: [],
    nextState: null,
  };
}

function oracleRound(p: AggregateRoundParameters): AggregateRoundResult {
  const oracle = p.oracle;
  if (oracle === null) throw new TypeError('aggregateRound: defence "gauntlet-oracle" needs an oracle context');
  const submissions: ValidatorSubmission[] = p.accepted.map((m) => ({
    uid: m.peerUid,
    bytes: m.bytes,
    commitment: p.commitments.get(m.peerUid) ?? null,
    arrivedAt: p.arrivedAt.get(m.peerUid) ?? null,
  }));
  const out = validateRound({
    round: p.round,
    globalStep: p.globalStep,
    params: p.params,
    submissions,
    assignments: p.assignments,
    layout: p.layout,
    cfg: sparseLocoOf(p),
    gauntlet: oracle.gauntlet,
    numShards: oracle.numShards,
    loss: oracle.loss,
    hash: oracle.hash,
    windowEnd: p.windowEnd,
    state: oracle.state,
    rng: oracle.rng,
  });
  const rejections: RoundFailure[] = [...p.failures];
  for (const v of out.perPeer) {
    if (v.integrity === 'missing') continue;
    if (v.integrity === 'decode') rejections.push({ uid: v.uid, reason: `decode:${v.codecReason ?? 'unknown'}` });
    else if (v.integrity !== 'ok') rejections.push({ uid: v.uid, reason: v.integrity });
    else if (v.failed) rejections.push({ uid: v.uid, reason: 'negative-score' });
  }
  const chosen = new Set(out.selected);
  const report = chosen.size === 0 ? { applied: false, contributors: [] } : applySelection(p.defence, p.params, p.shared, p.accepted.filter((m) => chosen.has(m.peerUid)), p);
  return {
    report: { applied: report.applied, contributors: report.contributors },
    rejections,
    rejected: countReasons(rejections.map((r) => r.reason)),
    weights: new Map(out.perPeer.map((v) => [v.uid, v.weight])),
    verdicts: out.perPeer,
    slashes: out.slashes,
    nextState: out.nextState,
  };
}

function sparseLocoOf(p: AggregateRoundParameters): SparseLocoConfig {
  if (p.sparseloco === null) throw new TypeError(`aggregateRound: defence "${p.defence.kind}" needs a SparseLoCo run`);
  return p.sparseloco;
}
