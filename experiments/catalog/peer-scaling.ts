/**
 * Utilisation and traffic per peer as the network grows from 20 to 10,000 peers, all-gather
 * against templar's gather-20 (+10 reserves). The model is scale-10k's softmax regression (68
 * parameters), so messages are small and real; the links are slow enough (20 Mbit/s down) that
 * downloading R − 1 of them per round shows at thousands of peers. The round: 2 s of compute, a
 * 3 s upload window, then the sync; the next window opens when the slowest sync is done.
 */
import { TEMPLAR_GATHER } from '../../sim/round-gather-config.ts';
import { defineExperiment } from '../define.ts';
import { roundMeanVs } from '../plots.ts';
import type { MetricRow } from '../runner.ts';
import scale10k from './scale-10k.ts';

const PEERS = [20, 100, 1000, 10_000] as const;
const GATHERS = [
  ['all-gather', { peers: 'all' }],
  ['gather-20', { ...TEMPLAR_GATHER }],
] as const;

/** Up + down bytes (sync and catch-up) per present peer in the round. */
function bytesPerPeer(r: MetricRow): number | null {
  return r.activePeers === 0 ? null : (r.bytesUpTotal + r.bytesDownTotal) / r.activePeers;
}

export default defineExperiment({
  id: 'peer-scaling',
  question: 'How do compute utilisation and bytes per peer per round change from 20 to 10,000 peers, all-gather against gather-20?',
  expect: 'All-gather traffic per peer grows linearly with the number of peers and utilisation falls once the download of R − 1 messages outlasts the window; gather-20 stays flat in both.',
  base: {
    ...scale10k.base,
    rounds: 10,
    windowS: 3,
    stepTimeS: { kind: 'fixed', value: 1 },
    net: {
      uplinkMbps: { kind: 'fixed', value: 10 },
      downlinkMbps: { kind: 'fixed', value: 20 },
      latencyMs: { kind: 'fixed', value: 50 },
      store: { ingressMbps: 1e5, egressMbps: 1e5, latencyMs: 5 },
    },
  },
  arms: PEERS.flatMap((peers) =>
    GATHERS.map(([name, gather]) => ({ name: `${name} @ ${peers} peers`, set: { peers, gather }, labels: { gather: name, peers } })),
  ),
  seeds: [1, 2],
  tiny: { rounds: 2 },
  figures: (rows) => [
    roundMeanVs(rows, 'peers', 'peers (log)', 'gather', { name: 'utilisation-vs-peers', y: (r) => r.computeUtilisation, yTitle: 'compute utilisation (compute / round time)' }),
    roundMeanVs(rows, 'peers', 'peers (log)', 'gather', { name: 'bytes-per-peer-vs-peers', y: bytesPerPeer, yTitle: 'bytes per peer per round (up + down, log)', logY: true }),
  ],
});
