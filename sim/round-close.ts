/**
 * The end of a round, shared by both cadences: the result posted on the chain mirror
 * (`finaliseOnChain`), and the round's energy and row figures (`closeRound`). Each cadence
 * measures its own counts (what "on time" or "sync time" means differs); this module turns them
 * into the one row shape, in the one field order the results files keep.
 */
import { fnv1a, paramBytes } from '../core/hash.ts';
import type { PeerRoundUsage } from './energy.ts';
import type { SimContext } from './context.ts';
import { RoundEnergy } from './metrics.ts';
import type { RoundFigures, RoundResult } from './metrics.ts';
import type { OpenedRound } from './round-open.ts';

/** The counts a cadence measured in one round (the rest of the row comes from the context). */
export interface RoundTally {
  readonly onTime: number;
  readonly late: number;
  /** With `windows` only (sim/windows.ts): the part of `late` delivered after time_max. */
  readonly lateRejected?: number;
  readonly crashed: number;
  readonly contributors: number;
  readonly meanTrainLoss: number | null;
  /** Bytes uploaded this round, charged bytes (sim/charge.ts; real without `charge`). */
  readonly bytesUp: number;
  /** Bytes downloaded by the sync (catch-up not included: the opening counted it), charged bytes. */
  readonly bytesDown: number;
  /** sim seconds */
  readonly syncTimeS: number;
  readonly status: 'finalised' | 'skipped';
}

/** The adversarial-robustness columns of a round-cadence row (inner-step rows leave them out). */
export type DefenceRowFigures = Pick<RoundFigures, 'rejected' | 'rejectedReasons' | 'attackersSelected' | 'rewardShareAttackers' | 'nanOccurred'>
  & Partial<Pick<RoundFigures, 'validatorBytesDown' | 'validatorTimeS' | 'validatorEvaluated' | 'validatorEnergyKWh' | 'validatorSkipped' | 'lowQualityPeers' | 'weightMassLowQuality'>>;

/** The gather columns of a round-cadence row (sim/round-gather.ts). */
export type GatherRowColumns = Required<Pick<RoundFigures, 'gatherListed' | 'gathered' | 'gatherFellBack' | 'gatherMissing' | 'gatherTimedOut' | 'gatherInvalid'>>;

/** The flow-model columns of a round-cadence row (sim/flows-columns.ts). */
export type FlowRowColumns = Required<Pick<RoundFigures, 'peakFlowsPerEnd' | 'meanDownloadMbps'>>;

/**
 * Posts round `round`'s result on the chain mirror, with the FNV-1a of the params after the
 * round's step as the aggregate hash; nothing when the chain is off. `contributors` empty for a
 * skipped round; `weights` Gauntlet's (null otherwise); `slashed` the uids slashed this round.
 */
export function finaliseOnChain(
  ctx: SimContext,
  round: number,
  contributors: readonly number[],
  weights: ReadonlyMap<number, number> | null,
  slashed: readonly number[],
): void {
  if (ctx.chain === null) return;
  ctx.chain.finalise(round, contributors, weights, fnv1a(paramBytes(ctx.params)), slashed);
}

/**
 * The round's result: energy of every participant (`usage[i]` is `opened.participants[i]`'s) and
 * the row figures, with the held-out loss of the params as they are now. Call it when the round
 * is over (sync done): `simTimeS` is the current sim time.
 */
export function closeRound(ctx: SimContext, opened: OpenedRound, tally: RoundTally, usage: readonly PeerRoundUsage[], defence?: DefenceRowFigures, gather?: GatherRowColumns, flows?: FlowRowColumns): RoundResult {
  const energy = new RoundEnergy(ctx.cfg.energy.networkKWhPerGB!);
  opened.participants.forEach((p, i) => energy.add(p.peer, usage[i]!));
  return {
    figures: {
      round: opened.round,
      simTimeS: ctx.env.now,
      windowStartS: opened.window.startS,
      activePeers: opened.participants.length,
      joined: opened.joined,
      onTime: tally.onTime,
      late: tally.late,
      ...(tally.lateRejected === undefined ? {} : { lateRejected: tally.lateRejected }),
      crashed: tally.crashed,
      contributors: tally.contributors,
      heldoutLoss: ctx.backend.evaluate(ctx.params, 'heldout'),
      meanTrainLoss: tally.meanTrainLoss,
      bytesUpTotal: tally.bytesUp,
      bytesDownTotal: tally.bytesDown + opened.catchUpBytes,
      catchUpBytes: opened.catchUpBytes,
      syncTimeS: tally.syncTimeS,
      computeUtilisation: computeUtilisation(usage, ctx.env.now - opened.window.startS),
      globalStep: ctx.progress.globalStep,
      status: tally.status,
      ...defence,
      ...gather,
      ...opened.replicaColumns,
      ...flows,
    },
    energy,
  };
}

/** Mean of the participants' compute seconds over the round's length (see SimRoundRow.computeUtilisation). */
export function computeUtilisation(usage: readonly PeerRoundUsage[], roundS: number): number | null {
  if (usage.length === 0 || !(roundS > 0)) return null;
  let computeS = 0;
  // A peer whose training runs past the round's end (its upload late) was busy the whole round.
  for (const u of usage) computeS += Math.min(u.computeS, roundS);
  return computeS / usage.length / roundS;
}
