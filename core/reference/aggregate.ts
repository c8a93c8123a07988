/**
 * Reference aggregation (SPEC.md §3), slow and obvious, for tests of the fast
 * `core/sparseloco/aggregate.ts`. Same signature and the same fp32 numerics as documented there,
 * but written straight from the SPEC text: per tensor, per peer in ascending uid, dequantise each
 * entry, clip to the lower-median norm, collect every (flat position → contributions) in a Map,
 * then average. Flat positions come from layout.ts `chunkElementIndex`, not from the fast path's
 * lookup table.
 */
import { ConfigError } from '../errors.ts';
import { chunkElementIndex } from '../layout.ts';
import type { ParamLayout } from '../layout.ts';
import { AggregateError } from '../sparseloco/aggregate.ts';
import type { AggregateResult, PeerUpdate } from '../sparseloco/aggregate.ts';
import type { SparseLocoConfig } from '../sparseloco/config.ts';
import { entryValue } from '../sparseloco/message.ts';

/** Same contract as `aggregate` (the optional scratch of the fast path is not needed here). */
export function referenceAggregate(
  layout: ParamLayout,
  cfg: SparseLocoConfig,
  messages: readonly PeerUpdate[],
  out: Float32Array = new Float32Array(layout.size),
): AggregateResult {
  if (out.length !== layout.size) throw new ConfigError('aggregate out.length', out.length, `must equal layout.size (${layout.size})`);
  const uids = messages.map((m) => m.peerUid);
  for (const m of messages) {
    if (!Number.isSafeInteger(m.peerUid) || m.peerUid < 0) throw new AggregateError('bad-peer-uid', m.peerUid, null, 'peer uid must be a non-negative integer');
    if (uids.indexOf(m.peerUid) !== uids.lastIndexOf(m.peerUid)) throw new AggregateError('duplicate-peer', m.peerUid, null, 'two messages carry this peer uid');
    if (m.update.layoutId !== layout.id) throw new AggregateError('layout-mismatch', m.peerUid, null, 'layoutId differs');
  }
  const peers = [...messages].sort((a, b) => a.peerUid - b.peerUid);
  const R = peers.length;
  out.fill(0);
  const skippedTensors: string[] = [];

  layout.tensors.forEach((t, ti) => {
    if (R === 0) return;
    // Step 1: dequantise every peer's values.
    const values: number[][] = peers.map((p) => {
      const m = p.update.tensors[ti]!;
      return Array.from({ length: m.indices.length }, (_, n) => entryValue(m, n));
    });

    // Step 2: median norm clipping.
    if (cfg.clipNorm) {
      const norms = values.map((v) => Math.fround(Math.sqrt(v.reduce((s, x) => s + x * x, 0))));
      const median = norms.some(Number.isNaN) ? NaN : [...norms].sort((a, b) => a - b)[Math.floor((R - 1) / 2)]!;
      values.forEach((v, p) => {
        const factor = Math.min(1, Math.fround(median / Math.fround(norms[p]! + Math.fround(1e-8))));
        for (let n = 0; n < v.length; n++) v[n] = Math.fround(v[n]! * factor);
      });
    }

    // Step 3–4: scatter every (position, value) pair, un-chunked to flat positions.
    const contributions = new Map<number, number[]>();
    peers.forEach((p, pi) => {
      const m = p.update.tensors[ti]!;
      for (let n = 0; n < m.indices.length; n++) {
        const flat = chunkElementIndex(t, Math.floor(n / m.kEff), m.indices[n]!);
        if (!contributions.has(flat)) contributions.set(flat, []);
        contributions.get(flat)!.push(values[pi]![n]!);
      }
    });
    let finite = true;
    for (const [flat, xs] of contributions) {
      const total = xs.slice(1).reduce((s, x) => Math.fround(s + x), xs[0]!);
      const g = Math.fround(total / (cfg.aggregation === 'dense' ? R : xs.length));
      if (!Number.isFinite(g)) finite = false;
      out[flat] = g;
    }

    // Step 5: a non-finite entry skips the whole tensor.
    if (!finite) {
      out.fill(0, t.offset, t.offset + t.size);
      skippedTensors.push(t.name);
    }
  });
  return { gradient: out, skippedTensors, contributors: peers.map((p) => p.peerUid) };
}
