import { defineExperiment } from '../define.ts';
import { BASE, TINY } from './common.ts';

// Uplink Mbit/s per peer (fixed, so the sweep isolates bandwidth).
const UPLINKS = [0.01, 0.1, 1, 10, 100, 1000, 10_000] as const;
const METHODS = [
  { method: 'sparseloco', optim: BASE.optim },
  { method: 'diloco', optim: { method: 'diloco', outerLr: 0.7, momentum: 0.9, wireDtype: 'fp32' } },
] as const;

export default defineExperiment({
  id: 'bandwidth-sweep',
  question: 'How long does each method take to reach a target loss as the uplink shrinks from 10 Gbit/s to 10 kbit/s?',
  expect: 'SparseLoCo keeps its time-to-target far down the bandwidth range; dense DiLoCo becomes upload-bound (late, skipped rounds) first.',
  base: { ...BASE, rounds: 40 },
  arms: METHODS.flatMap(({ method, optim }) =>
    UPLINKS.map((mbps) => ({
      name: `${method} @ ${mbps} Mbit/s`,
      set: { optim, 'net.uplinkMbps': { kind: 'fixed', value: mbps }, 'net.downlinkMbps': { kind: 'fixed', value: mbps * 5 } },
      labels: { method, uplinkMbps: mbps },
    })),
  ),
  seeds: [1],
  targetLoss: 1.0,
  tiny: TINY,
});
