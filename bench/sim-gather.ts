/**
 * `sim.gather.down_messages_per_peer` (in the sim group): how many messages a peer downloads per
 * round under templar's gather (TEMPLAR_GATHER: 20 primaries + 10 reserves, list every 2 windows,
 * 90 s timeout) at 40 peers with 30% per-round dropout — a short SparseLoCo run on the surrogate.
 * A count, not a speed: it is deterministic, and it must stay ≤ 20 + the reserves actually used
 * (checked here), against the all-gather's R − 1.
 */
import { assertInvariant } from '../core/errors.ts';
import { runSimulation } from '../sim/run.ts';
import type { SimConfigInput } from '../sim/config.ts';
import { TEMPLAR_GATHER } from '../sim/round-gather-config.ts';
import type { BenchRow } from './row.ts';

/** The run measured (exported for its test). */
export const GATHER_BENCH_CONFIG: SimConfigInput = {
  seed: 1, peers: 40, rounds: 6, innerSteps: 2, windowS: 60, optim: { method: 'sparseloco' },
  net: {
    uplinkMbps: { kind: 'fixed', value: 100 }, downlinkMbps: { kind: 'fixed', value: 100 }, latencyMs: { kind: 'fixed', value: 50 },
    store: { ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 5 },
  },
  churn: { availability: { kind: 'bernoulli', dropout: 0.3 } },
  gather: TEMPLAR_GATHER,
};

/**
 * Mean messages downloaded per syncing peer per finalised round. Every message of the surrogate's
 * SparseLoCo run has the same size, so messages = sync bytes / message bytes.
 */
export function gatherDownMessagesPerPeer(input: SimConfigInput = GATHER_BENCH_CONFIG): { perPeer: number; maxAllowed: number } {
  const { rows } = runSimulation(input);
  let messages = 0;
  let peerRounds = 0;
  let allowedSum = 0;
  const messageBytes = rows[0]!.bytesUpTotal / rows[0]!.activePeers; // every participant uploads one message in round 0
  for (const r of rows) {
    if (r.status !== 'finalised') continue;
    const syncing = r.activePeers - r.crashed;
    const perPeer = (r.bytesDownTotal - r.catchUpBytes) / messageBytes / syncing;
    const allowed = TEMPLAR_GATHER.peers + r.gatherFellBack!;
    assertInvariant(perPeer <= allowed, `round ${r.round}: ${perPeer} messages per peer > ${allowed} (20 + reserves used)`);
    messages += perPeer * syncing;
    peerRounds += syncing;
    allowedSum += allowed * syncing;
  }
  return { perPeer: messages / peerRounds, maxAllowed: allowedSum / peerRounds };
}

export function gatherBenchRows(): BenchRow[] {
  const { perPeer } = gatherDownMessagesPerPeer();
  return [{ name: 'sim.gather.down_messages_per_peer', value: perPeer, unit: 'messages/peer/round (40 peers, 30% dropout, gather 20 + 10 reserves, refresh 2, timeout 90 s)' }];
}
