/**
 * The `data-quality` experiment's table, from its metric rows (pure): one row per kind × fraction
 * of low-quality peers, one column per weighting rule. A cell: final held-out loss (clean data)
 * as mean ± sd over seeds, its ratio to the all-clean uniform run, the mean weight mass that went
 * to low-quality peers (mean over rounds, then seeds), and the mean round at which the held-out
 * loss first reached the target ("—" when a seed never did; the count says how many reached it).
 */
import type { MetricRow } from '../runner.ts';

export interface DataQualityRun {
  readonly kind: string;
  readonly fraction: number;
  readonly rule: string;
  readonly finalLoss: number;
  /** Mean over rounds of the low-quality share of the aggregate's weight; null when no round applied. */
  readonly weightMass: number | null;
  /** First round (1-based count) with held-out loss ≤ target; null when never. */
  readonly roundsToTarget: number | null;
}

/** One run per (arm, seed), from the `kind`, `fraction` and `rule` labels. */
export function dataQualityRuns(rows: readonly MetricRow[], target: number): DataQualityRun[] {
  const byRun = new Map<string, MetricRow[]>();
  for (const r of rows) {
    const key = `${r.arm}\u0000${r.seed}`;
    const list = byRun.get(key) ?? [];
    list.push(r);
    byRun.set(key, list);
  }
  return [...byRun.values()].map((list) => {
    const sorted = [...list].sort((a, b) => a.round - b.round);
    const last = sorted[sorted.length - 1]!;
    const masses = sorted.map((r) => r.weightMassLowQuality).filter((m): m is number => typeof m === 'number');
    const hit = sorted.findIndex((r) => r.heldoutLoss <= target);
    return {
      kind: String(last.kind),
      fraction: Number(last.fraction),
      rule: String(last.rule),
      finalLoss: last.heldoutLoss,
      weightMass: masses.length === 0 ? null : mean(masses),
      roundsToTarget: hit < 0 ? null : hit + 1,
    };
  });
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function sd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Mean final loss of the all-clean uniform runs (the reference of every ratio); NaN without them. */
export function cleanReference(runs: readonly DataQualityRun[]): number {
  const clean = runs.filter((r) => r.fraction === 0 && r.rule === 'uniform');
  return clean.length === 0 ? NaN : mean(clean.map((r) => r.finalLoss));
}

/** The Markdown table (rules in first-seen order, rows by kind then fraction). */
export function dataQualityTable(rows: readonly MetricRow[], target: number): string {
  const runs = dataQualityRuns(rows, target);
  const rules = [...new Set(runs.map((r) => r.rule))];
  const cells = [...new Set(runs.map((r) => `${r.kind}\u0000${r.fraction}`))];
  const ref = cleanReference(runs);
  const lines = [
    `Cell: final held-out loss (mean ± sd over seeds) · ÷ all-clean uniform (${ref.toFixed(4)}) · weight mass on low-quality peers · rounds to loss ≤ ${target} (seeds that reached it).`,
    '',
    `| kind | low-quality peers | ${rules.join(' | ')} |`,
    `|---|---|${rules.map(() => '---').join('|')}|`,
  ];
  for (const cell of cells) {
    const [kind, fraction] = cell.split('\u0000') as [string, string];
    const parts = rules.map((rule) => {
      const these = runs.filter((r) => r.kind === kind && String(r.fraction) === fraction && r.rule === rule);
      if (these.length === 0) return '';
      const losses = these.map((r) => r.finalLoss);
      const masses = these.map((r) => r.weightMass).filter((m): m is number => m !== null);
      const reached = these.map((r) => r.roundsToTarget).filter((n): n is number => n !== null);
      const loss = losses.length > 1 ? `${mean(losses).toFixed(4)} ± ${sd(losses).toFixed(4)}` : mean(losses).toFixed(4);
      const mass = masses.length === 0 ? '—' : mean(masses).toFixed(3);
      const rounds = reached.length === 0 ? '—' : `${mean(reached).toFixed(1)} (${reached.length}/${these.length})`;
      return `${loss} · ×${(mean(losses) / ref).toFixed(3)} · ${mass} · ${rounds}`;
    });
    lines.push(`| ${kind} | ${Math.round(Number(fraction) * 100)}% | ${parts.join(' | ')} |`);
  }
  return lines.join('\n');
}
