/**
 * The two tiny runs test/cluster/attacks.test.ts puts on both backends: every attack of the
 * simulator's catalogue, grouped so that each run costs one cluster start. 3 rounds, null rounds
 * only in round 0 (so honest and honest-stage attackers train in rounds 1–2, and a null round is
 * judged too), the all-gather.
 */
import type { AdversaryGroup } from '../../sim/adversaries.ts';
import type { DefenceConfig } from '../../core/defence/config.ts';
import type { SimConfigInput } from '../../sim/config.ts';

function config(peers: number, adversaries: readonly AdversaryGroup[], defence: DefenceConfig, seed: number): SimConfigInput {
  return {
    seed,
    peers,
    rounds: 3,
    innerSteps: 3,
    windowS: 60,
    closeWhenComplete: true,
    replicas: { warmupWindows: 1 },
    // The cluster's peers download the validator's selection, which is the all-gather's accounting
    // (templar's peer list is not built on the cluster: README, Known limits).
    gather: { peers: 'all' },
    optim: { method: 'sparseloco' },
    adversaries,
    defence,
    net: {
      uplinkMbps: { kind: 'fixed', value: 100 },
      downlinkMbps: { kind: 'fixed', value: 100 },
      latencyMs: { kind: 'fixed', value: 10 },
      store: { ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 5 },
    },
  };
}

/**
 * No defence, so every forged Δ enters the outer step and the params hash checks its bits: 11 peers,
 * one each of sign-flip, scale, noise, lazy, data-poison, two sybil identities, two colluders, 2 honest.
 */
export const RUN_A: SimConfigInput = config(11, [
  { attack: { kind: 'sign-flip' }, fraction: 1 / 11 },
  { attack: { kind: 'scale', factor: 3 }, fraction: 1 / 11 },
  { attack: { kind: 'noise', sigma: 0.5 }, fraction: 1 / 11 },
  { attack: { kind: 'lazy' }, fraction: 1 / 11 },
  { attack: { kind: 'data-poison' }, fraction: 1 / 11 },
  { attack: { kind: 'sybil' }, fraction: 2 / 11 },
  { attack: { kind: 'colluding', scale: 2 }, fraction: 2 / 11 },
], { kind: 'none' }, 5);

/**
 * Same-round Gauntlet, which checks commitments and freshness: 8 peers, one each of free-rider,
 * copycat, stale (1 round behind), commit-mismatch, nan, malformed (truncated), 2 honest.
 */
export const RUN_B: SimConfigInput = config(8, [
  { attack: { kind: 'free-rider' }, fraction: 1 / 8 },
  { attack: { kind: 'copycat' }, fraction: 1 / 8 },
  { attack: { kind: 'stale', roundsBehind: 1 }, fraction: 1 / 8 },
  { attack: { kind: 'commit-mismatch' }, fraction: 1 / 8 },
  { attack: { kind: 'nan' }, fraction: 1 / 8 },
  { attack: { kind: 'malformed', fault: 'truncated' }, fraction: 1 / 8 },
], { kind: 'gauntlet-oracle', gauntlet: { gatherPeerCount: 3 } }, 5);
