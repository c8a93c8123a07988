/**
 * Windows tied to blocks (SPEC.md §4; config `windows`, opt-in): the block clock, the round grid,
 * and templar's upload deadline. Pure functions over the resolved section; no kernel.
 *
 * Templar (read at v2.1.3, the mirror's HEAD, c2397ac; `hparams/hparams.json` blocks_per_window 125,
 * time_window_delta_seconds 70; block time 12 s): a miner trains through window w, waits for
 * window w + 1 (`wait_until_window`), then puts its gradient; `time_min` is the timestamp of
 * block (w + 1) × blocks_per_window — the first block of the window AFTER the training window —
 * and `time_max` = time_min + time_window_delta_seconds. `comms.get` rejects an object whose
 * LastModified is before time_min (TOO_EARLY) or after time_max (TOO_LATE); exactly at either
 * bound is accepted. The gather then downloads with its own per-request timeout (90 s), started
 * after the put: the two limits are separate constants in templar.
 *
 * The simulator's rule with `windows` set:
 *   - block b spans sim time [b × blockTimeS, (b + 1) × blockTimeS); round r's window is the
 *     blocks [r × B, (r + 1) × B), i.e. [r × W, (r + 1) × W) with W = B × blockTimeS (= windowS,
 *     which must equal it). A round that opens late (the previous sync ran past r × W) keeps its
 *     grid window: its peers start training late;
 *   - a peer trains, waits for its window's end, then uploads; the store time of arrival is the
 *     object's LastModified. Accepted iff time_min ≤ arrival ≤ time_max with time_min = (r + 1) × W
 *     and time_max = time_min + uploadDeadlineS; the round closes at time_max (after every
 *     arrival at exactly that instant). A delivered upload past time_max is rejected (row column
 *     `lateRejected`, a part of `late`);
 *   - the sync (gather) starts at the close, so the gather's `downloadTimeoutS` runs from
 *     time_max: the download deadline is time_max + downloadTimeoutS;
 *   - the chain mirror's blocks are these blocks (sim/chain.ts): chain round r's commit window is
 *     the B blocks ending with the block of time_max, so round r's accepted commits land in it
 *     and the validator's post, one block after time_max's, is past it.
 * Cadence 'inner-step' methods (ddp, demo) run synchronous steps without a window: not allowed.
 */
import { ConfigError } from '../core/errors.ts';

/** What a config writes under `windows`; fields left out take {@link TEMPLAR_WINDOWS}. */
export interface WindowsConfigInput {
  /** Seconds per chain block, > 0. Default 12 (Bittensor). */
  readonly blockTimeS?: number;
  /** Blocks per round window, integer ≥ 1 (templar: 125). */
  readonly blocksPerWindow: number;
  /** time_max − time_min: seconds after the next window opens by which an upload must be in, > 0. Default 70. */
  readonly uploadDeadlineS?: number;
}

/** The resolved section. */
export interface WindowsConfig {
  readonly blockTimeS: number; // sim seconds per block
  readonly blocksPerWindow: number; // blocks
  readonly uploadDeadlineS: number; // sim seconds
}

/** Templar's values (v2.1.3 hparams; block time 12 s). */
export const TEMPLAR_WINDOWS: WindowsConfig = Object.freeze({ blockTimeS: 12, blocksPerWindow: 125, uploadDeadlineS: 70 });

const KEYS: readonly (keyof WindowsConfigInput)[] = ['blockTimeS', 'blocksPerWindow', 'uploadDeadlineS'];

/**
 * Fills defaults and validates the section against the run: `windowS` must be blocksPerWindow ×
 * blockTimeS, the deadline shorter than a window, the method a round-cadence one.
 */
