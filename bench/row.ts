/**
 * Benchmark rows and how they are printed: one JSON object per line (`--json`, for tools) or an
 * aligned table (default, for people).
 */

/** One measured figure. */
export interface BenchRow {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

/** A benchmark group: runs its measurements and returns their rows. `log` reports progress (stderr). */
export type BenchGroup = (log: (line: string) => void) => Promise<BenchRow[]>;

export function formatJsonLine(row: BenchRow): string {
  return JSON.stringify({ name: row.name, value: row.value, unit: row.unit });
}

/** Human-readable value: 3 significant digits with an SI suffix for large numbers. */
export function formatValue(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toPrecision(3)}G`;
  if (abs >= 1e6) return `${(value / 1e6).toPrecision(3)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toPrecision(3)}k`;
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

export function formatTable(rows: readonly BenchRow[]): string {
  const nameWidth = Math.max(4, ...rows.map((r) => r.name.length));
  const valueWidth = Math.max(5, ...rows.map((r) => formatValue(r.value).length));
  const lines = [`${'name'.padEnd(nameWidth)}  ${'value'.padStart(valueWidth)}  unit`];
  for (const r of rows) lines.push(`${r.name.padEnd(nameWidth)}  ${formatValue(r.value).padStart(valueWidth)}  ${r.unit}`);
  return lines.join('\n');
}
