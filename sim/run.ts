/**
 * The end-to-end round simulator: P peers with drawn links, compute speeds and churn train a real
 * surrogate model through the shared round protocol (`core/protocol`) and a real communicator
 * (`core/baselines`), in simulated time on the event kernel. One tidy metric row per round; no
 * files, no printing, no wall clock.
 *
 * One round r, window [t, t + windowS):
 *   1. present peers (churn) form the active set and get their shards (`assignShards`);
 *   2. each active peer, as a kernel process: trains H inner steps from θ^(r) and encodes its Δ
 *      with the communicator (the *work*, done at once at t — the params cannot change before the
 *      window closes), then waits H × its step time (the *time*); a crashing peer stops here; the
 *      rest upload the real message bytes (`attemptTransfer`) and submit to the RoundState on arrival;
 *   3. the window closes at t + windowS, after every upload arriving at exactly that instant
 *      (the close event has a lower priority than NORMAL): active, non-crashed peers without an
 *      on-time submission are counted late;
 *   4. the on-time messages are applied (ascending peerUid) and the round finalised ('skipped' when
 *      nothing valid: no outer step, no sync);
 *   5. every active peer downloads the sync: contributors their `wireBytes` share, the others every
 *      applied message; the slowest download is the sync time, and the next window opens at
 *      max(window end, sync done).
 * A late peer's upload still crosses its uplink (its bytes count in the round's bytesUp) and
 * overlaps the next round: network and compute are modelled as independent. A crash (CrashModel)
 * always falls after training and before upload; its crash-point fraction is not used yet. A lost
 * upload (net.loss, all retries failed) counts as late. For ring methods (DiLoCo) bytesUp is still
 * the encoded message size, the download side uses the method's `wireBytes`.
 *
 * Random streams (all forks of `createRng(seed)`): 'net' (links, transfer loss), 'churn', 'backend'
 * (data, batches), 'init' (θ⁰), 'compute' (per-peer step time). Same (config, seed) ⇒ identical rows.
 *
 * @example
 * const { rows, finalHeldoutLoss } = runSimulation(cfg, { onRound: (row) => recorder.push(row) });
 */
import { createCommunicator } from '../core/baselines/index.ts';
import type { PeerMessage } from '../core/baselines/index.ts';
import { ConfigError } from '../core/errors.ts';
import { GlobalProgress, assignShards, openRound } from '../core/protocol/index.ts';
import type { RoundState } from '../core/protocol/index.ts';
import { createRng } from '../core/rng.ts';
import { createSurrogateBackend } from '../backends/surrogate/backend.ts';
import type { PeerTrainer } from '../backends/backend.ts';
import { createChurn } from './churn.ts';
import { resolveSimConfig } from './config.ts';
import type { SimConfigInput } from './config.ts';
import { sample } from './distributions.ts';
import { Environment, NORMAL } from './kernel/index.ts';
import type { ProcessGenerator } from './kernel/index.ts';
import { attemptTransfer, drawPeerLink, resolveStoreLink, transferSeconds } from './network.ts';
import type { PeerLink } from './network.ts';

/** One round's tidy metrics. */
export interface SimRoundRow {
  readonly round: number;
  /** When the round ended (sync done, or window end if later): sim seconds. */
  readonly simTimeS: number;
  /** When the round's window opened, sim seconds. */
  readonly windowStartS: number;
  /** Peers present this round (got shards and trained). */
  readonly activePeers: number;
  /** Kept on-time submissions. */
  readonly onTime: number;
  /** Active, non-crashed peers whose message did not arrive by the window end. */
  readonly late: number;
  /** Active peers that crashed after training, before upload. */
  readonly crashed: number;
  /** Peers whose messages entered the outer step. */
  readonly contributors: number;
  /** Held-out loss of the global params after the round. */
  readonly heldoutLoss: number;
  /** Mean inner-loop training loss over the active peers; null when none was active. */
  readonly meanTrainLoss: number | null;
  /** Bytes of every message uploaded this round (on time or late), bytes. */
  readonly bytesUpTotal: number;
  /** Bytes downloaded by all active peers for the sync, bytes. */
  readonly bytesDownTotal: number;
  /** Up + down bytes of all rounds so far, bytes. */
  readonly cumulativeBytes: number;
  /** Slowest peer's sync download, sim seconds (0 when skipped). */
  readonly syncTimeS: number;
  /** Outer steps taken so far. */
  readonly globalStep: number;
  readonly status: 'finalised' | 'skipped';
}

