/**
 * One node's copy of the run's model, built exactly as `runSimulation` builds it (sim/run.ts): the
 * backend from `createRng(seed).fork('backend')`, θ⁰ from the 'init' fork, the communicator from
 * `optim`. Every peer process and the validator build one, so the first round starts from the same
 * bits on every node and in the simulator; `apply` then keeps them identical round after round.
 */
import { createCommunicator } from '../core/baselines/index.ts';
import type { Communicator } from '../core/baselines/index.ts';
import { ConfigError } from '../core/errors.ts';
import { createRng } from '../core/rng.ts';
import { resolveSparseLocoConfig } from '../core/sparseloco/config.ts';
import type { SparseLocoConfig } from '../core/sparseloco/config.ts';
import type { TrainingBackend } from '../backends/backend.ts';
import { checkRunFitsBackend, prepareBackend } from '../backends/index.ts';
import type { EngineName } from '../backends/index.ts';
import type { SimConfig } from '../sim/config.ts';

/** A node's model state. `params` and `shared` are MUTATED by each applied round. */
export interface Replica {
  readonly cfg: SimConfig;
  readonly backend: TrainingBackend;
  /** The tfjs engine running the model; null for the surrogate. */
  readonly engine: EngineName | null;
  /** The device label the engine reported (GPU adapter, GPUs, host CPU); null for the surrogate. */
  readonly device: string | null;
  readonly comm: Communicator;
  /** The run's SparseLoCo config (the only method the cluster runs). */
  readonly sparseloco: SparseLocoConfig;
  /** The global params this node holds. */
  readonly params: Float32Array;
  readonly shared: unknown;
}

/**
 * Builds the replica for a resolved config (selects the tfjs engine when the backend is tfjs).
 *
 * @throws {ConfigError} for a method the cluster does not run (only SparseLoCo: its outer step has
 *   no state beyond the params, so a checkpoint of the params is a full checkpoint).
 * @example const replica = await createReplica(resolveSimConfig(input));
 */
export async function createReplica(cfg: SimConfig): Promise<Replica> {
  assertClusterMethod(cfg);
  const root = createRng(cfg.seed);
  const prepared = await prepareBackend(cfg.backend);
  const backend = prepared.create(root.fork('backend'));
  checkRunFitsBackend(backend, cfg.shardsPerPeer, cfg.optim);
  const comm = createCommunicator(backend.layout, cfg.optim);
  const { method: _method, ...overrides } = cfg.optim as { method: string } & Partial<SparseLocoConfig>;
  const sparseloco = resolveSparseLocoConfig(overrides);
  return { cfg, backend, engine: prepared.engine, device: prepared.device?.label ?? null, comm, sparseloco, params: backend.initParams(root.fork('init')), shared: comm.createSharedState() };
}

/** Resets `replica.params` to θ⁰ (a fresh node before any finalised round). */
export function initialParams(cfg: SimConfig, backend: TrainingBackend): Float32Array {
  return backend.initParams(createRng(cfg.seed).fork('init'));
}

/**
 * Throws unless the cluster can run `cfg`: SparseLoCo (cadence 'round', stateless outer step),
 * every defence (the validator process runs them all), no
 * scripted joins.
 */
export function assertClusterMethod(cfg: SimConfig): void {
  if (cfg.optim.method !== 'sparseloco') {
    throw new ConfigError('optim.method', cfg.optim.method, 'must be "sparseloco" on the cluster (checkpoints hold params only; other methods carry outer-optimiser state)');
  }
  if (cfg.churn.joins !== undefined) throw new ConfigError('churn.joins', cfg.churn.joins.kind, 'is not supported on the cluster yet (peers are the registered processes)');
}
