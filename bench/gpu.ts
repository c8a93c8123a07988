/**
 * `npm run bench -- --only gpu`: one training step (H = 1 inner step of the real TfjsBackend:
 * forward, backward, gradient readback, AdamW on the flat vector) of the tfjs GPT at two sizes on
 * every GPU engine that loads here (tfjs-node-gpu, webgpu; webgpu through its readback worker, as
 * a run uses it, so the parameter and gradient copies are in the time), and the same step on wasm in the same run for the
 * ratio. Each row's unit names the device the engine reported. On a GPU engine it also runs the
 * leak check (tf.memory().numTensors over LEAK_STEPS steps after a warm-up) and one step of the
 * 50M-parameter size. With no GPU engine it says why (each engine's error) and returns no rows.
 *
 * Rows: gpu.step_ms.<size>.<engine>, gpu.tokens_per_s.<size>.<engine>, gpu.vs_wasm.<size>.<engine>
 * (wasm step time ÷ the engine's), gpu.leaked_tensors.<engine>, gpu.step_ms.gpt-50m.<engine>.
 */
import { createRng } from '../core/rng.ts';
// engine.ts itself, not the front door's lazy wrapper: this module is loaded on demand already.
import { EngineUnavailableError, selectEngine } from '../backends/tfjs/engine.ts';
import type { EngineKind, SelectEngineOptions, TfjsEngine } from '../backends/tfjs/engine.ts';
import { createTfjsBackend } from '../backends/tfjs/backend.ts';
import type { TfjsBackend } from '../backends/tfjs/backend.ts';
import { GPT_SIZES } from '../backends/tfjs/sizes.ts';
import type { GptSizeName } from '../backends/tfjs/sizes.ts';
import type { BenchRow } from './row.ts';
import { bestTime } from './timing.ts';

/** The GPU engines measured against wasm, by the kind that selects each. */
const MEASURED: readonly EngineKind[] = ['gpu', 'webgpu'];
/** The two sizes every engine runs, with sequences per step. */
const SIZES: readonly { readonly size: GptSizeName; readonly batchSize: number }[] = [
  { size: 'gpt-108k', batchSize: 16 },
  { size: 'gpt-3m', batchSize: 16 },
];
const LARGE = { size: 'gpt-50m' as const, batchSize: 8 };
const REPEATS = 3;
const LEAK_STEPS = 100;

/** Timing of one size on one engine. */
interface StepTiming {
  readonly seconds: number; // s per step, best of REPEATS
  readonly tokens: number; // tokens per step
}

function buildBackend(engine: TfjsEngine, size: GptSizeName, batchSize: number): TfjsBackend {
  // numShards 8: every shard is longer than the 256-token context of the largest size.
  return createTfjsBackend(engine, createRng('bench-gpu').fork('backend'), { model: GPT_SIZES[size], batchSize, numShards: 8, heldoutWindows: 1 });
}

/** Best-of-REPEATS time of one inner step (after one warm-up step: kernel compilation, allocation). */
function timeStep(backend: TfjsBackend, repeats = REPEATS): StepTiming {
  const params = backend.initParams(createRng('bench-gpu').fork('init'));
  const trainer = backend.createTrainer(0);
  const step = (round: number): void => {
    trainer.runInnerLoop({ params, round, shards: [0, 1], innerSteps: 1 });
  };
  step(0);
  let round = 1;
  const seconds = bestTime(repeats, () => step(round++));
  return { seconds, tokens: backend.config.batchSize * backend.config.model.contextLength };
}

/** tensors alive after LEAK_STEPS steps minus after the warm-up step: 0 when nothing leaks. */
function leakedTensors(engine: TfjsEngine, backend: TfjsBackend): number {
  const params = backend.initParams(createRng('bench-gpu').fork('init'));
  const trainer = backend.createTrainer(0);
  const count = (): number => (engine.remote !== null ? engine.remote.numTensors() : engine.tf.memory().numTensors);
  trainer.runInnerLoop({ params, round: 0, shards: [0], innerSteps: 1 });
  const before = count();
  trainer.runInnerLoop({ params, round: 1, shards: [0], innerSteps: LEAK_STEPS });
  return count() - before;
}

/** `options` go to engine selection (tests replace the importer to take the no-GPU path on any host). */
export async function runGpuBench(log: (line: string) => void, options: SelectEngineOptions = {}): Promise<BenchRow[]> {
  const engines: TfjsEngine[] = [];
  const failures: string[] = [];
  for (const kind of MEASURED) {
    try {
      engines.push(await selectEngine(kind, options));
    } catch (err) {
      if (!(err instanceof EngineUnavailableError)) throw err;
      failures.push(`${err.engine}: ${err.reason}`);
    }
  }
  if (engines.length === 0) {
    log(`gpu: no GPU engine loads on this machine, nothing measured (${failures.join('; ')})`);
    return [];
  }
  for (const f of failures) log(`gpu: skipped ${f}`);
  const wasm = await selectEngine('wasm');
  const rows: BenchRow[] = [];
  for (const { size, batchSize } of SIZES) {
    log(`gpu: ${size} on wasm (${wasm.device.label})`);
    const reference = timeStep(buildBackend(wasm, size, batchSize));
    rows.push(...stepRows(size, wasm, reference));
    for (const engine of engines) {
      log(`gpu: ${size} on ${engine.name} (${engine.device.label})`);
      const timing = timeStep(buildBackend(engine, size, batchSize));
      rows.push(...stepRows(size, engine, timing));
      rows.push({ name: `gpu.vs_wasm.${size}.${engine.name}`, value: reference.seconds / timing.seconds, unit: `× wasm step time (${engine.device.label})` });
    }
  }
  for (const engine of engines) {
    log(`gpu: leak check, ${LEAK_STEPS} steps of gpt-108k on ${engine.name}`);
    rows.push({ name: `gpu.leaked_tensors.${engine.name}`, value: leakedTensors(engine, buildBackend(engine, 'gpt-108k', 16)), unit: `tensors alive after ${LEAK_STEPS} steps − after warm-up (${engine.device.label})` });
    log(`gpu: ${LARGE.size} on ${engine.name}`);
    rows.push(...stepRows(LARGE.size, engine, timeStep(buildBackend(engine, LARGE.size, LARGE.batchSize), 1)));
  }
  return rows; // a webgpu readback worker is shared and unref'd: it does not hold the process
}

function stepRows(size: GptSizeName, engine: TfjsEngine, t: StepTiming): BenchRow[] {
  return [
    { name: `gpu.step_ms.${size}.${engine.name}`, value: t.seconds * 1e3, unit: `ms per inner step, ${t.tokens} tokens (${engine.device.label})` },
    { name: `gpu.tokens_per_s.${size}.${engine.name}`, value: t.tokens / t.seconds, unit: `tokens/s (${engine.device.label})` },
  ];
}
