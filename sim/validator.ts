/**
 * The lagged Gauntlet validator as a node of the simulated world (defence 'gauntlet'; templar's
 * validator, SPEC.md §5). When a round closes, `startWindow` hands it that window's facts and it
 * runs as its own kernel process, beside the peers, who do not wait for it:
 *   1. plan: which peers to evaluate (core/gauntlet/window.ts `planWindow`);
 *   2. download: the gathered messages and the sampled ones (each once), in one stream over the
 *      validator's own link — charged bytes and `transferSeconds` of them;
 *   3. evaluate: `validateWindow` on θ as the window's peers started from it (a snapshot). Its
 *      time is the forward passes it really runs on the backend, charged on its own device:
 *      every loss evaluation over a shard set S costs |S| × stepTimeS / 3 — one forward pass per
 *      shard's batch, a third of a training step (2·N vs 6·N FLOPs per token, the rule of
 *      core/compute-model.ts), with stepTimeS the validator's inner-step time drawn like a peer's
 *      (stepTimeS draw × its device class's stepTimeScale [× the modelled step]);
 *   4. finish: only now is the new state kept and the post made (`postFromState`): the weights
 *      (set on chain every `windowsPerWeights` windows: the chain mirror posts them in the round
 *      the validator finished in) and the next peer list, in force from the window in progress
 *      + `peerListWindowMargin` (handed to the PeerListPublisher, sim/round-gather.ts).
 * So a bad update from a listed peer IS averaged in the round it was sent; the scores act later.
 * A window that closes while the validator is still busy with an earlier one is not validated
 * (templar skips windows it has fallen behind on); `validatorSkipped` counts them.
 * With `gauntlet.validatorBusyWindows` = B the lag is B windows instead of the timed one
 * (core/gauntlet/lagged.ts `LaggedSchedule`, what the cluster's validator runs): window w's
 * judgement lands at the close of window w + B (`finishDue`, before that round's chain post);
 * bytes, time and energy are charged as in the timed mode.
 * Plan, judgement and post are core/gauntlet/lagged.ts (one copy with the cluster).
 *
 * Its device and link are drawn from the run's streams 'validator/compute' and 'validator/net'
 * with the peers' distributions, so they never shift a peer's draw.
 */
import { fnv1a } from '../core/hash.ts';
import type { GauntletConfig } from '../core/gauntlet/config.ts';
import { LaggedSchedule, judgeLaggedWindow, planLaggedWindow, postOfJudgement } from '../core/gauntlet/lagged.ts';
import type { LaggedJudgement, LaggedPlan, LaggedWindowInput } from '../core/gauntlet/lagged.ts';
import type { WireCharge } from './charge.ts';
import { createValidatorWindowState } from '../core/gauntlet/window.ts';
import type { ValidatorPost, ValidatorWindowState } from '../core/gauntlet/window.ts';
import type { ParamLayout } from '../core/layout.ts';
import type { PeerListSchedule } from '../core/protocol/peer-list-schedule.ts';
import type { Rng } from '../core/rng.ts';
import type { SparseLocoConfig } from '../core/sparseloco/config.ts';
import type { TrainingBackend } from '../backends/backend.ts';
import type { SimConfig } from './config.ts';
import { sample } from './distributions.ts';
import { drawDeviceClass, peerRoundEnergyKWh } from './energy.ts';
import type { DeviceClassConfig } from './energy.ts';
import type { Environment, ProcessGenerator } from './kernel/index.ts';
import { drawPeerLink, transferSeconds } from './network.ts';
import type { PeerLink, StoreLink } from './network.ts';

/** Label of the validator's link and device draws (not a peer uid: peers are ≥ 0). */
export const VALIDATOR_ID = -1;

/** One closed window as the validator receives it (at the round's close). */
export type ValidatorWindowInput = LaggedWindowInput;

