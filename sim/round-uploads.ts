/**
 * The window of a cadence-'round' round, [t, t + windowS): every participant trains and uploads
 * (`trainAndUpload`), each on-time arrival is submitted and committed (`commitUpload`), and the
 * window closes at t + windowS, after every upload arriving at exactly that instant (the close
 * event has a lower priority than NORMAL), or as soon as every message is in with
 * `closeWhenComplete`. With `windows` (sim/windows.ts) the window is on the block grid, a peer
 * uploads only once it is over, and the close is at templar's time_max (window end +
 * uploadDeadlineS); what is not in by then is counted `lateRejected`. With `transport: 'ring'`
 * (DiLoCo, sim/ring-round.ts) nothing is uploaded: a Δ is "in" when its training is done.
 *
 * The *work* of a participant (H inner steps from θ^(r), encoding) is done at once at t: the params
 * cannot change before the window closes. Its *time* is a kernel process: it waits its arrival +
 * catch-up offset and H × its step time; a crashing peer stops there (a crash always falls after
 * training, before upload; its crash point only sets how long the peer stays present); the rest
 * upload the real message bytes, timed together as flows (`timeUploads`, sim/flows-round.ts; a
 * lost upload, all retries failed, counts as late). A late peer's upload still crosses its uplink (its bytes count in the round's bytesUp)
 * and overlaps the next round: network and compute are modelled as independent.
 */
import { fnv1a } from '../core/hash.ts';
import type { RoundState } from '../core/protocol/index.ts';
import type { Commitment } from '../core/gauntlet/integrity.ts';
import { planUploads } from './contribution.ts';
import type { PeerUpload } from './contribution.ts';
import type { SimContext } from './context.ts';
import { NORMAL } from './kernel/index.ts';
import type { ProcessGenerator, SimEvent } from './kernel/index.ts';
import { timeUploads } from './flows-round.ts';
import type { UploadRequest, UploadTime } from './flows-round.ts';
import type { RoundWindow } from './churn.ts';
import type { OpenedRound, Participant } from './round-open.ts';
import { acceptUntilS } from './windows.ts';

/** Priority of the window-close event: after every NORMAL event at the same instant. */
export const CLOSE_PRIORITY = NORMAL + 1;

/** What the window left behind: the store's on-time messages and what each participant did. */
export interface RoundInbox {
  /** Bytes each participant actually uploaded (copycats choose theirs at upload time), by uid. */
  readonly sent: ReadonlyMap<number, Uint8Array>;
  /** On-time messages in the store, by uid. */
  readonly arrived: ReadonlyMap<number, Uint8Array>;
  /** When each on-time message arrived, sim seconds, by uid. */
  readonly arrivedAt: ReadonlyMap<number, number>;
  /** Each on-time message's commitment, by uid. */
  readonly commitments: ReadonlyMap<number, Commitment>;
  /** Crash point (fraction of the window) of each participant that crashed, by uid. */
  readonly crashFraction: ReadonlyMap<number, number>;
  /** Mean inner-loop loss over the participants that trained; null when none did. */
  readonly meanTrainLoss: number | null;
  /** Bytes uploaded this round (on time, late or lost), real bytes. */
  readonly bytesUp: number;
  /** With `windows`: uploads delivered after time_max (rejected TOO_LATE), uploads; absent otherwise. */
  readonly lateRejected?: number;
}

/** The mutable side of a {@link RoundInbox} while the window is open. */
interface OpenInbox {
  readonly sent: Map<number, Uint8Array>;
  readonly arrived: Map<number, Uint8Array>;
  readonly arrivedAt: Map<number, number>;
  readonly commitments: Map<number, Commitment>;
  /** Uids whose upload was lost (every retry failed). */
  readonly lost: Set<number>;
  bytesUp: number;
}

/**
 * Trains every participant (the work, at once), starts each one's upload process and resolves
 * when the window closes; then the chain mirror's round is closed. MUTATES trainers, communicator
 * states, the round state (submissions) and the chain mirror (commits).
 */
