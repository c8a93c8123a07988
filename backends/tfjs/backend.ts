/**
 * The tfjs training backend: the small GPT of ./model.ts learning the Shakespeare corpus of
 * ../corpus/ character by character, behind the same {@link TrainingBackend} interface as the
 * surrogate. Parameters cross the boundary only as the core's flat Float32Array; gradients come
 * from tfjs autodiff and the step is the project's AdamW (core/optim/adamw.ts, grad clip 1.0) on
 * the flat vector, so optimiser semantics are identical to every other backend.
 *
 * One inner step (and `computeGradient` of that step, for DDP/DeMo): draw `batchSize` windows of contextLength + 1 tokens uniformly from the peer's
 * shards (stream `peerDataRng(batches, round, peer)`, so a validator can rebuild them; a window
 * never crosses a shard's end), compute the mean next-token loss and its gradient, take one AdamW
 * step at lrAt(schedule, state.step).
 *
 * Evaluation: mean cross-entropy in nats/token over fixed non-overlapping windows — the first
 * `heldoutWindows` of the held-out text, or the first `shardEvalWindows` of each requested shard.
 */
import { ConfigError } from '../../core/errors.ts';
import { adamwStep, lrAt, resolveAdamWConfig, resolveLrSchedule } from '../../core/optim/adamw.ts';
import type { AdamWConfig, AdamWState, LrScheduleConfig } from '../../core/optim/adamw.ts';
import { peerDataRng } from '../../core/protocol/shards.ts';
import type { Rng } from '../../core/rng.ts';
import { requireCleanData } from '../data-quality.ts';
import { createPeerTrainer, validateEvalData, validateGradientRequest, validateInnerLoopRequest, validateParams } from '../backend.ts';
import type { EvalData, GradientRequest, GradientResult, InnerLoopRequest, InnerLoopResult, PeerTrainer, TrainingBackend } from '../backend.ts';
import { drawBatch } from '../data.ts';
import { createTextCorpus, loadTinyShakespeare } from '../corpus/corpus.ts';
import type { TextCorpus } from '../corpus/corpus.ts';
import type { TfjsEngine } from './engine.ts';
import { gptLayout, initGptParams } from './model.ts';
import type { GptShape } from './model.ts';
import { GPT_SIZES } from './sizes.ts';
import { lossAndGradient, summedTokenLoss } from './objective.ts';
import type { TokenBatch } from './objective.ts';

/** User-facing configuration: every field optional, defaults in {@link TFJS_DEFAULTS}. */
export interface TfjsBackendOptions {
  /** Architecture; vocabSize always comes from the corpus tokenizer. */
  readonly model?: Partial<Omit<GptShape, 'vocabSize'>>;
  /** Sequences per inner step (per peer). */
  readonly batchSize?: number;
  /** Equal contiguous shards of the training text. */
  readonly numShards?: number;
  /** Fraction of the text (its tail) held out. */
  readonly heldoutFraction?: number;
  /** Non-overlapping windows of the held-out text that `evaluate(θ, 'heldout')` averages. */
  readonly heldoutWindows?: number;
  /** Windows per shard that `evaluate(θ, { shards })` averages; null = every window of the shard. */
  readonly shardEvalWindows?: number | null;
  /** Sequences per forward pass during evaluation (bounds memory, not the result). */
  readonly evalBatchSize?: number;
  /** Training text; default the shipped Shakespeare excerpt. */
  readonly text?: string;
  readonly adamw?: Partial<AdamWConfig>;
  readonly schedule?: Partial<LrScheduleConfig>;
}

/** Resolved, validated, frozen configuration. */
export interface TfjsBackendConfig {
  readonly model: GptShape;
  readonly batchSize: number;
  readonly numShards: number;
  readonly heldoutFraction: number;
  readonly heldoutWindows: number;
  readonly shardEvalWindows: number | null;
  readonly evalBatchSize: number;
  readonly adamw: AdamWConfig;
  readonly schedule: LrScheduleConfig;
}

/**
 * Defaults: a 2-layer, 4-head, 64-wide GPT with 64-token context and tied embeddings (≈ 0.1 M
 * parameters with the 63-character vocabulary), 16 sequences per step. The inner LR (1e-3, no
 * warm-up, near-constant cosine) is nanoGPT's shakespeare_char setting, far above the LLM's
 * 1.17e-4 because this model is tiny and must learn in a few hundred steps.
 */
