/**
 * The simulator's run configuration: the user-facing {@link SimConfigInput} (what an experiment
 * writes, with defaults left out) kept apart from the resolved {@link SimConfig} (every default
 * filled in, every field validated, deeply frozen). `resolveSimConfig` is the only way from one to
 * the other, and it is idempotent, so `runSimulation` may be handed either.
 *
 * @example
 * const cfg = resolveSimConfig({
 *   seed: 1, peers: 8, rounds: 10, innerSteps: 5, windowS: 30,
 *   optim: { method: 'sparseloco' },
 *   net: { uplinkMbps: { kind: 'fixed', value: 10 }, downlinkMbps: { kind: 'fixed', value: 100 },
 *          latencyMs: { kind: 'fixed', value: 50 }, store: { ingressMbps: 1e4, egressMbps: 1e4, latencyMs: 0 } },
 *   churn: { availability: { kind: 'bernoulli', dropout: 0.3 } },
 * });
 */
import type { CommunicatorConfig } from '../core/baselines/index.ts';
import { METHOD_NAMES } from '../core/baselines/index.ts';
import { ConfigError } from '../core/errors.ts';
import { resolveComputeModel } from '../core/compute-model.ts';
import type { ComputeModel, ComputeModelInput } from '../core/compute-model.ts';
import { deepFreeze } from '../core/freeze.ts';
import type { CatchUpOptions } from '../core/protocol/index.ts';
import { createRng } from '../core/rng.ts';
import { checkRunFitsBackend, knownShapeOf, resolveBackendConfig } from '../backends/index.ts';
import type { BackendConfig, BackendInput } from '../backends/index.ts';
import { resolveChainConfig } from './chain.ts';
import { resolveChargeConfig, targetLayoutOf } from './charge.ts';
import type { ChargeConfig, ChargeConfigInput } from './charge.ts';
import type { SimChainConfig, SimChainInput } from './chain.ts';
import { createChurn } from './churn.ts';
import type { ChurnConfig } from './churn.ts';
import { validateAdversaries } from './adversaries.ts';
import type { AdversaryGroup } from './adversaries.ts';
import { NO_DEFENCE, validateDefence } from '../core/defence/config.ts';
import type { DefenceConfig } from '../core/defence/config.ts';
import { validateDistribution } from './distributions.ts';
import type { Distribution } from './distributions.ts';
import { ENERGY_DEFAULTS, resolveEnergyConfig } from './energy.ts';
import type { EnergyConfig, EnergyConfigInput } from './energy.ts';
import { isRegionConfig, resolveNetworkConfig } from './network.ts';
import type { NetworkConfig } from './network.ts';
import { protocolDefaults } from './protocol-defaults.ts';
import { resolveGatherConfig } from './round-gather-config.ts';
import { resolveTransport } from './ring.ts';
import type { Transport } from './ring.ts';
import { resolveWindowsConfig } from './windows.ts';
import type { WindowsConfig, WindowsConfigInput } from './windows.ts';
import type { GatherConfig, GatherConfigInput } from './round-gather-config.ts';
import { resolveReplicaConfig } from './replicas-config.ts';
import type { ReplicaConfig, ReplicaConfigInput } from './replicas-config.ts';
import { resolveDataQualityConfig } from './data-quality.ts';
import type { DataQualityConfig, DataQualityConfigInput } from './data-quality.ts';
import { resolveWeightingConfig } from './weighting.ts';
import type { WeightingConfig, WeightingConfigInput } from './weighting.ts';

