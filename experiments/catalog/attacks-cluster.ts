/**
 * `attacks-cluster`: sim ↔ cluster agreement for the attacks `byzantine-cluster` leaves out — noise,
 * stale, lazy, data-poison, sybil identities, a colluding group, commitment mismatch — each run by
 * peer processes on the cluster (cluster/attacks.ts), × no defence vs same-round Gauntlet
 * ('gauntlet-oracle'). 6 peers × 5 rounds, one attacker (two for sybil and colluding: a group of
 * one is a lazy or a sign-flipping peer), the all-gather (the cluster's peers download the
 * validator's selection; templar's peer list is not built on the cluster). Kept apart from
 * `byzantine-cluster` so that grid's comparison stays near 6 min.
 * `npm run cluster:compare -- attacks-cluster` runs every arm on both backends.
 */
import type { AttackConfig } from '../../sim/adversaries.ts';
import type { DefenceConfig } from '../../core/defence/config.ts';
import { defineExperiment } from '../define.ts';
import type { ArmDefinition } from '../define.ts';
import { attackArm } from './byzantine-cluster.ts';
import { FIXED_NET } from './fidelity.ts';

const PEERS = 6;
const ATTACKS: ReadonlyArray<readonly [string, AttackConfig, number]> = [
  ['noise', { kind: 'noise', sigma: 1 }, 1],
  ['stale', { kind: 'stale', roundsBehind: 1 }, 1],
  ['lazy', { kind: 'lazy' }, 1],
  ['data-poison', { kind: 'data-poison' }, 1],
  ['sybil', { kind: 'sybil' }, 2],
  ['colluding', { kind: 'colluding', scale: 2 }, 2],
  ['commit-mismatch', { kind: 'commit-mismatch' }, 1],
];
const DEFENCES: ReadonlyArray<readonly [string, DefenceConfig]> = [
  ['none', { kind: 'none' }],
  ['gauntlet', { kind: 'gauntlet-oracle', gauntlet: { gatherPeerCount: 4 } }],
];

function arms(): ArmDefinition[] {
  const out: ArmDefinition[] = [];
  for (const [defence, config] of DEFENCES) {
    for (const [attack, attackConfig, attackers] of ATTACKS) {
      out.push(attackArm(defence, config, attack, attackConfig, attackers, PEERS));
    }
  }
  return out;
}

export default defineExperiment({
  id: 'attacks-cluster',
  question: 'Do noise, stale, lazy, data-poison, sybil, colluding and commitment-mismatch attackers run as real peer processes give the simulator\'s selection, on-chain rewards and params, with and without Gauntlet?',
  expect: 'Every arm agrees bit for bit where both validators run the same checks; with no defence the cluster\'s validator still checks commitment hashes and claimed base steps, which the simulator\'s does not, so stale and commit-mismatch differ there.',
  base: {
    peers: PEERS,
    rounds: 5,
    innerSteps: 5,
    windowS: 60,
    stepTimeS: { kind: 'fixed', value: 1 }, // sim seconds per inner step
    shardsPerPeer: 1,
    optim: { method: 'sparseloco' },
    net: FIXED_NET,
    churn: { availability: { kind: 'always' } },
    closeWhenComplete: true,
    replicas: { warmupWindows: 1 },
    gather: { peers: 'all' },
    adversaries: [],
    defence: { kind: 'none' },
  },
  arms: arms(),
  seeds: [1],
  tiny: { rounds: 2, innerSteps: 1 },
});
