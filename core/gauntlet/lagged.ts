/**
 * The lagged Gauntlet validator (defence 'gauntlet', templar's validator, SPEC.md §5) as the
 * simulator's validator node (sim/validator.ts) and the cluster's validator process
 * (cluster/validator.ts) both run it — one copy of the plan / judge / post of a closed window and
 * of when the judgement lands:
 *
 *   planLaggedWindow   which peers to evaluate (window.ts `planWindow`) and the messages to
 *                      download: the gathered ones and the sampled ones, each once;
 *   judgeLaggedWindow  `validateWindow` on θ as the window's peers started from it, and the uids
 *                      whose slash count rose (what goes to the chain's `slash`);
 *   postOfJudgement    the post (`postFromState`: weights and the next peer list, in force from
 *                      the window the validator posts in + `peerListWindowMargin`);
 *   LaggedSchedule     with `validatorBusyWindows` = B: window w's judgement lands at the close of
 *                      window w + B (before that round's chain post) and every window closing while
 *                      it is pending is skipped (templar skips windows it has fallen behind on).
 *
 * Randomness: the run's 'validator' stream forked `plan:<w>` and `window:<w>`, so a restarted
 * validator draws the same samples.
 */
import type { ParamLayout } from '../layout.ts';
import type { Rng } from '../rng.ts';
import type { SparseLocoConfig } from '../sparseloco/config.ts';
import type { GauntletConfig } from './config.ts';
import type { Commitment } from './integrity.ts';
import type { SyncMeasure } from './penalties.ts';
import type { GauntletState } from './rating.ts';
import type { LossOracle } from './score.ts';
import type { ValidatorSubmission } from './validator.ts';
import { planWindow, postFromState, validateWindow } from './window.ts';
import type { ValidateWindowResult, ValidatorPost, ValidatorWindowState } from './window.ts';
import type { WindowSample } from './window-sample.ts';
import { ConfigError } from '../errors.ts';

/** One closed window as the validator receives it. */
export interface LaggedWindowInput {
  readonly window: number;
  /** Outer steps applied before the window's aggregate. */
  readonly globalStep: number;
  /** θ the window's peers started from (read only; the caller keeps it unchanged until judged). */
  readonly params: Float32Array;
  /** The deadline the messages were judged against, on the clock of `arrivedAt`. */
  readonly windowEnd: number;
  readonly assignments: ReadonlyMap<number, readonly number[]>;
  /** The messages the peers' aggregate used (the gathered list, or every on-time one), ascending. */
  readonly gathered: readonly number[];
  /** Listed peers the gather skipped, ascending. */
  readonly skipped: readonly number[];
  /** gathered / listed, in [0, 1] (1 for the all-gather). */
  readonly successRate: number;
  /** On-time messages in the store, by uid. */
  readonly arrived: ReadonlyMap<number, Uint8Array>;
  readonly arrivedAt: ReadonlyMap<number, number>;
  readonly commitments: ReadonlyMap<number, Commitment>;
  /** Each active peer's sync measure: the θ it trained from against `params`. */
  readonly sync: ReadonlyMap<number, SyncMeasure>;
  /** Candidates for the next list, registration order. */
  readonly registered: readonly number[];
}

/** What the validator downloads for a window. */
export interface LaggedPlan {
  readonly sample: WindowSample;
  /** The gathered and the sampled messages that arrived, ascending uid, each once. */
  readonly submissions: readonly ValidatorSubmission[];
}

/** Plans window `input.window` from the validator's state (see the file header). */
export function planLaggedWindow(state: ValidatorWindowState, input: LaggedWindowInput, gauntlet: GauntletConfig, rng: Rng): LaggedPlan {
  const active = [...input.assignments.keys()].sort((a, b) => a - b);
  const sample = planWindow({ state, active, gauntlet, rng: rng.fork(`plan:${input.window}`) });
  const wanted = [...new Set([...input.gathered, ...sample.uids])].filter((uid) => input.arrived.has(uid)).sort((a, b) => a - b);
  const submissions = wanted.map((uid) => ({
    uid,
    bytes: input.arrived.get(uid)!,
    commitment: input.commitments.get(uid) ?? null,
    arrivedAt: input.arrivedAt.get(uid) ?? null,
  }));
  return { sample, submissions };
}

/** Inputs of {@link judgeLaggedWindow}. */
export interface JudgeLaggedParameters {
  readonly input: LaggedWindowInput;
  readonly plan: LaggedPlan;
  readonly state: ValidatorWindowState;
  readonly layout: ParamLayout;
  readonly sparseloco: SparseLocoConfig;
  readonly gauntlet: GauntletConfig;
  readonly numShards: number;
  /** Real forward passes of the model on a shard set. */
  readonly loss: LossOracle;
  /** The commitment hash (FNV-1a in the simulator, SHA-256 on the cluster). */
  readonly hash: (bytes: Uint8Array) => string;
  /** The run's 'validator' stream. */
  readonly rng: Rng;
}

