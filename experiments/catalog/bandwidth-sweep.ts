import { defineExperiment } from '../define.ts';
import { BASE, METHODS, TINY } from './common.ts';

// Uplink per peer, Mbit/s (fixed, so the sweep isolates bandwidth); downlink is twice the uplink.
const UPLINKS = [1, 10, 100, 1000, 10_000] as const;
const SWEPT = [
  ['sparseloco', METHODS.sparseloco],
  ['diloco', METHODS.diloco],
  ['ddp', METHODS.ddp],
  ['demo', METHODS.demo],
] as const;

/**
 * Transfers are charged as for a 1.2B-parameter model (projectToParams): the surrogate's real
 * encoded messages scaled by params ratio, so 1 Mbit/s … 10 Gbit/s spans the regimes the question
 * is about. Rounds close when every peer is in (wait-for-all), so time reflects communication.
 */
export default defineExperiment({
  id: 'bandwidth-sweep',
  question: 'Time to reach a target loss for each method as the uplink goes from 10 Gbit/s down to 1 Mbit/s (transfers charged as for a 1.2B-parameter model).',
  expect: 'SparseLoCo stays compute-bound far down the bandwidth range; DiLoCo then DDP become communication-bound first (DDP pays an all-reduce every inner step).',
  base: { ...BASE, rounds: 40, windowS: 1e9, closeWhenComplete: true, projectToParams: 1.2e9 },
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
