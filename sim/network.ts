/**
 * The network world model: each peer's access link (bandwidths and latency, drawn per peer or per
 * region), the shared object store peers upload to and download from, and lossy transfer attempts
 * with timeouts and retries. Pure functions over validated config and an injected `Rng`; the round
 * protocol turns the returned durations into kernel timeouts.
 *
 * Units: bytes; sim seconds (`…S`); milliseconds in config (`…Ms`); Mbit/s in config (`…Mbps`,
 * 1 Mbit/s = 1e6 bits/s, so bytes/s = Mbps · 1e6 / 8).
 *
 * Transfer model: transfers are flows (sim/flows.ts) that share capacity max-min fairly over the
 * resources they cross: the peer's uplink (uploads) or downlink (downloads), and the far end —
 *   - `store.sharing: 'per-transfer'` (default, the v1 figures): the store's ingress/egress caps
 *     each transfer and is not shared (a store that scales with its clients);
 *   - `store.sharing: 'shared'`: the store's ingress/egress is one pool shared by every concurrent
 *     transfer (a single bucket serving everyone);
 *   - `buckets` set: each peer has its own bucket (SPEC.md §4; templar comms.py: a peer uploads
 *     into its own bucket, others read it there) with its own ingress/egress, shared by every
 *     flow into or out of it; the store stays the validator's bucket (checkpoints, aggregates).
 * Each object pays its latency (the peer's one-way path latency + the far end's request latency)
 * before its bytes move, so a lone transfer takes latency + bytes / min(peer link, far end), which
 * is `transferSeconds`. A peer's concurrent flows share its link; nothing is shared across rounds
 * (each round's transfers are solved on their own).

 * @example
 * const net = resolveNetworkConfig({
 *   uplinkMbps: { kind: 'fixed', value: 10 }, downlinkMbps: { kind: 'fixed', value: 100 },
 *   latencyMs: { kind: 'fixed', value: 50 },
 *   store: { ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 0 },
 * });
 * const link = drawPeerLink(net, 5, rng.fork('net'));
 * transferSeconds(1_840_000, link, resolveStoreLink(net), 'upload'); // 0.05 + 1.472 = 1.522
 */
import { ConfigError, assertInvariant } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import { chooseIndex, sample, validateDistribution, type Distribution } from './distributions.ts';

/** bytes/s in one Mbit/s (1e6 bits/s). */
export const BYTES_PER_S_PER_MBPS = 1e6 / 8;

/** Converts Mbit/s (1e6 bits/s) to bytes/s. */
export function mbpsToBytesPerS(mbps: number): number {
  return mbps * BYTES_PER_S_PER_MBPS;
}

/** Every peer draws its own uplink, downlink and latency from the same distributions. */
export interface PerPeerLinkConfig {
  /** Peer upload bandwidth, Mbit/s. */
  readonly uplinkMbps: Distribution;
  /** Peer download bandwidth, Mbit/s. */
  readonly downlinkMbps: Distribution;
  /** One-way latency between the peer and the object store, ms. */
  readonly latencyMs: Distribution;
}

export interface RegionConfig {
  readonly name: string;
  /** Relative share of peers in this region (≥ 0; normalised over all regions). */
  readonly weight: number;
  /** Upload bandwidth of a peer in this region, Mbit/s. */
  readonly uplinkMbps: Distribution;
  /** Download bandwidth of a peer in this region, Mbit/s. */
  readonly downlinkMbps: Distribution;
}

/** Peers are placed in regions by weight; latency comes from a region-to-region table. */
export interface RegionLinkConfig {
  readonly regions: readonly RegionConfig[];
  /**
   * One-way latency in ms, `latencyMs[from][to]`, indexed in `regions` order. Square; need not be
   * symmetric (asymmetric routes exist). The diagonal is the latency within a region.
   */
  readonly latencyMs: readonly (readonly number[])[];
}

/** How the store's ingress/egress is shared between concurrent transfers (see the file header). */
export type StoreSharing = 'per-transfer' | 'shared';

export interface ObjectStoreConfig {
  /** Upload capacity into the store, Mbit/s (per transfer, or shared: `sharing`). */
  readonly ingressMbps: number;
  /** Download capacity out of the store, Mbit/s (per transfer, or shared: `sharing`). */
  readonly egressMbps: number;
  /** Default 'per-transfer' (no contention at the store: the v1 model and its figures). */
  readonly sharing?: StoreSharing;
  /** The store's own request latency added to every transfer, ms. */
  readonly latencyMs: number;
  /** The store's region: required in region mode (it picks the latency-table column), absent otherwise. */
  readonly region?: string;
}

