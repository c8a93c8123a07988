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
 *
 * Its device and link are drawn from the run's streams 'validator/compute' and 'validator/net'
 * with the peers' distributions, so they never shift a peer's draw.
 */
import { fnv1a } from '../core/hash.ts';
import type { GauntletConfig } from '../core/gauntlet/config.ts';
import type { SyncMeasure } from '../core/gauntlet/penalties.ts';
import type { ValidatorSubmission } from '../core/gauntlet/validator.ts';
import type { WireCharge } from './charge.ts';
import { createValidatorWindowState, planWindow, postFromState, validateWindow } from '../core/gauntlet/window.ts';
import type { ValidatorPost, ValidatorWindowState } from '../core/gauntlet/window.ts';
import type { Commitment } from '../core/gauntlet/integrity.ts';
import type { ParamLayout } from '../core/layout.ts';
import type { Rng } from '../core/rng.ts';
import type { SparseLocoConfig } from '../core/sparseloco/config.ts';
import type { TrainingBackend } from '../backends/backend.ts';
import { slashedBetween } from './chain.ts';
import type { SimConfig } from './config.ts';
import { sample } from './distributions.ts';
import { drawDeviceClass, peerRoundEnergyKWh } from './energy.ts';
import type { DeviceClassConfig } from './energy.ts';
import type { Environment, ProcessGenerator } from './kernel/index.ts';
import { drawPeerLink, transferSeconds } from './network.ts';
import type { PeerLink, StoreLink } from './network.ts';
import type { PeerListPublisher } from './round-gather.ts';

/** Label of the validator's link and device draws (not a peer uid: peers are ≥ 0). */
export const VALIDATOR_ID = -1;

/** One closed window as the validator receives it (at the round's close). */
export interface ValidatorWindowInput {
  readonly window: number;
  /** Outer steps applied before the window's aggregate. */
  readonly globalStep: number;
  /** θ the window's peers started from (a copy the validator keeps). */
  readonly params: Float32Array;
  readonly windowEnd: number; // sim seconds
  readonly assignments: ReadonlyMap<number, readonly number[]>;
  /** The messages the peers' aggregate used (the gathered list, or every on-time one), ascending. */
  readonly gathered: readonly number[];
  /** Listed peers the gather skipped. */
  readonly skipped: readonly number[];
  /** gathered / listed, in [0, 1] (1 for the all-gather). */
  readonly successRate: number;
  /** On-time messages in the store, by uid. */
  readonly arrived: ReadonlyMap<number, Uint8Array>;
  readonly arrivedAt: ReadonlyMap<number, number>;
  readonly commitments: ReadonlyMap<number, Commitment>;
  /** Each active peer's sync measure against `globalStep`, taken at the close. */
  readonly sync: ReadonlyMap<number, SyncMeasure>;
  /** Candidates for the next list, registration order. */
  readonly registered: readonly number[];
}

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
  readonly publisher: PeerListPublisher | null;
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

  constructor(private readonly p: LaggedValidatorParameters) {
    const { cfg } = p;
    this.link = drawPeerLink(cfg.net, VALIDATOR_ID, p.rng.fork('net'));
    const compute = p.rng.fork('compute');
    this.device = drawDeviceClass(cfg.energy, VALIDATOR_ID, compute);
    this.stepTimeS = sample(cfg.stepTimeS, compute.fork('step')) * this.device.stepTimeScale * (cfg.compute?.innerStepS ?? 1);
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

  /** A window closed: validate it as a kernel process, unless still busy with an earlier one. */
  startWindow(input: ValidatorWindowInput): void {
    this.#lastClosed = input.window;
    if (this.#busy) {
      this.#figures.validatorSkipped++;
      return;
    }
    this.#busy = true;
    this.p.env.process(this.#run(input));
  }

  *#run(input: ValidatorWindowInput): ProcessGenerator<void> {
    const { p } = this;
    const g = p.gauntlet;
    const plan = planWindow({ state: this.#state, active: [...input.assignments.keys()].sort((a, b) => a - b), gauntlet: g, rng: p.rng.fork(`plan:${input.window}`) });
    const wanted = [...new Set([...input.gathered, ...plan.uids])].filter((uid) => input.arrived.has(uid)).sort((a, b) => a - b);
    const submissions: ValidatorSubmission[] = wanted.map((uid) => ({
      uid,
      bytes: input.arrived.get(uid)!,
      commitment: input.commitments.get(uid) ?? null,
      arrivedAt: input.arrivedAt.get(uid) ?? null,
    }));
    const bytesDown = submissions.reduce((a, s) => a + p.charge.message(s.bytes!), 0);
    const downloadS = transferSeconds(bytesDown, this.link, p.store, 'download');
    yield p.env.timeout(downloadS);

    let shardPasses = 0; // forward passes, one per shard of each loss evaluation
    const out = validateWindow({
      window: input.window,
      globalStep: input.globalStep,
      params: input.params,
      assignments: input.assignments,
      gathered: input.gathered,
      skipped: input.skipped,
      successRate: input.successRate,
      submissions,
      plan,
      syncOf: (uid) => input.sync.get(uid) ?? { avgStepsBehind: Infinity, syncScore: 0 },
      layout: p.layout,
      cfg: p.sparseloco,
      gauntlet: g,
      numShards: p.backend.numShards,
      loss: (params, data) => {
        shardPasses += data.shards.length;
        return p.backend.evaluate(params, data);
      },
      hash: fnv1a,
      windowEnd: input.windowEnd,
      state: this.#state,
      rng: p.rng.fork(`window:${input.window}`),
    });
    const computeS = (shardPasses * this.stepTimeS) / 3;
    yield p.env.timeout(computeS);

    // Finished: keep the state, post, record.
    this.#slashes.push(...slashedBetween(this.#state.gauntlet, out.nextState.gauntlet));
    this.#state = out.nextState;
    const gatherCfg = p.publisher?.config;
    const post = postFromState({
      weights: out.weights,
      excluded: out.excluded,
      registered: input.registered,
      window: input.window,
      currentWindow: this.#lastClosed + 1,
      gatherCount: gatherCfg?.peers ?? Math.max(1, input.registered.length),
      reserveCount: gatherCfg?.reserves ?? 0,
      gauntlet: g,
    });
    this.#lastPost = post;
    if (post.setsWeights) this.#chainWeights = post.weights;
    p.publisher?.acceptPost(post);
    const timeS = downloadS + computeS;
    this.#figures.validatorBytesDown += bytesDown;
    this.#figures.validatorTimeS += timeS;
    this.#figures.validatorEvaluated += out.evaluated.filter((v) => v.score !== undefined).length;
    this.#figures.validatorEnergyKWh += peerRoundEnergyKWh(this.device, { computeS, presentS: timeS, bytes: bytesDown }, p.cfg.energy.networkKWhPerGB!);
    this.#busy = false;
  }
}