/** What an experiment writes. Optional fields take {@link SIM_DEFAULTS}. */
export interface SimConfigInput {
  /** Root seed: every random stream of the run is a named fork of `createRng(seed)`. */
  readonly seed: number | string;
  /** Number of peers P (uids 0 … P − 1), integer ≥ 1. */
  readonly peers: number;
  /** Outer rounds to simulate, integer ≥ 1. */
  readonly rounds: number;
  /** H, inner steps per round, integer ≥ 1. */
  readonly innerSteps: number;
  /** Length of each round's submission window, sim seconds > 0. */
  readonly windowS: number;
  /** Per-peer time of one inner step, sim seconds; drawn once per peer (compute heterogeneity). */
  readonly stepTimeS?: Distribution;
  /** Data shards each active peer trains on per round (≥ 1). */
  readonly shardsPerPeer?: number;
  /**
   * The synchronisation method and its options. Cadence 'round' methods (diloco, sparseloco) run
   * the window protocol; cadence 'inner-step' methods (ddp, demo) run H synchronous steps per
   * round and ignore `windowS` except for a round in which no peer is present.
   */
  readonly optim: CommunicatorConfig;
  /** Peer links and the object store. */
  readonly net: NetworkConfig;
  /** Availability and crash models; default: every peer always present. */
  readonly churn?: ChurnConfig;
  /**
   * The training backend and its options: the surrogate MLP (default; `kind` may be left out, so a
   * plain `{ hiddenDim, … }` is a surrogate) or the tfjs GPT (`kind: 'tfjs'`, see
   * backends/tfjs/README.md), whose engine is selected before the run (`runSimulationAsync`).
   * Validated by backends/config.ts.
   */
  readonly backend?: BackendInput;
  /** Device classes, carbon intensities and network energy; fields left out take {@link ENERGY_DEFAULTS} (an assumption). */
  readonly energy?: EnergyConfigInput;
  /** When a stale or joining peer replays missed aggregates and when it downloads a checkpoint. */
  readonly catchUp?: CatchUpOptions;
  /**
   * Two-level run (sim/charge.ts): train the backend, charge every message, share and checkpoint at
   * the target layout's exact size (core/wire-size.ts). With `compute`, its `params` must be the
   * target's. Absent: real sizes, and the config and rows are exactly as before. (Replaces the
   * removed `projectToParams`, which scaled bytes by a parameter ratio.)
   */
  readonly charge?: ChargeConfigInput;
  /**
   * Close a round as soon as every active peer's message is in (synchronous, wait-for-all
   * training), instead of always at the window end (templar's fixed windows). Default false.
   */
  readonly closeWhenComplete?: boolean;
  /**
   * Byzantine peers: each group's fraction of the initial peers runs its attack (sim/adversaries.ts).
   * Default none. SparseLoCo only.
   */
  readonly adversaries?: readonly AdversaryGroup[];
  /** What the network does with the round's messages (sim/defence.ts). Default { kind: 'none' }. */
  readonly defence?: DefenceConfig;
  /**
   * Mirror the run onto the in-process model chain (sim/chain.ts): registrations, commits, posted
   * results, slashes and rewards. Default on, see CHAIN_DEFAULTS; `{ enabled: false }` turns it off.
   */
  readonly chain?: SimChainInput;
  /**
   * Opt-in: model each inner step's time from the model and hardware (core/compute-model.ts,
   * 6 · N · tokens / (peak × MFU × GPUs)) instead of taking `stepTimeS` as seconds. With it set,
   * each peer's step is that modelled time × its `stepTimeS` draw × its device class's
   * stepTimeScale, so `stepTimeS` becomes a dimensionless heterogeneity multiplier (default 1).
   * Absent (the default): step times are exactly as before.
   */
  readonly compute?: ComputeModelInput;
  /**
   * Which messages a round-cadence round downloads and aggregates (sim/round-gather-config.ts):
   * a number is templar's gather-G with reserves, `peers: 'all'` the all-gather. Absent: templar's
   * 20 + 10 for sparseloco (sim/protocol-defaults.ts), none (no gather columns) for the other methods.
   * gather-G is implemented for sparseloco only: DeMo syncs every inner step (inner-step.ts) and keeps its all-gather for now.
   */
  readonly gather?: GatherConfigInput;
  /**
   * How DDP's and DiLoCo's sync crosses the network (sim/ring.ts): 'store' (today's accounting: each
   * peer's all-reduce share up to and down from the store) or 'ring' (a peer-to-peer ring
   * all-reduce, 2(R − 1) hops gated by the slowest edge; DiLoCo then uploads nothing to the store).
   * Absent: 'store', and the config and rows are exactly as before. sparseloco and demo: 'store' only.
   */
  readonly transport?: Transport;
  /**
   * Windows tied to blocks and templar's upload deadline (sim/windows.ts): round r's window is
   * blocks [r·B, (r+1)·B) of a `blockTimeS` clock shared with the chain mirror, uploads are put
   * after the window and accepted until `uploadDeadlineS` after the next window opens. `windowS`
   * must equal blocksPerWindow × blockTimeS. Absent: today's windows, and the config and rows
   * are exactly as before (no `lateRejected` column). Round-cadence methods only.
   */
  readonly windows?: WindowsConfigInput;
  /**
   * Null rounds after each (re)start and the replica columns (sim/replicas-config.ts). Absent: no
   * null rounds, no replica columns; `{}` takes templar's `warmupWindows` (2).
   */
  readonly replicas?: ReplicaConfigInput;
  /**
   * Honest peers with low-quality data (sim/data-quality.ts): a `fraction` of the peers trains on
   * label-noised, near-duplicate, short or domain-shifted shards. Absent: all clean, rows as before.
   * Round-cadence methods only.
   */
  readonly dataQuality?: DataQualityConfigInput;
  /**
   * Per-peer aggregation weights (sim/weighting.ts, core/weighting): uniform, Gauntlet-score,
   * loss-delta or cosine trust. Absent: today's unweighted mean, rows as before. SparseLoCo only.
   */
  readonly weighting?: WeightingConfigInput;
}

