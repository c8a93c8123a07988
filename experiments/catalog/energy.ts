import type { NetworkConfig } from '../../sim/network.ts';
import { defineExperiment } from '../define.ts';
import { BASE, METHODS, TINY } from './common.ts';

/**
 * Regions and their grid intensity (gCO2e/kWh). ASSUMPTION: round illustrative figures for a
 * low-carbon grid, an average one and a coal-heavy one, not measurements of any named country.
 */
const REGIONS = [
  { name: 'low-carbon', intensity: 40 },
  { name: 'average', intensity: 400 },
  { name: 'coal-heavy', intensity: 800 },
] as const;
const LATENCY_MS = [
  [15, 90, 180],
  [90, 15, 120],
  [180, 120, 15],
];
const MIXES = [
  { name: 'mostly low-carbon', weights: [0.7, 0.2, 0.1] },
  { name: 'mostly coal-heavy', weights: [0.1, 0.2, 0.7] },
] as const;
// Device classes: a datacentre accelerator and a consumer GPU twice as slow (ASSUMED power draws).
const DEVICES = [
  { name: 'datacentre', weight: 0.5, powerW: 700, idleW: 100, stepTimeScale: 1 },
  { name: 'consumer', weight: 0.5, powerW: 350, idleW: 60, stepTimeScale: 2 },
];

function regionNet(weights: readonly number[]): NetworkConfig {
  return {
    regions: REGIONS.map((r, i) => ({ name: r.name, weight: weights[i]!, uplinkMbps: { kind: 'lognormal' as const, median: 100, sigma: 0.5 }, downlinkMbps: { kind: 'lognormal' as const, median: 500, sigma: 0.5 } })),
    latencyMs: LATENCY_MS,
    store: { ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 20, region: 'average' },
  };
}

export default defineExperiment({
  id: 'energy',
  question: 'How many kWh and kg CO2e does each method spend to train the same model, and how much does the region mix matter?',
  expect: 'Compute dominates energy at these sizes, so methods differ mostly through wall-clock (waiting peers idle) and network bytes; the region mix scales CO2e almost proportionally.',
  base: {
    ...BASE,
    rounds: 40,
    net: regionNet(MIXES[0].weights),
    energy: { deviceClasses: DEVICES, carbonIntensity: { byRegion: Object.fromEntries(REGIONS.map((r) => [r.name, r.intensity])) }, networkKWhPerGB: 0.01, source: 'illustrative assumption (experiments/catalog/energy.ts), not measurements' },
  },
  arms: MIXES.flatMap((mix) =>
    (['sparseloco', 'diloco', 'ddp'] as const).map((method) => ({
      name: `${method}, ${mix.name}`,
      set: { optim: METHODS[method], net: regionNet(mix.weights) },
      labels: { method, mix: mix.name },
    })),
  ),
  seeds: [1, 2],
  tiny: TINY,
});
