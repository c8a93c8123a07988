/**
 * The simulator's tidy output: one {@link SimRoundRow} per round, the per-round energy tally that
 * feeds it, and the running totals that turn per-round figures into cumulative ones. No I/O.
 */
import { co2eKg, peerRoundEnergyKWh } from './energy.ts';
import type { PeerRoundUsage } from './energy.ts';
import type { ChargeColumns } from './charge.ts';
import type { SimPeer } from './population.ts';

/** One round's tidy metrics. */
export interface SimRoundRow {
  readonly round: number;
  /** When the round ended (sync done, or window end if later): sim seconds. */
  readonly simTimeS: number;
  /** When the round's window opened, sim seconds. */
  readonly windowStartS: number;
  /** Peers present this round (got shards and trained), joiners included. */
  readonly activePeers: number;
  /** Peers that joined the run this round. */
  readonly joined: number;
  /** Kept on-time submissions (inner-step methods: the peers that took part in the steps). */
  readonly onTime: number;
  /** Active, non-crashed peers whose message did not arrive by the window end (with `windows`: by time_max). */
  readonly late: number;
  /**
   * Runs with a `windows` section (sim/windows.ts): the part of `late` whose upload reached the
   * store after time_max and was rejected (templar's TOO_LATE); absent otherwise, uploads.
   */
  readonly lateRejected?: number;
  /** Active peers that crashed after training, before upload (inner-step methods: before the round's steps). */
  readonly crashed: number;
  /** Peers whose messages entered the outer step (inner-step methods: the last step). */
  readonly contributors: number;
  /** Held-out loss of the global params after the round. */
  readonly heldoutLoss: number;
  /** Mean training loss over the active peers (and steps); null when none trained. */
  readonly meanTrainLoss: number | null;
  /**
   * Bytes of every message uploaded this round (on time or late; inner-step methods: all steps),
   * bytes. In a charged run (`charge`) this and every byte column are CHARGED bytes (each message
   * at the target's size: what the timing used); the real ones are these × trainedMessageBytes /
   * chargedMessageBytes for messages, 4 × trainedParams per checkpoint.
   */
  readonly bytesUpTotal: number;
  /** Bytes downloaded by all peers this round: the sync plus catch-up, bytes. */
  readonly bytesDownTotal: number;
  /** The part of bytesDownTotal that stale and joining peers spent catching up, bytes. */
  readonly catchUpBytes: number;
  /** Up + down bytes of all rounds so far, bytes. */
  readonly cumulativeBytes: number;
  /** Slowest peer's sync download (inner-step methods: the slowest transfer of each step, summed), sim seconds. */
  readonly syncTimeS: number;
  /**
   * Compute utilisation: the participants' mean training time (H × step time; 0 for one that did
   * not train) over the round's length (simTimeS − windowStartS), in [0, 1]; null when nobody
   * was present or the round took no time. The paper's "94.5% compute utilisation" is this figure.
   */
  readonly computeUtilisation: number | null;
  /** Energy drawn by the present peers this round, kWh. */
  readonly energyKWh: number;
  /** Emissions of that energy at each peer's grid intensity, kg CO2e. */
  readonly co2eKg: number;
  readonly cumulativeEnergyKWh: number; // kWh
  readonly cumulativeCo2eKg: number; // kg CO2e
  /** Outer steps taken so far. */
  readonly globalStep: number;
  readonly status: 'finalised' | 'skipped';
  /** Round-cadence methods: on-time messages the defence rejected (sim/defence.ts). */
  readonly rejected?: number;
  /** Those rejections by reason, "reason=count;…" sorted ('' when none). */
  readonly rejectedReasons?: string;
  /** Attacker uids whose message entered the outer step (0 in a clean run). */
  readonly attackersSelected?: number;
  /** Share of this round's Gauntlet weights that went to attacker uids; null without Gauntlet or weights. */
  readonly rewardShareAttackers?: number | null;
  /** Any NaN or ±Inf in the global params after the round's step. */
  readonly nanOccurred?: boolean;
  /**
   * Gather columns (sim/round-gather.ts), on round-cadence rows of runs whose config has a
   * `gather` section (absent otherwise, so default rows are unchanged). All-gather: listed =
   * gathered = on-time messages, the rest 0. Primaries on the list in force, peers.
   */
  readonly gatherListed?: number;
  /** Messages that entered the aggregate's input (every syncing peer downloaded them), messages. */
  readonly gathered?: number;
  /** Reserves whose message filled in for a failed primary, messages. */
  readonly gatherFellBack?: number;
  /** Listed peers tried with no on-time message in the store (missing or late), peers. */
  readonly gatherMissing?: number;
  /** Listed messages given up: a download would have finished after gather.downloadTimeoutS, messages. */
  readonly gatherTimedOut?: number;
  /** Listed messages downloaded that failed the gather's decode and config checks (a reserve replaced them), messages. */
  readonly gatherInvalid?: number;
  /** Lagged Gauntlet (sim/validator.ts), validations finished since the previous row: bytes the validator downloaded, real bytes. */
  readonly validatorBytesDown?: number;
  /** Their download + evaluation time on the validator, sim seconds. */
  readonly validatorTimeS?: number;
  /** Peers whose messages they evaluated (loss before/after), peers. */
  readonly validatorEvaluated?: number;
  /** The validator's energy for them (not in energyKWh, which is the peers'), kWh. */
  readonly validatorEnergyKWh?: number;
  /** Windows that closed while the validator was busy and went unvalidated, windows. */
  readonly validatorSkipped?: number;
  /**
   * Replica columns (sim/replicas.ts), on rows of runs whose config has a `replicas` section
   * (absent otherwise): mean over the participants of the sync score (core/protocol/sync-score.ts,
   * in [0, 1]) of the θ each trained from against the global θ at the window start; null with no
   * participant.
   */
  readonly meanSyncScore?: number | null;
  /** Participants that trained from a replica behind the global step (catch-up not done in time), peers. */
  readonly staleTrainers?: number;
  /** Participants in a null round (first `replicas.warmupWindows` windows after a (re)start), peers. */
  readonly nullRounds?: number;
  /**
   * Flow-model columns (sim/flows-columns.ts), on round-cadence rows of runs whose network shares
   * capacity (`net.buckets` or `net.store.sharing: 'shared'`; absent otherwise). The most sync
   * downloads moving at once out of one bucket or the store, flows.
   */
  readonly peakFlowsPerEnd?: number;
  /** Mean over syncing peers of bytes downloaded / download time in the sync, Mbit/s (charged bytes). */
  readonly meanDownloadMbps?: number;
  /** Charged runs only (sim/charge.ts): parameters trained, parameters charged, one message of each, bytes. */
  readonly trainedParams?: number;
  readonly chargedParams?: number;
  readonly trainedMessageBytes?: number;
  readonly chargedMessageBytes?: number;
  /**
   * Data-quality columns (sim/data-quality.ts, sim/weighting.ts), on rows of runs whose config has
   * a `dataQuality` or `weighting` section (absent otherwise): participants training on
   * low-quality data this round, peers.
   */
  readonly lowQualityPeers?: number;
  /** Share of the aggregate's weight on low-quality contributors, in [0, 1]; null when nothing was applied. */
  readonly weightMassLowQuality?: number | null;
  /** Chain runs (sim/chain.ts), activity since the previous row: commits that succeeded. */
  readonly chainCommits?: number;
  /** Reverted chain calls by custom error, "ErrorName=count;…" sorted ('' when none). */
  readonly chainReverts?: string;
  /** Rewards the posted results accrued to peers, wei (decimal string: wei overflow a double). */
  readonly chainRewardsPaid?: string;
  /** Rewards accrued over the run so far, wei (decimal string). */
  readonly cumulativeChainRewardsPaid?: string;
}