/** The resolved, validated, deeply frozen configuration of one run. */
export interface SimConfig extends SimConfigInput {
  readonly stepTimeS: Distribution;
  readonly shardsPerPeer: number;
  readonly churn: ChurnConfig;
  readonly backend: BackendConfig;
  readonly energy: EnergyConfig;
  readonly catchUp: CatchUpOptions;
  readonly closeWhenComplete: boolean;
  readonly adversaries: readonly AdversaryGroup[];
  readonly defence: DefenceConfig;
  readonly chain: SimChainConfig;
  /** Present only when the input set it. */
  readonly compute?: ComputeModel;
  /** Present only when the input set it. */
  readonly charge?: ChargeConfig;
  /** Present only when the input set it. */
  readonly gather?: GatherConfig;
  /** Present only when the input set it. */
  readonly transport?: Transport;
  /** Present only when the input set it. */
  readonly windows?: WindowsConfig;
  /** Present only when the input set it. */
  readonly replicas?: ReplicaConfig;
  /** Present only when the input set it. */
  readonly dataQuality?: DataQualityConfig;
  /** Present only when the input set it. */
  readonly weighting?: WeightingConfig;
}

/** Defaults of the optional fields. */
export const SIM_DEFAULTS = Object.freeze({
  stepTimeS: Object.freeze({ kind: 'fixed', value: 1 }) as Distribution, // sim seconds per inner step
  shardsPerPeer: 1,
  churn: Object.freeze({ availability: Object.freeze({ kind: 'always' }) }) as ChurnConfig,
  backend: Object.freeze({}) as BackendInput,
  energy: ENERGY_DEFAULTS,
  /** Replay up to 8 missed aggregates; checkpoints every 50 global steps. */
  catchUp: Object.freeze({ maxReplay: 8, checkpointEvery: 50 }) as CatchUpOptions,
});

const KEYS: readonly (keyof SimConfigInput)[] = [
  'seed', 'peers', 'rounds', 'innerSteps', 'windowS', 'stepTimeS', 'shardsPerPeer', 'optim', 'net', 'churn', 'backend', 'energy', 'catchUp', 'closeWhenComplete',
  'adversaries', 'defence', 'chain', 'compute', 'charge', 'gather', 'transport', 'windows', 'replicas', 'dataQuality', 'weighting',
];

/**
 * Fills defaults, validates every field (a {@link ConfigError} names the key, the value and the
 * rule) and returns the config deeply frozen. An unknown top-level key is an error, so a typo never
 * becomes a silent default.
 */
