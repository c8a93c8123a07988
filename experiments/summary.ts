/**
 * The table a researcher pastes into a paper: per arm, the final held-out loss with its spread
 * over seeds, bytes, simulated time, energy (when the simulator recorded it) and, when the
 * experiment names a target loss, the time and bytes needed to reach it. Pure: rows in, table out.
 */
import type { MetricRow } from './runner.ts';

export interface ArmSummary {
  readonly arm: string;
  readonly seeds: number;
  readonly rounds: number;
  readonly finalLossMean: number;
  readonly finalLossStd: number; // sample std over seeds (0 with one seed)
  readonly finalLossMin: number;
  readonly finalLossMax: number;
  readonly bytesTotalMean: number; // bytes, up + down, all rounds
  readonly simTimeMeanS: number; // sim seconds at the end of the run
  readonly skippedRoundsMean: number;
  readonly meanActivePeers: number;
  readonly energyKWhMean: number | null;
  readonly co2eKgMean: number | null;
  /** Sim seconds / bytes until held-out loss ≤ target, mean over the seeds that reached it. */
  readonly timeToTargetMeanS: number | null;
  readonly bytesToTargetMean: number | null;
  readonly reachedTarget: number; // seeds that reached the target
}

/** One energy assumption table (in words, `energyAssumptionLabel`) and the arms that ran with it. */
export interface EnergyAssumption {
  readonly table: string;
  readonly arms: readonly string[];
}

export interface ExperimentSummary {
  readonly experiment: string;
  readonly targetLoss: number | null;
  readonly arms: readonly ArmSummary[];
  /** The tables the energy figures come from; empty when not known (rows without their configs). */
  readonly energyAssumptions: readonly EnergyAssumption[];
  /** Two-level runs (sim/charge.ts): what the byte and time figures are charged for; null when no row is charged. */
  readonly charged: string | null;
}

/**
 * The label of a two-level run's figures, from its rows' `trainedParams` / `chargedParams`
 * (sim/charge.ts), e.g. "bytes and time charged for 72,747,327,488 parameters (trained: 2,822)";
 * null when no row is charged. Several charged sizes in one experiment are listed.
 */
export function chargeLabel(rows: readonly MetricRow[]): string | null {
  const pairs = new Set<string>();
  for (const r of rows) {
    const row = r as MetricRow & { chargedParams?: number; trainedParams?: number };
    if (row.chargedParams !== undefined) pairs.add(`${row.chargedParams.toLocaleString('en-US')} parameters (trained: ${row.trainedParams!.toLocaleString('en-US')})`);
  }
  return pairs.size === 0 ? null : `bytes and time charged for ${[...pairs].join('; ')}`;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: readonly number[]): number => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

/** Summarises rows per arm, arms in first-seen order; `energyAssumptions` say where the energy figures come from. */
export function summarise(experiment: string, rows: readonly MetricRow[], targetLoss: number | null = null, energyAssumptions: readonly EnergyAssumption[] = []): ExperimentSummary {
  const arms = new Map<string, Map<number, MetricRow[]>>();
  for (const row of rows) {
    const bySeed = arms.get(row.arm) ?? new Map<number, MetricRow[]>();
    arms.set(row.arm, bySeed);
    const list = bySeed.get(row.seed) ?? [];
    bySeed.set(row.seed, list);
    list.push(row);
  }
  const out: ArmSummary[] = [];
  for (const [arm, bySeed] of arms) {
    const runs = [...bySeed.values()];
    const finals = runs.map((r) => r[r.length - 1]!);
    const losses = finals.map((f) => f.heldoutLoss);
    const energy = runs.map((r) => sumField(r, 'energyKWh'));
    const co2 = runs.map((r) => sumField(r, 'co2eKg'));
    const reached = targetLoss === null ? [] : runs.map((r) => r.find((row) => row.heldoutLoss <= targetLoss)).filter((x): x is MetricRow => x !== undefined);
    out.push({
      arm,
      seeds: runs.length,
      rounds: mean(runs.map((r) => r.length)),
      finalLossMean: mean(losses),
      finalLossStd: std(losses),
      finalLossMin: Math.min(...losses),
      finalLossMax: Math.max(...losses),
      bytesTotalMean: mean(finals.map((f) => f.cumulativeBytes)),
      simTimeMeanS: mean(finals.map((f) => f.simTimeS)),
      skippedRoundsMean: mean(runs.map((r) => r.filter((row) => row.status === 'skipped').length)),
      meanActivePeers: mean(runs.flat().map((row) => row.activePeers)),
      energyKWhMean: energy.every((e) => e === null) ? null : mean(energy.map((e) => e ?? 0)),
      co2eKgMean: co2.every((e) => e === null) ? null : mean(co2.map((e) => e ?? 0)),
      timeToTargetMeanS: reached.length ? mean(reached.map((r) => r.simTimeS)) : null,
      bytesToTargetMean: reached.length ? mean(reached.map((r) => r.cumulativeBytes)) : null,
      reachedTarget: reached.length,
    });
  }
  return { experiment, targetLoss, arms: out, energyAssumptions, charged: chargeLabel(rows) };
}

