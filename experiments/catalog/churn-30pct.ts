import { defineExperiment } from '../define.ts';
import { BASE, SEEDS_3, TINY } from './common.ts';

export default defineExperiment({
  id: 'churn-30pct',
  question: 'What does 30% per-round peer dropout do to convergence compared with no churn?',
  expect: 'Covenant-72B reports negligible impact: final held-out loss within a few percent of the no-churn arm, fewer bytes per round.',
  base: { ...BASE, rounds: 100 },
  arms: [
    { name: 'no churn', set: {}, labels: { dropout: 0 } },
    { name: '30% dropout', set: { 'churn.availability': { kind: 'bernoulli', dropout: 0.3 } }, labels: { dropout: 0.3 } },
  ],
  seeds: [...SEEDS_3],
  tiny: TINY,
});
