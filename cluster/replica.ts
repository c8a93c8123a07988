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
import { assertDefenceFitsMethod } from '../core/defence/config.ts';

/** A node's model state. `params` and `shared` are MUTATED by each applied round. */
export interface Replica {
  readonly cfg: SimConfig;
  readonly backend: TrainingBackend;
  /** The tfjs engine running the model; null for the surrogate. */
  readonly engine: EngineName | null;
  /** The device label the engine reported (GPU adapter, GPUs, host CPU); null for the surrogate. */
  readonly device: string | null;
  readonly comm: Communicator;
  /** The run's SparseLoCo config; null for DiLoCo. */
  readonly sparseloco: SparseLocoConfig | null;
  /** The global params this node holds. */
  readonly params: Float32Array;
  readonly shared: unknown;
}

/**
 * Builds the replica for a resolved config (selects the tfjs engine when the backend is tfjs).
 *
 * @throws {ConfigError} for a config the cluster does not run ({@link assertClusterMethod}).
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
  const sparseloco = cfg.optim.method === 'sparseloco' ? resolveSparseLocoConfig(overrides) : null;
  return { cfg, backend, engine: prepared.engine, device: prepared.device?.label ?? null, comm, sparseloco, params: backend.initParams(root.fork('init')), shared: comm.createSharedState() };
}

/** Resets `replica.params` to θ⁰ (a fresh node before any finalised round). */
export function initialParams(cfg: SimConfig, backend: TrainingBackend): Float32Array {
  return backend.initParams(createRng(cfg.seed).fork('init'));
}

/**
 * Throws unless the cluster can run `cfg`: a round-cadence method — SparseLoCo, or DiLoCo through
 * the store (its outer Nesterov momentum is checkpointed beside the params, cluster/sync.ts); the
 * inner-step methods DDP and DeMo step in lockstep on every inner step, which the cluster's
 * one-window-per-round protocol does not run, and a ring all-reduce between processes is not
 * built — a defence that fits the method (core/defence), attacks only on SparseLoCo (the peer
 * processes run every one, cluster/attacks.ts), no scripted joins.
 */
export function assertClusterMethod(cfg: SimConfig): void {
  const method = cfg.optim.method;
  if (method !== 'sparseloco' && method !== 'diloco') {
    throw new ConfigError('optim.method', method, 'is not run on the cluster: it runs the round-cadence methods "sparseloco" and "diloco" (DDP and DeMo step in lockstep on every inner step)');
  }
  if (cfg.transport === 'ring') {
    throw new ConfigError('transport', cfg.transport, 'is not run on the cluster (a ring all-reduce between processes is not built): use --set transport=store');
  }
  assertDefenceFitsMethod(cfg.defence, method);
  if (method !== 'sparseloco' && cfg.adversaries.length > 0) throw new ConfigError('adversaries', cfg.adversaries.length, `must be empty with optim.method "${method}" on the cluster (the attacker processes forge SparseLoCo messages)`);
  if (cfg.churn.joins !== undefined) throw new ConfigError('churn.joins', cfg.churn.joins.kind, 'is not supported on the cluster yet (peers are the registered processes)');
}
