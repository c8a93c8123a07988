/**
 * What each participant of a cadence-'round' round trains and puts in the store: the honest
 * contribution (H inner steps from its own θ replica on its assigned shards, encoded by the communicator),
 * written once here and used both for a clean run and for the honest peers (and the attacks that
 * start from an honest message) of a run with adversaries (adversaries.ts).
 */
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
  if (p.nullRound) return nullRoundUpload(ctx, p, round, deltaOut);
  // A low-quality peer (sim/data-quality.ts) trains on worse data; `quality` left out when clean.
  const quality = ctx.dataQuality?.qualityOf(p.peer.uid);
  const request = { params: p.params, round, shards: p.shards, innerSteps: ctx.cfg.innerSteps, deltaOut };
  const result = p.peer.trainer.runInnerLoop(quality === undefined ? request : { ...request, quality });
  const bytes = ctx.comm.encode(p.peer.commState, result.delta);
  return { bytes, copycat: false, committedHash: null, baseStep: p.baseStep, trainLoss: result.meanLoss };
}

/** A null round: the mean loss of the H batches it would train on, at its θ; the message encodes a zeroed error-feedback buffer. */
function nullRoundUpload(ctx: Pick<SimContext, 'cfg' | 'comm'>, p: Participant, round: number, deltaOut: Float32Array): PeerUpload {
  let lossSum = 0;
  for (let step = 0; step < ctx.cfg.innerSteps; step++) {
    lossSum += p.peer.trainer.computeGradient({ params: p.params, round, step, shards: p.shards, gradOut: deltaOut }).loss;
  }
  deltaOut.fill(0);
  const bytes = ctx.comm.encode(p.peer.commState, deltaOut, { nullRound: true });
  return { bytes, copycat: false, committedHash: null, baseStep: p.baseStep, trainLoss: lossSum / ctx.cfg.innerSteps };
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
