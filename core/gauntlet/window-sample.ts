/**
 * Which peers the lagged validator evaluates in a window (templar v2.1.3 `neurons/validator.py`
 * `bin_evaluation_peers`, `select_next_bin_for_evaluation`, `select_evaluation_uids_from_bin`,
 * `src/tplr/comms.py` `weighted_random_sample_no_replacement`). Pure; randomness from `rng`.
 *
 *   bins:   the active peers sorted by OpenSkill ordinal (highest first; ties the lower uid, ours:
 *           templar's order there is its dict order), cut into `evaluationBins` bins of near-equal
 *           size (the first `n mod bins` get one more). With fewer than bins × uidsPerWindow active
 *           peers there is ONE bin holding everyone (templar);
 *   bin:    drawn uniformly from [0, evaluationBins) — templar draws from all bins even when it made
 *           a single one, and a missing bin falls back to bin 0, so the single bin is always used;
 *   sample: min(uidsPerWindow, bin size) uids, weighted without replacement by each peer's
 *           waiting counter (`eval_peers`: 1 after an evaluation, +1 for every window it waited).
 *
 * @example
 * const s = sampleWindow({ active: [0, 1, 2], ordinalOf: () => 0, waiting: new Map(), uidsPerWindow: 2, evaluationBins: 5, rng });
 * s.uids.length; // 2
 */
import { ConfigError } from '../errors.ts';
import type { Rng } from '../rng.ts';

/** Inputs of {@link sampleWindow}. */
export interface SampleWindowParameters {
  /** The window's active peers (templar `eval_peers`), no duplicates. */
  readonly active: readonly number[];
  /** A peer's OpenSkill ordinal (0 for a peer with no rating). */
  readonly ordinalOf: (uid: number) => number;
  /** Windows each peer has waited since its last evaluation (absent = 1, templar's default). */
  readonly waiting: ReadonlyMap<number, number>;
  readonly uidsPerWindow: number;
  readonly evaluationBins: number;
  readonly rng: Rng;
}

/** The sample: the bin drawn and the uids picked from it (ascending). */
export interface WindowSample {
  readonly bins: readonly (readonly number[])[];
  /** The bin actually used (templar's fallback to 0 when the drawn one does not exist). */
  readonly bin: number;
  readonly uids: readonly number[];
}

/** Rating bins of the active set (see the file header). */
export function binPeers(active: readonly number[], ordinalOf: (uid: number) => number, evaluationBins: number, uidsPerWindow: number): number[][] {
  if (!Number.isSafeInteger(evaluationBins) || evaluationBins < 1) throw new ConfigError('evaluationBins', evaluationBins, 'must be an integer ≥ 1');
  if (!Number.isSafeInteger(uidsPerWindow) || uidsPerWindow < 1) throw new ConfigError('uidsPerWindow', uidsPerWindow, 'must be an integer ≥ 1');
  const seen = new Set<number>();
  for (const uid of active) {
    if (seen.has(uid)) throw new ConfigError('active', uid, 'must not list a peer uid twice');
    seen.add(uid);
  }
  if (active.length < evaluationBins * uidsPerWindow) return [[...active].sort((a, b) => a - b)];
  const sorted = [...active].sort((a, b) => ordinalOf(b) - ordinalOf(a) || a - b);
  const per = Math.floor(sorted.length / evaluationBins);
  const remainder = sorted.length % evaluationBins;
  const bins: number[][] = [];
  let start = 0;
  for (let i = 0; i < evaluationBins; i++) {
    const size = per + (i < remainder ? 1 : 0);
    bins.push(sorted.slice(start, start + size));
    start += size;
  }
  return bins;
}

/** templar's weighted sampling without replacement: each pick ∝ weight among those left. */
export function weightedSampleWithoutReplacement(candidates: readonly number[], weights: readonly number[], k: number, rng: Rng): number[] {
  if (candidates.length !== weights.length) throw new ConfigError('weights.length', weights.length, `must equal candidates.length (${candidates.length})`);
  for (const w of weights) if (!(w >= 0) || !Number.isFinite(w)) throw new ConfigError('sample weight', w, 'must be a finite number ≥ 0');
  const pool = candidates.map((uid, i) => ({ uid, w: weights[i]! }));
  const picked: number[] = [];
  while (picked.length < k && pool.length > 0) {
    const total = pool.reduce((a, p) => a + p.w, 0);
    if (!(total > 0)) break; // templar: total weight 0 returns what it has
    let r = rng.next() * total;
    let i = 0;
    while (i < pool.length - 1 && r >= pool[i]!.w) r -= pool[i++]!.w;
    picked.push(pool[i]!.uid);
    pool.splice(i, 1);
  }
  return picked;
}

/** One window's evaluation sample (see the file header). */
export function sampleWindow(p: SampleWindowParameters): WindowSample {
  const bins = binPeers(p.active, p.ordinalOf, p.evaluationBins, p.uidsPerWindow);
  const drawn = p.rng.int(0, p.evaluationBins - 1); // inclusive, as randint
  const bin = drawn < bins.length ? drawn : 0;
  const members = bins[bin]!;
  const weights = members.map((uid) => p.waiting.get(uid) ?? 1);
  const uids = weightedSampleWithoutReplacement(members, weights, Math.min(p.uidsPerWindow, members.length), p.rng.fork('weighted'));
  return { bins, bin, uids: [...uids].sort((a, b) => a - b) };
}

/** The waiting counters after a window: 1 for each evaluated peer, +1 for every other known or active one. */
export function nextWaiting(waiting: ReadonlyMap<number, number>, active: readonly number[], evaluated: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  const done = new Set(evaluated);
  for (const uid of new Set([...waiting.keys(), ...active])) out.set(uid, done.has(uid) ? 1 : (waiting.get(uid) ?? 1) + 1);
  return out;
}
