import { defineExperiment } from '../define.ts';
import { BASE, SEEDS_3, TINY } from './common.ts';

export default defineExperiment({
  id: 'baselines',
  question: 'Loss per byte and per second: SparseLoCo against DiLoCo (fp32 and bf16 wire) on the same run.',
  expect: 'Comparable loss per round; SparseLoCo needs one to two orders of magnitude fewer bytes.',
  base: BASE,
  arms: [
    { name: 'SparseLoCo (top-64, 2-bit)', set: {}, labels: { method: 'sparseloco' } },
    { name: 'DiLoCo fp32', set: { optim: { method: 'diloco', outerLr: 0.7, momentum: 0.9, wireDtype: 'fp32' } }, labels: { method: 'diloco' } },
    { name: 'DiLoCo bf16', set: { optim: { method: 'diloco', outerLr: 0.7, momentum: 0.9, wireDtype: 'bf16' } }, labels: { method: 'diloco-bf16' } },
  ],
  seeds: [...SEEDS_3],
  targetLoss: 1.0,
  tiny: TINY,
});
