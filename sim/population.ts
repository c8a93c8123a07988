/**
 * The simulated peers: each peer's fixed traits (link, device class, step time, grid intensity),
 * its persistent state (trainer = its inner optimiser and step count, communicator state = its
 * error-feedback buffer, the global step its θ replica is at — the θ itself lives in
 * sim/replicas.ts — and when its current session began), and the population that grows as peers
 * join and decides who is present in a round.
 *
 * A peer's traits depend only on (seed, uid): link from `net/link:<uid>`, step time from
 * `compute/peer:<uid>`, device class from `compute/device:<uid>`. So a joiner, or a change in the
 * number of peers, never perturbs another peer's draws.
 */
import type { Communicator } from '../core/baselines/index.ts';
import type { Rng } from '../core/rng.ts';
import type { PeerTrainer, TrainingBackend } from '../backends/backend.ts';
import type { Churn, RoundWindow } from './churn.ts';
import type { SimConfig } from './config.ts';
import { sample } from './distributions.ts';
import { carbonIntensityOf, drawDeviceClass } from './energy.ts';
import type { DeviceClassConfig } from './energy.ts';
import { drawPeerLink } from './network.ts';
import type { PeerLink } from './network.ts';

/** One simulated peer. */
export interface SimPeer {
  readonly uid: number;
  readonly link: PeerLink;
  readonly device: DeviceClassConfig;
  /** Time of one inner step on this peer's device (drawn step time × device scale [× modelled step]), sim seconds. */
  readonly stepTimeS: number;
  /** Grid carbon intensity where the peer runs, gCO2e/kWh. */
  readonly carbonIntensity: number;
  /** Its inner optimiser (AdamW moments, step count); replaced on a 'fresh' restart (peer-state.ts). MUTABLE. */
  trainer: PeerTrainer;
  /** Its communicator state (error feedback); replaced on a 'fresh' restart. MUTABLE. */
  commState: unknown;
  /**
   * Global step its θ replica is at (0 = θ⁰; the buffer is `ctx.replicas.paramsAt(syncedStep)`);
   * null for a joiner that holds no params yet. MUTABLE.
   */
  syncedStep: number | null;
  /** Round in which it joined (0 for the initial peers). */
  readonly joinedRound: number;
  /** First round of its current session: it (re)started then (joined, returned, or came back after a crash). MUTABLE. */
  sessionStartRound: number;
  /** Last round it ended still running (present, not crashed); null before any. MUTABLE. */
  lastRanRound: number | null;
}

/** A peer present in a round, and when in the window it became available. */
export interface ActivePeer {
  readonly peer: SimPeer;
  /** Offset from the window start at which the peer arrived (> 0 only for a mid-window joiner), sim seconds. */
  readonly arrivalOffsetS: number;
}

/** Random streams the peers' traits are drawn from. */
export interface PopulationStreams {
  readonly net: Rng;
  readonly compute: Rng;
}

/**
 * All peers ever seen, ascending uid (initial peers 0 … P − 1, then joiners, whose uids start at
 * `firstPeerId ≥ P`). Joiners are present in their join round from their arrival on, and follow the
 * availability model afterwards.
 */
export class Population {
  readonly #peers: SimPeer[] = [];
  readonly #byUid = new Map<number, SimPeer>();
  readonly #joinedAtS = new Map<number, number>();

  constructor(
    private readonly cfg: SimConfig,
    private readonly backend: TrainingBackend,
    private readonly comm: Communicator,
    private readonly churn: Churn,
    private readonly streams: PopulationStreams,
  ) {
    for (let uid = 0; uid < cfg.peers; uid++) this.#add(this.#create(uid, 0, 0));
  }

  /** Every peer so far, ascending uid (a live read-only view). */
  get peers(): readonly SimPeer[] {
    return this.#peers;
  }

  /** The peer with uid `uid`; undefined when no such peer has been seen. */
  byUid(uid: number): SimPeer | undefined {
    return this.#byUid.get(uid);
  }

  /** Adds the peers that join during `window`; returns how many joined. */
  admitJoins(window: RoundWindow): number {
    const joins = this.churn.joins?.joinsForRound(window) ?? [];
    for (const join of joins) {
      this.#add(this.#create(join.peer, window.round, null));
      this.#joinedAtS.set(join.peer, join.atS);
    }
    return joins.length;
  }

  /** The peers present in `window`, ascending uid. Call {@link admitJoins} for the window first. */
  activeIn(window: RoundWindow): ActivePeer[] {
    const active: ActivePeer[] = [];
    for (const peer of this.#peers) {
      const joinedAtS = this.#joinedAtS.get(peer.uid);
      if (joinedAtS !== undefined && peer.joinedRound === window.round) {
        active.push({ peer, arrivalOffsetS: Math.max(0, joinedAtS - window.startS) });
      } else if (this.churn.availability.isPresent(peer.uid, window)) {
        active.push({ peer, arrivalOffsetS: 0 });
      }
    }
    return active;
  }

  #add(peer: SimPeer): void {
    this.#peers.push(peer);
    this.#byUid.set(peer.uid, peer);
  }

  #create(uid: number, joinedRound: number, syncedStep: number | null): SimPeer {
    const { cfg, streams } = this;
    const link = drawPeerLink(cfg.net, uid, streams.net);
    const device = drawDeviceClass(cfg.energy, uid, streams.compute);
    return {
      uid,
      link,
      device,
      // With a compute model the draw is a multiplier of the modelled step (config.ts `compute`).
      stepTimeS: sample(cfg.stepTimeS, streams.compute.fork(`peer:${uid}`)) * device.stepTimeScale * (cfg.compute?.innerStepS ?? 1),
      carbonIntensity: carbonIntensityOf(cfg.energy, link.region),
      trainer: this.backend.createTrainer(uid),
      commState: this.comm.createPeerState(),
      syncedStep,
      joinedRound,
      sessionStartRound: joinedRound,
      lastRanRound: null,
    };
  }
}
