/**
 * A round's cost in closed form at any model size (issue 13 item 5, scenario `trillion`): compute
 * time from core/compute-model.ts, bytes from core/wire-size.ts, transfer time = bits / link rate,
 * and compute utilisation = compute / (compute + communication), communication NOT overlapped with
 * compute (as in the simulator's rounds). Per method, per peer and round:
 *   - SparseLoCo: upload one message, download `gather` messages (templar's gather-20);
 *   - DiLoCo (ring all-reduce): send and receive 2(R − 1)/R × the dense Δ once per round;
 *   - DDP (ring all-reduce): the same for the gradient, once per inner step (H times).
 * Links are full duplex, so a ring hop costs its bytes over the uplink; latency is left out (it is
 * seconds against rounds of hours at these sizes). Because communication is bytes / bandwidth, the
 * bandwidth reaching a utilisation u solves in closed form: B = bits / (compute · (1 − u) / u).
 *
 * @example
 * roundCost({ layout: llamaLayout(SCALED_1T), method: 'sparseloco', innerSteps: 30, computeS: 9750, uplinkMbps: 1000, downlinkMbps: 1000, gather: 20, peers: 20 });
 */
import { ConfigError } from './errors.ts';
import type { ParamLayout } from './layout.ts';
import { encodedBytes } from './wire-size.ts';

export type CostedMethod = 'sparseloco' | 'diloco-ring' | 'ddp-ring';

export interface RoundCostInput {
  readonly layout: ParamLayout;
  readonly method: CostedMethod;
  /** H, inner steps per round. */
  readonly innerSteps: number;
  /** Compute seconds of one round (H inner steps) on one peer. */
  readonly computeS: number;
  readonly uplinkMbps: number; // Mbit/s
  readonly downlinkMbps: number; // Mbit/s
  /** SparseLoCo: messages each peer downloads (gather-G). */
  readonly gather: number;
  /** R, peers in the ring (DiLoCo, DDP). */
  readonly peers: number;
  /** Dense wire bytes per element for DiLoCo / DDP (4 fp32, 2 bf16; default 4). */
  readonly denseElementBytes?: number;
}

export interface RoundCost {
  readonly bytesUpPerPeer: number; // bytes per round
  readonly bytesDownPerPeer: number; // bytes per round
  readonly commS: number; // sim seconds per round
  readonly roundS: number; // compute + comm, seconds
  /** compute / round, in (0, 1]. */
  readonly utilisation: number;
}

/** Bytes each peer sends and receives per round, by method (see the file header). */
export function roundBytes(i: Omit<RoundCostInput, 'computeS' | 'uplinkMbps' | 'downlinkMbps'>): { up: number; down: number } {
  if (!Number.isInteger(i.peers) || i.peers < 2) throw new ConfigError('peers', i.peers, 'must be an integer ≥ 2');
  if (i.method === 'sparseloco') {
    if (!Number.isInteger(i.gather) || i.gather < 1) throw new ConfigError('gather', i.gather, 'must be an integer ≥ 1');
    const msg = encodedBytes(i.layout, {}).bytes;
    return { up: msg, down: i.gather * msg };
  }
  const share = (2 * (i.peers - 1) * i.layout.size * (i.denseElementBytes ?? 4)) / i.peers;
  const times = i.method === 'ddp-ring' ? i.innerSteps : 1;
  if (i.method !== 'diloco-ring' && i.method !== 'ddp-ring') throw new ConfigError('method', i.method, 'must be sparseloco, diloco-ring or ddp-ring');
  return { up: share * times, down: share * times };
}

/** One round's bytes, time and utilisation. */
export function roundCost(i: RoundCostInput): RoundCost {
  for (const k of ['computeS', 'uplinkMbps', 'downlinkMbps'] as const) {
    if (!(typeof i[k] === 'number' && Number.isFinite(i[k]) && i[k] > 0)) throw new ConfigError(k, i[k], 'must be a finite number > 0');
  }
  const { up, down } = roundBytes(i);
  // A ring hop sends and receives at once (full duplex): its time is the slower direction.
  const commS = i.method === 'sparseloco'
    ? (8 * up) / (i.uplinkMbps * 1e6) + (8 * down) / (i.downlinkMbps * 1e6)
    : Math.max((8 * up) / (i.uplinkMbps * 1e6), (8 * down) / (i.downlinkMbps * 1e6));
  const roundS = i.computeS + commS;
  return { bytesUpPerPeer: up, bytesDownPerPeer: down, commS, roundS, utilisation: i.computeS / roundS };
}

/**
 * The symmetric link rate (uplink = downlink), Mbit/s, at which a round reaches utilisation `u`:
 * communication must take compute · (1 − u) / u, and it is bits / rate.
 */
export function bandwidthForUtilisation(i: Omit<RoundCostInput, 'uplinkMbps' | 'downlinkMbps'>, u: number): number {
  if (!(u > 0 && u < 1)) throw new ConfigError('utilisation', u, 'must be in (0, 1)');
  const { up, down } = roundBytes(i);
  const bits = i.method === 'sparseloco' ? 8 * (up + down) : 8 * Math.max(up, down);
  return bits / ((i.computeS * (1 - u)) / u) / 1e6;
}
