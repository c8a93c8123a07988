/**
 * The protocol a run gets when its config does not say otherwise: the one Covenant-72B ran
 * (templar), per method. SparseLoCo gathers templar's published peer list (20 primaries + 10
 * reserves, sim/round-gather-config.ts `TEMPLAR_GATHER`) and runs null rounds for each peer's first
 * windows after a (re)start (`TEMPLAR_REPLICAS`); DDP and DiLoCo all-reduce over a peer-to-peer
 * ring (sim/ring.ts), as their papers run them. A config that writes a section gets exactly what it
 * writes (`gather: { peers: 'all' }` is the all-gather, `replicas: { warmupWindows: 0 }` no null
 * rounds, `transport: 'store'` the store accounting).
 *
 * Windows on the block clock (sim/windows.ts) stay opt-in: templar's 70 s upload deadline only fits
 * templar's windows (125 blocks × 12 s); the catalogue's surrogate windows are 30–60 s (README,
 * "Deviations").
 */
import type { GatherConfigInput } from './round-gather-config.ts';
import type { ReplicaConfigInput } from './replicas-config.ts';
import type { Transport } from './ring.ts';

/** The sections a method's run takes by default (absent: none). */
export interface ProtocolDefaults {
  readonly gather?: GatherConfigInput;
  readonly replicas?: ReplicaConfigInput;
  readonly transport?: Transport;
}

const SPARSELOCO: ProtocolDefaults = Object.freeze({ gather: Object.freeze({}), replicas: Object.freeze({}) });
const RING: ProtocolDefaults = Object.freeze({ transport: 'ring' as const });
const NONE: ProtocolDefaults = Object.freeze({});

/** The default sections of `method` (each `{}` takes its section's templar defaults). */
export function protocolDefaults(method: string): ProtocolDefaults {
  if (method === 'sparseloco') return SPARSELOCO;
  if (method === 'ddp' || method === 'diloco') return RING;
  return NONE;
}
