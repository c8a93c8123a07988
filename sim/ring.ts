/**
 * Ring all-reduce timing (DDP, DiLoCo with `transport: 'ring'`): pure functions, no kernel.
 *
 * Model (Patarasuk & Yuan's bandwidth-optimal ring, as NCCL / gloo run it): the R members sit on a
 * ring in ascending uid order; member i sends only to member (i + 1) mod R, peer to peer (not
 * through the object store). The payload is cut into R chunks; a reduce-scatter of R − 1 hops and
 * an all-gather of R − 1 hops follow, 2(R − 1) hops in all, and in every hop every member sends one
 * chunk to its successor at once. So each member sends (and receives) 2(R − 1)/R × payload bytes —
 * the communicator's `wireBytes` share (`ringAllReduceBytes`, core/communicator.ts), which is the
 * one copy of the byte rule: the timing here only divides that share into its 2(R − 1) chunks.
 *
 * Time: edge i (member i → member i + 1) carries a chunk in latency(i → i + 1) + chunk / min(uplink
 * of i, downlink of i + 1). A member can forward in hop h only the chunk it received in hop h − 1,
 * so the slowest edge gates every hop: the collective takes 2(R − 1) × (the slowest edge's chunk
 * time). (A hop-by-hop dataflow reference, test/sim/ring.test.ts, reaches the same total: the
 * receiver of the slowest edge waits on it every hop, and no member waits longer.)
 *
 * Peer-to-peer latency: in region mode the region table's entry latencyMs[from][to]; in per-peer
 * mode the sender's one-way latency plus the receiver's (each peer's latency to the store stands
 * for its latency to the network core). Transfer loss (net.loss) is not applied to ring hops.
 *
 * R = 1 moves nothing and takes no time.
 */
import { ConfigError, assertInvariant } from '../core/errors.ts';
import type { MethodName } from '../core/baselines/index.ts';
import { isRegionConfig } from './network.ts';
import type { NetworkConfig, PeerLink } from './network.ts';

/** How a method's sync crosses the network (config `transport`; absent: 'store'). */
export type Transport = 'store' | 'ring';

/** Methods whose sync is an all-reduce and may therefore run as a ring. */
export const RING_METHODS: readonly MethodName[] = Object.freeze(['ddp', 'diloco']);

/** One directed edge of the ring: member i → member (i + 1) mod R. */
export interface RingEdge {
  /** One-way latency sender → receiver, sim seconds. */
  readonly latencyS: number;
  /** Bottleneck bandwidth min(sender uplink, receiver downlink), bytes/s. */
  readonly bytesPerS: number;
}

/** What one ring all-reduce costs. */
export interface RingTiming {
  /** 2(R − 1). */
  readonly hops: number;
  /** Bytes one member sends per hop: its share / 2(R − 1), bytes. */
  readonly chunkBytes: number;
  /** Index of the slowest edge (the bottleneck), -1 when R = 1. */
  readonly bottleneckEdge: number;
  /** One hop: the slowest edge's latency + chunk / bandwidth, sim seconds. */
  readonly hopS: number;
  /** The whole collective: hops × hopS, sim seconds. */
  readonly seconds: number;
}

/**
 * Validates the `transport` key: 'ring' only for an all-reduce method. Returns it (or undefined
 * when absent, so configs without it stay exactly as before).
 */
export function resolveTransport(input: unknown, method: string, key = 'transport'): Transport | undefined {
  if (input === undefined) return undefined;
  if (input !== 'store' && input !== 'ring') throw new ConfigError(key, input, "must be 'store' or 'ring'");
  if (input === 'ring' && !(RING_METHODS as readonly string[]).includes(method)) {
    throw new ConfigError(key, input, `must be 'store' with optim.method "${method}": the ring all-reduce is for ${RING_METHODS.join(', ')} (sparseloco and demo all-gather through the store)`);
  }
  return input;
}

/** One-way latency of a peer-to-peer transfer `from` → `to`, sim seconds (see the file header). */
export function peerToPeerLatencyS(net: NetworkConfig, from: PeerLink, to: PeerLink): number {
  if (!isRegionConfig(net)) return from.uploadLatencyS + to.downloadLatencyS;
  const names = net.regions.map((r) => r.name);
  const i = names.indexOf(from.region!);
  const j = names.indexOf(to.region!);
  assertInvariant(i >= 0 && j >= 0, `peer regions (${from.region}, ${to.region}) must be configured regions`);
  return net.latencyMs[i]![j]! / 1000;
}

/** The ring's edges for `members` in the order given (member i → member i + 1, the last → the first). */
export function ringEdges(net: NetworkConfig, members: readonly PeerLink[]): RingEdge[] {
  return members.map((from, i) => {
    const to = members[(i + 1) % members.length]!;
    return { latencyS: peerToPeerLatencyS(net, from, to), bytesPerS: Math.min(from.uplinkBytesPerS, to.downlinkBytesPerS) };
  });
}

/**
 * Time of one ring all-reduce over `edges` (R = edges.length members) in which each member sends
 * `shareBytes` in all (its `wireBytes` upload share).
 *
 * @example
 * // 3 members, 400-byte shares → 4 hops of 100 bytes; slowest edge 0.01 s + 100 / 1000 s
 * ringAllReduceTiming(400, [{ latencyS: 0.01, bytesPerS: 1000 }, { latencyS: 0, bytesPerS: 1e6 }, { latencyS: 0, bytesPerS: 1e6 }]).seconds; // 4 × 0.11 = 0.44
 */
export function ringAllReduceTiming(shareBytes: number, edges: readonly RingEdge[]): RingTiming {
  const r = edges.length;
  if (!Number.isInteger(r) || r < 1) throw new ConfigError('ring members', r, 'must be an integer ≥ 1');
  if (!(Number.isFinite(shareBytes) && shareBytes >= 0)) throw new ConfigError('ring share', shareBytes, 'must be a finite number ≥ 0 (bytes)');
  if (r === 1) return { hops: 0, chunkBytes: 0, bottleneckEdge: -1, hopS: 0, seconds: 0 };
  const hops = 2 * (r - 1);
  const chunkBytes = shareBytes / hops;
  let hopS = -Infinity;
  let bottleneckEdge = -1;
  edges.forEach((e, i) => {
    if (!(e.bytesPerS > 0) || !(e.latencyS >= 0)) throw new ConfigError(`ring edge ${i}`, e, 'must have bytesPerS > 0 and latencyS ≥ 0');
    const s = e.latencyS + chunkBytes / e.bytesPerS;
    if (s > hopS) {
      hopS = s;
      bottleneckEdge = i;
    }
  });
  return { hops, chunkBytes, bottleneckEdge, hopS, seconds: hops * hopS };
}

/** {@link ringAllReduceTiming} over the ring of `members` (ascending uid is the caller's order). */
export function ringAllReduceSeconds(net: NetworkConfig, members: readonly PeerLink[], shareBytes: number): number {
  return ringAllReduceTiming(shareBytes, ringEdges(net, members)).seconds;
}