/** The row fields a round loop computes itself; the rest come from {@link RunTotals}. */
export type RoundFigures = Omit<SimRoundRow, 'cumulativeBytes' | 'energyKWh' | 'co2eKg' | 'cumulativeEnergyKWh' | 'cumulativeCo2eKg'>;

/** Sums the energy and emissions of the peers present in one round. */
export class RoundEnergy {
  kWh = 0;
  co2eKg = 0;

  constructor(private readonly networkKWhPerGB: number) {}

  /** Adds one peer's round. */
  add(peer: SimPeer, usage: PeerRoundUsage): void {
    const kWh = peerRoundEnergyKWh(peer.device, usage, this.networkKWhPerGB);
    this.kWh += kWh;
    this.co2eKg += co2eKg(kWh, peer.carbonIntensity);
  }
}

/** Traffic and round outcomes summed over a run's rows (shared by the simulator and the cluster). */
export function rowTotals(rows: readonly Pick<SimRoundRow, 'bytesUpTotal' | 'bytesDownTotal' | 'status'>[]): { bytesUp: number; bytesDown: number; finalisedRounds: number; skippedRounds: number } {
  let bytesUp = 0; // bytes
  let bytesDown = 0; // bytes
  let finalisedRounds = 0;
  for (const r of rows) {
    bytesUp += r.bytesUpTotal;
    bytesDown += r.bytesDownTotal;
    if (r.status === 'finalised') finalisedRounds++;
  }
  return { bytesUp, bytesDown, finalisedRounds, skippedRounds: rows.length - finalisedRounds };
}

/** Running totals over rounds; MUTATED by {@link finishRow}. */
export class RunTotals {
  bytes = 0;
  energyKWh = 0;
  co2eKg = 0;

  /** `charge`: a charged run's columns (sim/charge.ts), added to every row; null: rows as before. */
  constructor(private readonly charge: ChargeColumns | null = null) {}

  /** Completes a round's row with its energy and the cumulative figures, frozen. */
  finishRow(measured: RoundFigures, energy: RoundEnergy): SimRoundRow {
    const figures = this.charge === null ? measured : { ...measured, ...this.charge };
    this.bytes += figures.bytesUpTotal + figures.bytesDownTotal;
    this.energyKWh += energy.kWh;
    this.co2eKg += energy.co2eKg;
    return Object.freeze({
      ...figures,
      cumulativeBytes: this.bytes,
      energyKWh: energy.kWh,
      co2eKg: energy.co2eKg,
      cumulativeEnergyKWh: this.energyKWh,
      cumulativeCo2eKg: this.co2eKg,
    });
  }
}

/** What a cadence's round loop hands back to the run: its figures and its energy tally. */
export interface RoundResult {
  readonly figures: RoundFigures;
  readonly energy: RoundEnergy;
}
