/**
 * `churn-30pct` on the tfjs GPT instead of the surrogate: the same question and arms (0% vs 30%
 * per-round Bernoulli dropout) on a language model, shrunk (8 peers, 20 rounds, one seed) so both
 * arms finish in a few minutes on the wasm engine.
 */
import { defineExperiment } from '../define.ts';
import { BASE } from './common.ts';
import churn30 from './churn-30pct.ts';
import { TFJS_BACKEND, TFJS_TINY } from './fidelity.ts';

export default defineExperiment({
  id: 'churn-30pct-tfjs',
  question: `${churn30.question} (tfjs GPT on Shakespeare instead of the surrogate)`,
  expect: churn30.expect,
  base: {
    ...BASE,
    peers: 8,
    rounds: 20,
    innerSteps: 10,
    optim: { method: 'sparseloco' }, // SparseLoCo defaults (SPEC.md), as in `fidelity`
    backend: TFJS_BACKEND,
  },
  arms: churn30.arms,
  seeds: [1],
  tiny: TFJS_TINY,
});