/** Options of {@link runSimulation}. */
export interface RunSimulationOptions {
  /** Called with each row as soon as its round ends (in round order). */
  readonly onRound?: (row: SimRoundRow) => void;
}

/** What a run produced. */
export interface SimResult {
  readonly rows: readonly SimRoundRow[];
  /** FNV-1a (32-bit, hex) of the final params' bytes: equal hashes ⇔ (almost surely) equal bits. */
  readonly finalParamsHash: string;
  readonly finalHeldoutLoss: number;
  readonly totals: {
    readonly simTimeS: number; // sim seconds
    readonly bytesUp: number; // bytes
    readonly bytesDown: number; // bytes
    readonly finalisedRounds: number;
    readonly skippedRounds: number;
  };
}

/** One peer's fixed traits and persistent state. */
interface SimPeer {
  readonly uid: number;
  readonly link: PeerLink;
  readonly stepTimeS: number; // sim seconds per inner step
  readonly trainer: PeerTrainer;
  readonly commState: unknown;
}

/** Priority of the window-close event: after every NORMAL event at the same instant. */
const CLOSE_PRIORITY = NORMAL + 1;

/**
 * Runs the round protocol for `config.rounds` rounds and returns the metric rows.
 * `config` may be raw input or already resolved; it is resolved (and validated) either way.
 *
 * @throws {ConfigError} on a bad config, including an inner-step method (ddp, demo).
 */
