/**
 * The fidelity run: a small SparseLoCo training of the tfjs GPT (4 peers, 20 rounds, one seed) on a
 * fixed, homogeneous network with wait-for-all rounds, so every message of every round is kept and
 * the run is a pure function of (config, seed, engine). The real cluster (issue #8) reruns this
 * same experiment with `--backend cluster` and compares bytes per round and the final held-out loss.
 *
 * Also exports the tfjs settings the other tfjs experiments share.
 */
import { defineExperiment } from '../define.ts';
import type { ExperimentDefinition } from '../define.ts';
import type { Overrides } from '../overrides.ts';

/**
 * The tfjs backend of the catalogue: the default GPT (2 layers, 4 heads, d 64, context 64,
 * ≈ 108k parameters, 16 sequences per step) on the Shakespeare excerpt. 'auto' takes the fastest
 * engine installed (wasm here); metric rows record which one ran.
 */
export const TFJS_BACKEND = {
  kind: 'tfjs',
  engine: 'auto',
  model: { contextLength: 64, dModel: 64, numLayers: 2, numHeads: 4 },
  batchSize: 16,
  numShards: 64,
  heldoutWindows: 128,
} as const;

/** `--tiny` for tfjs experiments: 2 peers, 2 rounds, 2 steps of a 1-layer, 16-wide model (a second or two on wasm). */
export const TFJS_TINY: Overrides = {
  peers: 2,
  rounds: 2,
  innerSteps: 2,
  'backend.model': { contextLength: 16, dModel: 16, numLayers: 1, numHeads: 2 },
  'backend.batchSize': 4,
  'backend.heldoutWindows': 8,
};

/** A fixed, symmetric network: every peer alike, so bytes and timing depend on nothing random. */
export const FIXED_NET: ExperimentDefinition['base']['net'] = {
  uplinkMbps: { kind: 'fixed', value: 100 },
  downlinkMbps: { kind: 'fixed', value: 500 },
  latencyMs: { kind: 'fixed', value: 20 },
  store: { ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 20 },
};

export default defineExperiment({
  id: 'fidelity',
  question:
    'Does the simulator reproduce a real run? The reference run for sim ↔ cluster agreement: 4 peers × 20 rounds of SparseLoCo (defaults) training the tfjs GPT, one seed, no churn.',
  expect:
    'Held-out loss falls well below ln 63 ≈ 4.14 nats/token at init. Rerun on the real cluster (issue #8, `--backend cluster`) with the same seed, bytes per round must be identical and the final held-out loss equal within a stated tolerance (engines agree only to fp32 rounding).',
  base: {
    peers: 4,
    rounds: 20,
    innerSteps: 10,
    windowS: 60,
    stepTimeS: { kind: 'fixed', value: 1 }, // sim seconds per inner step
    shardsPerPeer: 1,
    optim: { method: 'sparseloco' },
    net: FIXED_NET,
    churn: { availability: { kind: 'always' } },
    backend: TFJS_BACKEND,
    // Wait-for-all rounds: no message is late, so the cluster keeps exactly the same messages.
    closeWhenComplete: true,
  },
  arms: [{ name: 'sparseloco', set: {}, labels: { method: 'sparseloco' } }],
  seeds: [1],
  tiny: TFJS_TINY,
});