export function resolveSimConfig(input: SimConfigInput): SimConfig {
  if (typeof input !== 'object' || input === null) throw new ConfigError('sim config', input, 'must be an object');
  if ('projectToParams' in input) {
    throw new ConfigError('projectToParams', (input as Record<string, unknown>)['projectToParams'], "was removed: it scaled bytes by a parameter ratio; use charge: { layout: 'covenant-72b' | 'scaled-200b' | 'scaled-500b' | 'scaled-1t' | { llama } | { shapes } } (exact target sizes, sim/charge.ts)");
  }
  for (const key of Object.keys(input)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new ConfigError(key, (input as unknown as Record<string, unknown>)[key], `is not a sim config key (expected one of ${KEYS.join(', ')})`);
  }
  if (typeof input.seed !== 'number' && typeof input.seed !== 'string') throw new ConfigError('seed', input.seed, 'must be a number or a string');
  requireInt('peers', input.peers, 1);
  requireInt('rounds', input.rounds, 1);
  requireInt('innerSteps', input.innerSteps, 1);
  if (typeof input.windowS !== 'number' || !Number.isFinite(input.windowS) || !(input.windowS > 0)) {
    throw new ConfigError('windowS', input.windowS, 'must be a finite number > 0 (sim seconds)');
  }
  const stepTimeS = input.stepTimeS ?? SIM_DEFAULTS.stepTimeS;
  validateDistribution('stepTimeS', stepTimeS, 'positive');
  const shardsPerPeer = input.shardsPerPeer ?? SIM_DEFAULTS.shardsPerPeer;
  requireInt('shardsPerPeer', shardsPerPeer, 1);

  const method = (input.optim as { method?: unknown } | undefined)?.method;
  if (typeof input.optim !== 'object' || input.optim === null) throw new ConfigError('optim', input.optim, 'must be an object with a method');
  if (!(METHOD_NAMES as readonly unknown[]).includes(method)) throw new ConfigError('optim.method', method, `must be one of ${METHOD_NAMES.join(', ')}`);

  const net = resolveNetworkConfig(input.net, 'net');
  const churn = input.churn ?? SIM_DEFAULTS.churn;
  createChurn(churn, createRng(0), 'churn'); // validation by construction: the models check their own fields
  // Joined peers get fresh uids: they must not reuse an initial peer's (0 … peers − 1).
  if (churn.joins !== undefined && !(churn.joins.firstPeerId >= input.peers)) {
    throw new ConfigError('churn.joins.firstPeerId', churn.joins.firstPeerId, `must be ≥ peers (${input.peers}): joined peers get new uids`);
  }
  const energy = resolveEnergyConfig(input.energy ?? SIM_DEFAULTS.energy, isRegionConfig(net) ? net.regions.map((r) => r.name) : null, 'energy');
  const catchUp = input.catchUp ?? SIM_DEFAULTS.catchUp;
  requireInt('catchUp.maxReplay', catchUp.maxReplay, 0);
  requireInt('catchUp.checkpointEvery', catchUp.checkpointEvery, 1);
  const backend = resolveBackendConfig(input.backend ?? SIM_DEFAULTS.backend);
  // A tfjs backend's shape is known only once built (its module loads lazily): runSimulation
  // checks optim and shardsPerPeer against it then, before the first round.
  const shape = knownShapeOf(backend);
  if (shape !== null) checkRunFitsBackend(shape, shardsPerPeer, input.optim);
  const closeWhenComplete = input.closeWhenComplete ?? false;
  if (typeof closeWhenComplete !== 'boolean') throw new ConfigError('closeWhenComplete', closeWhenComplete, 'must be a boolean');
  const adversaries = input.adversaries ?? [];
  const defence = input.defence ?? NO_DEFENCE;
  validateDefence(defence, 'defence');
  const optimFields = input.optim as { method: string; indexCoding?: string };
  validateAdversaries(adversaries, input.peers, optimFields.indexCoding ?? 'packed12', 'adversaries');
  if ((adversaries.length > 0 || defence.kind !== 'none') && optimFields.method !== 'sparseloco') {
    throw new ConfigError('optim.method', optimFields.method, 'must be "sparseloco" with adversaries or a defence (they read and forge its wire format)');
  }
  const chainInput = input.chain ?? {};
  const windowsValue = input.windows === undefined ? undefined : resolveWindowsConfig(input.windows, input.windowS, optimFields.method, 'windows');
  if (windowsValue !== undefined && chainInput.roundLength !== undefined && chainInput.roundLength !== windowsValue.blocksPerWindow) {
    throw new ConfigError('chain.roundLength', chainInput.roundLength, `must equal windows.blocksPerWindow (${windowsValue.blocksPerWindow}): the chain mirror runs on the windows' block clock`);
  }
  // With windows the chain's rounds are the windows' blocks (sim/windows.ts, sim/chain.ts).
  const chain = resolveChainConfig(windowsValue === undefined ? chainInput : { ...chainInput, roundLength: windowsValue.blocksPerWindow }, 'chain');
  // Sections not given take the method's protocol defaults (sim/protocol-defaults.ts: templar's round);
  // the rest are left out of the resolved config when not given.
  const { compute: computeInput, charge: chargeInput, gather: givenGather, transport: givenTransport, windows: _windowsInput, replicas: givenReplicas, dataQuality: dataQualityInput, weighting: weightingInput, ...fields } = input;
  const defaults = protocolDefaults(optimFields.method);
  const gatherInput = givenGather ?? defaults.gather;
  const transportInput = givenTransport ?? defaults.transport;
  const replicasInput = givenReplicas ?? defaults.replicas;
  const compute = computeInput === undefined ? {} : { compute: resolveComputeModel(computeInput, 'compute') };
  const charge = chargeInput === undefined ? {} : { charge: resolveChargeConfig(chargeInput, input.optim, 'charge') };
  if (charge.charge !== undefined && compute.compute !== undefined) {
    const chargedParams = targetLayoutOf(charge.charge).size;
    if (compute.compute.params !== chargedParams) throw new ConfigError('compute.params', compute.compute.params, `must equal the charged layout's parameter count (${chargedParams}) in a charged run`);
  }
  const gather = gatherInput === undefined ? {} : { gather: resolveGatherConfig(gatherInput, 'gather') };
  if (gather.gather !== undefined && gather.gather.peers !== 'all' && optimFields.method !== 'sparseloco') {
    throw new ConfigError('gather.peers', gather.gather.peers, `must be 'all' with optim.method "${optimFields.method}": gather-G is implemented for sparseloco's round (demo syncs every inner step; ddp/diloco all-reduce)`);
  }
  const transportValue = resolveTransport(transportInput, optimFields.method);
  const transport = transportValue === undefined ? {} : { transport: transportValue };
  const windows = windowsValue === undefined ? {} : { windows: windowsValue };
  const replicas = replicasInput === undefined ? {} : { replicas: resolveReplicaConfig(replicasInput, optimFields.method, 'replicas') };
  if (dataQualityInput !== undefined && optimFields.method !== 'sparseloco' && optimFields.method !== 'diloco') {
    throw new ConfigError('dataQuality.kind', dataQualityInput.kind, `needs a round-cadence method (sparseloco or diloco): the inner loop is where the data is worse, got "${optimFields.method}"`);
  }
  const dataQuality = dataQualityInput === undefined ? {} : { dataQuality: resolveDataQualityConfig(dataQualityInput, 'dataQuality') };
  const weighting = weightingInput === undefined ? {} : { weighting: resolveWeightingConfig(weightingInput, optimFields.method, defence.kind, 'weighting') };
  return deepFreeze({ ...fields, stepTimeS, shardsPerPeer, net, churn, backend, energy, catchUp, closeWhenComplete, adversaries, defence, chain, ...compute, ...charge, ...gather, ...transport, ...windows, ...replicas, ...dataQuality, ...weighting });
}

function requireInt(key: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new ConfigError(key, value, `must be an integer ≥ ${min}`);
}