export const TFJS_DEFAULTS = Object.freeze({
  model: GPT_SIZES['gpt-108k'],
  batchSize: 16,
  numShards: 64,
  heldoutFraction: 0.1,
  heldoutWindows: 128,
  shardEvalWindows: null,
  evalBatchSize: 64,
  schedule: Object.freeze({ peakLr: 1e-3, warmupSteps: 0, tMax: 1_000_000, etaMinFactor: 0.1 }),
});

/** The tfjs backend plus what only it offers. */
export interface TfjsBackend extends TrainingBackend {
  readonly config: TfjsBackendConfig;
  readonly corpus: TextCorpus;
  readonly engine: TfjsEngine;
}

/** Merges `options` into the defaults and validates every field (vocabSize from `vocabSize`). */
export function resolveTfjsConfig(options: TfjsBackendOptions, vocabSize: number): TfjsBackendConfig {
  const model: GptShape = Object.freeze({ ...TFJS_DEFAULTS.model, ...options.model, vocabSize });
  gptLayout(model); // validates the shape
  const positive = (key: string, value: number): number => {
    if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(key, value, 'must be an integer ≥ 1');
    return value;
  };
  const shardEvalWindows = options.shardEvalWindows === undefined ? TFJS_DEFAULTS.shardEvalWindows : options.shardEvalWindows;
  return Object.freeze({
    model,
    batchSize: positive('batchSize', options.batchSize ?? TFJS_DEFAULTS.batchSize),
    numShards: positive('numShards', options.numShards ?? TFJS_DEFAULTS.numShards),
    heldoutFraction: options.heldoutFraction ?? TFJS_DEFAULTS.heldoutFraction,
    heldoutWindows: positive('heldoutWindows', options.heldoutWindows ?? TFJS_DEFAULTS.heldoutWindows),
    shardEvalWindows: shardEvalWindows === null ? null : positive('shardEvalWindows', shardEvalWindows),
    evalBatchSize: positive('evalBatchSize', options.evalBatchSize ?? TFJS_DEFAULTS.evalBatchSize),
    adamw: resolveAdamWConfig(options.adamw),
    schedule: resolveLrSchedule({ ...TFJS_DEFAULTS.schedule, ...options.schedule }),
  });
}

/** exp(mean loss in nats/token): the perplexity a held-out loss corresponds to. */
export function perplexity(meanLossNats: number): number {
  return Math.exp(meanLossNats);
}

/**
 * Builds a tfjs backend on a ready engine (see `selectEngine`). `rng` seeds the batch streams
 * (fork 'batches'); parameters come from the rng given to `initParams`; the corpus is fixed.
 *
 * @example
 * const engine = await selectEngine('auto');
 * const backend = createTfjsBackend(engine, createRng(7).fork('backend'), { numShards: 32 });
 * const theta = backend.initParams(createRng(7).fork('init'));
 * const { delta } = backend.createTrainer(0).runInnerLoop({ params: theta, round: 0, shards: [5], innerSteps: 10 });
 * perplexity(backend.evaluate(theta, 'heldout')); // ≈ 63 at init
 */