/** The validator's row columns since the previous row (validations that FINISHED in between). */
export interface ValidatorRowColumns {
  /** Bytes the validator downloaded, real bytes. */
  readonly validatorBytesDown: number;
  /** Its download + evaluation time, sim seconds. */
  readonly validatorTimeS: number;
  /** Peers whose messages it evaluated (loss before/after), peers. */
  readonly validatorEvaluated: number;
  /** Its energy (device compute + idle while downloading + network), kWh. */
  readonly validatorEnergyKWh: number;
  /** Windows closed while it was busy, not validated, windows. */
  readonly validatorSkipped: number;
}

/** Everything the validator needs from the run, fixed at construction. */
export interface LaggedValidatorParameters {
  readonly cfg: SimConfig;
  readonly gauntlet: GauntletConfig;
  readonly sparseloco: SparseLocoConfig;
  readonly layout: ParamLayout;
  readonly backend: TrainingBackend;
  readonly env: Environment;
  readonly store: StoreLink;
  /** The sizes downloads are charged at (sim/charge.ts). */
  readonly charge: WireCharge;
  readonly publisher: PeerListSchedule | null;
  /** The run's 'validator' stream. */
  readonly rng: Rng;
}

/** The lagged validator of one run. MUTATED by `startWindow` and its process. */
export class LaggedValidator {
  readonly link: PeerLink;
  readonly device: DeviceClassConfig;
  /** The validator's inner-step time, sim seconds (a forward pass costs a third of it). */
  readonly stepTimeS: number;
  #state: ValidatorWindowState = createValidatorWindowState();
  #busy = false;
  #lastClosed = -1;
  #chainWeights: ReadonlyMap<number, number> | null = null;
  #slashes: number[] = [];
  #figures = { validatorBytesDown: 0, validatorTimeS: 0, validatorEvaluated: 0, validatorEnergyKWh: 0, validatorSkipped: 0 };
  #lastPost: ValidatorPost | null = null;
  /** Busy-window mode (gauntlet.validatorBusyWindows set); null: timed on the validator's link and device. */
  readonly #schedule: LaggedSchedule<{ input: ValidatorWindowInput; judgement: LaggedJudgement; charge: WindowCharge }> | null;

  constructor(private readonly p: LaggedValidatorParameters) {
    const { cfg } = p;
    this.link = drawPeerLink(cfg.net, VALIDATOR_ID, p.rng.fork('net'));
    const compute = p.rng.fork('compute');
    this.device = drawDeviceClass(cfg.energy, VALIDATOR_ID, compute);
    this.stepTimeS = sample(cfg.stepTimeS, compute.fork('step')) * this.device.stepTimeScale * (cfg.compute?.innerStepS ?? 1);
    this.#schedule = p.gauntlet.validatorBusyWindows === null ? null : new LaggedSchedule(p.gauntlet.validatorBusyWindows);
  }

  /** The state as of the last finished window (read only). */
  get state(): ValidatorWindowState {
    return this.#state;
  }

  /** The weights last set on chain (null before the first); what the chain mirror posts. */
  get chainWeights(): ReadonlyMap<number, number> | null {
    return this.#chainWeights;
  }

  /** The last post (weights + list), null before the first. */
  get lastPost(): ValidatorPost | null {
    return this.#lastPost;
  }

