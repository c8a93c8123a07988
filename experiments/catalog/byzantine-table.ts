/**
 * The `byzantine` experiment's table, from its metric rows (pure): one row per attack × fraction,
 * one column per defence. A cell is the final held-out loss divided by the clean run's (0 %
 * attackers, no defence), "NaN" when the params ever went non-finite, and for Gauntlet also the
 * share of the run's rewards (weights) that went to attackers. With several seeds a cell is the mean
 * over seeds ± their sample standard deviation, so a gap reads against the spread.
 */
import type { MetricRow } from '../runner.ts';

interface Run {
  attack: string;
  fraction: number;
  defence: string;
  finalLoss: number;
  nan: boolean;
  /** Mean over rounds with weights of the attackers' share (each round's weights sum to 1). */
  rewardShare: number | null;
}

/** Seeds per cell (the most any (attack, fraction, defence) has). */
function seedCount(runs: readonly Run[]): number {
  const counts = new Map<string, number>();
  for (const r of runs) {
    const cell = `${r.attack}\u0000${r.fraction}\u0000${r.defence}`;
    counts.set(cell, (counts.get(cell) ?? 0) + 1);
  }
  return Math.max(0, ...counts.values());
}

/** Groups rows into runs (arm, seed) keyed by the `attack`, `fraction` and `defence` labels; seeds are averaged. */
function runsOf(rows: readonly MetricRow[]): Run[] {
  const byArm = new Map<string, MetricRow[]>();
  for (const r of rows) {
    const list = byArm.get(`${r.arm}\u0000${r.seed}`) ?? [];
    list.push(r);
    byArm.set(`${r.arm}\u0000${r.seed}`, list);
  }
  const runs: Run[] = [];
  for (const list of byArm.values()) {
    const last = list[list.length - 1]!;
    const shares = list.map((r) => r.rewardShareAttackers).filter((s): s is number => typeof s === 'number');
    runs.push({
      attack: String(last.attack),
      fraction: Number(last.fraction),
      defence: String(last.defence),
      finalLoss: last.heldoutLoss,
      nan: list.some((r) => r.nanOccurred === true) || !Number.isFinite(last.heldoutLoss),
      rewardShare: shares.length === 0 ? null : shares.reduce((a, b) => a + b, 0) / shares.length,
    });
  }
  return runs;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Sample standard deviation (n − 1); 0 for a single value. */
function sd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** "mean" for one value, "mean ± sd" for several (3 decimals). */
function meanWithSpread(xs: readonly number[]): string {
  return xs.length < 2 ? mean(xs).toFixed(3) : `${mean(xs).toFixed(3)} ± ${sd(xs).toFixed(3)}`;
}

/**
 * The Markdown table. `reference` names the clean baseline: a defence's name (default 'none': the
 * undefended clean run, so a defence's own cost shows in its clean row) or 'own' (each column
 * divided by that defence's clean run: the damage the attack adds). Rows are ordered clean first,
 * then attacks in first-seen order and fractions ascending; columns follow the defences'
 * first-seen order.
 */
export function byzantineTable(rows: readonly MetricRow[], reference = 'none'): string {
  const runs = runsOf(rows);
  const seeds = seedCount(runs);
  const defences = [...new Set(runs.map((r) => r.defence))];
  const cleanOf = (defence: string): number => {
    const clean = runs.filter((r) => r.fraction === 0 && r.defence === defence);
    return clean.length === 0 ? Number.NaN : mean(clean.map((r) => r.finalLoss));
  };
  const cleanLoss = reference === 'own' ? Number.NaN : cleanOf(reference);
  const keys: string[] = [];
  const cells = new Map<string, Run[]>();
  for (const r of runs) {
    const key = `${r.attack}\u0000${r.fraction}`;
    if (!cells.has(key)) keys.push(key);
    const list = cells.get(key) ?? [];
    list.push(r);
    cells.set(key, list);
  }
  keys.sort((a, b) => {
    const [aa, af] = a.split('\u0000');
    const [ba, bf] = b.split('\u0000');
    const rank = (k: string): number => (k === 'clean' ? -1 : keys.findIndex((x) => x.startsWith(`${k}\u0000`)));
    return rank(aa!) - rank(ba!) || Number(af) - Number(bf);
  });
  const head = ['attack', 'attackers', ...defences, 'gauntlet: attackers\' reward share'];
  const lines = [
    reference === 'own'
      ? `Final held-out loss ÷ the same defence's clean loss (0 % attackers); NaN = params went non-finite.`
      : `Final held-out loss ÷ clean loss (${cleanLoss.toFixed(4)}: 0 % attackers, defence ${reference}); NaN = params went non-finite.`,
    ...(seeds > 1 ? ['', `Each cell: mean ± sample sd over ${seeds} seeds (each seed's loss ÷ the clean mean).`] : []),
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
  ];
  for (const key of keys) {
    const list = cells.get(key)!;
    const [attack, fraction] = key.split('\u0000');
    const row = [attack!, `${Math.round(Number(fraction) * 100)} %`];
    for (const d of defences) {
      const runsHere = list.filter((r) => r.defence === d);
      if (runsHere.length === 0) row.push('–');
      else if (runsHere.some((r) => r.nan)) row.push('NaN');
      else {
        const clean = reference === 'own' ? cleanOf(d) : cleanLoss;
        row.push(meanWithSpread(runsHere.map((r) => r.finalLoss / clean)));
      }
    }
    const shares = list.filter((r) => r.defence === 'gauntlet' && r.rewardShare !== null).map((r) => r.rewardShare!);
    row.push(shares.length === 0 ? '–' : `${(mean(shares) * 100).toFixed(1)} %`);
    lines.push(`| ${row.join(' | ')} |`);
  }
  return lines.join('\n');
}
