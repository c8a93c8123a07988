/**
 * Covenant-72B's round at full size (issue 13 item 4), as a two-level run (sim/charge.ts): the
 * surrogate MLP trains for real; every message, gather download and checkpoint is charged at the
 * exact size of the 72B layout (core/wire-size.ts), and each inner step's time is the compute
 * model's (core/compute-model.ts). Inputs and their sources:
 *   - layout: 80 layers, hidden 8192, 64 / 8 heads, FFN 28,672, vocab 262,144, untied (arXiv
 *     2603.08163; SPEC.md §6) → 72,747,327,488 parameters (core/model-layout.ts COVENANT_72B);
 *   - codec: SPEC.md §2 defaults (64×64 chunks, top-64, 2-bit values, 12-bit packed indices);
 *   - H = 30 (SPEC.md §6), 192 × 2048 tokens per inner step per peer, 8 × B200 per peer (model card);
 *   - gather 20 + 10 reserves (templar gather_with_reserve, sim/round-gather-config.ts TEMPLAR_GATHER),
 *     windows on a 12 s block clock with templar's 70 s upload deadline (sim/windows.ts), lagged
 *     Gauntlet (sim/validator.ts), ≈ 20 contributors per round with churn (SPEC.md §4);
 *   - NOT published, assumptions: download bandwidth 10 Gbit/s; MFU 0.4 (core/compute-model.ts
 *     DEFAULT_MFU); uplink 1 Gbit/s; 10 % per-round dropout of 24 peers. Download and MFU are swept
 *     by `covenant-72b-sweep` (./covenant-72b-sweep.ts), 10 rounds per arm.
 * The window is 70 blocks (840 s): H steps at MFU 0.4 (714.6 s) plus the previous round's gather, which each
 * peer waits for before training (at 60 blocks every round after the first is late); covenantWindowBlocks
 * gives it for any MFU and download.
 * One arm of 100 rounds (≈ 30 s here alone); its rows are those of the 10 Gbit/s arm of the former
 * five-arm sweep, byte for byte.
 */
import { innerStepSeconds } from '../../core/compute-model.ts';
import { COVENANT_72B, llamaLayout, llamaParamCount } from '../../core/model-layout.ts';
import { encodedBytes } from '../../core/wire-size.ts';
import { TEMPLAR_GATHER } from '../../sim/round-gather-config.ts';
import { defineExperiment } from '../define.ts';
import { BASE, TINY } from './common.ts';

/** The download bandwidth the paper-vs-simulator table reads, Mbit/s (an assumption: not published). */
export const COVENANT_DEFAULT_DOWNLINK = 10_000;

const BLOCK_TIME_S = 12;
const UPLOAD_DEADLINE_S = 70;
const INNER_STEPS = 30;
export const COVENANT_COMPUTE = { params: llamaParamCount(COVENANT_72B), tokensPerStep: 192 * 2048, device: 'B200', gpusPerPeer: 8, mfu: 0.4 } as const;

/** One peer's compute per round (H inner steps of the compute model) at `mfu`, s: 714.6 at MFU 0.4. */
export function covenantComputeS(mfu: number): number {
  return INNER_STEPS * innerStepSeconds({ params: COVENANT_COMPUTE.params, tokens: COVENANT_COMPUTE.tokensPerStep, device: COVENANT_COMPUTE.device, gpusPerPeer: COVENANT_COMPUTE.gpusPerPeer, mfu });
}

/**
 * The window, in blocks, for compute at `mfu` and gather downloads at `downlinkMbps`: the fewest
 * blocks that hold the 70 s upload deadline, the gather of 20 messages (its bytes over the
 * downlink) and H inner steps, plus one block of margin (latencies, a peer's upload). 70 at
 * MFU 0.4 and 10 Gbit/s.
 */
export function covenantWindowBlocks(mfu: number, downlinkMbps: number): number {
  const computeS = covenantComputeS(mfu);
  const gatherS = (8 * TEMPLAR_GATHER.peers * encodedBytes(llamaLayout(COVENANT_72B), {}).bytes) / (downlinkMbps * 1e6);
  return Math.ceil((computeS + UPLOAD_DEADLINE_S + gatherS) / BLOCK_TIME_S) + 1;
}

const BLOCKS_PER_WINDOW = covenantWindowBlocks(COVENANT_COMPUTE.mfu, COVENANT_DEFAULT_DOWNLINK); // 70 × 12 s = 840 s

export default defineExperiment({
  id: 'covenant-72b',
  question: "Covenant-72B's round at full size (72.7B-parameter layout, gather 20 + 10, 70 s upload deadline, lagged Gauntlet): message bytes, compression, communication time and compute utilisation per round, against the paper (download 10 Gbit/s and MFU 0.4 assumed; covenant-72b-sweep sweeps both).",
  expect: 'Message 1.99 GB (146× vs fp32, 1.56% of values); at ≥ 10 Gbit/s down the communication is ≈ 70 s per round and utilisation near the paper\'s 94.5% is reached only if the round is compute-dominated (the MFU is not published).',
  base: {
    ...BASE,
    peers: 24,
    rounds: 100,
    innerSteps: INNER_STEPS,
    windowS: BLOCKS_PER_WINDOW * BLOCK_TIME_S,
    stepTimeS: { kind: 'fixed', value: 1 }, // a multiplier of the modelled step (compute section)
    compute: COVENANT_COMPUTE,
    charge: { layout: 'covenant-72b' },
    optim: { method: 'sparseloco', topK: 64, quantBits: 2, outerLr: 0.8 },
    net: {
      uplinkMbps: { kind: 'fixed', value: 1000 },
      downlinkMbps: { kind: 'fixed', value: COVENANT_DEFAULT_DOWNLINK },
      latencyMs: { kind: 'uniform', min: 10, max: 150 },
      store: { ingressMbps: 1e6, egressMbps: 1e6, latencyMs: 20 },
    },
    churn: { availability: { kind: 'bernoulli', dropout: 0.1 } },
    gather: { ...TEMPLAR_GATHER },
    windows: { blockTimeS: BLOCK_TIME_S, blocksPerWindow: BLOCKS_PER_WINDOW, uploadDeadlineS: UPLOAD_DEADLINE_S },
    defence: { kind: 'gauntlet' },
  },
  arms: [{
    name: `down ${COVENANT_DEFAULT_DOWNLINK / 1000} Gbit/s`,
    set: { 'net.downlinkMbps': { kind: 'fixed', value: COVENANT_DEFAULT_DOWNLINK } },
    labels: { downlinkMbps: COVENANT_DEFAULT_DOWNLINK, method: 'sparseloco' },
  }],
  seeds: [1],
  tiny: TINY,
});