  /** Uids slashed since the last call (for the chain mirror); clears them. */
  takeSlashes(): number[] {
    const out = [...new Set(this.#slashes)].sort((a, b) => a - b);
    this.#slashes = [];
    return out;
  }

  /** The row columns since the last call; resets them. */
  takeRowColumns(): ValidatorRowColumns {
    const out = { ...this.#figures };
    this.#figures = { validatorBytesDown: 0, validatorTimeS: 0, validatorEvaluated: 0, validatorEnergyKWh: 0, validatorSkipped: 0 };
    return out;
  }

  /** A window closed: validate it (a kernel process, or on the busy-window schedule), unless still busy with an earlier one. */
  startWindow(input: ValidatorWindowInput): void {
    this.#lastClosed = input.window;
    if (this.#busy || this.#schedule?.isBusy() === true) {
      this.#figures.validatorSkipped++;
      return;
    }
    const plan = this.#plan(input);
    if (this.#schedule !== null) {
      const judgement = this.#judge(input, plan);
      this.#schedule.start(input.window, { input, judgement, charge: this.#chargeOf(plan, judgement) });
      return;
    }
    this.#busy = true;
    this.p.env.process(this.#run(input, plan));
  }

  /** Busy-window mode: lands the judgement due at the close of `window` (call it before that round's chain post). */
  finishDue(window: number): void {
    const due = this.#schedule?.takeDue(window) ?? null;
    if (due !== null) this.#finish(due.input, due.judgement, due.charge);
  }

  *#run(input: ValidatorWindowInput, plan: LaggedPlan): ProcessGenerator<void> {
    const downloadS = this.#downloadOf(plan).seconds;
    yield this.p.env.timeout(downloadS);
    const judgement = this.#judge(input, plan);
    const charge = this.#chargeOf(plan, judgement);
    yield this.p.env.timeout(charge.computeS);
    this.#finish(input, judgement, charge);
    this.#busy = false;
  }

  #plan(input: ValidatorWindowInput): LaggedPlan {
    return planLaggedWindow(this.#state, input, this.p.gauntlet, this.p.rng);
  }

  #judge(input: ValidatorWindowInput, plan: LaggedPlan): LaggedJudgement {
    const { p } = this;
    return judgeLaggedWindow({ input, plan, state: this.#state, layout: p.layout, sparseloco: p.sparseloco, gauntlet: p.gauntlet, numShards: p.backend.numShards, loss: (params, data) => p.backend.evaluate(params, data), hash: fnv1a, rng: p.rng });
  }

  #downloadOf(plan: LaggedPlan): { bytes: number; seconds: number } {
    const bytes = plan.submissions.reduce((a, s) => a + this.p.charge.message(s.bytes!), 0);
    return { bytes, seconds: transferSeconds(bytes, this.link, this.p.store, 'download') };
  }

  /** What the window costs the validator: its download and forward passes (a third of a training step per shard). */
  #chargeOf(plan: LaggedPlan, judgement: LaggedJudgement): WindowCharge {
    const download = this.#downloadOf(plan);
    return { bytesDown: download.bytes, downloadS: download.seconds, computeS: (judgement.forwardPasses * this.stepTimeS) / 3, evaluated: judgement.result.evaluated.filter((v) => v.score !== undefined).length };
  }

  /** Finished: keep the state, post, record. */
  #finish(input: ValidatorWindowInput, judgement: LaggedJudgement, charge: WindowCharge): void {
    const { p } = this;
    this.#slashes.push(...judgement.slashed);
    this.#state = judgement.result.nextState;
    const gatherCfg = p.publisher?.config;
    const post = postOfJudgement(judgement, {
      registered: input.registered,
      currentWindow: this.#lastClosed + 1,
      gatherCount: gatherCfg?.peers ?? Math.max(1, input.registered.length),
      reserveCount: gatherCfg?.reserves ?? 0,
      gauntlet: p.gauntlet,
    });
    this.#lastPost = post;
    if (post.setsWeights) this.#chainWeights = post.weights;
    p.publisher?.acceptPost(post);
    const timeS = charge.downloadS + charge.computeS;
    this.#figures.validatorBytesDown += charge.bytesDown;
    this.#figures.validatorTimeS += timeS;
    this.#figures.validatorEvaluated += charge.evaluated;
    this.#figures.validatorEnergyKWh += peerRoundEnergyKWh(this.device, { computeS: charge.computeS, presentS: timeS, bytes: charge.bytesDown }, p.cfg.energy.networkKWhPerGB!);
  }
}

/** One window's cost to the validator. */
interface WindowCharge {
  readonly bytesDown: number; // real bytes
  readonly downloadS: number; // sim seconds
  readonly computeS: number; // sim seconds
  readonly evaluated: number; // peers
}
