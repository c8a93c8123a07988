import { defineExperiment } from '../define.ts';
import { BASE, TINY } from './common.ts';

const TOPK = [8, 16, 32, 64, 128] as const;
const BITS = [2, 4, null] as const;

export default defineExperiment({
  id: 'density-sweep',
  question: 'Which top-k density × value quantisation gives the best loss per byte?',
  expect: 'SparseLoCo reports 2-bit quantisation costs little; density below ~1–3% starts to hurt on small models.',
  base: BASE,
  arms: BITS.flatMap((bits) =>
    TOPK.map((k) => ({
      name: `top-${k}, ${bits === null ? 'fp32' : `${bits}-bit`}`,
      set: { 'optim.topK': k, 'optim.quantBits': bits },
      labels: { topK: k, bits: bits === null ? 'fp32' : `${bits}-bit` },
    })),
  ),
  seeds: [1],
  tiny: TINY,
});
