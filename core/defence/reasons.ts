/** Rejections of a round: who and why, counted by reason and formatted (one CSV-friendly cell in the rows). */

/** A peer turned away in a round, with why. */
export interface RoundFailure {
  readonly uid: number;
  readonly reason: string;
}

/** reason → count, reasons in first-seen order. */
export function countReasons(reasons: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

/** "reason=count;…" sorted by reason, '' when none. */
export function formatReasons(counts: ReadonlyMap<string, number>): string {
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([r, c]) => `${r}=${c}`).join(';');
}
