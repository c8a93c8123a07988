/**
 * Writes one run's results folder:
 *   config.resolved.json  experiment, arms, seeds, overrides, every run's config (and, for tfjs, the
 *                         engine and device it ran on), git sha
 *   metrics.jsonl / metrics.csv   one tidy row per (arm, seed, round)
 *   summary.json / summary.md     the per-arm table
 *   plots/<name>.vl.json|.svg|.png, report.html
 * Nothing in these files depends on the wall clock, so the same command and seed give identical
 * metrics files.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Experiment } from './define.ts';
import type { Overrides } from './overrides.ts';
import { standardFigures } from './plots.ts';
import type { SweepAxis } from './plots.ts';
import { reportHtml, specToSvg, svgToPng } from './render.ts';
import type { MetricRow, RanOn, RunTask } from './runner.ts';
import { summarise, summaryMarkdown } from './summary.ts';
import type { EnergyAssumption, ExperimentSummary } from './summary.ts';
import { resolveSimConfig } from '../sim/config.ts';
import { energyAssumptionLabel } from '../sim/energy.ts';

export interface WriteResultsParameters {
  readonly outDir: string;
  readonly experiment: Experiment;
  readonly tasks: readonly RunTask[];
  readonly rows: readonly MetricRow[];
  readonly overrides: Overrides;
  readonly sweep?: SweepAxis;
  /** Per task: where its tfjs model ran (engine, device); null or absent for a surrogate run. */
  readonly ranOn?: readonly (RanOn | null)[];
}

export interface WrittenResults {
  readonly outDir: string;
  readonly summary: ExperimentSummary;
  readonly files: readonly string[];
}

/** The commit the results came from ('unknown' outside a git checkout). */
export function gitSha(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** Rows as CSV: the union of all fields, in first-seen order; RFC 4180 quoting. */
export function toCsv(rows: readonly object[]): string {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) for (const k of Object.keys(row)) if (!seen.has(k)) (seen.add(k), columns.push(k));
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell((r as Record<string, unknown>)[c])).join(','))].join('\n') + '\n';
}

/**
 * The energy assumption tables of the tasks, in words (read from each run's resolved config, so a
 * `--set energy.…` shows up here), with the arms that used each, in first-seen order.
 */
export function energyAssumptions(tasks: readonly RunTask[]): EnergyAssumption[] {
  const byTable = new Map<string, string[]>();
  for (const task of tasks) {
    const table = energyAssumptionLabel(resolveSimConfig(task.config).energy);
    const arms = byTable.get(table) ?? [];
    if (!arms.includes(task.arm)) arms.push(task.arm);
    byTable.set(table, arms);
  }
  return [...byTable].map(([table, arms]) => ({ table, arms }));
}

export async function writeResults(p: WriteResultsParameters): Promise<WrittenResults> {
  const plotsDir = join(p.outDir, 'plots');
  mkdirSync(plotsDir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, data: string | Buffer): void => {
    writeFileSync(join(p.outDir, name), data);
    files.push(name);
  };
  const configJson = JSON.stringify(
    {
      experiment: { id: p.experiment.id, question: p.experiment.question, expect: p.experiment.expect, targetLoss: p.experiment.targetLoss ?? null },
      gitSha: gitSha(),
      overrides: p.overrides,
      // A tfjs run also says which engine and device ran it (engines agree only to fp32 rounding).
      runs: p.tasks.map((t, i) => {
        const where = p.ranOn?.[i] ?? null;
        return { arm: t.arm, seed: t.seed, labels: t.labels, config: t.config, ...(where === null ? {} : { ranOn: where }) };
      }),
    },
    null,
    2,
  );
  write('config.resolved.json', configJson + '\n');
  write('metrics.jsonl', p.rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  write('metrics.csv', toCsv(p.rows));
  const summary = summarise(p.experiment.id, p.rows, p.experiment.targetLoss ?? null, energyAssumptions(p.tasks));
  const md = summaryMarkdown(summary);
  const tables = (p.experiment.tables ?? []).map((t) => ({ title: t.title, markdown: t.build(p.rows) }));
  write('summary.json', JSON.stringify(summary, null, 2) + '\n');
  const extra = tables.map((t) => `\n## ${t.title}\n\n${t.markdown}\n`).join('');
  write('summary.md', `# ${p.experiment.id}\n\n${p.experiment.question}\n\n${md}\n${extra}`);
  const figures = [];
  const standard = p.experiment.lossFigures === false ? [] : standardFigures(p.rows, p.sweep, p.experiment.targetLoss);
  for (const fig of [...standard, ...(p.experiment.figures?.(p.rows) ?? [])]) {
    const svg = await specToSvg(fig.spec);
    write(`plots/${fig.name}.vl.json`, JSON.stringify(fig.spec, null, 2) + '\n');
    write(`plots/${fig.name}.svg`, svg);
    write(`plots/${fig.name}.png`, svgToPng(svg));
    figures.push({ title: fig.title, svg });
  }
  write('report.html', reportHtml({ title: p.experiment.id, question: p.experiment.question, expect: p.experiment.expect, summaryMarkdown: md, tables, figures, configJson }));
  return { outDir: p.outDir, summary, files };
}
