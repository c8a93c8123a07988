/**
 * What each participant of a cadence-'round' round trains and puts in the store: the honest
 * contribution (H inner steps from its own θ replica on its assigned shards, encoded by the communicator),
 * written once here and used both for a clean run and for the honest peers (and the attacks that
 * start from an honest message) of a run with adversaries (adversaries.ts).
 */
import type { Communicator } from '../core/baselines/index.ts';
import type { DataQuality, PeerTrainer } from '../backends/index.ts';
import type { Participant } from './round-open.ts';
import type { SimContext } from './context.ts';

/** What one participant puts in the store this round, and what it posts on chain. */
export interface PeerUpload {
  /** Bytes to upload; null = nothing. Ignored when `copycat` (chosen at upload time). */
  readonly bytes: Uint8Array | null;
  readonly copycat: boolean;
  /** The hash it commits; null = the hash of the bytes it uploads (an honest commitment). */
  readonly committedHash: string | null;
  /** Global step of the θ its update started from (what it commits as freshness). */
  readonly baseStep: number;
  /** Mean inner-loop loss; null when it did not train. */
  readonly trainLoss: number | null;
}

/**
 * One participant's honest upload: H = cfg.innerSteps inner steps from its own replica (`p.params`)
 * on its assigned shards (as its data quality makes them), Δ encoded with its communicator state. In a null round (SPEC.md §1) it
 * runs forward/backward on the H batches but takes no optimiser step (Δ = 0, its step count does
 * not move) and its error feedback is zeroed before encoding. MUTATES its trainer, its
 * communicator state (error feedback) and `deltaOut` (scratch for Δ, shared between participants:
 * the encoder reads Δ at once).
 */
export function trainHonestly(ctx: Pick<SimContext, 'cfg' | 'comm' | 'dataQuality'>, p: Participant, round: number, deltaOut: Float32Array): PeerUpload {
  // A low-quality peer (sim/data-quality.ts) trains on worse data; `quality` left out when clean.
  const quality = ctx.dataQuality?.qualityOf(p.peer.uid);
  const trained = trainRound({ trainer: p.peer.trainer, params: p.params, round, shards: p.shards, innerSteps: ctx.cfg.innerSteps, nullRound: p.nullRound, deltaOut, ...(quality === undefined ? {} : { quality }) });
  const bytes = encodeRound(ctx.comm, p.peer.commState, trained);
  return { bytes, copycat: false, committedHash: null, baseStep: p.baseStep, trainLoss: trained.meanLoss };
}

/** What {@link trainRound} works on: one peer's trainer and θ for one round. */
export interface TrainRoundParameters {
  readonly trainer: PeerTrainer;
  /** The θ it trains from (its replica); read only. */
  readonly params: Float32Array;
  readonly round: number;
  readonly shards: readonly number[];
  readonly innerSteps: number;
  readonly nullRound: boolean;
  /** Scratch for Δ (the encoder reads it at once). */
  readonly deltaOut: Float32Array;
  /** Worse data for a low-quality peer (backends/data-quality.ts); absent: clean. */
  readonly quality?: DataQuality;
}

/** A round's training: Δ (in `deltaOut`), the mean loss, the tokens of optimiser steps, and whether it was a null round. */
export interface TrainedRound {
  readonly delta: Float32Array;
  readonly meanLoss: number;
  readonly tokens: number;
  readonly nullRound: boolean;
}

/**
 * A peer's training for one round, shared by the simulator and the cluster's peer process: H inner
 * steps, or in a null round (SPEC.md §1) the mean loss of the H batches at its θ with no optimiser
 * step (Δ = 0, no tokens counted). MUTATES the trainer and `deltaOut`.
 */
export function trainRound(p: TrainRoundParameters): TrainedRound {
  if (!p.nullRound) {
    const request = { params: p.params, round: p.round, shards: p.shards, innerSteps: p.innerSteps, deltaOut: p.deltaOut };
    const result = p.trainer.runInnerLoop(p.quality === undefined ? request : { ...request, quality: p.quality });
    return { delta: result.delta, meanLoss: result.meanLoss, tokens: result.tokens, nullRound: false };
  }
  let lossSum = 0;
  for (let step = 0; step < p.innerSteps; step++) {
    lossSum += p.trainer.computeGradient({ params: p.params, round: p.round, step, shards: p.shards, gradOut: p.deltaOut }).loss;
  }
  p.deltaOut.fill(0);
  return { delta: p.deltaOut, meanLoss: lossSum / p.innerSteps, tokens: 0, nullRound: true };
}

/** The round's message: Δ encoded with the peer's communicator state (a null round zeroes its error feedback first). MUTATES `commState`. */
export function encodeRound(comm: Communicator, commState: unknown, trained: TrainedRound): Uint8Array {
  return trained.nullRound ? comm.encode(commState, trained.delta, { nullRound: true }) : comm.encode(commState, trained.delta);
}

/**
 * Every participant's planned upload, by uid: honest training in a clean run, the adversaries'
 * plan (honest peers trained the same way) otherwise. MUTATES trainers and communicator states.
 */
export function planUploads(ctx: SimContext, participants: readonly Participant[], round: number): Map<number, PeerUpload> {
  if (ctx.adversaries !== null) return ctx.adversaries.prepareUploads(ctx, participants, round);
  const uploads = new Map<number, PeerUpload>();
  const deltaOut = new Float32Array(ctx.backend.layout.size);
  for (const p of participants) uploads.set(p.peer.uid, trainHonestly(ctx, p, round, deltaOut));
  return uploads;
}
