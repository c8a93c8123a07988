/**
 * One window of the lagged Gauntlet validator as pure functions (templar v2.1.3
 * `neurons/validator.py` `run`, SPEC.md §5): the validator is its own node, it judges window w
 * after w closed, and what it posts acts on LATER windows. Usable by the simulator
 * (sim/validator.ts) and by a real validator process alike: no I/O, the loss oracle, the hash and
 * the sync measure are injected, randomness comes from `rng`.
 *
 *   planWindow      which peers to evaluate (window-sample.ts: bins by rating, uidsPerWindow);
 *                   the caller downloads the gathered messages and these;
 *   validateWindow  in templar's order:
 *     1. index overlap of the gathered messages (index-overlap.ts) → `slashFromOverlap`, from
 *        global step `overlapWarmupSteps` on;
 *     2. `slashPoorSync` over the gathered peers, `slashMissingGradients` over the skipped ones;
 *     3. evaluation of the sampled peers: `validateRound` (validator.ts) restricted to them — fast
 *        filter, loss scores before/after on assigned and random data, OpenSkill, bma, sync,
 *        failure penalties, final scores — one copy of those rules for both validators;
 *     4. `penaliseInactive` over known peers absent from the window;
 *     5. weights = power-normalised final scores of every known peer not excluded;
 *   postFromState   the weights and the next peer list (core/protocol/peer-list.ts
 *                   `publishPeerList` over the registered peers that are not excluded), with the
 *                   first window it takes effect in (current + peerListWindowMargin) and whether
 *                   the window sets weights on chain (window mod windowsPerWeights = 0).
 *
 * @example
 * const plan = planWindow({ window: 7, state, active: [0, 1, 2], gauntlet, rng: rng.fork('plan') });
 * const out = validateWindow({ ...inputs, plan, state });
 * const post = postFromState({ weights: out.weights, excluded: out.excluded, registered, window: 7, currentWindow: 8, gatherCount: 20, reserveCount: 10, gauntlet });
 */
import type { ParamLayout } from '../layout.ts';
import type { Rng } from '../rng.ts';
import { publishPeerList } from '../protocol/peer-list.ts';
import type { PeerList } from '../protocol/peer-list.ts';
import type { SparseLocoConfig } from '../sparseloco/config.ts';
import type { GauntletConfig } from './config.ts';
import { indexOverlap } from './index-overlap.ts';
import type { OverlapMessage, OverlapReport } from './index-overlap.ts';
import { checkSubmission } from './integrity.ts';
import { penaliseInactive, slashFromOverlap, slashMissingGradients, slashPoorSync } from './penalties.ts';
import type { SyncMeasure } from './penalties.ts';
import { createGauntletState, isExcluded, ordinalOf, powerWeights } from './rating.ts';
import type { GauntletState } from './rating.ts';
import type { LossOracle } from './score.ts';
import { validateRound } from './validator.ts';
import type { PeerVerdict, Slash, ValidatorSubmission } from './validator.ts';
import { nextWaiting, sampleWindow } from './window-sample.ts';
import type { WindowSample } from './window-sample.ts';

/** The lagged validator's state between windows. */
export interface ValidatorWindowState {
  readonly gauntlet: GauntletState;
  /** Windows each peer has waited since its last evaluation (templar `eval_peers`). */
  readonly waiting: ReadonlyMap<number, number>;
  /** First window each known-but-absent peer was missed in (templar `inactive_scores`). */
  readonly inactiveSince: ReadonlyMap<number, number>;
}

/** A validator that has seen nothing yet. */
export function createValidatorWindowState(): ValidatorWindowState {
  return { gauntlet: createGauntletState(), waiting: new Map(), inactiveSince: new Map() };
}

/** Inputs of {@link planWindow}. */
export interface PlanWindowParameters {
  readonly state: ValidatorWindowState;
  /** The window's active peers. */
  readonly active: readonly number[];
  readonly gauntlet: Pick<GauntletConfig, 'uidsPerWindow' | 'evaluationBins'>;
  readonly rng: Rng;
}

