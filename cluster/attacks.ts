/**
 * Attackers as peer processes: the simulator's `adversaries` config (same keys, same seeded roster:
 * sim/adversaries.ts `assignRoster` on stream 'adversaries/roster') decides which uids attack, and
 * an attacking peer process forges its upload with the simulator's own message transforms, at the
 * same stage. The attacks that run here:
 *   sign-flip / scale   trains honestly, uploads `scaleMessage(bytes, −1 | factor)`;
 *   nan / malformed     trains honestly, uploads `corruptMessage(bytes, fault)`;
 *   free-rider          does not train; uploads the all-zero message;
 *   copycat             does not train; uploads the lowest-uid honest message the previous round
 *                       committed (read from the store), nothing in round 0. The simulator's
 *                       copycat copies what is in the store at its upload time; it uploads before
 *                       any honest peer has trained, so that is the previous round's message too.
 * The others (noise, stale, lazy, data-poison, sybil, colluding, commit-mismatch) are refused.
 */
import type { Communicator } from '../core/baselines/index.ts';
import { ConfigError } from '../core/errors.ts';
import type { ParamLayout } from '../core/layout.ts';
import { createRng } from '../core/rng.ts';
import { assignRoster, corruptMessage, scaleMessage, zeroMessage } from '../sim/adversaries.ts';
import type { AttackConfig, AttackKind } from '../sim/adversaries.ts';
import type { SimConfig } from '../sim/config.ts';

/** Attack kinds a cluster peer process can run. */
export const CLUSTER_ATTACKS: readonly AttackKind[] = ['sign-flip', 'scale', 'nan', 'malformed', 'free-rider', 'copycat'];

/** Throws {@link ConfigError} for an attack the peer processes do not run. */
export function assertClusterAttacks(cfg: SimConfig): void {
  cfg.adversaries.forEach((g, i) => {
    if (!CLUSTER_ATTACKS.includes(g.attack.kind)) {
      throw new ConfigError(`adversaries[${i}].attack.kind`, g.attack.kind, `is not run by cluster peers yet (they run ${CLUSTER_ATTACKS.join(', ')})`);
    }
  });
}

/** uid → its attack (the simulator's roster for this config); honest uids are absent. */
export function attackRoster(cfg: SimConfig): Map<number, AttackConfig> {
  const roster = assignRoster(cfg.adversaries, cfg.peers, createRng(cfg.seed).fork('adversaries').fork('roster'));
  return new Map([...roster].map(([uid, group]) => [uid, cfg.adversaries[group]!.attack]));
}

/** True when the attack skips training (its upload does not depend on this round's Δ). */
export function skipsTraining(attack: AttackConfig | null): boolean {
  return attack !== null && (attack.kind === 'free-rider' || attack.kind === 'copycat');
}

/** The bytes an attacker uploads instead of its honest `bytes` (null for the ones that skip training). */
export function forgeUpload(attack: AttackConfig, honest: Uint8Array | null, layout: ParamLayout, comm: Communicator): Uint8Array {
  switch (attack.kind) {
    case 'sign-flip':
      return scaleMessage(honest!, layout, -1);
    case 'scale':
      return scaleMessage(honest!, layout, attack.factor);
    case 'nan':
      return corruptMessage(honest!, layout, attack.value === 'inf' ? 'inf' : 'nan');
    case 'malformed':
      return corruptMessage(honest!, layout, attack.fault);
    case 'free-rider':
      return zeroMessage(comm, layout);
    default:
      throw new ConfigError('adversaries.attack.kind', attack.kind, 'has no forged upload here (copycat reads the store; others are not run on the cluster)');
  }
}

/** The uid a copycat copies in `round`: the lowest honest uid of `committedLastRound`, or null. */
export function copycatSource(committedLastRound: readonly number[], roster: ReadonlyMap<number, AttackConfig>): number | null {
  let best: number | null = null;
  for (const uid of committedLastRound) if (!roster.has(uid) && (best === null || uid < best)) best = uid;
  return best;
}
