/**
 * The simulator's network model replayed on a real run's transfers: every store put and get a
 * shaped cluster logged (cluster/transfer-log.ts) becomes a flow requested at the instant the real
 * request was made, with its real size, over the links the simulator would charge — a put over
 * its node's uplink and the store's ingress, a get over the store's egress and its node's downlink
 * — and `solveFlows` (sim/flows.ts, the max-min fair model every simulated round uses) predicts
 * when each ends. Holding these predictions against the measured durations validates the flow
 * model itself, as SimGrid validated its own against real transfers: compute time, which the
 * simulator draws from a model of its own, is no part of the comparison (the requests start when
 * they really started).
 */
import { solveFlows } from '../../sim/flows.ts';
import type { FlowSpec } from '../../sim/flows.ts';
import type { TransferRecord } from '../../cluster/transfer-log.ts';
import { ConfigError } from '../../core/errors.ts';

/** One node's access link, bytes/s; Infinity for an unshaped direction. */
export interface ReplayLink {
  readonly upBytesPerS: number;
  readonly downBytesPerS: number;
}

/** The network the transfers crossed, in the simulator's units. */
export interface ReplayNetwork {
  /** By node name as the records carry it ('peer-w0', 'validator'); a node not listed is unshaped. */
  readonly links: ReadonlyMap<string, ReplayLink>;
  /** The store's shared ingress and egress, bytes/s. */
  readonly storeIngressBytesPerS: number;
  readonly storeEgressBytesPerS: number;
  /** Seconds from a request until its bytes move (the simulator's store + link latency). */
  readonly requestLatencyS: number;
}

/** A measured transfer with the model's prediction. */
export interface ReplayedTransfer extends TransferRecord {
  readonly measuredS: number;
  readonly predictedS: number;
}

/**
 * Predicts every successful record's duration from the flow model, all flows solved together (they
 * share the store's pools). Failed requests are left out: the model has no failures to replay.
 *
 * @throws {ConfigError} for a non-positive capacity or a negative latency.
 */
export function replayTransfers(records: readonly TransferRecord[], net: ReplayNetwork): ReplayedTransfer[] {
  if (!(net.storeIngressBytesPerS > 0) || !(net.storeEgressBytesPerS > 0)) throw new ConfigError('store', `${net.storeIngressBytesPerS}/${net.storeEgressBytesPerS}`, 'store ingress and egress must be > 0 bytes/s');
  if (!(net.requestLatencyS >= 0)) throw new ConfigError('requestLatencyS', net.requestLatencyS, 'must be ≥ 0');
  const ok = records.filter((r) => r.ok);
  if (ok.length === 0) return [];
  const t0 = Math.min(...ok.map((r) => r.startMs));
  // Resources: 0 store ingress, 1 store egress, then each node's uplink and downlink.
  const caps: number[] = [net.storeIngressBytesPerS, net.storeEgressBytesPerS];
  const nodeResources = new Map<string, { up: number; down: number }>();
  const resourcesOf = (node: string): { up: number; down: number } => {
    let r = nodeResources.get(node);
    if (r === undefined) {
      const link = net.links.get(node) ?? { upBytesPerS: Infinity, downBytesPerS: Infinity };
      r = { up: caps.push(link.upBytesPerS) - 1, down: caps.push(link.downBytesPerS) - 1 };
      nodeResources.set(node, r);
    }
    return r;
  };
  const flows: FlowSpec[] = ok.map((r) => {
    const own = resourcesOf(r.node);
    return { startS: (r.startMs - t0) / 1000, latencyS: net.requestLatencyS, bytes: r.bytes, resources: r.op === 'put' ? [own.up, 0] : [1, own.down] };
  });
  const solution = solveFlows(flows, caps);
  return ok.map((r, i) => ({ ...r, measuredS: (r.endMs - r.startMs) / 1000, predictedS: solution.durationS[i]! }));
}

/** |predicted − measured| / measured. */
export function relativeError(t: Pick<ReplayedTransfer, 'measuredS' | 'predictedS'>): number {
  return Math.abs(t.predictedS - t.measuredS) / t.measuredS;
}

/** The median of `values` (NaN for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
