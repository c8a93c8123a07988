import { defineExperiment } from '../define.ts';
import { BASE, METHODS, SEEDS_3, TINY } from './common.ts';

export default defineExperiment({
  id: 'baselines',
  question: 'Loss per byte and per second: SparseLoCo against DDP, DiLoCo (fp32 and bf16 wire) and DeMo on the same run.',
  expect: 'Comparable loss per round for the round-based methods; SparseLoCo needs one to two orders of magnitude fewer bytes than DiLoCo and far fewer than DDP.',
  base: BASE,
  arms: [
    { name: 'SparseLoCo (top-64, 2-bit)', set: { optim: METHODS.sparseloco }, labels: { method: 'sparseloco' } },
    { name: 'DiLoCo fp32', set: { optim: METHODS.diloco }, labels: { method: 'diloco' } },
    { name: 'DiLoCo bf16', set: { optim: METHODS.dilocoBf16 }, labels: { method: 'diloco-bf16' } },
    { name: 'DDP (all-reduce every step)', set: { optim: METHODS.ddp }, labels: { method: 'ddp' } },
    { name: 'DeMo (DCT top-32)', set: { optim: METHODS.demo }, labels: { method: 'demo' } },
  ],
  seeds: [...SEEDS_3],
  targetLoss: 1.0,
  tiny: TINY,
});
