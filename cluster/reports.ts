/**
 * The small JSON reports processes leave in the store, from which the orchestrator builds the
 * metric rows: one per (round, peer) with the peer's wall-clock breakdown and bytes, one per round
 * from the validator. Wall seconds throughout (this is the real backend: the clock is real).
 */

/** What one peer did in one round. */
export interface PeerRoundReport {
  readonly round: number;
  readonly uid: number;
  /** It trained, uploaded and its commitment was mined inside the window. */
  readonly committed: boolean;
  /** Why it did not commit (e.g. 'window-closed', 'not-in-roster'); null when it did. */
  readonly missed: string | null;
  readonly catchUpS: number; // wall s spent catching up before this round (0 when in sync)
  readonly trainS: number; // wall s: H inner steps
  readonly compressS: number; // wall s: encode (top-k, quantise, codec)
  readonly uploadS: number; // wall s: store put
  readonly commitS: number; // wall s: commit transaction mined
  readonly waitS: number; // wall s: commit → RoundFinalised seen
  readonly syncS: number; // wall s: download the selected messages and apply them
  readonly bytesUp: number; // bytes uploaded
  readonly bytesDown: number; // bytes downloaded for the sync
  readonly catchUpBytes: number; // bytes downloaded to catch up before the round
  readonly tokens: number; // tokens trained on
  readonly trainLoss: number | null; // mean inner-loop loss
  /** FNV-1a of the params after the round's sync (compare with the validator's). */
  readonly paramsFnv: string;
  /** The params after the sync hash to the validator's aggregate hash (always true: else it throws). */
  readonly paramsMatch: boolean;
}

/** What the validator did for one round. */
export interface ValidatorRoundReport {
  readonly round: number;
  readonly status: 'finalised' | 'skipped';
  /** Peers with a commitment on chain. */
  readonly committed: readonly number[];
  /**
   * Committed peers whose object was in the store: on time (the contract refuses late commits),
   * whatever the checks then said (the simulator's onTime counts them the same way).
   */
  readonly valid: readonly number[];
  /** Rejections as "uid:reason". */
  readonly rejected: readonly string[];
  readonly contributors: readonly number[];
  /** The uids and integer weights posted with postResults (core/defence/chain-post.ts). */
  readonly postedUids: readonly number[];
  readonly postedWeights: readonly number[];
  /** Uids slashed through the contract this round (Gauntlet's decisions). */
  readonly slashed: readonly number[];
  /** Peers whose loss Gauntlet evaluated with forward passes this round (0 without Gauntlet). */
  readonly evaluated: number;
  /** Primaries of the lagged validator's peer list in force; null without one. */
  readonly gatherListed: number | null;
  /** Windows the lagged validator has skipped so far (closed while it was busy). */
  readonly validatorSkipped: number;
  readonly globalStep: number;
  readonly heldoutLoss: number;
  readonly bytesUp: number; // bytes of the committed objects it fetched
  readonly fetchS: number; // wall s: read commitments and fetch objects
  readonly validateS: number; // wall s: integrity checks + defence (Gauntlet's forward passes included) + outer step
  readonly scoreS: number; // wall s: Gauntlet's forward passes (evaluation), inside validateS
  readonly postS: number; // wall s: checkpoint + postResults and slashes mined
  readonly evalS: number; // wall s: held-out evaluation
  /** Wall-clock ms (epoch) when the results were mined. */
  readonly finalisedAtMs: number;
  readonly paramsFnv: string;
  readonly checkpoint: boolean;
  /** The model that produced the loss: backend name, tfjs engine and its device label (null for the surrogate). */
  readonly backendName: string;
  readonly engine: string | null;
  readonly device: string | null;
}