export function* trainAndUpload(ctx: SimContext, opened: OpenedRound, state: RoundState): ProcessGenerator<RoundInbox> {
  const { cfg, env } = ctx;
  const inbox: OpenInbox = { sent: new Map(), arrived: new Map(), arrivedAt: new Map(), commitments: new Map(), lost: new Set(), bytesUp: 0 };
  const crashFraction = new Map<number, number>();
  /** Fires when every active peer's message is in (only used with closeWhenComplete). */
  const complete = env.event();
  let trainLossSum = 0;
  let trained = 0;

  const uploads = planUploads(ctx, opened.participants, opened.round);
  for (const p of opened.participants) {
    const planned = uploads.get(p.peer.uid)!;
    if (planned.trainLoss !== null) {
      trainLossSum += planned.trainLoss;
      trained++;
    }
    const fraction = ctx.churn.crashes === null ? null : ctx.churn.crashes.crashPoint(p.peer.uid, opened.round);
    if (fraction !== null) crashFraction.set(p.peer.uid, fraction);
    else if (planned.bytes !== null && !planned.copycat && cfg.transport !== 'ring') inbox.bytesUp += ctx.charge.message(planned.bytes);
  }
  // transport 'ring' (ring-round.ts): the Δ stays on the peer for the collective at the close; no store upload.
  const times = cfg.transport === 'ring' ? new Map<number, UploadTime>() : timeUploads(ctx, opened.round, knownUploads(ctx, opened, uploads, crashFraction));
  for (const p of opened.participants) {
    env.process(uploadProcess(ctx, opened.window, state, inbox, complete, p, uploads.get(p.peer.uid)!, crashFraction.has(p.peer.uid), times.get(p.peer.uid)));
  }

  const windowEnd = env.event().succeed(undefined, CLOSE_PRIORITY, acceptUntilS(cfg.windows, opened.window) - env.now);
  yield cfg.closeWhenComplete ? env.anyOf([windowEnd, complete]) : windowEnd;
  ctx.chain?.closeRound(opened.round);
  const lateRejected = cfg.windows === undefined ? {} : { lateRejected: countLateRejected(opened, uploads, crashFraction, inbox) };
  return { ...inbox, crashFraction, meanTrainLoss: trained === 0 ? null : trainLossSum / trained, ...lateRejected };
}

/**
 * With `windows`, at the close (= time_max): every participant that has an upload (honest bytes
 * or a copycat's), did not crash, lost no upload and is not in on time will reach the store after
 * time_max — its upload is underway or its training is not done — so the validator rejects it
 * (TOO_LATE). (With net.loss, an upload that starts after the close and is then lost counts here.)
 */
function countLateRejected(opened: OpenedRound, uploads: ReadonlyMap<number, PeerUpload>, crashFraction: ReadonlyMap<number, number>, inbox: OpenInbox): number {
  let n = 0;
  for (const p of opened.participants) {
    const uid = p.peer.uid;
    const planned = uploads.get(uid)!;
    const hasUpload = planned.bytes !== null || planned.copycat;
    if (hasUpload && !crashFraction.has(uid) && !inbox.arrived.has(uid) && !inbox.lost.has(uid)) n++;
  }
  return n;
}

/**
 * The uploads whose size is known when the window opens (every non-crashing participant with a
 * message, copycats aside: they pick their copy at upload time), timed together as flows.
 */
function knownUploads(ctx: SimContext, opened: OpenedRound, uploads: ReadonlyMap<number, PeerUpload>, crashFraction: ReadonlyMap<number, number>): UploadRequest[] {
  const out: UploadRequest[] = [];
  for (const p of opened.participants) {
    const planned = uploads.get(p.peer.uid)!;
    if (crashFraction.has(p.peer.uid) || planned.bytes === null || planned.copycat) continue;
    out.push({ uid: p.peer.uid, link: p.peer.link, bytes: ctx.charge.message(planned.bytes), startS: uploadStartS(ctx.cfg, opened.window, p) });
  }
  return out;
}

