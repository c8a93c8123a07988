/**
 * The clock validation's outputs: the error table (one row per cell, and one per round) as
 * markdown, and the figure — predicted vs measured duration, one point per message transfer,
 * coloured by cell, on log axes with the y = x line — as a vega-lite spec.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { CellResult } from './grid.ts';
import { median } from './replay.ts';

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const s2 = (x: number): string => x.toFixed(2);
const uids = (u: readonly number[]): string => (u.length === 0 ? '–' : u.join(','));
const linkOf = (r: CellResult): string => (typeof r.cell.uplinkMbps === 'number' ? `${r.cell.uplinkMbps}` : r.cell.uplinkMbps.join(' or '));

/** Every cell's message transfers' relative errors, pooled: the grid's figure (request time measured). */
export function gridMedianRelError(cells: readonly CellResult[]): number {
  return median(cells.flatMap((c) => c.transfers.map((t) => t.relError)));
}

/** One row per cell. */
export function cellTable(cells: readonly CellResult[]): string {
  const head = '| cell | peers | up / down / store (Mbit/s) | window (s) | message | transfers | payload = rate, latency 0: median (signed) | + TCP/IP framing | request time measured | + request time: median rel. error | p90 | median signed (pred − meas) | same late uploads | wall (s) |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|';
  const rows = cells.map(
    (r) =>
      `| ${r.cell.name} | ${r.cell.peers} | ${linkOf(r)} / ${r.cell.downlinkMbps} / ${r.cell.storeMbps} | ${r.cell.windowS} | ${(r.messageBytes / 1e6).toFixed(2)} MB | ${r.transfers.length} | ${pct(r.rawMedianRelError)} (${pct(r.rawMedianSignedError)}) | ${pct(r.framedMedianRelError)} (${pct(r.framedMedianSignedError)}) | ${(1000 * r.requestLatencyS).toFixed(0)} ms | ${pct(r.medianRelError)} | ${pct(r.p90RelError)} | ${pct(r.medianSignedError)} | ${r.sameLate ? 'yes' : 'no'} | ${r.wallS.toFixed(0)} |`,
  );
  return [head, ...rows].join('\n');
}

/** One row per round of every cell. */
export function roundTable(cells: readonly CellResult[]): string {
  const head = '| cell | round | upload meas. / pred. (s) | gather meas. / pred. (s) | round meas. / pred. (s) | late meas. | late pred. |\n|---|---|---|---|---|---|---|';
  const rows = cells.flatMap((c) =>
    c.rounds.map((r) => `| ${c.cell.name} | ${r.round} | ${s2(r.uploadMeasuredS)} / ${s2(r.uploadPredictedS)} | ${s2(r.gatherMeasuredS)} / ${s2(r.gatherPredictedS)} | ${s2(r.roundMeasuredS)} / ${s2(r.roundPredictedS)} | ${uids(r.lateMeasured)} | ${uids(r.latePredicted)} |`),
  );
  return [head, ...rows].join('\n');
}

/** Predicted vs measured seconds, one point per message transfer, log–log, with y = x. */
export function predictedVsMeasuredSpec(cells: readonly CellResult[]): TopLevelSpec {
  const points = cells.flatMap((c) => c.transfers.map((t) => ({ cell: c.cell.name, op: t.node === 'validator' ? 'get (validator)' : t.op === 'put' ? 'put (peer)' : 'get (peer)', predicted: t.predictedS, measured: t.measuredS })));
  const all = points.flatMap((p) => [p.predicted, p.measured]).filter((v) => v > 0);
  const lo = Math.min(...all) / 1.5;
  const hi = Math.max(...all) * 1.5;
  const scale = { type: 'log' as const, domain: [lo, hi] };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Simulator's flow model vs shaped links: ${points.length} message transfers (median relative error ${pct(gridMedianRelError(cells))})`,
    width: 520,
    height: 520,
    layer: [
      {
        data: { values: [{ x: lo, y: lo }, { x: hi, y: hi }] },
        mark: { type: 'line', color: 'grey', strokeDash: [4, 4] },
        encoding: { x: { field: 'x', type: 'quantitative', scale }, y: { field: 'y', type: 'quantitative', scale } },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, opacity: 0.75, size: 40 },
        encoding: {
          x: { field: 'predicted', type: 'quantitative', title: 'predicted by sim/flows.ts (s)', scale },
          y: { field: 'measured', type: 'quantitative', title: 'measured on tbf-shaped veth links (s)', scale },
          color: { field: 'cell', type: 'nominal' },
          shape: { field: 'op', type: 'nominal' },
        },
      },
    ],
  };
}
