/**
 * The copycat check on gathered messages (templar v2.1.3 `src/tplr/neurons.py`
 * `check_uid_index_overlap`, `determine_slash_egregiousness`): two peers that trained on their own
 * data pick largely different top-k indices; a copy (or a light perturbation of one) picks the
 * same ones. Pure.
 *
 * For every pair (i, j) of messages and every tensor t with C chunks of k kept indices:
 *   frac_t(i, j)  = mean over chunks c of |I_i(t, c) ∩ I_j(t, c)| / k
 *   overlap(i, j) = Σ_t frac_t · (C·k) / Σ_t (C·k)          (size-weighted average over tensors)
 * A pair with overlap ≥ threshold is flagged and its LATER upload is the offender (templar compares
 * the upload timestamps: `offender = uid_i if ts_i >= ts_j else uid_j`; equal times: the first of
 * the pair, i.e. the lower uid here since messages are sorted by uid). An offender's level is
 * 'mega' at ≥ megaLevel (0.6), 'max' at ≥ maxLevel (0.5), else 'high'; when one peer offends in
 * several pairs, templar keeps the level of the LAST flagged pair in its loop order (ours too).
 *
 * Deviation, flagged: tensors sent densely (kEff = chunk length: every index kept, as this
 * project does for tensors smaller than a chunk's top-k) say nothing about who computed what and
 * would make every pair overlap 100 %, so they are left out of the average. Templar compresses
 * every tensor, so it has none.
 *
 * @example
 * const r = indexOverlap(layout, [{ uid: 1, update: a, uploadedAt: 3 }, { uid: 2, update: copyOfA, uploadedAt: 4 }], levels);
 * r.offenders.get(2); // 'mega'
 */
import { ConfigError } from '../errors.ts';
import type { ParamLayout } from '../layout.ts';
import type { CompressedUpdate } from '../sparseloco/message.ts';

/** A gathered message: its uid, decoded update and upload time (any one clock). */
export interface OverlapMessage {
  readonly uid: number;
  readonly update: CompressedUpdate;
  readonly uploadedAt: number;
}

/** How bad an overlap is (templar's slash levels). */
export type OverlapLevel = 'high' | 'max' | 'mega';

/** Thresholds of {@link indexOverlap} (GauntletConfig keys). */
export interface OverlapLevels {
  readonly idxOverlapThreshold: number;
  readonly idxOverlapMaxLevel: number;
  readonly idxOverlapMegaLevel: number;
}

/** What the check found. */
export interface OverlapReport {
  /** Pairs compared (n·(n − 1)/2). */
  readonly pairsChecked: number;
  /** Flagged pairs (uids ascending within and across pairs) with their overlap in [0, 1]. */
  readonly flaggedPairs: readonly { readonly a: number; readonly b: number; readonly overlap: number }[];
  /** Offenders and their level, ascending uid. */
  readonly offenders: ReadonlyMap<number, OverlapLevel>;
  /** Size-weighted mean overlap over all pairs (0 with fewer than two messages). */
  readonly meanOverlap: number;
  readonly maxOverlap: number;
}

/** templar's level of one overlap value. */
export function overlapLevel(overlap: number, levels: Pick<OverlapLevels, 'idxOverlapMaxLevel' | 'idxOverlapMegaLevel'>): OverlapLevel {
  if (!(overlap >= 0 && overlap <= 1)) throw new ConfigError('overlap', overlap, 'must be in [0, 1]');
  if (overlap >= levels.idxOverlapMegaLevel) return 'mega';
  if (overlap >= levels.idxOverlapMaxLevel) return 'max';
  return 'high';
}

/** Size-weighted top-k index overlap of one pair (see the file header); null when no tensor is sparse. */
export function pairOverlap(layout: ParamLayout, a: CompressedUpdate, b: CompressedUpdate): number | null {
  let weighted = 0;
  let weight = 0;
  for (let ti = 0; ti < layout.tensors.length; ti++) {
    const ta = a.tensors[ti]!;
    const tb = b.tensors[ti]!;
    const k = ta.kEff;
    if (k !== tb.kEff) throw new ConfigError(`kEff of tensor ${ti}`, tb.kEff, `must match across messages (${k}); decode and config-check them first`);
    if (k >= layout.tensors[ti]!.chunk.chunkLen || k === 0) continue; // dense: no selection to compare
    const chunks = ta.indices.length / k;
    let fracSum = 0;
    const mark = new Set<number>();
    for (let c = 0; c < chunks; c++) {
      mark.clear();
      for (let n = c * k; n < (c + 1) * k; n++) mark.add(ta.indices[n]!);
      let inter = 0;
      for (let n = c * k; n < (c + 1) * k; n++) if (mark.has(tb.indices[n]!)) inter++;
      fracSum += inter / k;
    }
    weighted += (fracSum / chunks) * chunks * k;
    weight += chunks * k;
  }
  return weight === 0 ? null : weighted / weight;
}

/** Pairwise index overlap of the gathered messages and the offenders (see the file header). */
export function indexOverlap(layout: ParamLayout, messages: readonly OverlapMessage[], levels: OverlapLevels): OverlapReport {
  const sorted = [...messages].sort((x, y) => x.uid - y.uid);
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.uid === sorted[i - 1]!.uid) throw new ConfigError('messages', sorted[i]!.uid, 'must hold at most one message per uid');
  const flaggedPairs: { a: number; b: number; overlap: number }[] = [];
  const offenders = new Map<number, OverlapLevel>();
  let sum = 0;
  let pairs = 0;
  let maxOverlap = 0;
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const mi = sorted[i]!;
      const mj = sorted[j]!;
      const overlap = pairOverlap(layout, mi.update, mj.update);
      if (overlap === null) continue;
      pairs++;
      sum += overlap;
      maxOverlap = Math.max(maxOverlap, overlap);
      if (overlap >= levels.idxOverlapThreshold) {
        flaggedPairs.push({ a: mi.uid, b: mj.uid, overlap });
        const offender = mi.uploadedAt >= mj.uploadedAt ? mi.uid : mj.uid;
        offenders.set(offender, overlapLevel(overlap, levels));
      }
    }
  }
  const ordered = new Map([...offenders].sort(([a], [b]) => a - b));
  return { pairsChecked: pairs, flaggedPairs, offenders: ordered, meanOverlap: pairs === 0 ? 0 : sum / pairs, maxOverlap };
}
