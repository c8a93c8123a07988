/**
 * The end-to-end simulator: P peers with drawn links, devices, compute speeds and churn train a
 * real model (the surrogate MLP, or the tfjs GPT via {@link runSimulationAsync}, which selects
 * its engine first) through the shared round protocol (`core/protocol`) and a real
 * communicator (`core/baselines`), in simulated time on the event kernel. One tidy metric row per
 * round; no files, no printing, no wall clock.
 *
 * Each round: open it (round-open.ts: joins admitted, present peers found, shards dealt, stale and
 * new peers' catch-up charged), run it with the method's cadence — round-cadence.ts for DiLoCo and
 * SparseLoCo (the window protocol), inner-step.ts for DDP and DeMo (H synchronous steps) — then
 * complete its row with energy and cumulative figures (metrics.ts). With `chain.enabled` (the
 * default) the run is mirrored onto the in-process model chain (chain.ts): peers register and
 * commit, the validator posts each round's results and slashes; rows gain the chain columns and
 * the result a chain summary. The mirror never feeds back, so every other figure is unchanged.
 *
 * Random streams (all forks of `createRng(seed)`): 'net' (links, transfer loss), 'churn', 'backend'
 * (data, batches), 'init' (θ⁰), 'compute' (per-peer step time and device class). Same (config,
 * seed) ⇒ identical rows.
 *
 * @example
 * const { rows, finalHeldoutLoss, totals } = runSimulation(cfg, { onRound: (row) => recorder.push(row) });
 * totals.energyKWh; // kWh over the run
 */
import { ConfigError, assertInvariant } from '../core/errors.ts';
import { fnv1a, paramBytes } from '../core/hash.ts';
import { createRng } from '../core/rng.ts';
import { checkRunFitsBackend, prepareBackend, prepareSurrogateBackend } from '../backends/index.ts';
import type { EngineName, PreparedBackend } from '../backends/index.ts';
import type { SimChain } from './chain.ts';
import type { SimChainSummary } from './chain.ts';
import { resolveSimConfig } from './config.ts';
import type { SimConfig, SimConfigInput } from './config.ts';
import { createSimContext } from './context.ts';
import { runInnerStepCadence } from './inner-step.ts';
import type { ProcessGenerator } from './kernel/index.ts';
import { RunTotals, rowTotals } from './metrics.ts';
import type { RoundResult, SimRoundRow } from './metrics.ts';
import { openSimRound } from './round-open.ts';
import { runRoundCadence } from './round-cadence.ts';

export type { SimRoundRow } from './metrics.ts';

/** Options of {@link runSimulation}. */
export interface RunSimulationOptions {
  /** Called with each row as soon as its round ends (in round order). */
  readonly onRound?: (row: SimRoundRow) => void;
  /**
   * The config's backend, prepared by {@link prepareBackend}. Required for a tfjs backend (its
   * engine is selected asynchronously; {@link runSimulationAsync} does it); optional for the surrogate.
   */
  readonly backend?: PreparedBackend;
  /** Called once, before the first round, with the run's chain mirror (when `chain.enabled`): for inspection. */
  readonly onChain?: (chain: SimChain) => void;
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
  /**
   * Which model produced the rows: the backend's name and, for tfjs, the engine (results differ in
   * the last bits across engines) and the device it reported running on (its label).
   */
  readonly backend: { readonly name: string; readonly engine: EngineName | null; readonly device: string | null };
  /** The model chain's state at the end (sim/chain.ts); absent when `chain.enabled` is false. */
  readonly chain?: SimChainSummary;
}

/** The prepared backend for `cfg`: the one given (checked to match), else the surrogate's. */
function preparedFor(cfg: SimConfig, given: PreparedBackend | undefined): PreparedBackend {
  if (given !== undefined) {
    const wanted = JSON.stringify(cfg.backend);
    const prepared = JSON.stringify(given.config);
    if (prepared !== wanted) {
      // Shortened: a tfjs section may carry its whole training text.
      const brief = (json: string): string => (json.length > 160 ? `${json.slice(0, 160)}…` : json);
      throw new ConfigError('backend', brief(wanted), `must equal the section options.backend was prepared for (${brief(prepared)})`);
    }
    return given;
  }
  if (cfg.backend.kind === 'tfjs') {
    throw new ConfigError('backend.kind', 'tfjs', 'needs its engine selected first: use runSimulationAsync, or pass options.backend = await prepareBackend(cfg.backend)');
  }
  return prepareSurrogateBackend(cfg.backend);
}

/**
 * {@link runSimulation} for any backend: prepares it first (for tfjs, selects the engine), then
 * runs synchronously. Same (config, seed) and same engine ⇒ identical rows.
 *
 * @throws {ConfigError} on a bad config; {@link EngineUnavailableError} when the engine cannot run.
 */
export async function runSimulationAsync(config: SimConfigInput, options: Omit<RunSimulationOptions, 'backend'> = {}): Promise<SimResult> {
  const cfg = resolveSimConfig(config);
  return runSimulation(cfg, { ...options, backend: await prepareBackend(cfg.backend) });
}

/**
 * Runs `config.rounds` rounds and returns the metric rows. `config` may be raw input or already
 * resolved; it is resolved (and validated) either way. Synchronous; a tfjs config needs
 * `options.backend` (or use {@link runSimulationAsync}).
 *
 * @throws {ConfigError} on a bad config.
 */
export function runSimulation(config: SimConfigInput, options: RunSimulationOptions = {}): SimResult {
  const cfg = resolveSimConfig(config);
  const root = createRng(cfg.seed);
  const prepared = preparedFor(cfg, options.backend);
  const backend = prepared.create(root.fork('backend'));
  checkRunFitsBackend(backend, cfg.shardsPerPeer, cfg.optim); // what only the built backend knows (tfjs)
  const ctx = createSimContext(cfg, backend, root);
  const { chain, params } = ctx;
  if (chain !== null) options.onChain?.(chain);
  const runRound = ctx.comm.cadence === 'round' ? runRoundCadence : runInnerStepCadence;
  const totals = new RunTotals(ctx.charge.columns);
  const rows: SimRoundRow[] = [];

  function* roundLoop(): ProcessGenerator<void> {
    for (let round = 0; round < cfg.rounds; round++) {
      const result: RoundResult = yield* runRound(ctx, openSimRound(ctx, round));
      const figures = chain === null ? result.figures : { ...result.figures, ...chain.takeRowFigures() };
      const row = totals.finishRow(figures, result.energy);
      rows.push(row);
      options.onRound?.(row);
    }
  }

  ctx.env.run(ctx.env.process(roundLoop()));
  // A failed round throws out of run(); a short run here is a bug, never a result.
  assertInvariant(rows.length === cfg.rounds, `the run produced ${rows.length} rows for rounds = ${cfg.rounds}`);
  const last = rows[rows.length - 1]!;
  const { bytesUp, bytesDown, finalisedRounds, skippedRounds } = rowTotals(rows);
  return Object.freeze({
    rows: Object.freeze(rows),
    finalParamsHash: fnv1a(paramBytes(params)),
    finalHeldoutLoss: last.heldoutLoss,
    totals: Object.freeze({
      simTimeS: last.simTimeS,
      bytesUp,
      bytesDown,
      energyKWh: totals.energyKWh,
      co2eKg: totals.co2eKg,
      finalisedRounds,
      skippedRounds,
    }),
    backend: Object.freeze({ name: backend.name, engine: prepared.engine, device: prepared.device?.label ?? null }),
    ...(chain === null ? {} : { chain: chain.summary() }),
  });
}
