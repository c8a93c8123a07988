/**
 * The simulated network's defence: the run's {@link DefenceConfig} applied to each round's on-time
 * messages through `aggregateRound` (core/defence/aggregate-round.ts — the one validator round the
 * cluster's validator process runs too). This class only holds what the simulator supplies: the
 * run's communicator and backend, the Gauntlet oracle's state across rounds and its randomness —
 * commitment hash = FNV-1a of the uploaded bytes, freshness = the peer's synced step, loss oracle
 * = backend.evaluate on shards, at no simulated cost. With defence 'gauntlet' the lagged validator
 * is its own node (sim/validator.ts); the peers' aggregate here is the communicator's own apply.
 */
import type { Communicator, PeerMessage } from '../core/baselines/index.ts';
import { aggregateRound } from '../core/defence/aggregate-round.ts';
import type { AggregateRoundResult } from '../core/defence/aggregate-round.ts';
import { assertDefenceFitsMethod } from '../core/defence/config.ts';
import type { DefenceConfig } from '../core/defence/config.ts';
import { fnv1a } from '../core/hash.ts';
import { resolveGauntletConfig } from '../core/gauntlet/config.ts';
import type { GauntletConfig } from '../core/gauntlet/config.ts';
import type { Commitment } from '../core/gauntlet/integrity.ts';
import type { GauntletState } from '../core/gauntlet/rating.ts';
import type { ParamLayout } from '../core/layout.ts';
import type { Rng } from '../core/rng.ts';
import { resolveSparseLocoConfig } from '../core/sparseloco/config.ts';
import type { SparseLocoConfig } from '../core/sparseloco/config.ts';
import type { TrainingBackend } from '../backends/backend.ts';

/** One round's on-time messages and what the validator knows about them. */
export interface DefenceRoundInput {
  readonly round: number;
  /** Outer steps applied before this round (the freshness reference). */
  readonly globalStep: number;
  readonly windowEnd: number; // sim seconds
  /** On-time messages, ascending uid. */
  readonly messages: readonly PeerMessage[];
  readonly arrivedAt: ReadonlyMap<number, number>;
  readonly commitments: ReadonlyMap<number, Commitment>;
  /** The round's participants and their assigned shards. */
  readonly assignments: ReadonlyMap<number, readonly number[]>;
  /** Per-peer aggregation weights (sim/weighting.ts) for 'none' and 'gauntlet'; absent = unweighted. */
  readonly weights?: ReadonlyMap<number, number>;
}

/** What a defence did in one round. */
export type DefenceRoundResult = Pick<AggregateRoundResult, 'report' | 'rejected' | 'weights'>;

/** The defence of one run; stateful only for the Gauntlet oracle (its validator state). */
export class Defence {
  readonly config: DefenceConfig;
  readonly #cfg: SparseLocoConfig | null;
  readonly #gauntlet: GauntletConfig | null;
  #state: GauntletState = { rounds: 0, peers: new Map() };

  constructor(
    config: DefenceConfig,
    optim: { readonly method: string },
    private readonly layout: ParamLayout,
    private readonly comm: Communicator,
    private readonly backend: TrainingBackend,
    private readonly rng: Rng,
  ) {
    this.config = config;
    assertDefenceFitsMethod(config, optim.method);
    const { method: _method, ...overrides } = optim as { method: string } & Partial<SparseLocoConfig>;
    this.#cfg = optim.method === 'sparseloco' ? resolveSparseLocoConfig(overrides) : null;
    this.#gauntlet = config.kind === 'gauntlet-oracle' ? resolveGauntletConfig(config.gauntlet ?? {}) : null;
  }

  /** The SparseLoCo config of the run's messages (null for other methods). */
  get sparseloco(): SparseLocoConfig | null {
    return this.#cfg;
  }

  /** The oracle's current validator state (read only; empty for the other kinds). */
  get gauntletState(): GauntletState {
    return this.#state;
  }

  /** Applies the round's messages to `params` through the defence. MUTATES params and shared. */
  applyRound(params: Float32Array, shared: unknown, input: DefenceRoundInput): DefenceRoundResult {
    const out = aggregateRound({
      defence: this.config,
      round: input.round,
      globalStep: input.globalStep,
      params,
      shared,
      accepted: input.messages,
      failures: [],
      windowEnd: input.windowEnd,
      arrivedAt: input.arrivedAt,
      commitments: input.commitments,
      assignments: input.assignments,
      layout: this.layout,
      sparseloco: this.#cfg,
      comm: this.comm,
      ...(input.weights === undefined ? {} : { weights: input.weights }),
      oracle: this.#gauntlet === null ? null : {
        gauntlet: this.#gauntlet,
        state: this.#state,
        numShards: this.backend.numShards,
        loss: (p, data) => this.backend.evaluate(p, data),
        hash: fnv1a,
        rng: this.rng.fork(`round:${input.round}`),
      },
    });
    if (out.nextState !== null) this.#state = out.nextState;
    return { report: out.report, rejected: out.rejected, weights: out.weights };
  }
}
