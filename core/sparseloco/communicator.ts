/**
 * SparseLoCo behind the {@link Communicator} interface (SPEC.md §1–§3). Cadence 'round': a peer's
 * contribution is its pseudo-gradient Δ = θ_start − θ_end; `encode` runs error feedback + top-k +
 * quantisation (`compress`, MUTATING the peer's EF buffer) and writes the wire message
 * (`encodeUpdate`, cfg.indexCoding). `apply` decodes every message, leaves out the ones that fail
 * (with their typed reason), aggregates the rest (median norm clipping, sparse mean; ascending
 * peerUid) and takes the plain-SGD outer step with cfg.outerLr (or the lr given to `apply`).
 *
 * A message must also match this run's configuration (`configMismatch`, config-match.ts): the
 * same quantisation bits and, per tensor, k = effectiveTopK(cfg.topK, chunkLen).
 */
import { SparseLocoError } from '../errors.ts';
import type { ParamLayout } from '../layout.ts';
import { allGatherBytes, assertContributionSize, checkLr, decodeMessages, emptyReport } from '../communicator.ts';
import type { ApplyOptions, ApplyReport, Communicator, EncodeOptions, PeerMessage, RejectedMessage, WireBytes } from '../communicator.ts';
import { AggregateError, aggregate, createAggregateScratch, outerStep } from './aggregate.ts';
import type { AggregateScratch, PeerUpdate } from './aggregate.ts';
import { decodeUpdate, encodeUpdate } from './codec.ts';
import { configMismatch } from './config-match.ts';
import { compress, createCompressScratch } from './compress.ts';
import type { CompressScratch } from './compress.ts';
import { resolveSparseLocoConfig } from './config.ts';
import type { SparseLocoConfig } from './config.ts';
import type { CompressedUpdate } from './message.ts';

export interface SparseLocoCommunicatorConfig extends Partial<SparseLocoConfig> {
  readonly method: 'sparseloco';
}

/** One peer's SparseLoCo state: the error-feedback buffer e_r (SPEC.md §1) and working memory. */
export interface SparseLocoPeerState {
  readonly ef: Float32Array;
  readonly scratch: CompressScratch;
}

/** Working memory every node uses for aggregation (SparseLoCo's outer SGD has no state). */
export interface SparseLocoSharedState {
  readonly gradient: Float32Array;
  readonly scratch: AggregateScratch;
}

/** A decoded message that does not match this run's configuration. */
export class SparseLocoConfigMismatchError extends SparseLocoError {
  override name = 'SparseLocoConfigMismatchError';
  readonly reason = 'config-mismatch';
}

/** Builds the SparseLoCo communicator for `layout` (config fields default to SPARSELOCO_DEFAULTS). */
export function createSparseLocoCommunicator(
  layout: ParamLayout,
  config: SparseLocoCommunicatorConfig = { method: 'sparseloco' },
): Communicator<SparseLocoPeerState, SparseLocoSharedState> {
  const { method: _method, ...overrides } = config;
  const cfg = resolveSparseLocoConfig(overrides);

  function decode(bytes: Uint8Array): CompressedUpdate {
    const update = decodeUpdate(bytes, layout);
    const mismatch = configMismatch(update, layout, cfg);
    if (mismatch !== null) throw new SparseLocoConfigMismatchError(mismatch);
    return update;
  }

  function apply(params: Float32Array, shared: SparseLocoSharedState, messages: readonly PeerMessage[], options?: ApplyOptions): ApplyReport {
    assertContributionSize(layout, params);
    const lr = checkLr(options?.lr ?? cfg.outerLr);
    const decoded = decodeMessages(messages, decode);
    const rejected: RejectedMessage[] = [...decoded.rejected];
    let updates: PeerUpdate[] = decoded.accepted.map((m) => ({ peerUid: m.peerUid, update: m.value }));
    // aggregate validates every message before computing; a peer it refuses is dropped and the
    // rest retried, so one bad message cannot stop the round.
    for (;;) {
      if (updates.length === 0) return emptyReport(sortRejected(rejected), lr);
      try {
        const result = aggregate(layout, cfg, updates, shared.gradient, shared.scratch, options?.weights ?? null);
        outerStep(layout, params, result, lr);
        return { applied: true, contributors: result.contributors, rejected: sortRejected(rejected), skippedTensors: result.skippedTensors, lr };
      } catch (err) {
        if (!(err instanceof AggregateError)) throw err;
        const refused = err.peerUid;
        rejected.push({ peerUid: refused, reason: err.reason, message: err.message });
        updates = updates.filter((u) => u.peerUid !== refused);
      }
    }
  }

  return {
    method: 'sparseloco',
    cadence: 'round',
    layout,
    createPeerState: () => ({ ef: new Float32Array(layout.size), scratch: createCompressScratch(layout, cfg) }),
    createSharedState: () => ({ gradient: new Float32Array(layout.size), scratch: createAggregateScratch(layout) }),
    encode(peer: SparseLocoPeerState, delta: Float32Array, options?: EncodeOptions): Uint8Array {
      assertContributionSize(layout, delta);
      const update = compress(layout, cfg, peer.ef, delta, { nullRound: options?.nullRound === true, scratch: peer.scratch });
      return encodeUpdate(update, layout, { indexCoding: cfg.indexCoding });
    },
    apply,
    wireBytes: (messageSizes: readonly number[]): readonly WireBytes[] => allGatherBytes(messageSizes),
  };
}

function sortRejected(rejected: RejectedMessage[]): RejectedMessage[] {
  return rejected.sort((a, b) => a.peerUid - b.peerUid);
}
