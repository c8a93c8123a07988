/**
 * `sim.covenant72b.*` rows (group `sim`): the speed of covenant-72b's one arm (its 60 s target is
 * for 100 rounds), measured on ROUNDS rounds, against a reference timed in the same run: the
 * surrogate's bare forward + backward (mlpLossAndGradient) for the same 24 peers × 30 inner steps
 * per round. Their ratio, `training_share`, says how much of a simulated round is the training the
 * run cannot skip (its loss curve is real) and how much is the protocol around it.
 */
import { armConfig } from '../experiments/define.ts';
import covenant72b from '../experiments/catalog/covenant-72b.ts';
import { createMlpScratch, initMlpParams, mlpLossAndGradient } from '../backends/surrogate/model.ts';
import { SYNTHETIC_DATA_DEFAULTS } from '../backends/data.ts';
import { createRng } from '../core/rng.ts';
import { runSimulation } from '../sim/run.ts';
import type { BenchRow } from './row.ts';

const ROUNDS = 5;

/** ms of `steps` forward + backward passes of the run's surrogate shape on one batch. */
function bareTrainingMs(steps: number, shape: { inputDim: number; hiddenDim: number; numClasses: number }, batch: number): number {
  const rng = createRng(1).fork('bench.covenant');
  const params = initMlpParams(shape, rng);
  const grad = new Float32Array(params.length);
  const inputs = new Float32Array(batch * shape.inputDim);
  rng.fillNormal(inputs, 1);
  const labels = Uint16Array.from({ length: batch }, (_, i) => i % shape.numClasses);
  const scratch = createMlpScratch(shape);
  const t0 = process.hrtime.bigint();
  for (let s = 0; s < steps; s++) mlpLossAndGradient(shape, params, inputs, labels, batch, grad, scratch);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export function covenantBenchRows(log: (line: string) => void): BenchRow[] {
  const arm = covenant72b.arms[0]!;
  const config = { ...armConfig(covenant72b, arm, 1, {}), rounds: ROUNDS };
  const backend = config.backend as { hiddenDim: number; batchSize: number };
  const shape = { inputDim: SYNTHETIC_DATA_DEFAULTS.inputDim, hiddenDim: backend.hiddenDim, numClasses: SYNTHETIC_DATA_DEFAULTS.numClasses };
  const steps = config.peers * config.innerSteps * ROUNDS;
  bareTrainingMs(steps, shape, backend.batchSize); // warm the JIT
  const trainingMs = bareTrainingMs(steps, shape, backend.batchSize);
  const t0 = process.hrtime.bigint();
  runSimulation(config);
  const simMs = Number(process.hrtime.bigint() - t0) / 1e6;
  log(`sim: covenant-72b ${arm.name}, ${ROUNDS} rounds in ${(simMs / 1000).toFixed(1)} s`);
  const what = `covenant-72b (${arm.name}, ${config.peers} peers, H = ${config.innerSteps}), ${ROUNDS} rounds`;
  return [
    { name: 'sim.covenant72b.round_ms', value: simMs / ROUNDS, unit: `ms of wall per simulated round (${what}; the first rounds included)` },
    { name: 'sim.covenant72b.projected_100_rounds_s', value: (simMs / ROUNDS) * 100 / 1000, unit: 's for the default 100 rounds at this rate (target ≤ 60 s)' },
    { name: 'sim.covenant72b.training_share', value: trainingMs / simMs, unit: `ratio: bare surrogate forward + backward for the same ${steps} inner steps (batch ${backend.batchSize}) ÷ the simulated rounds' wall` },
  ];
}