/**
 * Each peer's own bucket (SPEC.md §4 "each peer its own bucket"; templar: every miner's R2
 * bucket). Capacities are shared by every concurrent flow into or out of that bucket.
 */
export interface BucketConfig {
  /** Upload capacity into one bucket, Mbit/s; default {@link BUCKET_DEFAULTS}. */
  readonly ingressMbps?: number;
  /** Download capacity out of one bucket, shared by all its readers, Mbit/s; default {@link BUCKET_DEFAULTS}. */
  readonly egressMbps?: number;
  /** The bucket's request latency added to every object, ms; default {@link BUCKET_DEFAULTS}. */
  readonly latencyMs?: number;
}

/**
 * Bucket defaults. ASSUMPTIONS, not measurements: Cloudflare R2 (templar's store) publishes no
 * per-bucket bandwidth cap, so 10 Gbit/s each way stands for one bucket's share of a well-provisioned
 * object store, and 20 ms for a GET's time to first byte. Set them per experiment.
 */
export const BUCKET_DEFAULTS: Required<BucketConfig> = Object.freeze({ ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 20 });

/**
 * Lossy transfers: each attempt is lost independently with `probability`. A lost attempt is noticed
 * after `timeoutS`; the sender then waits `backoffS · backoffFactor^(retry − 1)` and tries again, at
 * most `maxRetries` times. A delivered attempt takes the normal transfer time (the timeout only
 * detects losses; it does not cut short a slow delivery).
 */
export interface LossConfig {
  /** Probability that one attempt is lost, in [0, 1]. */
  readonly probability: number;
  /** Sim seconds from the start of a lost attempt until the sender gives up on it. */
  readonly timeoutS: number;
  /** Retries after the first attempt (so at most maxRetries + 1 attempts). */
  readonly maxRetries: number;
  /** Sim seconds to wait before the first retry. */
  readonly backoffS: number;
  /** Multiplier on the backoff for each further retry (1 = constant, 2 = exponential); default 1. */
  readonly backoffFactor?: number;
}

/**
 * The share of a link's rate that carries payload when every transfer is TCP over IPv4 on
 * Ethernet (MTU 1500, TCP timestamps on, Linux's default): 1448 payload bytes per 1514-byte frame.
 * A shaper or an ISP's rate counts frames; `net.payloadFraction: TCP_IPV4_PAYLOAD_FRACTION` charges
 * it (measured on tbf-shaped veth links: README "Is the simulator's clock right?").
 */
export const TCP_IPV4_PAYLOAD_FRACTION = 1448 / 1514;

export type NetworkConfig = (PerPeerLinkConfig | RegionLinkConfig) & {
  readonly store: ObjectStoreConfig;
  /**
   * Share of every link's and the store's / buckets' rate that carries message bytes, in (0, 1];
   * absent: 1 (rates are payload rates, the figures so far). {@link TCP_IPV4_PAYLOAD_FRACTION}
   * for rates that count TCP/IP/Ethernet headers.
   */
  readonly payloadFraction?: number;
  /** Absent (default): every message goes through the store. Set: each peer its own bucket. */
  readonly buckets?: BucketConfig;
  readonly loss?: LossConfig;
};

/** One peer's access link, drawn once per peer. */
export interface PeerLink {
  readonly peerId: number;
  /** Region name in region mode; `null` in per-peer mode. */
  readonly region: string | null;
  readonly uplinkBytesPerS: number;
  readonly downlinkBytesPerS: number;
  /** One-way latency peer → store, sim seconds. */
  readonly uploadLatencyS: number;
  /** One-way latency store → peer, sim seconds (differs from upload only with an asymmetric table). */
  readonly downloadLatencyS: number;
}

/** The object store's end of every transfer, in simulator units. */
export interface StoreLink {
  readonly region: string | null;
  readonly ingressBytesPerS: number;
  readonly egressBytesPerS: number;
  /** Request latency, sim seconds. */
  readonly latencyS: number;
  /** Whether ingress/egress caps each transfer or is one pool (absent: 'per-transfer'). */
  readonly sharing?: StoreSharing;
}

/** One peer's bucket in simulator units (every bucket alike). */
export interface BucketLink {
  readonly ingressBytesPerS: number;
  readonly egressBytesPerS: number;
  /** Request latency, sim seconds. */
  readonly latencyS: number;
}

