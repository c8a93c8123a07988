/**
 * A round's transfers timed as flows (sim/transfers.ts): the uploads of the window, the gather's
 * downloads (one phase at a time), the all-gather sync and the catch-up chains. Each function
 * builds one batch, solves it, and hands back what its caller needs; the callers (round-uploads.ts,
 * round-gather.ts, round-cadence.ts, round-open.ts) keep their protocol logic and only ask for times.
 * With every far end per-transfer (the default network) every flow is alone on its resources and
 * each time is bit for bit the old `transferSeconds` (tested).
 */
import type { SimContext } from './context.ts';
import { drawLostAttempts } from './network.ts';
import type { PeerLink } from './network.ts';
import type { TransferRequest } from './transfers.ts';

/** One participant's upload, as the window planned it. */
export interface UploadRequest {
  readonly uid: number;
  readonly link: PeerLink;
  /** Real bytes of the message. */
  readonly bytes: number;
  /** When its upload starts, sim seconds after the window start (ready offset + compute). */
  readonly startS: number;
}

/** When an upload lands. */
export interface UploadTime {
  /** Sim seconds from the upload's start to delivery or to giving up (lost attempts included). */
  readonly seconds: number;
  readonly delivered: boolean;
}

/**
 * Times the window's uploads together: each one into the store or the uploader's bucket, sharing
 * what the network shares. With `net.loss`, the lost attempts come first (drawn from the
 * transfer's own stream `xfer:<uid>:<round>:up`, as attemptTransfer draws) and move no bytes; the
 * delivered attempt is the flow. Uploads lost on every attempt are not flows.
 */
export function timeUploads(ctx: SimContext, round: number, uploads: readonly UploadRequest[]): Map<number, UploadTime> {
  const loss = ctx.cfg.net.loss;
  const lost = uploads.map((u) => (loss === undefined ? null : drawLostAttempts(loss, ctx.netRng.fork(`xfer:${u.uid}:${round}:up`))));
  const requests: TransferRequest[] = [];
  const flowOf: number[] = [];
  uploads.forEach((u, i) => {
    const l = lost[i]!;
    if (l !== null && !l.delivered) return flowOf.push(-1);
    flowOf.push(requests.length);
    requests.push({ link: u.link, direction: 'upload', bytes: u.bytes, startS: u.startS + (l?.seconds ?? 0), end: ctx.transfers.messageEnd(u.uid) });
  });
  const { durationS } = ctx.transfers.time(requests);
  const out = new Map<number, UploadTime>();
  uploads.forEach((u, i) => {
    const lostS = lost[i]?.seconds ?? 0;
    out.set(u.uid, flowOf[i] === -1 ? { seconds: lostS, delivered: false } : { seconds: loss === undefined ? durationS[flowOf[i]!]! : lostS + durationS[flowOf[i]!]!, delivered: true });
  });
  return out;
}

/** One message a gather phase downloads: its uploader and size. */
export interface GatherObject {
  readonly uid: number;
  /** Real bytes. */
  readonly bytes: number;
}

/** A syncing peer in a gather phase: its link and when (after the sync starts) its phase starts. */
export interface GatherDownloader {
  readonly uid: number;
  readonly link: PeerLink;
  /** Sim seconds after the sync start. */
  readonly startS: number;
}

/** A gather phase's timing. */
export interface GatherPhaseTimes {
  /** Per downloader uid: each object's arrival, sim seconds after that peer's phase start, by uploader uid (own message absent). */
  readonly arrivalS: ReadonlyMap<number, ReadonlyMap<number, number>>;
  /** The most downloads moving at once out of one bucket (or the store). */
  readonly peakFlowsPerEnd: number;
}

/**
 * One gather phase: every downloader fetches every object but its own, all at once (templar
 * comms.py `gather`: one `get_with_retry` per uid under `asyncio.gather`), each object from its
 * uploader's bucket (or the store), sharing the peer's downlink and each bucket's egress with
 * every other reader. Arrivals are relative to the downloader's own phase start.
 */