/** Which peers the window evaluates (window-sample.ts). */
export function planWindow(p: PlanWindowParameters): WindowSample {
  const records = p.state.gauntlet.peers;
  return sampleWindow({
    active: p.active,
    ordinalOf: (uid) => {
      const r = records.get(uid);
      return r === undefined ? 0 : ordinalOf(r);
    },
    waiting: p.state.waiting,
    uidsPerWindow: p.gauntlet.uidsPerWindow,
    evaluationBins: p.gauntlet.evaluationBins,
    rng: p.rng,
  });
}

/** Inputs of {@link validateWindow}. */
export interface ValidateWindowParameters {
  /** The window being judged. */
  readonly window: number;
  /** Outer steps applied before the window's aggregate (the messages' base step). */
  readonly globalStep: number;
  /** θ the window's peers started from; read only. */
  readonly params: Float32Array;
  /** The window's active peers and their assigned shards. */
  readonly assignments: ReadonlyMap<number, readonly number[]>;
  /** The peer list's messages the gather used (uids ascending). */
  readonly gathered: readonly number[];
  /** Listed peers the gather skipped (missing, late, timed out, or invalid). */
  readonly skipped: readonly number[];
  /** The gather's success rate, gathered / listed, in [0, 1]. */
  readonly successRate: number;
  /** Every message the validator downloaded (the gathered and the sampled), at most one per uid. */
  readonly submissions: readonly ValidatorSubmission[];
  readonly plan: WindowSample;
  /** The sync measure of a peer (injected: steps behind, or a replica's real difference). */
  readonly syncOf: (uid: number) => SyncMeasure;
  readonly layout: ParamLayout;
  readonly cfg: SparseLocoConfig;
  readonly gauntlet: GauntletConfig;
  readonly numShards: number;
  readonly loss: LossOracle;
  readonly hash: (bytes: Uint8Array) => string;
  /** End of the window's upload deadline (the submissions' clock). */
  readonly windowEnd: number;
  readonly state: ValidatorWindowState;
  readonly rng: Rng;
}

/** Outputs of {@link validateWindow}. */
export interface ValidateWindowResult {
  readonly overlap: OverlapReport;
  /** Verdicts of the evaluated (sampled) peers, ascending uid. */
  readonly evaluated: readonly PeerVerdict[];
  /** Slashes the evaluation's failure rules posted. */
  readonly slashes: readonly Slash[];
  /** Normalised weights of every known peer not excluded, ascending uid. */
  readonly weights: ReadonlyMap<number, number>;
  /** Peers excluded from the next list at the next window. */
  readonly excluded: readonly number[];
  readonly nextState: ValidatorWindowState;
}