export type TransferDirection = 'upload' | 'download';

/** What one (possibly retried) transfer cost. */
export interface TransferOutcome {
  /** Sim seconds from the first attempt's start to delivery, or to giving up. */
  readonly seconds: number;
  /** Attempts made, 1 … maxRetries + 1. */
  readonly attempts: number;
  readonly delivered: boolean;
}

/** True when `cfg` places peers in regions. */
export function isRegionConfig(cfg: NetworkConfig): cfg is RegionLinkConfig & NetworkConfig {
  return 'regions' in cfg;
}

function positiveFinite(key: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) throw new ConfigError(key, value, 'must be a finite number > 0');
}
function nonNegativeFinite(key: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value >= 0)) throw new ConfigError(key, value, 'must be a finite number ≥ 0');
}

/**
 * Validates every field of `cfg` (keys reported under `key`, e.g. `net.regions[1].weight`) and
 * returns it frozen. Bandwidth distributions must draw values > 0, latencies ≥ 0.
 */
export function resolveNetworkConfig(cfg: NetworkConfig, key = 'net'): NetworkConfig {
  if (typeof cfg !== 'object' || cfg === null) throw new ConfigError(key, cfg, 'must be an object');
  let regionNames: string[] | null = null;
  if (isRegionConfig(cfg)) {
    const { regions, latencyMs } = cfg;
    if (!Array.isArray(regions) || regions.length === 0) throw new ConfigError(`${key}.regions`, regions, 'must be a non-empty array');
    regionNames = [];
    regions.forEach((r, i) => {
      const rk = `${key}.regions[${i}]`;
      if (typeof r.name !== 'string' || r.name.length === 0) throw new ConfigError(`${rk}.name`, r.name, 'must be a non-empty string');
      if (regionNames!.includes(r.name)) throw new ConfigError(`${rk}.name`, r.name, 'must be unique among regions');
      regionNames!.push(r.name);
      nonNegativeFinite(`${rk}.weight`, r.weight);
      validateDistribution(`${rk}.uplinkMbps`, r.uplinkMbps, 'positive');
      validateDistribution(`${rk}.downlinkMbps`, r.downlinkMbps, 'positive');
    });
    if (!(regions.reduce((a, r) => a + r.weight, 0) > 0)) throw new ConfigError(`${key}.regions`, regions.map((r) => r.weight), 'weights must have a positive sum');
    const n = regions.length;
    if (!Array.isArray(latencyMs) || latencyMs.length !== n) {
      throw new ConfigError(`${key}.latencyMs`, latencyMs, `must be a ${n}×${n} matrix (one row per region)`);
    }
    latencyMs.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== n) throw new ConfigError(`${key}.latencyMs[${i}]`, row, `must have ${n} entries (one per region)`);
      row.forEach((ms, j) => nonNegativeFinite(`${key}.latencyMs[${i}][${j}]`, ms));
    });
  } else {
    validateDistribution(`${key}.uplinkMbps`, cfg.uplinkMbps, 'positive');
    validateDistribution(`${key}.downlinkMbps`, cfg.downlinkMbps, 'positive');
    validateDistribution(`${key}.latencyMs`, cfg.latencyMs, 'nonNegative');
  }

  if (cfg.payloadFraction !== undefined && !(typeof cfg.payloadFraction === 'number' && cfg.payloadFraction > 0 && cfg.payloadFraction <= 1)) {
    throw new ConfigError(`${key}.payloadFraction`, cfg.payloadFraction, 'must be a number in (0, 1]');
  }
  const store = cfg.store;
  if (typeof store !== 'object' || store === null) throw new ConfigError(`${key}.store`, store, 'must be an object');
  positiveFinite(`${key}.store.ingressMbps`, store.ingressMbps);
  positiveFinite(`${key}.store.egressMbps`, store.egressMbps);
  nonNegativeFinite(`${key}.store.latencyMs`, store.latencyMs);
  if (store.sharing !== undefined && store.sharing !== 'per-transfer' && store.sharing !== 'shared') {
    throw new ConfigError(`${key}.store.sharing`, store.sharing, "must be 'per-transfer' or 'shared'");
  }
  if (cfg.buckets !== undefined) {
    const b = cfg.buckets;
    if (typeof b !== 'object' || b === null) throw new ConfigError(`${key}.buckets`, b, 'must be an object');
    for (const k of Object.keys(b)) {
      if (!(k in BUCKET_DEFAULTS)) throw new ConfigError(`${key}.buckets.${k}`, (b as Record<string, unknown>)[k], `is not a bucket key (${Object.keys(BUCKET_DEFAULTS).join(', ')})`);
    }
    if (b.ingressMbps !== undefined) positiveFinite(`${key}.buckets.ingressMbps`, b.ingressMbps);
    if (b.egressMbps !== undefined) positiveFinite(`${key}.buckets.egressMbps`, b.egressMbps);
    if (b.latencyMs !== undefined) nonNegativeFinite(`${key}.buckets.latencyMs`, b.latencyMs);
  }
  if (regionNames === null) {
    if (store.region !== undefined) throw new ConfigError(`${key}.store.region`, store.region, 'is only valid when regions are configured');
  } else if (!regionNames.includes(store.region as string)) {
    throw new ConfigError(`${key}.store.region`, store.region, `must name one of the regions (${regionNames.join(', ')})`);
  }

  if (cfg.loss !== undefined) {
    const loss = cfg.loss;
    const lk = `${key}.loss`;
    if (typeof loss.probability !== 'number' || !(loss.probability >= 0 && loss.probability <= 1)) {
      throw new ConfigError(`${lk}.probability`, loss.probability, 'must be in [0, 1]');
    }
    positiveFinite(`${lk}.timeoutS`, loss.timeoutS);
    if (!Number.isInteger(loss.maxRetries) || loss.maxRetries < 0) throw new ConfigError(`${lk}.maxRetries`, loss.maxRetries, 'must be an integer ≥ 0');
    nonNegativeFinite(`${lk}.backoffS`, loss.backoffS);
    if (loss.backoffFactor !== undefined && !(Number.isFinite(loss.backoffFactor) && loss.backoffFactor >= 1)) {
      throw new ConfigError(`${lk}.backoffFactor`, loss.backoffFactor, 'must be a finite number ≥ 1');
    }
  }
  return Object.freeze(cfg);
}

