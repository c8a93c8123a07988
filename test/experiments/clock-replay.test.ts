/**
 * The flow-model replay of logged transfers (experiments/clock/replay.ts): each put crosses its
 * node's uplink and the store's ingress, each get the store's egress and its node's downlink,
 * requested when it really was; failed requests are left out; the request latency delays bytes.
 */
import { expect } from 'chai';
import type { TransferRecord } from '../../cluster/transfer-log.ts';
import { ConfigError } from '../../core/errors.ts';
import { median, relativeError, replayTransfers } from '../../experiments/clock/replay.ts';
import { measuredRequestLatencyS } from '../../experiments/clock/grid.ts';

const rec = (node: string, op: 'put' | 'get', startMs: number, bytes: number, endMs = startMs + 1000, ok = true, key = `gradient-0-${node.length}-v1`): TransferRecord => ({ node, op, key, bytes, startMs, endMs, ok });
const links = new Map([
  ['peer-w0', { upBytesPerS: 1000, downBytesPerS: 4000 }],
  ['peer-w1', { upBytesPerS: 500, downBytesPerS: 4000 }],
]);

describe('experiments/clock: replaying transfers on the flow model', () => {
  it('a lone put takes bytes / min(uplink, store ingress); a lone get bytes / min(store egress, downlink)', () => {
    const out = replayTransfers([rec('peer-w0', 'put', 0, 2000), rec('peer-w0', 'get', 10_000, 6000)], { links, storeIngressBytesPerS: 10_000, storeEgressBytesPerS: 3000, requestLatencyS: 0 });
    expect(out.map((t) => t.predictedS)).to.deep.equal([2, 2]); // 2000 / 1000; 6000 / min(3000, 4000)
    expect(out.map((t) => t.measuredS)).to.deep.equal([1, 1]);
  });

  it('concurrent gets share the store egress max-min fairly, and the latency delays each one', () => {
    const out = replayTransfers([rec('peer-w0', 'get', 0, 3000), rec('peer-w1', 'get', 0, 3000)], { links, storeIngressBytesPerS: 10_000, storeEgressBytesPerS: 3000, requestLatencyS: 0.5 });
    expect(out.map((t) => t.predictedS)).to.deep.equal([2.5, 2.5]); // 1500 B/s each after 0.5 s
  });

  it('a put starting while another is halfway shares the store ingress from then on', () => {
    // Ingress 1000 B/s is the bottleneck: alone 0–1 s (1000 of 1500 B), then 500 B/s each.
    const wide = new Map([
      ['a', { upBytesPerS: 1e9, downBytesPerS: 1e9 }],
      ['b', { upBytesPerS: 1e9, downBytesPerS: 1e9 }],
    ]);
    const out = replayTransfers([rec('a', 'put', 0, 1500), rec('b', 'put', 1000, 1000)], { links: wide, storeIngressBytesPerS: 1000, storeEgressBytesPerS: 1000, requestLatencyS: 0 });
    expect(out[0]!.predictedS).to.be.within(2 - 1e-9, 2 + 1e-9); // 500 B left at 500 B/s
    expect(out[1]!.predictedS).to.be.within(1.5 - 1e-9, 1.5 + 1e-9); // 500 B at 500 B/s, then 500 B alone
  });

  it('leaves failed requests out and treats an unlisted node as unshaped', () => {
    const out = replayTransfers([rec('peer-w0', 'put', 0, 2000, 500, false), rec('validator', 'get', 0, 3000)], { links, storeIngressBytesPerS: 10_000, storeEgressBytesPerS: 3000, requestLatencyS: 0 });
    expect(out.map((t) => [t.node, t.predictedS])).to.deep.equal([['validator', 1]]);
  });

  it('refuses a zero store capacity, naming it', () => {
    expect(() => replayTransfers([rec('a', 'put', 0, 1)], { links, storeIngressBytesPerS: 0, storeEgressBytesPerS: 1, requestLatencyS: 0 })).to.throw(ConfigError, /store/);
  });

  it('relative error, median, and the request time taken from the small reports only', () => {
    expect(relativeError({ measuredS: 2, predictedS: 1.5 })).to.equal(0.25);
    expect(median([3, 1, 2])).to.equal(2);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
    const small = (key: string, s: number): ReturnType<typeof replayTransfers>[number] => ({ ...rec('peer-w0', 'put', 0, 400, s * 1000, true, key), measuredS: s, predictedS: 0 });
    expect(measuredRequestLatencyS([small('cluster/peer-report-0-1.json', 0.1), small('cluster/validator-report-0.json', 0.3), small('cluster/peer-report-1-1.json', 0.2), small('cluster/config.json', 5)])).to.equal(0.2);
  });
});
