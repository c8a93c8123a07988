/**
 * The simulator's sync measure for the lagged validator (the `syncMeasure` seam of the context):
 * how far a peer's model is behind the global one. For now it is templar's steps-behind formula
 * from the peer's last synced step (core/gauntlet/rating.ts `syncScoreFromStepsBehind`); the
 * per-peer θ replicas (sim/replicas.ts, another branch) will replace it with the measured
 * difference — swap the function in `createSimContext`, nothing else reads it.
 */
import type { SyncMeasure } from '../core/gauntlet/penalties.ts';
import { syncScoreFromStepsBehind } from '../core/gauntlet/rating.ts';
import type { SimPeer } from './population.ts';

/** A peer's sync against `referenceStep` (outer steps) from its synced step; a never-synced peer is infinitely behind. */
export function syncFromStepsBehind(peer: Pick<SimPeer, 'syncedStep'>, referenceStep: number): SyncMeasure {
  const avgStepsBehind = peer.syncedStep === null ? Infinity : Math.max(0, referenceStep - peer.syncedStep);
  return { avgStepsBehind, syncScore: syncScoreFromStepsBehind(avgStepsBehind) };
}