function regionIndex(cfg: RegionLinkConfig, name: string): number {
  const i = cfg.regions.findIndex((r) => r.name === name);
  if (i < 0) throw new ConfigError('region', name, `must name one of the regions (${cfg.regions.map((r) => r.name).join(', ')})`);
  return i;
}

/**
 * Draws peer `peerId`'s link from `rng.fork('link:<peerId>')`, so a peer's link depends only on
 * (rng path, peer id), never on which other peers were drawn or in what order. Each quantity has
 * its own sub-stream (`region`, `up`, `down`, `latency`), so changing one distribution leaves the
 * others' draws unchanged. `cfg` must have passed {@link resolveNetworkConfig}.
 */
export function drawPeerLink(cfg: NetworkConfig, peerId: number, rng: Rng): PeerLink {
  const linkRng = rng.fork(`link:${peerId}`);
  if (isRegionConfig(cfg)) {
    const weights = cfg.regions.map((r) => r.weight);
    const ri = chooseIndex(weights, weights.length, linkRng.fork('region'));
    const region = cfg.regions[ri]!;
    const si = regionIndex(cfg, cfg.store.region!);
    return {
      peerId,
      region: region.name,
      uplinkBytesPerS: payloadBytesPerS(cfg, sample(region.uplinkMbps, linkRng.fork('up'))),
      downlinkBytesPerS: payloadBytesPerS(cfg, sample(region.downlinkMbps, linkRng.fork('down'))),
      uploadLatencyS: cfg.latencyMs[ri]![si]! / 1000,
      downloadLatencyS: cfg.latencyMs[si]![ri]! / 1000,
    };
  }
  const latencyS = sample(cfg.latencyMs, linkRng.fork('latency')) / 1000;
  return {
    peerId,
    region: null,
    uplinkBytesPerS: payloadBytesPerS(cfg, sample(cfg.uplinkMbps, linkRng.fork('up'))),
    downlinkBytesPerS: payloadBytesPerS(cfg, sample(cfg.downlinkMbps, linkRng.fork('down'))),
    uploadLatencyS: latencyS,
    downloadLatencyS: latencyS,
  };
}

/** A link rate in Mbit/s as the payload bytes/s it carries (`net.payloadFraction`; absent: all of it). */
export function payloadBytesPerS(cfg: Pick<NetworkConfig, 'payloadFraction'>, mbps: number): number {
  const bytesPerS = mbpsToBytesPerS(mbps);
  return cfg.payloadFraction === undefined ? bytesPerS : bytesPerS * cfg.payloadFraction;
}

