/**
 * Plot builders: pure functions from metric rows to vega-lite specs. Nothing here renders or
 * writes; `render.ts` does. Curves are the mean over seeds with a band from the min to the max
 * seed, so one look shows both the effect and its spread.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { MetricRow } from './runner.ts';
import { chargeLabel } from './summary.ts';

export interface Figure {
  /** File stem under plots/. */
  readonly name: string;
  readonly title: string;
  readonly spec: TopLevelSpec;
}

const FONT = 'DejaVu Sans';
const CONFIG = { font: FONT, axis: { labelFontSize: 12, titleFontSize: 13 }, legend: { labelFontSize: 12, titleFontSize: 12, labelLimit: 260 }, title: { fontSize: 14 } };
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** The columns the plots read; keeping the data small keeps the HTML report small. */
export function slim(rows: readonly MetricRow[], color: string): object[] {
  return rows.map((r) => ({
    arm: r.arm,
    group: String((r as Record<string, unknown>)[color] ?? r.arm),
    seed: r.seed,
    round: r.round,
    simTimeS: r.simTimeS,
    cumulativeBytes: Math.max(1, r.cumulativeBytes),
    heldoutLoss: r.heldoutLoss,
  }));
}

interface CurveOptions {
  readonly name: string;
  readonly title: string;
  readonly x: 'round' | 'cumulativeBytes' | 'simTimeS';
  readonly xTitle: string;
  readonly logX?: boolean;
  /** Row field that colours the curves (default: the arm). */
  readonly color?: string;
}

/** Held-out loss against `x`: mean over seeds per arm, band = min … max over seeds. */
export function lossCurve(rows: readonly MetricRow[], o: CurveOptions): Figure {
  const xScale = o.logX ? { type: 'log' as const } : { zero: false };
  return {
    name: o.name,
    title: o.title,
    spec: {
      $schema: SCHEMA,
      title: o.title,
      width: 520,
      height: 300,
      data: { values: slim(rows, o.color ?? 'arm') },
      transform: [
        {
          aggregate: [
            { op: 'mean', field: o.x, as: 'x' },
            { op: 'mean', field: 'heldoutLoss', as: 'loss' },
            { op: 'min', field: 'heldoutLoss', as: 'lo' },
            { op: 'max', field: 'heldoutLoss', as: 'hi' },
          ],
          groupby: ['arm', 'group', 'round'],
        },
      ],
      encoding: {
        x: { field: 'x', type: 'quantitative', title: o.xTitle, scale: xScale },
        color: { field: 'arm', type: 'nominal', title: 'arm', sort: null },
      },
      layer: [
        { mark: { type: 'area', opacity: 0.2 }, encoding: { y: { field: 'lo', type: 'quantitative', title: 'held-out loss', scale: { zero: false } }, y2: { field: 'hi' } } },
        { mark: { type: 'line', strokeWidth: 2 }, encoding: { y: { field: 'loss', type: 'quantitative', title: 'held-out loss' } } },
      ],
      config: CONFIG,
    } as TopLevelSpec,
  };
}

/** Arms side by side (one panel each), loss vs round, every seed drawn. */
export function armsSideBySide(rows: readonly MetricRow[]): Figure {
  const armOrder = [...new Set(rows.map((r) => r.arm))];
  return {
    name: 'arms-side-by-side',
    title: 'Held-out loss per arm (one line per seed)',
    spec: {
      $schema: SCHEMA,
      title: 'Held-out loss per arm (one line per seed)',
      data: { values: slim(rows, 'arm') },
      facet: { field: 'arm', type: 'nominal', title: null, sort: armOrder },
      columns: Math.min(armOrder.length, 4),
      spec: {
        width: 220,
        height: 180,
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'round', type: 'quantitative', title: 'round' },
          y: { field: 'heldoutLoss', type: 'quantitative', title: 'held-out loss', scale: { zero: false } },
          color: { field: 'seed', type: 'nominal', title: 'seed' },
        },
      },
      config: CONFIG,
    } as TopLevelSpec,
  };
}

