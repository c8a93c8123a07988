import { defineExperiment } from '../define.ts';

/**
 * 10,000 peers on the cheap surrogate (softmax regression, 68 parameters, batch 4, H = 2). The same
 * configuration is what `npm run bench -- --only sim` times (sim.scale10k.wall_s, peak RSS).
 * The chain mirror (sim/chain.ts) is on, as in every simulated run: the model chain keeps no event
 * logs and drops each round's ~9,000 commitments once the round is finalised (ModelChain's
 * `retainFinalisedRounds: 0`), so its memory no longer grows with rounds: peak RSS ≈ 0.5 GiB.
 */
export default defineExperiment({
  id: 'scale-10k',
  question: 'Does SparseLoCo with 10% per-round churn still converge when every round aggregates ~9,000 peers?',
  expect: 'Yes: median-norm clipping and the sparse mean keep the aggregate well scaled; the loss falls as with 20 peers.',
  base: {
    peers: 10_000,
    rounds: 100,
    innerSteps: 2,
    windowS: 30,
    stepTimeS: { kind: 'uniform', min: 0.5, max: 2 },
    optim: { method: 'sparseloco', topK: 8 },
    net: {
      uplinkMbps: { kind: 'uniform', min: 5, max: 50 },
      downlinkMbps: { kind: 'fixed', value: 100 },
      latencyMs: { kind: 'uniform', min: 10, max: 100 },
      store: { ingressMbps: 1e5, egressMbps: 1e5, latencyMs: 5 },
    },
    churn: { availability: { kind: 'bernoulli', dropout: 0.1 } },
    backend: { hiddenDim: 0, inputDim: 16, numClasses: 4, batchSize: 4, heldoutSize: 512 },
  },
  arms: [{ name: '10k peers, 10% churn', set: {}, labels: { method: 'sparseloco' } }],
  seeds: [1],
  tiny: { peers: 50, rounds: 3 },
});