/** The store's end of transfers, converted to bytes/s and sim seconds. */
export function resolveStoreLink(cfg: NetworkConfig): StoreLink {
  const s = cfg.store;
  return Object.freeze({
    region: s.region ?? null,
    ingressBytesPerS: payloadBytesPerS(cfg, s.ingressMbps),
    egressBytesPerS: payloadBytesPerS(cfg, s.egressMbps),
    latencyS: s.latencyMs / 1000,
    ...(s.sharing === undefined ? {} : { sharing: s.sharing }),
  });
}

/** Every peer's bucket (defaults filled), in bytes/s and sim seconds; null without `buckets`. */
export function resolveBucketLink(cfg: NetworkConfig): BucketLink | null {
  if (cfg.buckets === undefined) return null;
  const b = { ...BUCKET_DEFAULTS, ...cfg.buckets };
  return Object.freeze({
    ingressBytesPerS: payloadBytesPerS(cfg, b.ingressMbps),
    egressBytesPerS: payloadBytesPerS(cfg, b.egressMbps),
    latencyS: b.latencyMs / 1000,
  });
}

/** Bottleneck bandwidth of a transfer, bytes/s: the slower of its two ends. */
export function bottleneckBytesPerS(link: PeerLink, store: StoreLink, direction: TransferDirection): number {
  return direction === 'upload'
    ? Math.min(link.uplinkBytesPerS, store.ingressBytesPerS)
    : Math.min(store.egressBytesPerS, link.downlinkBytesPerS);
}

/**
 * Sim seconds for one loss-free transfer of `bytes` between a peer and the store:
 * path latency + store latency + bytes / bottleneck bandwidth.
 *
 * @example transferSeconds(1_840_000, link10MbitAnd50ms, fastStore, 'upload') // 1.522
 */
export function transferSeconds(bytes: number, link: PeerLink, store: StoreLink, direction: TransferDirection): number {
  assertInvariant(Number.isFinite(bytes) && bytes >= 0, `transfer size (${bytes} bytes) must be a finite number ≥ 0`);
  const pathLatencyS = direction === 'upload' ? link.uploadLatencyS : link.downloadLatencyS;
  return pathLatencyS + store.latencyS + bytes / bottleneckBytesPerS(link, store, direction);
}

/**
 * One transfer with loss and retries (see {@link LossConfig}). Without `loss` it is a single
 * delivered attempt and draws nothing. With `loss`, each attempt draws exactly one uniform from
 * `rng`; pass a stream unique to this transfer (e.g. `net.fork(\`xfer:${peer}:${round}:up\`)`) so
 * outcomes do not depend on the order transfers are simulated in.
 *
 * Time: a lost attempt costs `timeoutS`, then a backoff before the next attempt (none after the
 * last); the delivered attempt costs {@link transferSeconds}.
 */
export function attemptTransfer(
  bytes: number,
  link: PeerLink,
  store: StoreLink,
  direction: TransferDirection,
  loss: LossConfig | undefined,
  rng: Rng,
): TransferOutcome {
  const deliverS = transferSeconds(bytes, link, store, direction);
  if (loss === undefined) return { seconds: deliverS, attempts: 1, delivered: true };
  const lost = drawLostAttempts(loss, rng);
  return lost.delivered ? { ...lost, seconds: lost.seconds + deliverS } : lost;
}

/**
 * The loss part of {@link attemptTransfer}: the attempts lost before the delivered one and the
 * sim seconds they cost (timeouts + backoffs), or giving up. Draws exactly as attemptTransfer.
 * The delivered attempt's own time is the caller's (a flow in sim/transfers.ts, or transferSeconds).
 */
export function drawLostAttempts(loss: LossConfig, rng: Rng): TransferOutcome {
  const factor = loss.backoffFactor ?? 1;
  let seconds = 0;
  for (let attempt = 1; attempt <= loss.maxRetries + 1; attempt++) {
    if (!rng.bernoulli(loss.probability)) return { seconds, attempts: attempt, delivered: true };
    seconds += loss.timeoutS;
    if (attempt <= loss.maxRetries) seconds += loss.backoffS * Math.pow(factor, attempt - 1);
  }
  return { seconds, attempts: loss.maxRetries + 1, delivered: false };
}
