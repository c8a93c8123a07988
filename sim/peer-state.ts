/**
 * What a returning peer's local state is (`churn.restart`). A peer that comes back after an
 * absence or a crash starts a new session (core/protocol/null-rounds.ts); with 'resume' (the
 * default) it keeps its error-feedback buffer, AdamW moments and step count — a real peer's disk
 * survives a restart and the cluster's peers read them back from it (cluster/local-state.ts) —,
 * with 'fresh' both start anew, as a peer that lost its disk (or never saved) does. 'resume' is
 * what the simulator always did, so rows of configs without the key are unchanged.
 */
import type { Communicator } from '../core/baselines/index.ts';
import type { TrainingBackend } from '../backends/backend.ts';
import type { ChurnConfig, RestartSemantics } from './churn.ts';
import type { SimPeer } from './population.ts';

/** The run's restart semantics ('resume' unless the config says 'fresh'). */
export function restartSemanticsOf(churn: ChurnConfig): RestartSemantics {
  return churn.restart ?? 'resume';
}

/**
 * Applies the restart semantics to a peer whose session may have just begun: with 'fresh', a peer
 * starting a new session after its first (it was absent or crashed) gets a new trainer and
 * communicator state. MUTATES `peer`. A peer that never trained gets state equal to what it had.
 */
export function applyRestart(peer: SimPeer, round: number, semantics: RestartSemantics, backend: TrainingBackend, comm: Communicator): void {
  if (semantics !== 'fresh' || peer.sessionStartRound !== round || round === peer.joinedRound) return;
  peer.trainer = backend.createTrainer(peer.uid);
  peer.commState = comm.createPeerState();
}
