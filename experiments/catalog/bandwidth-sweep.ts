import { defineExperiment } from '../define.ts';
import { BASE, METHODS, TINY } from './common.ts';

// Uplink per peer, Mbit/s (fixed, so the sweep isolates bandwidth); downlink is twice the uplink.
const UPLINKS = [1, 10, 100, 1000, 10_000] as const;
/** Llama-3.2-1B (meta-llama/Llama-3.2-1B config.json): the ≈ 1.2B-parameter layout transfers are charged for. */
export const LLAMA_3_2_1B = { layers: 16, hidden: 2048, heads: 32, kvHeads: 8, ffn: 8192, vocab: 128256, tiedEmbeddings: true } as const;

const SWEPT = [
  ['sparseloco', METHODS.sparseloco],
  ['diloco', METHODS.diloco],
  ['ddp', METHODS.ddp],
  ['demo', METHODS.demo],
] as const;

/**
 * A two-level run (sim/charge.ts): the surrogate trains, and every transfer is charged at its exact
 * size for Llama-3.2-1B's layout (1.24B parameters; Meta's model card / HF config: 16 layers,
 * hidden 2048, 32 / 8 heads, FFN 8192, vocab 128,256, tied embeddings), so 1 Mbit/s … 10 Gbit/s
 * spans the regimes the question is about and SparseLoCo is charged its real-layout compression
 * (≈ 140× at 64×64 chunks), not the surrogate's. Rounds close when every peer is in
 * (wait-for-all), so time reflects communication.
 */
export default defineExperiment({
  id: 'bandwidth-sweep',
  question: 'Time to reach a target loss for each method as the uplink goes from 10 Gbit/s down to 1 Mbit/s (transfers charged at the exact sizes of a 1.24B-parameter LLaMA layout).',
  expect: 'SparseLoCo stays compute-bound far down the bandwidth range; DiLoCo then DDP become communication-bound first (DDP pays an all-reduce every inner step).',
  base: { ...BASE, rounds: 40, windowS: 1e9, closeWhenComplete: true, charge: { layout: { llama: LLAMA_3_2_1B } } },
  arms: SWEPT.flatMap(([method, optim]) =>
    UPLINKS.map((mbps) => ({
      name: `${method} @ ${mbps} Mbit/s`,
      set: { optim, 'net.uplinkMbps': { kind: 'fixed', value: mbps }, 'net.downlinkMbps': { kind: 'fixed', value: mbps * 2 } },
      labels: { method, uplinkMbps: mbps },
    })),
  ),
  seeds: [1],
  targetLoss: 1.0,
  tiny: TINY,
});