/** What judging one window decided. */
export interface LaggedJudgement {
  readonly window: number;
  readonly result: ValidateWindowResult;
  /** Uids whose slash count rose, ascending (each slashed once on chain). */
  readonly slashed: readonly number[];
  /** Forward passes run: one per shard of each loss evaluation. */
  readonly forwardPasses: number;
}

/** Judges a planned window (see the file header). Pure but for `loss`. */
export function judgeLaggedWindow(p: JudgeLaggedParameters): LaggedJudgement {
  const { input } = p;
  let forwardPasses = 0;
  const result = validateWindow({
    window: input.window,
    globalStep: input.globalStep,
    params: input.params,
    assignments: input.assignments,
    gathered: input.gathered,
    skipped: input.skipped,
    successRate: input.successRate,
    submissions: p.plan.submissions,
    plan: p.plan.sample,
    syncOf: (uid) => input.sync.get(uid) ?? { avgStepsBehind: Infinity, syncScore: 0 },
    layout: p.layout,
    cfg: p.sparseloco,
    gauntlet: p.gauntlet,
    numShards: p.numShards,
    loss: (params, data) => {
      forwardPasses += data.shards.length;
      return p.loss(params, data);
    },
    hash: p.hash,
    windowEnd: input.windowEnd,
    state: p.state,
    rng: p.rng.fork(`window:${input.window}`),
  });
  return { window: input.window, result, slashed: slashedBetween(p.state.gauntlet, result.nextState.gauntlet), forwardPasses };
}

/** Inputs of {@link postOfJudgement} besides the judgement. */
export interface LaggedPostParameters {
  readonly registered: readonly number[];
  /** The window the validator posts in (its list acts from here + peerListWindowMargin). */
  readonly currentWindow: number;
  /** Primaries and reserves of the next list (the run's gather config; every registered peer for the all-gather). */
  readonly gatherCount: number;
  readonly reserveCount: number;
  readonly gauntlet: Pick<GauntletConfig, 'peerListWindowMargin' | 'windowsPerWeights'>;
}

/** The weights and next peer list a judged window posts (window.ts `postFromState`). */
export function postOfJudgement(judgement: { readonly window: number; readonly result: Pick<ValidateWindowResult, 'weights' | 'excluded'> }, p: LaggedPostParameters): ValidatorPost {
  return postFromState({ weights: judgement.result.weights, excluded: judgement.result.excluded, window: judgement.window, ...p });
}

/** Uids whose Gauntlet slash count rose between two validator states, ascending. */
export function slashedBetween(before: GauntletState, after: GauntletState): number[] {
  const out: number[] = [];
  for (const [uid, record] of after.peers) {
    if (record.slashes > (before.peers.get(uid)?.slashes ?? 0)) out.push(uid);
  }
  return out.sort((a, b) => a - b);
}

/** A judgement waiting to land, as {@link LaggedSchedule} holds it (plain data: it is persisted). */
export interface PendingJudgement<T> {
  readonly window: number;
  readonly dueAt: number;
  readonly value: T;
}

/**
 * When judgements land with `validatorBusyWindows` = B (integer ≥ 1): the one of window w at the
 * close of window w + B; a window closing while one is pending is skipped. MUTABLE; its state is
 * `pending` (null or plain data), so a restarted validator resumes it.
 *
 * @example
 * const schedule = new LaggedSchedule(1);
 * schedule.takeDue(round);             // at the close, before the chain post: the judgement landing now
 * schedule.start(round, judgement);    // after it: false when busy (the window is skipped)
 */
export class LaggedSchedule<T> {
  #pending: PendingJudgement<T> | null;

  constructor(readonly busyWindows: number, pending: PendingJudgement<T> | null = null) {
    if (!Number.isSafeInteger(busyWindows) || busyWindows < 1) throw new ConfigError('gauntlet.validatorBusyWindows', busyWindows, 'must be an integer ≥ 1');
    this.#pending = pending;
  }

  /** The judgement not landed yet (null when idle). */
  get pending(): PendingJudgement<T> | null {
    return this.#pending;
  }

  /** Whether a window closing now finds the validator busy. */
  isBusy(): boolean {
    return this.#pending !== null;
  }

  /** At the close of window `window`: the judgement that lands now (clearing it), else null. */
  takeDue(window: number): T | null {
    const p = this.#pending;
    if (p === null || p.dueAt > window) return null;
    this.#pending = null;
    return p.value;
  }

  /** Starts judging window `window` (landing at window + B); false when busy (skipped). */
  start(window: number, value: T): boolean {
    if (this.#pending !== null) return false;
    this.#pending = { window, dueAt: window + this.busyWindows, value };
    return true;
  }

  /** The window the judgement started now posts in: the one it lands in. */
  landsIn(window: number): number {
    return window + this.busyWindows;
  }
}