/** Final held-out loss against a numeric arm label (e.g. uplink Mbit/s), one line per `color` label. */
export function finalLossVs(rows: readonly MetricRow[], label: string, xTitle: string, color: string, logX = true): Figure {
  const last = new Map<string, MetricRow>();
  for (const r of rows) {
    const key = `${r.arm}\u0000${r.seed}`;
    const prev = last.get(key);
    if (!prev || r.round > prev.round) last.set(key, r);
  }
  const values = [...last.values()].map((r) => ({
    x: Number((r as Record<string, unknown>)[label]),
    group: String((r as Record<string, unknown>)[color] ?? r.arm),
    loss: r.heldoutLoss,
  }));
  return {
    name: `final-loss-vs-${label}`,
    title: `Final held-out loss vs ${xTitle}`,
    spec: {
      $schema: SCHEMA,
      title: `Final held-out loss vs ${xTitle}`,
      width: 520,
      height: 300,
      data: { values },
      transform: [{ aggregate: [{ op: 'mean', field: 'loss', as: 'loss' }, { op: 'min', field: 'loss', as: 'lo' }, { op: 'max', field: 'loss', as: 'hi' }], groupby: ['x', 'group'] }],
      encoding: {
        x: { field: 'x', type: 'quantitative', title: xTitle, scale: logX ? { type: 'log' } : { zero: false } },
        color: { field: 'group', type: 'nominal', title: color, sort: null },
      },
      layer: [
        { mark: { type: 'area', opacity: 0.2 }, encoding: { y: { field: 'lo', type: 'quantitative', title: 'final held-out loss', scale: { zero: false } }, y2: { field: 'hi' } } },
        { mark: { type: 'line', point: true, strokeWidth: 2 }, encoding: { y: { field: 'loss', type: 'quantitative', title: 'final held-out loss' } } },
      ],
      config: CONFIG,
    } as TopLevelSpec,
  };
}

/**
 * Simulated time until held-out loss first reaches `target`, against a numeric arm label (log-log),
 * one line per `color` label; runs that never reach it are left out (the summary says so).
 */
export function timeToTargetVs(rows: readonly MetricRow[], label: string, xTitle: string, color: string, target: number): Figure {
  const first = new Map<string, MetricRow>();
  for (const r of rows) {
    const key = `${r.arm}\u0000${r.seed}`;
    if (r.heldoutLoss <= target && (!first.has(key) || r.round < first.get(key)!.round)) first.set(key, r);
  }
  const values = [...first.values()].map((r) => ({
    x: Number((r as Record<string, unknown>)[label]),
    group: String((r as Record<string, unknown>)[color] ?? r.arm),
    t: r.simTimeS,
  }));
  const title = `Simulated time to held-out loss ≤ ${target} vs ${xTitle}`;
  return {
    name: `time-to-target-vs-${label}`,
    title,
    spec: {
      $schema: SCHEMA,
      title,
      width: 520,
      height: 300,
      data: { values },
      transform: [{ aggregate: [{ op: 'mean', field: 't', as: 't' }], groupby: ['x', 'group'] }],
      mark: { type: 'line', point: true, strokeWidth: 2 },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: xTitle, scale: { type: 'log' } },
        y: { field: 't', type: 'quantitative', title: 'simulated time to target (s, log)', scale: { type: 'log' } },
        color: { field: 'group', type: 'nominal', title: color, sort: null },
      },
      config: CONFIG,
    } as TopLevelSpec,
  };
}

/** What {@link roundMeanVs} plots: a per-round row figure, averaged over rounds then seeds. */
export interface RoundMeanAxis {
  readonly name: string;
  /** y of one row (null: the row is left out, e.g. a round nobody was present in). */
  readonly y: (row: MetricRow) => number | null;
  readonly yTitle: string;
  readonly logY?: boolean;
  /** A published value to mark as a horizontal rule (e.g. the paper's figure), with its label. */
  readonly reference?: { readonly y: number; readonly label: string };
  /** A row label that splits the figure into panels (one per value, in first-seen order). */
  readonly facet?: string;
}

/**
 * A per-round figure against a numeric arm label (log x), one line per `color` label: the mean over
 * each run's rounds, then the mean over seeds, with a band from the lowest to the highest seed.
 */
