/**
 * Metric rows of a cluster run, built from the reports the processes left in the store: the
 * simulator's row fields where they mean the same thing (round, activePeers, onTime, late,
 * crashed, contributors, heldoutLoss, bytes, globalStep, status), with wall seconds where the
 * simulator has sim seconds, plus the cluster's wall-clock breakdown per round and tokens/s.
 * Energy is not measured on the cluster: its fields (and the run's totals) are NaN, null in JSON.
 */
import type { SimRoundRow } from '../sim/metrics.ts';
import type { ObjectStore } from '../backends/store/index.ts';
import type { ClusterPlan } from './plan.ts';
import type { PeerRoundReport, ValidatorRoundReport } from './reports.ts';
import { getJsonOrNull, peerReportKey, validatorReportKey } from './store-keys.ts';

/** The cluster's extra columns. */
export interface ClusterRowExtras {
  readonly backendKind: 'cluster';
  /** Mean over the round's reporting peers, wall s. */
  readonly trainS: number;
  readonly compressS: number;
  readonly uploadS: number;
  readonly commitS: number;
  /** Slowest peer's download + apply of the round's selection, wall s. */
  readonly syncS: number;
  /** Validator: fetch + integrity + aggregate + checkpoint + postResults, wall s. */
  readonly validateS: number;
  /** Round wall time: previous round's finalisation → this round's, wall s. */
  readonly roundWallS: number;
  /** Training throughput of one peer: Σ tokens / Σ trainS over the round's peers. */
  readonly tokensPerSPerPeer: number;
  /** Whole-cluster throughput: Σ tokens / roundWallS. */
  readonly tokensPerS: number;
  /** Every reporting peer's params matched the validator's after the sync. */
  readonly paramsAgree: boolean;
  readonly paramsFnv: string;
}

export type ClusterRoundRow = SimRoundRow & ClusterRowExtras;

/** Reads every report and builds one row per round; `startedAtMs` is when round 0's window opened (wall ms). */
export async function collectRows(store: ObjectStore, plan: ClusterPlan, startedAtMs: number): Promise<ClusterRoundRow[]> {
  const rows: ClusterRoundRow[] = [];
  let cumulativeBytes = 0;
  let previousEnd = startedAtMs;
  for (let round = 0; round < plan.rounds; round++) {
    const v = await getJsonOrNull<ValidatorRoundReport>(store, validatorReportKey(round));
    const peers: PeerRoundReport[] = [];
    for (const uid of plan.rosters[round]!) {
      const r = await getJsonOrNull<PeerRoundReport>(store, peerReportKey(round, uid));
      if (r !== null) peers.push(r);
    }
    const sum = (f: (r: PeerRoundReport) => number): number => peers.reduce((a, r) => a + f(r), 0);
    const mean = (f: (r: PeerRoundReport) => number): number => (peers.length === 0 ? 0 : sum(f) / peers.length);
    const crashed = plan.crashes[round]!.length;
    const onTime = v?.valid.length ?? 0;
    const catchUpBytes = sum((r) => r.catchUpBytes);
    const bytesUp = sum((r) => r.bytesUp);
    const bytesDown = sum((r) => r.bytesDown) + catchUpBytes;
    cumulativeBytes += bytesUp + bytesDown;
    const endMs = v?.finalisedAtMs ?? previousEnd;
    const roundWallS = (endMs - previousEnd) / 1000;
    const tokens = sum((r) => r.tokens);
    const trained = peers.filter((r) => r.trainLoss !== null);
    rows.push({
      round,
      simTimeS: (endMs - startedAtMs) / 1000,
      windowStartS: (previousEnd - startedAtMs) / 1000,
      activePeers: plan.rosters[round]!.length,
      joined: 0,
      onTime,
      late: plan.rosters[round]!.length - crashed - onTime,
      crashed,
      contributors: v?.contributors.length ?? 0,
      heldoutLoss: v?.heldoutLoss ?? Number.NaN,
      meanTrainLoss: trained.length === 0 ? null : trained.reduce((a, r) => a + r.trainLoss!, 0) / trained.length,
      bytesUpTotal: bytesUp,
      bytesDownTotal: bytesDown,
      catchUpBytes,
      cumulativeBytes,
      syncTimeS: peers.reduce((a, r) => Math.max(a, r.syncS), 0),
      // Measured: the reporting peers' mean training wall time over the round's wall time.
      computeUtilisation: peers.length === 0 || !(roundWallS > 0) ? null : Math.min(1, mean((r) => r.trainS) / roundWallS),
      // Not measured on real hardware: NaN here, null in metrics.jsonl; summaries leave energy out.
      energyKWh: Number.NaN,
      co2eKg: Number.NaN,
      cumulativeEnergyKWh: Number.NaN,
      cumulativeCo2eKg: Number.NaN,
      globalStep: v?.globalStep ?? 0,
      status: v?.status ?? 'skipped',
      backendKind: 'cluster',
      trainS: mean((r) => r.trainS),
      compressS: mean((r) => r.compressS),
      uploadS: mean((r) => r.uploadS),
      commitS: mean((r) => r.commitS),
      syncS: peers.reduce((a, r) => Math.max(a, r.syncS), 0),
      validateS: v === null ? 0 : v.fetchS + v.validateS + v.postS,
      roundWallS,
      tokensPerSPerPeer: sum((r) => r.trainS) > 0 ? tokens / sum((r) => r.trainS) : 0,
      tokensPerS: roundWallS > 0 ? tokens / roundWallS : 0,
      paramsAgree: v !== null && peers.every((r) => r.paramsFnv === v.paramsFnv),
      paramsFnv: v?.paramsFnv ?? '',
    });
    previousEnd = endMs;
  }
  return rows;
}