export function resolveWindowsConfig(input: WindowsConfigInput, windowS: number, method: string, path = 'windows'): WindowsConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ConfigError(path, input, 'must be an object');
  for (const key of Object.keys(input)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new ConfigError(`${path}.${key}`, (input as unknown as Record<string, unknown>)[key], `is not a windows key (expected one of ${KEYS.join(', ')})`);
  }
  if (method === 'ddp' || method === 'demo') throw new ConfigError(path, input, `is for round-cadence methods (diloco, sparseloco); "${method}" runs synchronous inner steps without a window`);
  const blockTimeS = input.blockTimeS ?? TEMPLAR_WINDOWS.blockTimeS;
  if (typeof blockTimeS !== 'number' || !Number.isFinite(blockTimeS) || !(blockTimeS > 0)) throw new ConfigError(`${path}.blockTimeS`, blockTimeS, 'must be a finite number > 0 (sim seconds)');
  const blocksPerWindow = input.blocksPerWindow;
  if (!Number.isSafeInteger(blocksPerWindow) || blocksPerWindow < 1) throw new ConfigError(`${path}.blocksPerWindow`, blocksPerWindow, 'must be an integer ≥ 1 (blocks)');
  const lengthS = blocksPerWindow * blockTimeS;
  if (windowS !== lengthS) throw new ConfigError('windowS', windowS, `must equal windows.blocksPerWindow × windows.blockTimeS = ${blocksPerWindow} × ${blockTimeS} = ${lengthS} (sim seconds)`);
  const uploadDeadlineS = input.uploadDeadlineS ?? TEMPLAR_WINDOWS.uploadDeadlineS;
  if (typeof uploadDeadlineS !== 'number' || !Number.isFinite(uploadDeadlineS) || !(uploadDeadlineS > 0) || !(uploadDeadlineS < lengthS)) {
    throw new ConfigError(`${path}.uploadDeadlineS`, uploadDeadlineS, `must be a finite number > 0 and < the window (${lengthS} sim seconds)`);
  }
  return Object.freeze({ blockTimeS, blocksPerWindow, uploadDeadlineS });
}

/** One window's length, sim seconds. */
export function windowLengthS(w: WindowsConfig): number {
  return w.blocksPerWindow * w.blockTimeS;
}

/** The block holding sim time `timeS` (block 0 starts at sim time 0). */
export function blockAt(w: WindowsConfig, timeS: number): number {
  return Math.floor(timeS / w.blockTimeS);
}

/** Round `round`'s window on the block grid, sim seconds. */
export function gridWindow(w: WindowsConfig, round: number): { readonly startS: number; readonly endS: number } {
  const lengthS = windowLengthS(w);
  return { startS: round * lengthS, endS: (round + 1) * lengthS };
}

/** Templar's accepted LastModified interval for round `round`'s uploads, sim seconds. */
export function uploadInterval(w: WindowsConfig, round: number): { readonly timeMinS: number; readonly timeMaxS: number } {
  const timeMinS = gridWindow(w, round).endS;
  return { timeMinS, timeMaxS: timeMinS + w.uploadDeadlineS };
}

/** comms.get's time check on an object's LastModified (`arrivalS`): both bounds inclusive. */
export function uploadVerdict(arrivalS: number, interval: { readonly timeMinS: number; readonly timeMaxS: number }): 'too-early' | 'accepted' | 'too-late' {
  if (arrivalS < interval.timeMinS) return 'too-early';
  if (arrivalS > interval.timeMaxS) return 'too-late';
  return 'accepted';
}

/**
 * When round `window.round` stops accepting uploads, sim seconds: its window end without
 * `windows` (today's rule), templar's time_max with them. The round state, the defence's
 * lateness check and the close all use this one deadline.
 */
export function acceptUntilS(windows: WindowsConfig | undefined, window: { readonly round: number; readonly endS: number }): number {
  return windows === undefined ? window.endS : uploadInterval(windows, window.round).timeMaxS;
}

/**
 * The chain mirror's first block of chain round 0: chain round r's B-block commit window then
 * ends with the block of round r's time_max (see the file header).
 */
export function chainGenesisBlock(w: WindowsConfig): number {
  return blockAt(w, uploadInterval(w, 0).timeMaxS) - w.blocksPerWindow + 1;
}