/** Judges one window (see the file header). Pure: inputs are not mutated. */
export function validateWindow(p: ValidateWindowParameters): ValidateWindowResult {
  const g = p.gauntlet;
  const byUid = new Map(p.submissions.map((s) => [s.uid, s]));

  // 1. Index overlap among the gathered messages that decode (undecodable ones are the evaluation's business).
  const context = { layout: p.layout, cfg: p.cfg, hash: p.hash, windowEnd: p.windowEnd, globalStep: p.globalStep, maxStepsBehind: g.maxStepsBehind };
  const overlapMessages: OverlapMessage[] = [];
  for (const uid of p.gathered) {
    const s = byUid.get(uid);
    if (s === undefined) continue;
    const verdict = checkSubmission(s, context);
    if (verdict.ok) overlapMessages.push({ uid, update: verdict.update, uploadedAt: s.arrivedAt ?? Infinity });
  }
  const overlap = indexOverlap(p.layout, overlapMessages, g);
  let peers = p.state.gauntlet.peers;
  if (p.globalStep >= g.overlapWarmupSteps) peers = slashFromOverlap(peers, overlap.offenders, p.window, g);

  // 2. Sync of the gathered peers, missing gradients of the skipped ones.
  peers = slashPoorSync(peers, p.gathered, p.syncOf, g);
  peers = slashMissingGradients(peers, p.skipped, p.successRate, g);

  // 3. Evaluation of the sampled peers through the one Gauntlet round.
  const sampled = new Set(p.plan.uids.filter((uid) => p.assignments.has(uid)));
  const judged = validateRound({
    round: p.window,
    globalStep: p.globalStep,
    params: p.params,
    submissions: [...sampled].filter((uid) => byUid.has(uid)).map((uid) => ({ ...byUid.get(uid)!, syncScore: p.syncOf(uid).syncScore })),
    assignments: new Map([...sampled].map((uid) => [uid, p.assignments.get(uid)!])),
    layout: p.layout,
    cfg: p.cfg,
    gauntlet: { ...g, evalSampleSize: null },
    numShards: p.numShards,
    loss: p.loss,
    hash: p.hash,
    windowEnd: p.windowEnd,
    state: { rounds: p.state.gauntlet.rounds, peers },
    rng: p.rng.fork('evaluate'),
  });
  peers = judged.nextState.peers;

  // 4. Inactivity.
  const active = new Set(p.assignments.keys());
  const inactive = penaliseInactive(peers, p.state.inactiveSince, active, p.window, g);
  peers = inactive.peers;

  // 5. Weights over the peers in good standing at the next window.
  const standing = [...peers.values()].filter((r) => !isExcluded(r, p.window + 1)).map((r) => ({ uid: r.uid, score: r.finalScore }));
  const weights = new Map(powerWeights(standing, g.weightPower).map((w) => [w.uid, w.weight]));
  const excluded = [...peers.values()].filter((r) => isExcluded(r, p.window + 1)).map((r) => r.uid).sort((a, b) => a - b);
  return {
    overlap,
    evaluated: judged.perPeer,
    slashes: judged.slashes,
    weights,
    excluded,
    nextState: {
      gauntlet: { rounds: judged.nextState.rounds, peers },
      waiting: nextWaiting(p.state.waiting, [...active].sort((a, b) => a - b), p.plan.uids),
      inactiveSince: inactive.inactiveSince,
    },
  };
}

/** Inputs of {@link postFromState}. */
export interface PostParameters {
  readonly weights: ReadonlyMap<number, number>;
  readonly excluded: readonly number[];
  /** Candidate uids in registration order. */
  readonly registered: readonly number[];
  /** The window judged (weights are set when it is a multiple of windowsPerWeights). */
  readonly window: number;
  /** The window the validator posts in. */
  readonly currentWindow: number;
  readonly gatherCount: number;
  readonly reserveCount: number;
  readonly gauntlet: Pick<GauntletConfig, 'peerListWindowMargin' | 'windowsPerWeights'>;
}

/** What the validator posts after a window. */
export interface ValidatorPost {
  readonly weights: ReadonlyMap<number, number>;
  readonly list: PeerList;
  /** First window the list is in force (templar `first_effective_window`). */
  readonly effectiveFrom: number;
  /** Whether this window sets weights on chain (templar: sync_window mod windows_per_weights = 0). */
  readonly setsWeights: boolean;
}

/** Weights and the next peer list from the validator's state (see the file header). */
export function postFromState(p: PostParameters): ValidatorPost {
  const excluded = new Set(p.excluded);
  const list = publishPeerList({ weights: p.weights, registered: p.registered.filter((uid) => !excluded.has(uid)), gatherCount: p.gatherCount, reserveCount: p.reserveCount });
  return {
    weights: p.weights,
    list,
    effectiveFrom: p.currentWindow + p.gauntlet.peerListWindowMargin,
    setsWeights: p.window % p.gauntlet.windowsPerWeights === 0,
  };
}
