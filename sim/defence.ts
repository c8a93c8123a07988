/**
 * What the simulated network does with a round's on-time messages before the outer step — the
 * defence against Byzantine peers (SparseLoCo runs only):
 *
 *   'none'      the communicator's own `apply`: strict decoding, config match, then SparseLoCo's
 *               per-tensor median-norm clipping and sparse mean (that clipping is already a
 *               defence against scaled updates: read 'none' as "SparseLoCo as is");
 *   'robust'    every message is decoded into a dense vector (dequantise + scatter); a message the
 *               decoder refuses, that does not match the run's config or that holds a non-finite
 *               value is rejected with its typed reason; the rest go through a robust aggregator
 *               (core/robust) and θ ← θ − α·g with α = optim.outerLr. Krum's f is clamped to
 *               ⌊(n − 3)/2⌋ for the round's n accepted updates, so rejections do not stall it;
 *   'gauntlet'  Gauntlet as it runs: the peers' aggregate is the communicator's own apply of the
 *               gathered messages (as 'none'; no same-round filtering), and the validator is its
 *               own lagged node (sim/validator.ts) whose weights and peer list act on LATER
 *               windows. The Defence holds the config only; the run's LaggedValidator does the work;
 *   'gauntlet-oracle'  the same-round oracle: `validateRound` (core/gauntlet) on every on-time
 *               submission — commitment hash = FNV-1a of the uploaded bytes, freshness = the
 *               peer's synced step, loss oracle = backend.evaluate on shards, at no simulated
 *               cost — and only its top-G selection is applied through the communicator. The
 *               validator state persists across rounds; each round's weights are the rewards.
 *
 * Rejection reasons are counted per round: 'decode:<codec reason>', 'config-mismatch',
 * 'non-finite', and for the oracle also 'hash-mismatch', 'stale', 'norm-bound', 'late' and
 * 'negative-score' (a peer missing from the store is not counted: it is late or crashed).
 */
import type { ApplyReport, Communicator, PeerMessage } from '../core/baselines/index.ts';
import { ConfigError } from '../core/errors.ts';
import { fnv1a } from '../core/hash.ts';
import { resolveGauntletConfig } from '../core/gauntlet/config.ts';
import type { GauntletConfig } from '../core/gauntlet/config.ts';
import type { Commitment } from '../core/gauntlet/integrity.ts';
import type { GauntletState } from '../core/gauntlet/rating.ts';
import { validateRound } from '../core/gauntlet/validator.ts';
import type { ValidatorSubmission } from '../core/gauntlet/validator.ts';
import { chunkElementIndex } from '../core/layout.ts';
import type { ParamLayout } from '../core/layout.ts';
import type { Rng } from '../core/rng.ts';
import { createRobustAggregator, RobustAggregateError } from '../core/robust/index.ts';
import type { RobustAggregatorSpec, RobustUpdate } from '../core/robust/index.ts';
import { CodecError, decodeUpdate } from '../core/sparseloco/codec.ts';
import { configMismatch } from '../core/sparseloco/config-match.ts';
import { resolveSparseLocoConfig } from '../core/sparseloco/config.ts';
import type { SparseLocoConfig } from '../core/sparseloco/config.ts';
import { dequantise } from '../core/sparseloco/message.ts';
import type { TrainingBackend } from '../backends/backend.ts';

/** The defence a run uses. */
export type DefenceConfig =
  | { readonly kind: 'none' }
  | { readonly kind: 'robust'; readonly aggregator: RobustAggregatorSpec }
  | { readonly kind: 'gauntlet'; readonly gauntlet?: Partial<GauntletConfig> }
  | { readonly kind: 'gauntlet-oracle'; readonly gauntlet?: Partial<GauntletConfig> };

export const NO_DEFENCE: DefenceConfig = Object.freeze({ kind: 'none' });

/** Validates a defence config by building what it names; throws {@link ConfigError}. */
export function validateDefence(d: DefenceConfig, key = 'defence'): void {
  if (typeof d !== 'object' || d === null) throw new ConfigError(key, d, 'must be { kind: "none" | "robust" | "gauntlet" | "gauntlet-oracle", … }');
  switch (d.kind) {
    case 'none':
      return;
    case 'robust':
      createRobustAggregator(d.aggregator);
      return;
    case 'gauntlet':
    case 'gauntlet-oracle':
      resolveGauntletConfig(d.gauntlet ?? {});
      return;
    default:
      throw new ConfigError(`${key}.kind`, (d as { kind: unknown }).kind, 'must be "none", "robust", "gauntlet" or "gauntlet-oracle"');
  }
}