/**
 * When a participant's upload starts, sim seconds after the window start: once it has trained
 * (ready offset + H steps) and, with `windows`, not before the window is over (templar's miner
 * puts only then, `wait_until_window(step_window + 1)`).
 */
function uploadStartS(cfg: SimContext['cfg'], window: RoundWindow, p: Participant): number {
  const trainedS = p.readyOffsetS + cfg.innerSteps * p.peer.stepTimeS;
  return cfg.windows === undefined ? trainedS : Math.max(trainedS, window.endS - window.startS);
}

/**
 * One participant's time: ready offset + compute, crash check, upload (`time`, from the window's
 * flows; a copycat's, chosen now, is timed alone: it shares nothing with the batch), commit on arrival.
 */
function* uploadProcess(
  ctx: SimContext,
  window: RoundWindow,
  state: RoundState,
  inbox: OpenInbox,
  complete: SimEvent,
  p: Participant,
  planned: PeerUpload,
  crashes: boolean,
  time: UploadTime | undefined,
): ProcessGenerator<void> {
  const { cfg, env } = ctx;
  const round = window.round;
  const startS = uploadStartS(cfg, window, p);
  yield env.timeout(window.startS + p.readyOffsetS + cfg.innerSteps * p.peer.stepTimeS - env.now);
  if (crashes) return;
  // windows: templar's miner puts only once its window is over (`wait_until_window(step_window + 1)`).
  if (cfg.windows !== undefined && env.now < window.endS) yield env.timeout(window.endS - env.now);
  // Only the adversaries plan copycats, so `adversaries` is set whenever `planned.copycat` is.
  const bytes = planned.copycat ? ctx.adversaries!.chooseCopy(inbox.arrived) : planned.bytes;
  if (bytes === null) return; // nothing to upload: counted late at close
  if (planned.copycat) inbox.bytesUp += ctx.charge.message(bytes);
  inbox.sent.set(p.peer.uid, bytes);
  const upload = cfg.transport === 'ring'
    ? { seconds: 0, delivered: true }
    : time ?? timeUploads(ctx, round, [{ uid: p.peer.uid, link: p.peer.link, bytes: ctx.charge.message(bytes), startS }]).get(p.peer.uid)!;
  yield env.timeout(upload.seconds);
  if (!upload.delivered) {
    inbox.lost.add(p.peer.uid); // lost: counted late at close
    return;
  }
  const submitted = commitUpload(ctx, round, state, inbox, p.peer.uid, planned, bytes);
  if (submitted && cfg.closeWhenComplete && state.complete && !complete.triggered) complete.succeed(undefined, CLOSE_PRIORITY);
}

/**
 * A delivered upload: while the window is open it is submitted to the round state with its
 * commitment (the committed hash, or the hash of the bytes for an honest peer) and, accepted,
 * kept in the store and committed on the chain mirror. After the close the round no longer
 * listens (the message is late, counted at close), but the peer still commits: the chain's window
 * for `round` has closed, so that commit reverts (and is counted). Returns whether it was submitted.
 */
function commitUpload(ctx: SimContext, round: number, state: RoundState, inbox: OpenInbox, uid: number, planned: PeerUpload, bytes: Uint8Array): boolean {
  if (state.phase !== 'open') {
    ctx.chain?.commit(round, uid, planned.committedHash ?? fnv1a(bytes));
    return false;
  }
  const hash = planned.committedHash ?? fnv1a(bytes);
  inbox.commitments.set(uid, { hash, baseStep: planned.baseStep });
  if (state.submit(uid, { bytes: ctx.charge.message(bytes), hash, arrivedAt: ctx.env.now }) === 'accepted') {
    inbox.arrived.set(uid, bytes);
    inbox.arrivedAt.set(uid, ctx.env.now);
    ctx.chain?.commit(round, uid, hash);
  }
  return true;
}