export function runSimulation(config: SimConfigInput, options: RunSimulationOptions = {}): SimResult {
  const cfg = resolveSimConfig(config);
  const root = createRng(cfg.seed);
  const netRng = root.fork('net');
  const computeRng = root.fork('compute');
  const store = resolveStoreLink(cfg.net);
  const churn = createChurn(cfg.churn, root.fork('churn'));
  const backend = createSurrogateBackend(root.fork('backend'), cfg.backend);
  const comm = createCommunicator(backend.layout, cfg.optim);
  if (comm.cadence !== 'round') {
    throw new ConfigError('optim.method', comm.method, 'has cadence "inner-step", which the round simulator does not support yet');
  }
  const params = backend.initParams(root.fork('init'));
  const shared = comm.createSharedState();
  const peers: SimPeer[] = Array.from({ length: cfg.peers }, (_, uid) => ({
    uid,
    link: drawPeerLink(cfg.net, uid, netRng),
    stepTimeS: sample(cfg.stepTimeS, computeRng.fork(`peer:${uid}`)),
    trainer: backend.createTrainer(uid),
    commState: comm.createPeerState(),
  }));

  const env = new Environment();
  const progress = new GlobalProgress();
  const rows: SimRoundRow[] = [];
  let cumulativeBytes = 0;

  /** One peer's round: the work at once, then compute time, crash check, upload, submit on arrival. */
  function* peerRound(peer: SimPeer, state: RoundState, bytes: Uint8Array, crashes: boolean): ProcessGenerator<void> {
    yield env.timeout(cfg.innerSteps * peer.stepTimeS);
    if (crashes) return;
    const upload = attemptTransfer(bytes.length, peer.link, store, 'upload', cfg.net.loss, netRng.fork(`xfer:${peer.uid}:${state.round}:up`));
    yield env.timeout(upload.seconds);
    // After the close the round no longer listens: the message is late (counted at close).
    if (upload.delivered && state.phase === 'open') state.submit(peer.uid, { bytes: bytes.length, hash: fnv1a(bytes), arrivedAt: env.now });
  }

  function* roundLoop(): ProcessGenerator<void> {
    for (let round = 0; round < cfg.rounds; round++) {
      const windowStart = env.now;
      const windowEnd = windowStart + cfg.windowS;
      const window = { round, startS: windowStart, endS: windowEnd };
      const active = peers.filter((p) => churn.availability.isPresent(p.uid, window));
      const state = openRound({ round, windowStart, windowEnd, activePeers: active.map((p) => p.uid) });
      const shards = active.length === 0 ? new Map<number, readonly number[]>() : assignShards({
        seed: cfg.seed, round, activePeers: active.map((p) => p.uid), numShards: backend.numShards, shardsPerPeer: cfg.shardsPerPeer,
      });
      const messages = new Map<number, Uint8Array>();
      let trainLossSum = 0;
      let crashed = 0;
      let bytesUp = 0;
      for (const peer of active) {
        const result = peer.trainer.runInnerLoop({ params, round, shards: shards.get(peer.uid)!, innerSteps: cfg.innerSteps });
        trainLossSum += result.meanLoss;
        const bytes = comm.encode(peer.commState, result.delta);
        messages.set(peer.uid, bytes);
        const crashes = churn.crashes !== null && churn.crashes.crashPoint(peer.uid, round) !== null;
        if (crashes) crashed++;
        else bytesUp += bytes.length;
        env.process(peerRound(peer, state, bytes, crashes));
      }

      yield env.event().succeed(undefined, CLOSE_PRIORITY, cfg.windowS);
      const { selected } = state.close(env.now);
      const batch: PeerMessage[] = selected.map((s) => ({ peerUid: s.peerUid, bytes: messages.get(s.peerUid)! }));
      const report = comm.apply(params, shared, batch);
      const contributorSet = new Set(report.contributors);
      const applied = batch.filter((m) => contributorSet.has(m.peerUid));
      const wire = applied.length === 0 ? [] : comm.wireBytes(applied.map((m) => m.bytes.length));
      const allAppliedBytes = applied.reduce((a, m) => a + m.bytes.length, 0);
      // Contributors download their wireBytes share; every other active peer fetches all applied messages.
      const downloads = report.applied
        ? active.map((p) => {
            const i = applied.findIndex((m) => m.peerUid === p.uid);
            return i >= 0 ? wire[i]!.downloadBytes : allAppliedBytes;
          })
        : [];
      const status = state.finalise(env.now, report, { wire: downloads.map((d) => ({ uploadBytes: 0, downloadBytes: d })) });
      progress.record(state.outcome());
      let syncTimeS = 0;
      downloads.forEach((d, i) => {
        syncTimeS = Math.max(syncTimeS, transferSeconds(d, active[i]!.link, store, 'download'));
      });
      if (syncTimeS > 0) yield env.timeout(syncTimeS);

      const counters = state.counters;
      const bytesDown = counters.bytesDown;
      cumulativeBytes += bytesUp + bytesDown;
      const row: SimRoundRow = Object.freeze({
        round,
        simTimeS: env.now,
        windowStartS: windowStart,
        activePeers: active.length,
        onTime: counters.onTime,
        late: active.length - crashed - counters.onTime,
        crashed,
        contributors: counters.contributors,
        heldoutLoss: backend.evaluate(params, 'heldout'),
        meanTrainLoss: active.length === 0 ? null : trainLossSum / active.length,
        bytesUpTotal: bytesUp,
        bytesDownTotal: bytesDown,
        cumulativeBytes,
        syncTimeS,
        globalStep: progress.globalStep,
        status,
      });
      rows.push(row);
      options.onRound?.(row);
    }
  }

  const main = env.process(roundLoop());
  env.run(main);
  const last = rows[rows.length - 1]!;
  return Object.freeze({
    rows: Object.freeze(rows),
    finalParamsHash: fnv1a(new Uint8Array(params.buffer, params.byteOffset, params.byteLength)),
    finalHeldoutLoss: last.heldoutLoss,
    totals: Object.freeze({
      simTimeS: last.simTimeS,
      bytesUp: rows.reduce((a, r) => a + r.bytesUpTotal, 0),
      bytesDown: rows.reduce((a, r) => a + r.bytesDownTotal, 0),
      finalisedRounds: rows.filter((r) => r.status === 'finalised').length,
      skippedRounds: rows.filter((r) => r.status === 'skipped').length,
    }),
  });
}

/** FNV-1a 32-bit hash of `bytes`, as 8 hex digits (a commitment stand-in, not cryptographic). */
function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
