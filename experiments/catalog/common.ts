/**
 * The shared starting point of the catalogue: a small but real federated training problem
 * (surrogate MLP, 2.8k parameters, 20 peers) over an internet-like network. Each experiment
 * overrides what its question varies and nothing else.
 */
import type { ExperimentDefinition } from '../define.ts';

/** Base simulator config (without the seed). Units: sim seconds, Mbit/s, milliseconds. */
export const BASE: ExperimentDefinition['base'] = {
  peers: 20,
  rounds: 60,
  innerSteps: 10,
  windowS: 60,
  stepTimeS: { kind: 'lognormal', median: 2, sigma: 0.2 }, // sim seconds per inner step, per peer
  shardsPerPeer: 1,
  optim: { method: 'sparseloco', topK: 64, quantBits: 2, outerLr: 0.8 },
  net: {
    uplinkMbps: { kind: 'lognormal', median: 100, sigma: 0.5 },
    downlinkMbps: { kind: 'lognormal', median: 500, sigma: 0.5 },
    latencyMs: { kind: 'uniform', min: 10, max: 150 },
    store: { ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 20 },
  },
  churn: { availability: { kind: 'always' } },
  backend: { hiddenDim: 64, batchSize: 16, numShards: 64 },
};

/** `--tiny`: the same experiment shrunk so tests run every arm in seconds. */
export const TINY = { peers: 4, rounds: 3, innerSteps: 2 } as const;

export const SEEDS_3 = [1, 2, 3] as const;

/** The surrogate's inner learning-rate schedule, reused by the inner-step baselines (DDP, DeMo). */
const SCHEDULE = { peakLr: 0.005, warmupSteps: 0, tMax: 1_000_000, etaMinFactor: 0.1 };

/** Method configurations compared across the catalogue (DiLoCo defaults from arXiv 2311.08105). */
export const METHODS = {
  sparseloco: BASE.optim,
  diloco: { method: 'diloco', outerLr: 0.7, momentum: 0.9, wireDtype: 'fp32' },
  dilocoBf16: { method: 'diloco', outerLr: 0.7, momentum: 0.9, wireDtype: 'bf16' },
  ddp: { method: 'ddp', schedule: SCHEDULE },
  demo: { method: 'demo', topK: 32, beta: 0.999, schedule: { ...SCHEDULE, peakLr: 0.001 } },
} as const;
