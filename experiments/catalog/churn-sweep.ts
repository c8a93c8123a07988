import { defineExperiment } from '../define.ts';
import { BASE, TINY } from './common.ts';

const DROPOUTS = [0, 0.1, 0.3, 0.5, 0.7] as const;

export default defineExperiment({
  id: 'churn-sweep',
  question: 'How does final loss degrade as per-round dropout grows from 0% to 70%?',
  expect: 'Flat up to moderate churn, then slower convergence as fewer peers contribute per round.',
  base: BASE,
  arms: DROPOUTS.map((p) => ({
    name: `${Math.round(p * 100)}% dropout`,
    set: p === 0 ? {} : { 'churn.availability': { kind: 'bernoulli', dropout: p } },
    labels: { dropout: p, method: 'sparseloco' },
  })),
  seeds: [1, 2],
  tiny: TINY,
});
