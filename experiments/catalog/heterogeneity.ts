import { defineExperiment } from '../define.ts';
import { BASE, SEEDS_3, TINY } from './common.ts';

export default defineExperiment({
  id: 'heterogeneity',
  question: 'How much does non-IID data (per-shard class skew) slow SparseLoCo down?',
  expect: 'Mild skew (Dirichlet α = 1) costs little; strong skew (α = 0.1) slows convergence and widens the spread over seeds.',
  base: BASE,
  arms: [
    { name: 'IID', set: {}, labels: { alpha: 'iid' } },
    { name: 'non-IID α = 1', set: { 'backend.nonIidAlpha': 1 }, labels: { alpha: 1 } },
    { name: 'non-IID α = 0.1', set: { 'backend.nonIidAlpha': 0.1 }, labels: { alpha: 0.1 } },
  ],
  seeds: [...SEEDS_3],
  tiny: TINY,
});
