/**
 * The world one simulation run shares between its rounds: config, kernel, store, churn, model,
 * communicator, global params and progress, peers and their θ replicas, and the run's
 * adversaries, defence and chain mirror. `createSimContext` is the one place it is built (the simulator and the tests use it).
 */
import { createCommunicator } from '../core/baselines/index.ts';
import type { Communicator } from '../core/baselines/index.ts';
import { GlobalProgress } from '../core/protocol/index.ts';
import type { Rng } from '../core/rng.ts';
import type { TrainingBackend } from '../backends/backend.ts';
import { createAdversaries } from './adversaries.ts';
import type { Adversaries } from './adversaries.ts';
import { AggregateLog } from './catch-up.ts';
import { SimChain } from './chain.ts';
import { createChurn } from './churn.ts';
import type { Churn } from './churn.ts';
import type { SimConfig } from './config.ts';
import { gauntletConfigOf } from '../core/defence/config.ts';
import { Defence } from './defence.ts';
import { Environment } from './kernel/index.ts';
import { chargedTo, uncharged } from './charge.ts';
import type { WireCharge } from './charge.ts';
import { resolveBucketLink, resolveStoreLink } from './network.ts';
import type { StoreLink } from './network.ts';
import { Population } from './population.ts';
import { ReplicaPool } from './replicas.ts';
import { PeerListSchedule } from '../core/protocol/peer-list-schedule.ts';
import { TransferNetwork } from './transfers.ts';
import { LaggedValidator } from './validator.ts';
import { LowQualityPeers } from './data-quality.ts';
import { SimWeighting } from './weighting.ts';

/** Everything a round reads or advances. */
export interface SimContext {
  readonly cfg: SimConfig;
  readonly env: Environment;
  readonly store: StoreLink;
  /** Times batches of transfers as flows over the peers' links, buckets and store (sim/transfers.ts). */
  readonly transfers: TransferNetwork;
  readonly churn: Churn;
  readonly backend: TrainingBackend;
  readonly comm: Communicator;
  /** The global params, MUTATED by each applied sync; a checkpoint is their byteLength bytes. */
  readonly params: Float32Array;
  readonly shared: unknown;
  readonly progress: GlobalProgress;
  readonly population: Population;
  /** The peers' θ replicas: versions of `params` kept while a peer holds one (sim/replicas.ts). */
  readonly replicas: ReplicaPool;
  readonly aggregates: AggregateLog;
  /** Stream of transfer-loss draws (forked per transfer). */
  readonly netRng: Rng;
  /** The sizes every message, share and checkpoint is charged at (sim/charge.ts; real sizes without `charge`). */
  readonly charge: WireCharge;
  /** The run's Byzantine peers; null in a clean run. */
  readonly adversaries: Adversaries | null;
  /** The defence applied to each round's messages ('none': the communicator's own apply). */
  readonly defence: Defence;
  /** The run's mirror onto the model chain (sim/chain.ts); null when `chain.enabled` is false. */
  readonly chain: SimChain | null;
  /** The validator's peer list for gather-G (sim/round-gather.ts); null for the all-gather. */
  readonly gather: PeerListSchedule | null;
  /** The lagged Gauntlet validator (defence 'gauntlet', sim/validator.ts); null otherwise. */
  readonly validator: LaggedValidator | null;
  /** Which honest peers train on low-quality data (sim/data-quality.ts); null when all are clean. */
  readonly dataQuality: LowQualityPeers | null;
  /** The per-peer aggregation weights (sim/weighting.ts); null for today's unweighted mean. */
  readonly weighting: SimWeighting | null;
}

/**
 * Builds a run's world from its resolved config, its built backend (already checked against the
 * config) and the run's root stream. Streams: 'churn', 'net', 'init', 'compute', 'adversaries',
 * 'defence', 'validator', 'data-quality', 'weighting' (the backend has its own, 'backend').
 *
 * @example
 * const ctx = createSimContext(cfg, backend, createRng(cfg.seed));
 * ctx.population.peers.length; // cfg.peers
 */
export function createSimContext(cfg: SimConfig, backend: TrainingBackend, root: Rng): SimContext {
  const churn = createChurn(cfg.churn, root.fork('churn'));
  const comm = createCommunicator(backend.layout, cfg.optim);
  const netRng = root.fork('net');
  const params = backend.initParams(root.fork('init'));
  const charge = cfg.charge === undefined ? uncharged(comm, backend.layout) : chargedTo(cfg.charge, backend.layout, cfg.optim);
  const population = new Population(cfg, backend, comm, churn, { net: netRng, compute: root.fork('compute') });
  const store = resolveStoreLink(cfg.net);
  const env = new Environment();
  const clock = cfg.windows === undefined ? null : { windows: cfg.windows, nowS: () => env.now };
  const chain = cfg.chain.enabled ? new SimChain(cfg.chain, cfg.rounds, population.peers.map((p) => p.uid), {}, clock) : null;
  const gather = cfg.gather === undefined || cfg.gather.peers === 'all' ? null : new PeerListSchedule({ ...cfg.gather, peers: cfg.gather.peers });
  const defence = new Defence(cfg.defence, cfg.optim, backend.layout, comm, backend, root.fork('defence'));
  const gauntlet = cfg.defence.kind === 'gauntlet' ? gauntletConfigOf(cfg.defence) : null;
  const validator = gauntlet === null
    ? null
    : new LaggedValidator({ cfg, gauntlet, sparseloco: defence.sparseloco!, layout: backend.layout, backend, env, store, charge, publisher: gather, rng: root.fork('validator') });
  return {
    cfg,
    env,
    store,
    transfers: new TransferNetwork(store, resolveBucketLink(cfg.net)),
    churn,
    backend,
    comm,
    params,
    shared: comm.createSharedState(),
    progress: new GlobalProgress(),
    population,
    replicas: new ReplicaPool(params, backend.layout, cfg.catchUp),
    aggregates: new AggregateLog(),
    netRng,
    charge,
    adversaries: createAdversaries(cfg.adversaries, cfg.peers, backend.layout, comm, root.fork('adversaries')),
    defence,
    chain,
    gather,
    validator,
    dataQuality: cfg.dataQuality === undefined ? null : new LowQualityPeers(cfg.dataQuality, cfg.peers, root.fork('data-quality')),
    weighting: cfg.weighting === undefined ? null : new SimWeighting(cfg.weighting, backend, defence.sparseloco!, root.fork('weighting')),
  };
}
