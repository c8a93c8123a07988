/**
 * The row columns of the flow model (sim/flows.ts): on round-cadence rows of runs whose network
 * shares capacity beyond a peer's own link (`net.buckets` set or `net.store.sharing: 'shared'`),
 * what a researcher needs to see contention. Absent otherwise, so default rows are unchanged:
 * with per-transfer ends every flow is alone and there is no contention to show.
 */
import type { SimContext } from './context.ts';
import { timeSyncDownloads } from './flows-round.ts';
import type { AggregateOutcome } from './round-aggregate.ts';
import type { FlowRowColumns } from './round-close.ts';
import type { RoundGather } from './round-gather.ts';

const BITS_PER_BYTE = 8;
const BITS_PER_MBIT = 1e6;

/**
 * The sync's flow columns: the most downloads moving at once out of one bucket (or the store), and
 * the mean over syncing peers of each one's download rate (bytes / download time). gather-G reads
 * its own phases' figures; the all-gather re-times its one batch (the same solve `sync` runs).
 */
export function flowColumns(ctx: SimContext, outcome: AggregateOutcome, gather: RoundGather | null): FlowRowColumns | undefined {
  if (!ctx.transfers.contended) return undefined;
  const { syncing, downloads, downloadTimesS } = outcome;
  const allGather = downloadTimesS === null ? timeSyncDownloads(ctx, syncing.map((p) => p.peer.link), downloads) : null;
  const secondsOf = (i: number): number => (allGather === null ? downloadTimesS![i]! : allGather.seconds[i]!);
  let sumMbps = 0;
  let timed = 0;
  downloads.forEach((bytes, i) => {
    const s = secondsOf(i);
    if (!(s > 0)) return;
    sumMbps += (bytes * BITS_PER_BYTE) / s / BITS_PER_MBIT;
    timed++;
  });
  return {
    peakFlowsPerEnd: allGather === null ? (gather?.peakFlows ?? 0) : allGather.peakFlowsPerEnd,
    meanDownloadMbps: timed === 0 ? 0 : sumMbps / timed,
  };
}
