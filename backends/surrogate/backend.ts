/**
 * The surrogate training backend: a real (tiny) model with real gradients on real seeded data,
 * cheap enough for 10,000 simulated peers. A tanh MLP or softmax regression (./model.ts) learns
 * the Gaussian-mixture classification task of ../data.ts with the project's AdamW (grad clip 1.0,
 * SPEC.md §1), so compression, error feedback, churn and attacks act on actual optimisation.
 *
 * One inner step: draw B examples from the peer's shards (stream `batches/peer:p/round:r`), compute
 * loss and gradient at the working parameters, take one AdamW step at lrAt(schedule, state.step).
 * All trainers of one backend share its working buffers (single-threaded, synchronous calls); each
 * trainer owns only its AdamW moments.
 */
import { ConfigError } from '../../core/errors.ts';
import { adamwStep, lrAt, resolveAdamWConfig, resolveLrSchedule } from '../../core/optim/adamw.ts';
import type { AdamWConfig, AdamWState, LrScheduleConfig } from '../../core/optim/adamw.ts';
import type { Rng } from '../../core/rng.ts';
import { createPeerTrainer, validateEvalData, validateGradientRequest, validateInnerLoopRequest, validateParams, validatePeerId } from '../backend.ts';
import type { EvalData, GradientRequest, GradientResult, InnerLoopRequest, InnerLoopResult, PeerTrainer, TrainingBackend } from '../backend.ts';
import { createSyntheticDataset, drawBatch, resolveSyntheticDataConfig } from '../data.ts';
import { peerDataRng } from '../../core/protocol/shards.ts';
import type { Examples, SyntheticDataConfig, SyntheticDataset } from '../data.ts';
import { createMlpScratch, initMlpParams, mlpLayout, mlpLossAndGradient } from './model.ts';
import type { MlpShape } from './model.ts';
import { CLEAN_DATA } from '../data-quality.ts';
import { corruptBatch, domainShift, qualityBatchCount, qualityPoolSize } from './quality.ts';
import type { DomainShift } from './quality.ts';

/** User-facing configuration: every field optional, defaults in {@link SURROGATE_DEFAULTS}. */
export interface SurrogateOptions extends Partial<SyntheticDataConfig> {
  /** Hidden width of the MLP; 0 = softmax regression. */
  readonly hiddenDim?: number;
  /** Examples per inner step (per peer). */
  readonly batchSize?: number;
  readonly adamw?: Partial<AdamWConfig>;
  readonly schedule?: Partial<LrScheduleConfig>;
}

/** Resolved, validated, frozen configuration. */
export interface SurrogateConfig {
  readonly data: SyntheticDataConfig;
  readonly model: MlpShape;
  readonly batchSize: number;
  readonly adamw: AdamWConfig;
  readonly schedule: LrScheduleConfig;
}

/**
 * Defaults: 32-d inputs, 10 classes, 16 hidden units (698 parameters), batch 16. The inner LR is
 * far above the LLM's 1.17e-4 because this model is tiny and must learn in a few hundred steps;
 * no warm-up, near-constant cosine (tMax ≫ any run), AdamW betas/eps/decay/clip as SPEC.md §1.
 */
export const SURROGATE_DEFAULTS = Object.freeze({
  hiddenDim: 16,
  batchSize: 16,
  schedule: Object.freeze({ peakLr: 0.005, warmupSteps: 0, tMax: 1_000_000, etaMinFactor: 0.1 }),
});

/** Merges `options` into the defaults and validates every field. */
export function resolveSurrogateConfig(options: SurrogateOptions = {}): SurrogateConfig {
  const { hiddenDim, batchSize, adamw, schedule, ...dataOverrides } = options;
  const data = resolveSyntheticDataConfig(dataOverrides);
  const model: MlpShape = Object.freeze({
    inputDim: data.inputDim,
    hiddenDim: hiddenDim ?? SURROGATE_DEFAULTS.hiddenDim,
    numClasses: data.numClasses,
  });
  mlpLayout(model); // validates hiddenDim
  const batch = batchSize ?? SURROGATE_DEFAULTS.batchSize;
  if (!Number.isSafeInteger(batch) || batch < 1) throw new ConfigError('batchSize', batch, 'must be an integer ≥ 1');
  return Object.freeze({
    data,
    model,
    batchSize: batch,
    adamw: resolveAdamWConfig(adamw),
    schedule: resolveLrSchedule({ ...SURROGATE_DEFAULTS.schedule, ...schedule }),
  });
}

/** The surrogate backend plus what only it offers (its dataset, for optimal-loss reference). */
export interface SurrogateBackend extends TrainingBackend {
  readonly config: SurrogateConfig;
  readonly dataset: SyntheticDataset;
}

/**
 * Builds a surrogate backend. `rng` seeds the data (fork 'data') and the batch streams
 * (fork 'batches'); parameters come from the rng given to `initParams`.
 *
 * @example
 * const backend = createSurrogateBackend(createRng(7).fork('backend'), { numShards: 64, nonIidAlpha: 0.3 });
 * const theta = backend.initParams(createRng(7).fork('init'));
 * const trainer = backend.createTrainer(0);
 * const { delta, meanLoss } = trainer.runInnerLoop({ params: theta, round: 0, shards: [5], innerSteps: 10 });
 */