export function createTfjsBackend(engine: TfjsEngine, rng: Rng, options: TfjsBackendOptions = {}): TfjsBackend {
  const text = options.text ?? loadTinyShakespeare();
  const probe = createTextCorpus(text, { heldoutFraction: options.heldoutFraction, numShards: options.numShards });
  const config = resolveTfjsConfig(options, probe.tokenizer.vocabSize);
  const corpus = probe;
  const { model, batchSize } = config;
  const seq = model.contextLength;
  if (corpus.shardLength <= seq) {
    throw new ConfigError('numShards', config.numShards, `leaves shards of ${corpus.shardLength} tokens, not more than contextLength (${seq})`);
  }
  if (corpus.heldout.length <= seq) {
    throw new ConfigError('heldoutFraction', config.heldoutFraction, `leaves ${corpus.heldout.length} held-out tokens, not more than contextLength (${seq})`);
  }
  const layout = gptLayout(model);
  const batchRoot = rng.fork('batches');
  const windowsPerShard = corpus.shardLength - seq; // window starts s with s + seq + 1 ≤ shardLength

  // Working memory shared by every trainer of this backend (calls are synchronous).
  const work = new Float32Array(layout.size);
  const grad = new Float32Array(layout.size);
  const positions = new Int32Array(batchSize);
  const trainBatch: TokenBatch = { inputs: new Int32Array(batchSize * seq), targets: new Int32Array(batchSize * seq), batch: batchSize };

  function gatherTrainBatch(shards: readonly number[]): void {
    for (let b = 0; b < batchSize; b++) {
      const pos = positions[b]!;
      const tokens = corpus.shard(shards[Math.floor(pos / windowsPerShard)]!);
      writeWindow(tokens, pos % windowsPerShard, seq, trainBatch, b);
    }
  }

  function runInnerLoop(peerId: number, state: AdamWState, request: InnerLoopRequest): InnerLoopResult {
    validateInnerLoopRequest(backend, request);
    requireCleanData('tfjs', request.quality); // low-quality corpora for the GPT: not built yet (issue 17)
    const { params, innerSteps, shards } = request;
    const stream = peerDataRng(batchRoot, request.round, peerId);
    work.set(params);
    let lossSum = 0;
    for (let s = 0; s < innerSteps; s++) {
      drawBatch(stream, shards.length * windowsPerShard, positions);
      gatherTrainBatch(shards);
      lossSum += lossAndGradient(engine, model, layout, work, trainBatch, grad);
      adamwStep(work, grad, state, config.adamw, lrAt(config.schedule, state.step));
    }
    const delta = request.deltaOut ?? new Float32Array(layout.size);
    for (let i = 0; i < delta.length; i++) delta[i] = params[i]! - work[i]!; // fp32 store rounds once
    const samples = innerSteps * batchSize;
    return { delta, meanLoss: lossSum / innerSteps, samples, tokens: samples * seq };
  }

  /** Step `request.step`'s batch: skip the batches of the earlier steps on the same stream. */
  function computeGradient(peerId: number, request: GradientRequest): GradientResult {
    validateGradientRequest(backend, request);
    const stream = peerDataRng(batchRoot, request.round, peerId);
    for (let s = 0; s <= request.step; s++) drawBatch(stream, request.shards.length * windowsPerShard, positions);
    gatherTrainBatch(request.shards);
    const out = request.gradOut ?? new Float32Array(layout.size);
    const loss = lossAndGradient(engine, model, layout, request.params, trainBatch, out);
    return { grad: out, loss };
  }

  /** Mean token loss over the first `maxWindows` non-overlapping windows of each text. */
  function meanLossOver(params: Float32Array, texts: readonly Uint8Array[], maxWindows: number | null): number {
    const starts: { tokens: Uint8Array; start: number }[] = [];
    for (const tokens of texts) {
      const available = Math.floor((tokens.length - 1) / seq);
      const count = maxWindows === null ? available : Math.min(available, maxWindows);
      for (let w = 0; w < count; w++) starts.push({ tokens, start: w * seq });
    }
    let total = 0;
    for (let first = 0; first < starts.length; first += config.evalBatchSize) {
      const chunk = starts.slice(first, first + config.evalBatchSize);
      const batch: TokenBatch = { inputs: new Int32Array(chunk.length * seq), targets: new Int32Array(chunk.length * seq), batch: chunk.length };
      chunk.forEach(({ tokens, start }, b) => writeWindow(tokens, start, seq, batch, b));
      total += summedTokenLoss(engine, model, layout, params, batch);
    }
    return total / (starts.length * seq);
  }

  const backend: TfjsBackend = {
    name: 'tfjs-gpt',
    layout,
    numShards: config.numShards,
    config,
    corpus,
    engine,
    initParams(paramRng) {
      return initGptParams(model, layout, paramRng);
    },
    createTrainer(peerId): PeerTrainer {
      return createPeerTrainer(peerId, layout.size, { runInnerLoop, computeGradient });
    },
    evaluate(params, data: EvalData) {
      validateParams(layout, params);
      validateEvalData(config.numShards, data);
      if (data === 'heldout') return meanLossOver(params, [corpus.heldout], config.heldoutWindows);
      return meanLossOver(params, data.shards.map((id) => corpus.shard(id)), config.shardEvalWindows);
    },
  };
  return backend;
}

/** Writes the window of `seq` + 1 tokens at `start` of `tokens` into row `row` of `batch`. */
function writeWindow(tokens: Uint8Array, start: number, seq: number, batch: TokenBatch, row: number): void {
  const base = row * seq;
  for (let t = 0; t < seq; t++) {
    batch.inputs[base + t] = tokens[start + t]!;
    batch.targets[base + t] = tokens[start + t + 1]!;
  }
}