/** One round's on-time messages and what the validator knows about them. */
export interface DefenceRoundInput {
  readonly round: number;
  /** Outer steps applied before this round (the freshness reference). */
  readonly globalStep: number;
  readonly windowEnd: number;
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
export interface DefenceRoundResult {
  readonly report: Pick<ApplyReport, 'applied' | 'contributors'>;
  /** Rejections by reason. */
  readonly rejected: ReadonlyMap<string, number>;
  /** The oracle's weights (rewards) by uid; null for the other defences. */
  readonly weights: ReadonlyMap<number, number> | null;
}

/** The run's Gauntlet config when its defence is either Gauntlet, else null. */
export function gauntletConfigOf(d: DefenceConfig): GauntletConfig | null {
  return d.kind === 'gauntlet' || d.kind === 'gauntlet-oracle' ? resolveGauntletConfig(d.gauntlet ?? {}) : null;
}

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
    if (config.kind !== 'none' && optim.method !== 'sparseloco') throw new ConfigError('defence.kind', config.kind, `needs optim.method "sparseloco" (got "${optim.method}")`);
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
    switch (this.config.kind) {
      // Lagged Gauntlet: the peers' aggregate does not wait for scores (sim/validator.ts judges later).
      case 'gauntlet':
      case 'none': {
        const report = this.comm.apply(params, shared, input.messages, input.weights === undefined ? undefined : { weights: input.weights });
        return { report, rejected: countReasons(report.rejected.map((r) => r.reason)), weights: null };
      }
      case 'robust':
        return this.#robust(params, this.config.aggregator, input);
      case 'gauntlet-oracle':
        return this.#validate(params, shared, input);
    }
  }

  #robust(params: Float32Array, spec: RobustAggregatorSpec, input: DefenceRoundInput): DefenceRoundResult {
    const cfg = this.#cfg!;
    const reasons: string[] = [];
    const updates: RobustUpdate[] = [];
    for (const m of input.messages) {
      const dense = decodeDense(m.bytes, this.layout, cfg);
      if (typeof dense === 'string') reasons.push(dense);
      else updates.push({ uid: m.peerUid, vector: dense });
    }
    const none = { report: { applied: false, contributors: [] }, rejected: countReasons(reasons), weights: null };
    if (updates.length === 0) return none;
    const n = updates.length;
    const clamped = spec.kind === 'krum' ? { ...spec, f: Math.max(0, Math.min(spec.f, Math.floor((n - 3) / 2))) } : spec;
    let g: Float32Array;
    try {
      g = createRobustAggregator(clamped).aggregate(updates);
    } catch (error) {
      // Krum with fewer than 3 updates: no robust answer exists; the round is skipped.
      if (error instanceof RobustAggregateError) {
        const reason = `robust:${error.reason}`;
        return { ...none, rejected: countReasons([...reasons, ...updates.map(() => reason)]) };
      }
      throw error;
    }
    const lr = cfg.outerLr;
    for (let i = 0; i < params.length; i++) params[i] = Math.fround(params[i]! - Math.fround(lr * g[i]!));
    return { report: { applied: true, contributors: updates.map((u) => u.uid).sort((a, b) => a - b) }, rejected: countReasons(reasons), weights: null };
  }

  #validate(params: Float32Array, shared: unknown, input: DefenceRoundInput): DefenceRoundResult {
    const submissions: ValidatorSubmission[] = input.messages.map((m) => ({
      uid: m.peerUid,
      bytes: m.bytes,
      commitment: input.commitments.get(m.peerUid) ?? null,
      arrivedAt: input.arrivedAt.get(m.peerUid) ?? null,
    }));
    const out = validateRound({
      round: input.round,
      globalStep: input.globalStep,
      params,
      submissions,
      assignments: input.assignments,
      layout: this.layout,
      cfg: this.#cfg!,
      gauntlet: this.#gauntlet!,
      numShards: this.backend.numShards,
      loss: (p, data) => this.backend.evaluate(p, data),
      hash: fnv1a,
      windowEnd: input.windowEnd,
      state: this.#state,
      rng: this.rng.fork(`round:${input.round}`),
    });
    this.#state = out.nextState;
    const reasons: string[] = [];
    for (const v of out.perPeer) {
      if (v.integrity === 'missing') continue;
      if (v.integrity === 'decode') reasons.push(`decode:${v.codecReason ?? 'unknown'}`);
      else if (v.integrity !== 'ok') reasons.push(v.integrity);
      else if (v.failed) reasons.push('negative-score');
    }
    const chosen = new Set(out.selected);
    const report = chosen.size === 0
      ? { applied: false, contributors: [] }
      : this.comm.apply(params, shared, input.messages.filter((m) => chosen.has(m.peerUid)));
    return { report, rejected: countReasons(reasons), weights: new Map(out.perPeer.map((v) => [v.uid, v.weight])) };
  }
}

/**
 * The message as a dense update vector (dequantised values scattered to their flat positions), or
 * the reason it is refused: 'decode:<codec reason>', 'config-mismatch' or 'non-finite'.
 * Never throws on peer bytes.
 */
export function decodeDense(bytes: Uint8Array, layout: ParamLayout, cfg: SparseLocoConfig): Float32Array | string {
  let update;
  try {
    update = decodeUpdate(bytes, layout);
  } catch (error) {
    if (error instanceof CodecError) return `decode:${error.reason}`;
    return 'decode:internal-error';
  }
  if (configMismatch(update, layout, cfg) !== null) return 'config-mismatch';
  const dense = new Float32Array(layout.size);
  for (let ti = 0; ti < layout.tensors.length; ti++) {
    const t = layout.tensors[ti]!;
    const m = update.tensors[ti]!;
    const values = dequantise(m);
    for (let n = 0; n < values.length; n++) {
      const v = values[n]!;
      if (!Number.isFinite(v)) return 'non-finite';
      dense[chunkElementIndex(t, Math.floor(n / m.kEff), m.indices[n]!)] = v;
    }
  }
  return dense;
}

/** reason → count, reasons in first-seen order. */
function countReasons(reasons: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** "reason=count;…" sorted by reason, '' when none (a CSV-friendly cell). */
export function formatReasons(counts: ReadonlyMap<string, number>): string {
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([r, c]) => `${r}=${c}`).join(';');
}
