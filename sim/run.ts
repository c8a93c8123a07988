/**
 * The end-to-end simulator: P peers with drawn links, devices, compute speeds and churn train a
 * real surrogate model through the shared round protocol (`core/protocol`) and a real
 * communicator (`core/baselines`), in simulated time on the event kernel. One tidy metric row per
 * round; no files, no printing, no wall clock.
 *
 * Each round: open it (context.ts: joins admitted, present peers found, shards dealt, stale and
 * new peers' catch-up charged), run it with the method's cadence — round-cadence.ts for DiLoCo and
 * SparseLoCo (the window protocol), inner-step.ts for DDP and DeMo (H synchronous steps) — then
 * complete its row with energy and cumulative figures (metrics.ts).
 *
 * Random streams (all forks of `createRng(seed)`): 'net' (links, transfer loss), 'churn', 'backend'
 * (data, batches), 'init' (θ⁰), 'compute' (per-peer step time and device class). Same (config,
 * seed) ⇒ identical rows.
 *
 * @example
 * const { rows, finalHeldoutLoss, totals } = runSimulation(cfg, { onRound: (row) => recorder.push(row) });
 * totals.energyKWh; // kWh over the run
 */
import { createCommunicator } from '../core/baselines/index.ts';
import { GlobalProgress } from '../core/protocol/index.ts';
import { createRng } from '../core/rng.ts';
import { createSurrogateBackend } from '../backends/surrogate/backend.ts';
import { AggregateLog } from './catch-up.ts';
import { createChurn } from './churn.ts';
import { resolveSimConfig } from './config.ts';
import type { SimConfigInput } from './config.ts';
import { openSimRound } from './context.ts';
import type { SimContext } from './context.ts';
import { runInnerStepCadence } from './inner-step.ts';
import { Environment } from './kernel/index.ts';
import type { ProcessGenerator } from './kernel/index.ts';
import { RunTotals, fnv1a } from './metrics.ts';
import type { RoundResult, SimRoundRow } from './metrics.ts';
import { projectStore, resolveStoreLink } from './network.ts';
import { Population } from './population.ts';
import { runRoundCadence } from './round-cadence.ts';

export type { SimRoundRow } from './metrics.ts';

/** Options of {@link runSimulation}. */
export interface RunSimulationOptions {
  /** Called with each row as soon as its round ends (in round order). */
  readonly onRound?: (row: SimRoundRow) => void;
}

/** What a run produced. */
export interface SimResult {
  readonly rows: readonly SimRoundRow[];
  /** FNV-1a (32-bit, hex) of the final params' bytes: equal hashes ⇔ (almost surely) equal bits. */
  readonly finalParamsHash: string;
  readonly finalHeldoutLoss: number;
  readonly totals: {
    readonly simTimeS: number; // sim seconds
    readonly bytesUp: number; // bytes
    readonly bytesDown: number; // bytes
    readonly energyKWh: number; // kWh
    readonly co2eKg: number; // kg CO2e
    readonly finalisedRounds: number;
    readonly skippedRounds: number;
  };
}

/**
 * Runs `config.rounds` rounds and returns the metric rows. `config` may be raw input or already
 * resolved; it is resolved (and validated) either way.
 *
 * @throws {ConfigError} on a bad config.
 */
export function runSimulation(config: SimConfigInput, options: RunSimulationOptions = {}): SimResult {
  const cfg = resolveSimConfig(config);
  const root = createRng(cfg.seed);
  const churn = createChurn(cfg.churn, root.fork('churn'));
  const backend = createSurrogateBackend(root.fork('backend'), cfg.backend);
  const comm = createCommunicator(backend.layout, cfg.optim);
  const netRng = root.fork('net');
  const params = backend.initParams(root.fork('init'));
  const byteScale = cfg.projectToParams === null ? 1 : cfg.projectToParams / backend.layout.size;
  const ctx: SimContext = {
    cfg,
    env: new Environment(),
    store: projectStore(resolveStoreLink(cfg.net), byteScale),
    churn,
    backend,
    comm,
    params,
    shared: comm.createSharedState(),
    progress: new GlobalProgress(),
    population: new Population(cfg, backend, comm, churn, { net: netRng, compute: root.fork('compute') }, byteScale),
    aggregates: new AggregateLog(),
    netRng,
    paramsBytes: params.byteLength,
    byteScale,
  };
  const runRound = comm.cadence === 'round' ? runRoundCadence : runInnerStepCadence;
  const totals = new RunTotals(byteScale);
  const rows: SimRoundRow[] = [];

  function* roundLoop(): ProcessGenerator<void> {
    for (let round = 0; round < cfg.rounds; round++) {
      const result: RoundResult = yield* runRound(ctx, openSimRound(ctx, round));
      const row = totals.finishRow(result.figures, result.energy);
      rows.push(row);
      options.onRound?.(row);
    }
  }

  ctx.env.run(ctx.env.process(roundLoop()));
  const last = rows[rows.length - 1]!;
  let bytesUp = 0;
  let bytesDown = 0;
  let finalisedRounds = 0;
  for (const r of rows) {
    bytesUp += r.bytesUpTotal;
    bytesDown += r.bytesDownTotal;
    if (r.status === 'finalised') finalisedRounds++;
  }
  return Object.freeze({
    rows: Object.freeze(rows),
    finalParamsHash: fnv1a(new Uint8Array(params.buffer, params.byteOffset, params.byteLength)),
    finalHeldoutLoss: last.heldoutLoss,
    totals: Object.freeze({
      simTimeS: last.simTimeS,
      bytesUp,
      bytesDown,
      energyKWh: totals.energyKWh,
      co2eKg: totals.co2eKg,
      finalisedRounds,
      skippedRounds: rows.length - finalisedRounds,
    }),
  });
}
