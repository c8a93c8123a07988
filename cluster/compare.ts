/**
 * Sim ↔ cluster agreement, as data and as a figure: per-round bytes must be identical and the
 * final held-out loss equal within a stated tolerance (identical bits when both ran on the same
 * engine; tfjs engines agree only to fp32 rounding, hence the tolerance). Pure: rows in,
 * verdict and vega-lite spec out.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SimRoundRow } from '../sim/metrics.ts';

/** Default tolerance on |final held-out loss (sim) − (cluster)|, nats/token. */
export const LOSS_TOLERANCE = 1e-3;

/** The verdict of a comparison. */
export interface Agreement {
  readonly rounds: number;
  /** Rounds whose bytesUpTotal or bytesDownTotal differ (empty = identical bytes per round). */
  readonly bytesDifferInRounds: readonly number[];
  readonly finalLossSim: number;
  readonly finalLossCluster: number;
  readonly lossAbsDiff: number;
  readonly tolerance: number;
  readonly agrees: boolean;
}

/** Compares rows of the same config and seed run on both backends. */
export function compareRuns(sim: readonly SimRoundRow[], cluster: readonly SimRoundRow[], tolerance = LOSS_TOLERANCE): Agreement {
  const rounds = Math.min(sim.length, cluster.length);
  const differ: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (sim[r]!.bytesUpTotal !== cluster[r]!.bytesUpTotal || sim[r]!.bytesDownTotal !== cluster[r]!.bytesDownTotal) differ.push(r);
  }
  const finalLossSim = sim[sim.length - 1]?.heldoutLoss ?? Number.NaN;
  const finalLossCluster = cluster[cluster.length - 1]?.heldoutLoss ?? Number.NaN;
  const lossAbsDiff = Math.abs(finalLossSim - finalLossCluster);
  return {
    rounds,
    bytesDifferInRounds: differ,
    finalLossSim,
    finalLossCluster,
    lossAbsDiff,
    tolerance,
    agrees: sim.length === cluster.length && differ.length === 0 && lossAbsDiff <= tolerance,
  };
}

/** Two panels, one line per backend: held-out loss per round, and bytes (up + down) per round. */
export function comparisonSpec(sim: readonly SimRoundRow[], cluster: readonly SimRoundRow[], title: string): TopLevelSpec {
  const values = [
    ...sim.map((r) => ({ backend: 'sim', round: r.round, heldoutLoss: r.heldoutLoss, bytes: r.bytesUpTotal + r.bytesDownTotal })),
    ...cluster.map((r) => ({ backend: 'cluster', round: r.round, heldoutLoss: r.heldoutLoss, bytes: r.bytesUpTotal + r.bytesDownTotal })),
  ];
  const color = { field: 'backend', type: 'nominal', scale: { domain: ['sim', 'cluster'], range: ['#4c78a8', '#f58518'] } } as const;
  const x = { field: 'round', type: 'quantitative', title: 'round' } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values },
    hconcat: [
      {
        width: 320,
        height: 220,
        title: 'held-out loss',
        layer: [
          { mark: { type: 'line', strokeWidth: 3 }, encoding: { x, y: { field: 'heldoutLoss', type: 'quantitative', title: 'nats/token', scale: { zero: false } }, color } },
          { mark: { type: 'point', filled: true, size: 30 }, encoding: { x, y: { field: 'heldoutLoss', type: 'quantitative' }, color, shape: { field: 'backend', type: 'nominal' } } },
        ],
      },
      {
        width: 320,
        height: 220,
        title: 'bytes per round (up + down)',
        mark: { type: 'point', filled: true },
        encoding: { x, y: { field: 'bytes', type: 'quantitative', title: 'bytes' }, color, shape: { field: 'backend', type: 'nominal' } },
      },
    ],
  } as TopLevelSpec;
}
