import { defineExperiment } from '../define.ts';

/**
 * 10,000 peers on the cheap surrogate (softmax regression, 68 parameters, batch 4, H = 2) running
 * templar's round (the defaults, sim/protocol-defaults.ts: gather 20 + 10 reserves from the
 * published list, per-peer replicas with null rounds after each (re)start) and the lagged Gauntlet
 * validator (15 peers evaluated per window on its own device and link). The same configuration is
 * what `npm run bench -- --only sim` times (sim.scale10k.wall_s, peak RSS).
 * The chain mirror (sim/chain.ts) is on, as in every simulated run: the model chain keeps no event
 * logs and drops each round's ~9,000 commitments once the round is finalised (ModelChain's
 * `retainFinalisedRounds: 0`), so its memory no longer grows with rounds: peak RSS ≈ 0.5 GiB.
 */
export default defineExperiment({
  id: 'scale-10k',
  question: 'Does SparseLoCo with 10% per-round churn still converge at 10,000 peers, each round aggregating the 20 listed peers the lagged validator picks?',
  expect: 'Yes: the aggregate is 20 messages whatever the network size; the loss falls as with 20 peers, and per-peer traffic stays that of 20 downloads.',
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
    defence: { kind: 'gauntlet' },
  },
  arms: [{ name: '10k peers, 10% churn', set: {}, labels: { method: 'sparseloco' } }],
  seeds: [1],
  tiny: { peers: 50, rounds: 3 },
});