function sumField(rows: readonly MetricRow[], field: string): number | null {
  let total = 0;
  let seen = false;
  for (const row of rows) {
    const v = (row as unknown as Record<string, unknown>)[field];
    if (typeof v === 'number' && Number.isFinite(v)) { // NaN / null: not measured (e.g. on the cluster)
      total += v;
      seen = true;
    }
  }
  return seen ? total : null;
}

/** Human units: 1.23 MB, 45.6 s. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toPrecision(3)} ${units[u]}`;
}

/**
 * The summary as a Markdown table. Energy and CO2e columns carry a footnote, under the table,
 * naming the assumption table(s) they were computed from: they are never measurements.
 */
export function summaryMarkdown(s: ExperimentSummary): string {
  const target = s.targetLoss !== null;
  const energy = s.arms.some((a) => a.energyKWhMean !== null);
  const head = ['arm', 'seeds', 'final held-out loss (mean ± sd)', 'min … max', 'bytes (up+down)', 'sim time', 'skipped rounds', 'mean active peers'];
  if (energy) head.push('energy¹', 'CO2e¹');
  if (target) head.push(`time to loss ≤ ${s.targetLoss}`, 'bytes to target');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const a of s.arms) {
    const cells = [
      a.arm,
      String(a.seeds),
      `${a.finalLossMean.toFixed(4)} ± ${a.finalLossStd.toFixed(4)}`,
      `${a.finalLossMin.toFixed(4)} … ${a.finalLossMax.toFixed(4)}`,
      formatBytes(a.bytesTotalMean),
      `${a.simTimeMeanS.toFixed(0)} s`,
      a.skippedRoundsMean.toFixed(1),
      a.meanActivePeers.toFixed(1),
    ];
    if (energy) cells.push(a.energyKWhMean === null ? '–' : `${a.energyKWhMean.toPrecision(3)} kWh`, a.co2eKgMean === null ? '–' : `${a.co2eKgMean.toPrecision(3)} kg`);
    if (target) {
      cells.push(
        a.timeToTargetMeanS === null ? 'not reached' : `${a.timeToTargetMeanS.toFixed(0)} s (${a.reachedTarget}/${a.seeds})`,
        a.bytesToTargetMean === null ? '–' : formatBytes(a.bytesToTargetMean),
      );
    }
    lines.push(`| ${cells.join(' | ')} |`);
  }
  if (energy) lines.push('', energyFootnote(s.energyAssumptions));
  if (s.charged !== null) lines.push('', `Two-level run: ${s.charged}; the loss is the trained model's (sim/charge.ts).`);
  return lines.join('\n');
}

function energyFootnote(assumptions: readonly EnergyAssumption[]): string {
  const lead = '¹ Computed from an energy assumption table, not measured';
  if (assumptions.length === 0) return `${lead} (see the energy section of config.resolved.json).`;
  if (assumptions.length === 1) return `${lead}: ${assumptions[0]!.table}.`;
  return `${lead}: ${assumptions.map((a) => `${a.arms.join(', ')}: ${a.table}`).join('; ')}.`;
}
