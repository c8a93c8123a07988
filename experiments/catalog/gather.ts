/**
 * All-gather vs templar's gather-20 (TEMPLAR_GATHER: 20 primaries + 10 reserves, list every 2
 * windows, 90 s download timeout) at 40 peers with 30% per-round dropout: what downloading only
 * the listed messages saves in bytes per peer per round, and what it costs in final loss.
 */
import { TEMPLAR_GATHER } from '../../sim/round-gather-config.ts';
import { defineExperiment } from '../define.ts';
import { BASE, SEEDS_3, TINY } from './common.ts';

export default defineExperiment({
  id: 'gather',
  question: "At 40 peers with 30% dropout, what does templar's gather-20 (+10 reserves) save in download bytes per peer, and what does it cost in final held-out loss, against the all-gather?",
  expect: 'About a third fewer download bytes per peer (≈ 18–20 messages instead of the ≈ 27 on-time ones), with a final held-out loss within the seed spread of the all-gather: averaging 20 instead of ≈ 28 pseudo-gradients adds a little noise.',
  base: { ...BASE, peers: 40, rounds: 60, churn: { availability: { kind: 'bernoulli', dropout: 0.3 } } },
  arms: [
    { name: 'all-gather', set: { gather: { peers: 'all' } }, labels: { gather: 'all' } },
    { name: 'gather-20', set: { gather: { ...TEMPLAR_GATHER } }, labels: { gather: 20 } },
  ],
  seeds: [...SEEDS_3],
  tiny: TINY,
});