export function timeGatherPhase(ctx: SimContext, objects: readonly GatherObject[], downloaders: readonly GatherDownloader[]): GatherPhaseTimes {
  const fast = uncontendedGatherPhase(ctx, objects, downloaders);
  if (fast !== null) return fast;
  const requests: TransferRequest[] = [];
  const owner: [number, number][] = [];
  for (const d of downloaders) {
    for (const o of objects) {
      if (o.uid === d.uid) continue;
      requests.push({ link: d.link, direction: 'download', bytes: o.bytes, startS: d.startS, end: ctx.transfers.messageEnd(o.uid) });
      owner.push([d.uid, o.uid]);
    }
  }
  const { durationS, peakFlowsPerEnd } = ctx.transfers.time(requests);
  const arrivalS = new Map<number, Map<number, number>>(downloaders.map((d) => [d.uid, new Map()]));
  owner.forEach(([down, up], k) => arrivalS.get(down)!.set(up, durationS[k]!));
  return { arrivalS, peakFlowsPerEnd };
}

/**
 * The gather phase when only each downloader's own downlink is shared (no buckets, no shared
 * store): each peer's downloads are independent of every other peer's, so each is solved alone in
 * closed form (TransferNetwork.uncontendedDownloadsS) instead of as one batch of flows — the
 * same times, without building R × G flows. Null when that does not hold.
 */
function uncontendedGatherPhase(ctx: SimContext, objects: readonly GatherObject[], downloaders: readonly GatherDownloader[]): GatherPhaseTimes | null {
  if (ctx.transfers.contended) return null;
  const arrivalS = new Map<number, Map<number, number>>();
  for (const d of downloaders) {
    const others = objects.filter((o) => o.uid !== d.uid);
    const offsets = ctx.transfers.uncontendedDownloadsS(d.link, others.map((o) => o.bytes));
    if (offsets === null) return null;
    arrivalS.set(d.uid, new Map(others.map((o, k) => [o.uid, offsets[k]!])));
  }
  // No far end is a pool: nothing contends there (the flow columns are not written).
  return { arrivalS, peakFlowsPerEnd: 0 };
}

/** Sim seconds for a zero-byte request from `link` to the store (the gather's list request): its latency, whatever contends. */
export function requestSeconds(ctx: SimContext, link: PeerLink): number {
  return ctx.transfers.storeRequestS(link);
}

/**
 * The all-gather sync: each syncing peer downloads its `bytes` as one object from the store (the
 * aggregate of every applied message: R − 1 objects from R − 1 buckets would be R² flows, 10⁸ at
 * 10k peers), all at once. Returns each one's time, sim seconds, and the store side's peak flows.
 */
export function timeSyncDownloads(ctx: SimContext, links: readonly PeerLink[], bytes: readonly number[]): { seconds: Float64Array; peakFlowsPerEnd: number } {
  const { durationS, peakFlowsPerEnd } = ctx.transfers.time(links.map((link, i) => ({ link, direction: 'download', bytes: bytes[i]!, startS: 0, end: 'store' })));
  return { seconds: durationS, peakFlowsPerEnd };
}

/** One peer's catch-up: the objects it downloads from the store, in order, from `startS`. */
export interface CatchUpRequest {
  readonly link: PeerLink;
  /** Sim seconds after the window start. */
  readonly startS: number;
  /** Object sizes in download order, bytes. */
  readonly sizes: readonly number[];
}

/**
 * Every catch-up of a round opening together: each peer's objects one after another (a chain:
 * checkpoint, then each missed aggregate), all peers at once against the store. Returns each
 * peer's objects' download times in order (each from its own start), sim seconds.
 */
export function timeCatchUps(ctx: SimContext, peers: readonly CatchUpRequest[]): number[][] {
  const requests: TransferRequest[] = [];
  const ranges = peers.map((p) => {
    const first = requests.length;
    p.sizes.forEach((bytes, k) => {
      requests.push({ link: p.link, direction: 'download', bytes, startS: p.startS, ...(k === 0 ? {} : { after: requests.length - 1 }), end: 'store' });
    });
    return [first, requests.length] as const;
  });
  if (requests.length === 0) return peers.map(() => []);
  const { durationS } = ctx.transfers.time(requests);
  return ranges.map(([from, to]) => Array.from(durationS.subarray(from, to)));
}
