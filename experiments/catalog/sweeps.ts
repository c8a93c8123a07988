/** Which experiments plot final loss against a swept numeric label (and what colours the lines). */
import type { SweepAxis } from '../plots.ts';

export const SWEEPS: ReadonlyMap<string, SweepAxis> = new Map([
  ['bandwidth-sweep', { label: 'uplinkMbps', title: 'uplink (Mbit/s, log)', color: 'method', log: true }],
  ['churn-sweep', { label: 'dropout', title: 'per-round dropout', color: 'method', log: false }],
  ['density-sweep', { label: 'topK', title: 'top-k per chunk (log)', color: 'bits', log: true }],
]);
