/**
 * The simulator's transfers as flows (sim/flows.ts): maps a batch of peer ↔ store / bucket
 * transfers onto resources — each peer's uplink and downlink, each bucket's ingress and egress, the
 * store's ingress and egress — and returns when each one finishes. The network config decides the
 * far ends (sim/network.ts header): the store caps each transfer ('per-transfer', a per-flow
 * ceiling, no shared resource) or is one shared pool ('shared'); with `buckets`, a message lives in
 * its uploader's bucket and every reader shares that bucket's egress.
 *
 * The round's callers: uploads (round-uploads.ts), the gather's downloads (round-gather.ts), the
 * all-gather sync (round-cadence.ts) and catch-up chains (round-open.ts). Each call is one batch,
 * solved on its own: transfers of different batches (a round's uploads and its sync, or a late
 * upload and the next round) do not share capacity.
 *
 * @example
 * const net = new TransferNetwork(ctx.store, ctx.buckets);
 * const { finishS } = net.time([{ link: peer.link, direction: 'download', bytes: 1e6, startS: 0, end: { bucketOf: 7 } }]);
 */
import { assertInvariant } from '../core/errors.ts';
import { sharedLinkFinishOffsetsS, solveFlows } from './flows.ts';
import type { FlowSpec } from './flows.ts';
import type { BucketLink, PeerLink, StoreLink, TransferDirection } from './network.ts';

/** The far end of a transfer: the store, or the bucket of peer `bucketOf`. */
export type FarEnd = 'store' | { readonly bucketOf: number };

/** One transfer between a peer and a far end. */
export interface TransferRequest {
  readonly link: PeerLink;
  readonly direction: TransferDirection;
  /** bytes (charged: links and ends are already projected) */
  readonly bytes: number;
  /** Request time, sim seconds from the batch's origin (ignored with `after`). */
  readonly startS: number;
  /** Index of an earlier request of the batch whose finish is this one's request time. */
  readonly after?: number;
  readonly end: FarEnd;
}

/** A batch's timing. */
export interface TransferTimes {
  /** Finish time of each request, sim seconds from the batch's origin, in request order. */
  readonly finishS: Float64Array;
  /** Each request's finish − request time, sim seconds (exactly transferSeconds for an uncontended one). */
  readonly durationS: Float64Array;
  /** The most flows moving bytes at once through one far end (a bucket's or the store's side). */
  readonly peakFlowsPerEnd: number;
}

// Resource keys: a peer's or bucket's uid × 4 + side; the store's two sides below zero.
const UPLINK = 0;
const DOWNLINK = 1;
const BUCKET_IN = 2;
const BUCKET_OUT = 3;
const STORE_IN = -1;
const STORE_OUT = -2;

/** Times batches of transfers over one run's store and buckets. */
export class TransferNetwork {
  constructor(
    readonly store: StoreLink,
    /** Every peer's bucket; null when messages go through the store. */
    readonly buckets: BucketLink | null,
  ) {}

  /** Whether any far end is a shared pool (then concurrent transfers contend beyond their own links). */
  get contended(): boolean {
    return this.buckets !== null || this.store.sharing === 'shared';
  }

  /** The far end a message uploaded by `uid` lives in. */
  messageEnd(uid: number): FarEnd {
    return this.buckets === null ? 'store' : { bucketOf: uid };
  }

  /**
   * Arrival offsets (sim seconds after the request, input order) of downloads of `bytes` from the
   * store, all requested at once by one peer, when nothing but its downlink is shared: latency,
   * then processor sharing of the downlink (what {@link time} computes for that batch, without
   * building flows). Null when the network contends or the store's per-transfer cap is below the
   * downlink (then use `time`).
   */
  uncontendedDownloadsS(link: PeerLink, bytes: ArrayLike<number>): Float64Array | null {
    if (this.contended || this.store.egressBytesPerS < link.downlinkBytesPerS) return null;
    const latencyS = this.storeRequestS(link);
    const out = sharedLinkFinishOffsetsS(bytes, link.downlinkBytesPerS);
    for (let i = 0; i < out.length; i++) out[i] = latencyS + out[i]!;
    return out;
  }

  /** A zero-byte download request from `link` to the store: latency only (no bytes share anything). */
  storeRequestS(link: PeerLink): number {
    return link.downloadLatencyS + this.store.latencyS; // the order transferSeconds adds them in
  }

  /** Solves one batch (see the file header). */
  time(requests: readonly TransferRequest[]): TransferTimes {
    const index = new Map<number, number>();
    const caps: number[] = [];
    const ends = new Set<number>();
    const resource = (key: number, capBytesPerS: number, isEnd: boolean): number => {
      let r = index.get(key);
      if (r === undefined) {
        r = caps.length;
        index.set(key, r);
        caps.push(capBytesPerS);
        if (isEnd) ends.add(r);
      }
      return r;
    };
    const sharedStore = this.store.sharing === 'shared';
    const flows = requests.map((q): FlowSpec => {
      const up = q.direction === 'upload';
      const pathLatencyS = up ? q.link.uploadLatencyS : q.link.downloadLatencyS;
      const own = up ? resource(q.link.peerId * 4 + UPLINK, q.link.uplinkBytesPerS, false) : resource(q.link.peerId * 4 + DOWNLINK, q.link.downlinkBytesPerS, false);
      let far: number;
      let latencyS: number;
      let capBytesPerS: number | undefined;
      if (q.end === 'store') {
        const storeBytesPerS = up ? this.store.ingressBytesPerS : this.store.egressBytesPerS;
        // Per-transfer: the store caps the flow and is a resource of infinite capacity (counted, never full).
        far = resource(up ? STORE_IN : STORE_OUT, sharedStore ? storeBytesPerS : Infinity, true);
        if (!sharedStore) capBytesPerS = storeBytesPerS;
        latencyS = pathLatencyS + this.store.latencyS; // the order transferSeconds adds them in
      } else {
        const b = this.buckets;
        assertInvariant(b !== null, `a transfer to peer ${q.end.bucketOf}'s bucket without net.buckets (use messageEnd)`);
        far = resource(q.end.bucketOf * 4 + (up ? BUCKET_IN : BUCKET_OUT), up ? b.ingressBytesPerS : b.egressBytesPerS, true);
        latencyS = pathLatencyS + b.latencyS;
      }
      return { startS: q.startS, ...(q.after === undefined ? {} : { after: q.after }), latencyS, bytes: q.bytes, resources: [own, far], ...(capBytesPerS === undefined ? {} : { capBytesPerS }) };
    });
    const solution = solveFlows(flows, caps);
    let peak = 0;
    for (const r of ends) peak = Math.max(peak, solution.peakFlows[r]!);
    return { finishS: solution.finishS, durationS: solution.durationS, peakFlowsPerEnd: peak };
  }
}