export function roundMeanVs(rows: readonly MetricRow[], label: string, xTitle: string, color: string, axis: RoundMeanAxis): Figure {
  const perRun = new Map<string, { x: number; group: string; panel: string; sum: number; n: number }>();
  for (const r of rows) {
    const y = axis.y(r);
    if (y === null || !Number.isFinite(y)) continue;
    const key = `${r.arm}\u0000${r.seed}`;
    const fields = r as Record<string, unknown>;
    const panel = axis.facet === undefined ? '' : String(fields[axis.facet]);
    const run = perRun.get(key) ?? { x: Number(fields[label]), group: String(fields[color] ?? r.arm), panel, sum: 0, n: 0 };
    run.sum += y;
    run.n++;
    perRun.set(key, run);
  }
  const values = [...perRun.values()].map((v) => ({ x: v.x, group: v.group, panel: v.panel, y: v.sum / v.n }));
  const title = `${axis.yTitle} vs ${xTitle}`;
  const yScale = axis.logY ? { type: 'log' as const } : { zero: true };
  const x = { field: 'x', type: 'quantitative' as const, title: xTitle, scale: { type: 'log' as const } };
  const groupColour = { field: 'group', type: 'nominal' as const, title: color, sort: null };
  const transform = [{ aggregate: [{ op: 'mean', field: 'y', as: 'y' }, { op: 'min', field: 'y', as: 'lo' }, { op: 'max', field: 'y', as: 'hi' }], groupby: ['x', 'group', 'panel'] }];
  // x and colour per data layer, so the reference layers (own data, no x) inherit neither.
  const layer = [
    { mark: { type: 'area', opacity: 0.2 }, encoding: { x, color: groupColour, y: { field: 'lo', type: 'quantitative', title: axis.yTitle, scale: yScale }, y2: { field: 'hi' } } },
    { mark: { type: 'line', point: true, strokeWidth: 2 }, encoding: { x, color: groupColour, y: { field: 'y', type: 'quantitative', title: axis.yTitle, scale: yScale } } },
    ...(axis.reference === undefined ? [] : [
      { data: { values: [{ ref: axis.reference.y, label: axis.reference.label }] }, mark: { type: 'rule', strokeDash: [6, 4], color: 'black' }, encoding: { y: { field: 'ref', type: 'quantitative' } } },
      { data: { values: [{ ref: axis.reference.y, label: axis.reference.label }] }, mark: { type: 'text', align: 'left', dx: 4, dy: -6, x: 0 }, encoding: { y: { field: 'ref', type: 'quantitative' }, text: { field: 'label' } } },
    ]),
  ];
  const body = axis.facet === undefined
    ? { width: 520, height: 300, data: { values }, transform, layer }
    : {
      data: { values },
      facet: { field: 'panel', type: 'nominal', title: axis.facet, sort: [...new Set(values.map((v) => v.panel))] },
      columns: 2,
      spec: { width: 300, height: 200, transform, layer },
    };
  return { name: axis.name, title, spec: { $schema: SCHEMA, title, ...body, config: CONFIG } as TopLevelSpec };
}

export interface SweepAxis {
  /** Numeric arm label swept (present in every row of the arm). */
  readonly label: string;
  readonly title: string;
  readonly log?: boolean;
  /** Label that tells the curves apart (e.g. 'method'). */
  readonly color: string;
}

/** The standard figure set of an experiment (plus time-to-target when a sweep has a target loss). */
export function standardFigures(rows: readonly MetricRow[], sweep?: SweepAxis, targetLoss?: number): Figure[] {
  const figures = [
    lossCurve(rows, { name: 'loss-vs-rounds', title: 'Held-out loss vs round', x: 'round', xTitle: 'round' }),
    lossCurve(rows, { name: 'loss-vs-bytes', title: 'Held-out loss vs cumulative bytes (all peers, up + down)', x: 'cumulativeBytes', xTitle: 'cumulative bytes (log)', logX: true }),
    lossCurve(rows, { name: 'loss-vs-time', title: 'Held-out loss vs simulated wall-clock', x: 'simTimeS', xTitle: 'simulated time (s)' }),
    armsSideBySide(rows),
  ];
  if (sweep) figures.push(finalLossVs(rows, sweep.label, sweep.title, sweep.color, sweep.log ?? true));
  if (sweep && targetLoss !== undefined) figures.push(timeToTargetVs(rows, sweep.label, sweep.title, sweep.color, targetLoss));
  const charged = chargeLabel(rows);
  return charged === null ? figures : figures.map((f) => labelCharged(f, charged));
}

/** A two-level run's figure says so in its title (sim/charge.ts): its bytes and times are the target's. */
function labelCharged(f: Figure, charged: string): Figure {
  const title = `${f.title} — ${charged}`;
  return { ...f, title, spec: { ...f.spec, title } as TopLevelSpec };
}
