/**
 * The dashboard's charts: vega-lite specs whose data is the named dataset `rows`, which the page
 * fills and grows as rows arrive. The loss curves are the results folder's own (plots.ts
 * `lossCurve`, same transforms and encodings) with the inline values swapped for that dataset;
 * the per-round views the report has no figure for (peers online, churn, bytes, chain, cluster
 * phases) are written here. Pure: rows in, specs out.
 */
import type { TopLevelSpec } from 'vega-lite';
import { lossCurve, slim } from '../plots.ts';
import type { MetricRow } from '../runner.ts';

/** The dataset every chart reads; the page inserts rows into it. */
export const ROWS_DATASET = 'rows';

export interface DashboardChart {
  readonly name: string;
  readonly title: string;
  /** Shown only when some row has this field (chain figures exist only for chain runs, phases only on the cluster). */
  readonly needs: string;
  readonly spec: TopLevelSpec;
}

/**
 * A metric row as the charts read it: the row itself plus the fields plots.ts derives for its
 * curves (`group`, cumulative bytes floored at 1 for the log axis), so the shared builders apply.
 */
export function chartRow(row: MetricRow): Record<string, unknown> {
  return { ...row, ...slim([row], 'arm')[0] };
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const SIZE = { width: 400, height: 220 }; // px: two charts side by side with their legends on a laptop screen

/** A shared builder's figure, its inline data replaced by the live dataset. */
function live(figure: { name: string; title: string; spec: TopLevelSpec }, needs = 'heldoutLoss'): DashboardChart {
  return { name: figure.name, title: figure.title, needs, spec: { ...figure.spec, ...SIZE, data: { name: ROWS_DATASET } } as TopLevelSpec };
}

/** A row field drawn per round, with its legend label. */
type Measure = readonly [field: string, label: string];

/** Fields of one row folded into (measure, value) pairs, then aggregated per round; `before` runs first. */
function perRound(o: { name: string; title: string; needs: string; measures: readonly Measure[]; yTitle: string; mark: 'line' | 'bar'; before?: readonly object[] }): DashboardChart {
  const bars = o.mark === 'bar';
  const fields = o.measures.map(([field]) => field);
  const labels = o.measures.map(([, label]) => label);
  const labelOf = o.measures.reduceRight((rest, [field, label]) => `datum.measure === ${JSON.stringify(field)} ? ${JSON.stringify(label)} : ${rest}`, 'datum.measure');
  return {
    name: o.name,
    title: o.title,
    needs: o.needs,
    spec: {
      $schema: SCHEMA,
      title: o.title,
      ...SIZE,
      data: { name: ROWS_DATASET },
      transform: [
        ...(o.before ?? []),
        { fold: fields, as: ['measure', 'value'] },
        { calculate: labelOf, as: 'measure' },
        // Bars count events over every run shown; lines are the mean over seeds of each arm.
        { aggregate: [{ op: bars ? 'sum' : 'mean', field: 'value', as: 'value' }], groupby: bars ? ['round', 'measure'] : ['arm', 'round', 'measure'] },
      ],
      mark: bars ? { type: 'bar' } : { type: 'line', strokeWidth: 2, point: false },
      encoding: {
        x: { field: 'round', type: bars ? 'ordinal' : 'quantitative', title: 'round', ...(bars ? { axis: { labelOverlap: true } } : {}) },
        y: { field: 'value', type: 'quantitative', title: o.yTitle, ...(bars ? { stack: 'zero' } : {}) },
        color: bars ? { field: 'measure', type: 'nominal', title: null, sort: labels } : { field: 'arm', type: 'nominal', title: 'arm', sort: null },
        ...(bars ? {} : { strokeDash: { field: 'measure', type: 'nominal', title: null, sort: labels } }),
        tooltip: [{ field: 'round', type: 'quantitative' }, ...(bars ? [] : [{ field: 'arm', type: 'nominal' as const }]), { field: 'measure', type: 'nominal' }, { field: 'value', type: 'quantitative', format: '.4~g' }],
      },
    } as TopLevelSpec,
  };
}

/**
 * Every chart the dashboard may show for a backend, in page order.
 *
 * @example
 * dashboardCharts('sim').map((c) => c.name); // ['loss-vs-rounds', 'loss-vs-bytes', 'loss-vs-time', 'peers-online', …]
 */
export function dashboardCharts(backend: 'sim' | 'cluster'): DashboardChart[] {
  const timeTitle = backend === 'cluster' ? 'wall-clock since the run started (s)' : 'simulated time (s)';
  return [
    live(lossCurve([], { name: 'loss-vs-rounds', title: 'Held-out loss vs round', x: 'round', xTitle: 'round' })),
    live(lossCurve([], { name: 'loss-vs-bytes', title: 'Held-out loss vs cumulative bytes (all peers, up + down)', x: 'cumulativeBytes', xTitle: 'cumulative bytes (log)', logX: true })),
    live(lossCurve([], { name: 'loss-vs-time', title: backend === 'cluster' ? 'Held-out loss vs wall-clock' : 'Held-out loss vs simulated wall-clock', x: 'simTimeS', xTitle: timeTitle })),
    perRound({ name: 'peers-online', title: 'Peers per round (mean over seeds)', needs: 'activePeers', measures: [['activePeers', 'online'], ['onTime', 'on time'], ['contributors', 'contributors']], yTitle: 'peers', mark: 'line' }),
    perRound({
      name: 'churn-events',
      title: 'Churn per round (summed over the runs shown)',
      needs: 'activePeers',
      // Rows count joins, crashes and late peers but not departures: the change in peers online
      // since the run's previous round shows those.
      before: [
        { window: [{ op: 'lag', field: 'activePeers', as: 'previousActive' }], groupby: ['arm', 'seed'], sort: [{ field: 'round' }] },
        { calculate: 'datum.previousActive == null ? 0 : datum.activePeers - datum.previousActive', as: 'onlineChange' },
      ],
      measures: [['joined', 'joined'], ['crashed', 'crashed after training'], ['late', 'late upload'], ['onlineChange', 'change in peers online']],
      yTitle: 'peers',
      mark: 'bar',
    }),
    perRound({ name: 'bytes-per-round', title: 'Bytes per round, all peers (mean over seeds)', needs: 'bytesUpTotal', measures: [['bytesUpTotal', 'up'], ['bytesDownTotal', 'down (sync + catch-up)']], yTitle: 'bytes', mark: 'line' }),
    perRound({ name: 'chain-per-round', title: 'Chain per round (mean over seeds)', needs: 'chainCommits', measures: [['chainCommits', 'commits mined'], ['rejected', 'uploads rejected'], ['attackersSelected', 'attackers selected']], yTitle: 'count', mark: 'line' }),
    perRound({
      name: 'cluster-phases',
      title: 'Wall-clock phases per round (peer means; sync: slowest peer)',
      needs: 'trainS',
      measures: [['trainS', 'train'], ['compressS', 'compress'], ['uploadS', 'upload'], ['commitS', 'commit'], ['validateS', 'validate'], ['syncS', 'sync']],
      yTitle: 'wall s',
      mark: 'bar',
    }),
  ];
}