export function createSurrogateBackend(rng: Rng, options: SurrogateOptions = {}): SurrogateBackend {
  const config = resolveSurrogateConfig(options);
  const { model, batchSize } = config;
  const layout = mlpLayout(model);
  const dataset = createSyntheticDataset(rng.fork('data'), config.data);
  const batchRoot = rng.fork('batches');
  // Low-quality peers' own streams (./quality.ts); a fork, so clean runs draw exactly as before.
  const qualityRoot = rng.fork('quality');
  let shift: DomainShift | null = null; // the shifted domain's map, drawn on first use
  const d = model.inputDim;

  // Working memory shared by every trainer of this backend.
  const scratch = createMlpScratch(model);
  const work = new Float32Array(layout.size);
  const grad = new Float32Array(layout.size);
  const positions = new Int32Array(batchSize);
  const batchInputs = new Float32Array(batchSize * d);
  const batchLabels = new Uint16Array(batchSize);

  // The round's stream under `batches`, kept for the round: with thousands of peers per round,
  // re-deriving it for every peer (a hash of the seed path per fork) is a hot spot.
  let roundStream: { round: number; rng: Rng } | null = null;

  /** Exactly peerDataRng(batchRoot, round, peerId) (the same seed path, so the same stream). */
  function peerStream(round: number, peerId: number): Rng {
    if (roundStream === null || roundStream.round !== round) {
      const first = peerDataRng(batchRoot, round, peerId); // validates round and peer id
      roundStream = { round, rng: batchRoot.fork('data').fork(`round:${round}`) };
      return first;
    }
    validatePeerId(peerId);
    return roundStream.rng.fork(`peer:${peerId}`);
  }

  /** Copies the examples at `positions` of the concatenated `shards` into the batch buffers. */
  function gatherBatch(shards: readonly Examples[]): void {
    const shardSize = config.data.shardSize;
    for (let b = 0; b < batchSize; b++) {
      const pos = positions[b]!;
      const shard = shards[Math.floor(pos / shardSize)]!;
      const row = pos % shardSize;
      batchInputs.set(shard.inputs.subarray(row * d, row * d + d), b * d);
      batchLabels[b] = shard.labels[row]!;
    }
  }

  function runInnerLoop(peerId: number, state: AdamWState, request: InnerLoopRequest): InnerLoopResult {
    validateInnerLoopRequest(backend, request);
    const { params, innerSteps } = request;
    const quality = request.quality ?? CLEAN_DATA;
    const shards = request.shards.map((id) => dataset.shard(id));
    const poolSize = qualityPoolSize(quality, shards.length * config.data.shardSize);
    const count = qualityBatchCount(quality, batchSize);
    const stream = peerStream(request.round, peerId);
    const noise = quality.kind === 'label-noise' ? qualityRoot.fork(`round:${request.round}`).fork(`peer:${peerId}`) : null;
    if (quality.kind === 'shifted') shift ??= domainShift(qualityRoot, d);
    work.set(params);
    let lossSum = 0;
    for (let s = 0; s < innerSteps; s++) {
      drawBatch(stream, poolSize, positions);
      gatherBatch(shards);
      corruptBatch(quality, batchInputs, batchLabels, count, d, model.numClasses, noise, shift);
      lossSum += mlpLossAndGradient(model, work, batchInputs, batchLabels, count, grad, scratch);
      adamwStep(work, grad, state, config.adamw, lrAt(config.schedule, state.step));
    }
    const delta = request.deltaOut ?? new Float32Array(layout.size);
    for (let i = 0; i < delta.length; i++) delta[i] = params[i]! - work[i]!; // fp32 store rounds once
    const samples = innerSteps * count;
    return { delta, meanLoss: lossSum / innerSteps, samples, tokens: samples };
  }

  /** Step `request.step`'s batch: skip the batches of the earlier steps on the same stream. */
  function computeGradient(peerId: number, request: GradientRequest): GradientResult {
    validateGradientRequest(backend, request);
    const shards = request.shards.map((id) => dataset.shard(id));
    const poolSize = shards.length * config.data.shardSize;
    const stream = peerStream(request.round, peerId);
    for (let s = 0; s <= request.step; s++) drawBatch(stream, poolSize, positions);
    gatherBatch(shards);
    const out = request.gradOut ?? new Float32Array(layout.size);
    const loss = mlpLossAndGradient(model, request.params, batchInputs, batchLabels, batchSize, out, scratch);
    return { grad: out, loss };
  }

  function lossOn(params: Float32Array, examples: Examples): number {
    return mlpLossAndGradient(model, params, examples.inputs, examples.labels, examples.count, null, scratch);
  }

  const backend: SurrogateBackend = {
    name: model.hiddenDim === 0 ? 'surrogate-softmax' : 'surrogate-mlp',
    layout,
    numShards: config.data.numShards,
    config,
    dataset,
    initParams(paramRng) {
      return initMlpParams(model, paramRng);
    },
    createTrainer(peerId): PeerTrainer {
      return createPeerTrainer(peerId, layout.size, { runInnerLoop, computeGradient });
    },
    evaluate(params, data: EvalData) {
      validateParams(layout, params);
      validateEvalData(config.data.numShards, data);
      if (data === 'heldout') return lossOn(params, dataset.heldout());
      // Equal-size shards: the mean over shards is the mean over all their examples.
      let total = 0;
      for (const id of data.shards) total += lossOn(params, dataset.shard(id));
      return total / data.shards.length;
    },
  };
  return backend;
}
