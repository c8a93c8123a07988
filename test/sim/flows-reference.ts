/**
 * The flow solver's reference for the differential test (test/sim/flows.test.ts): the first
 * solver sim/flows.ts had, kept as it was — event-driven like the incremental one, but every event
 * recomputes max-min by progressive filling over every active flow of the component. Exact and
 * simple, too slow at 10k peers (each of ~10⁵ events re-solves ~10⁵ flows).
 */
import { loneRate } from '../../sim/flows.ts';
import type { ComponentSolver, ComponentTimes, FlowSpec } from '../../sim/flows.ts';
import { MinHeap } from '../../sim/flows-heap.ts';

/** Two finish times this close (relative) are one event (sim/flows.ts uses the same). */
const SAME_EVENT_REL = 1e-12;

/** Event-driven max-min over one component, every active flow re-solved at every event. */
export const referenceComponent: ComponentSolver = (
  flows: readonly FlowSpec[],
  ids: readonly number[],
  caps: readonly number[],
  out: ComponentTimes,
): void => {
  const { finishS, durationS, movingFromS } = out;
  if (ids.length === 1) {
    const f = flows[ids[0]!]!;
    durationS[ids[0]!] = f.latencyS + f.bytes / loneRate(f, caps);
    finishS[ids[0]!] = f.startS + durationS[ids[0]!]!;
    movingFromS[ids[0]!] = f.startS + f.latencyS;
    return;
  }
  const successors = new Map<number, number[]>();
  const requestS = new Map<number, number>();
  const pending = new MinHeap();
  for (const i of ids) {
    const f = flows[i]!;
    if (f.after === undefined) {
      requestS.set(i, f.startS);
      pending.push(f.startS + f.latencyS, i);
    } else {
      const list = successors.get(f.after);
      if (list === undefined) successors.set(f.after, [i]);
      else list.push(i);
    }
  }
  let active: number[] = [];
  const remaining = new Map<number, number>();
  const rate = new Map<number, number>();
  const firstRate = new Map<number, number>();
  const steady = new Set<number>(); // flows whose rate has not changed since they started moving
  let now = -Infinity;

  const finish = (i: number, atS: number): void => {
    const f = flows[i]!;
    // A flow at one rate all along gets the closed form (bit-identical to transferSeconds).
    const requestedS = requestS.get(i)!;
    durationS[i] = steady.has(i) ? f.latencyS + f.bytes / firstRate.get(i)! : atS - requestedS;
    finishS[i] = steady.has(i) ? requestedS + durationS[i]! : atS;
    for (const s of successors.get(i) ?? []) {
      requestS.set(s, finishS[i]!);
      pending.push(finishS[i]! + flows[s]!.latencyS, s);
    }
  };

  while (active.length > 0 || pending.size > 0) {
    // The next event: the earliest activation or the earliest finish at the current rates.
    let nextFinish = Infinity;
    for (const i of active) nextFinish = Math.min(nextFinish, now + remaining.get(i)! / rate.get(i)!);
    const nextStart = pending.size > 0 ? pending.peekKey() : Infinity;
    const t = Math.min(nextFinish, nextStart);
    const sameS = Math.abs(t) * SAME_EVENT_REL;
    const stillActive: number[] = [];
    for (const i of active) {
      const r = rate.get(i)!;
      const endS = now + remaining.get(i)! / r;
      if (endS <= t + sameS) finish(i, endS);
      else {
        remaining.set(i, remaining.get(i)! - r * (t - now));
        stillActive.push(i);
      }
    }
    now = t;
    active = stillActive;
    // Activations at t (and zero-byte or infinitely fast flows, which finish on the spot; their
    // successors may activate at t too, so loop until none is due).
    while (pending.size > 0 && pending.peekKey() <= now + sameS) {
      const i = pending.pop();
      const f = flows[i]!;
      movingFromS[i] = now;
      if (f.bytes === 0 || loneRate(f, caps) === Infinity) {
        firstRate.set(i, loneRate(f, caps));
        steady.add(i);
        finish(i, now);
        continue;
      }
      remaining.set(i, f.bytes);
      active.push(i);
    }
    if (active.length === 0) continue;
    active.sort((a, b) => a - b); // deterministic order whatever the event history
    const rates = maxMinRates(flows, active, caps);
    for (let k = 0; k < active.length; k++) {
      const i = active[k]!;
      const r = rates[k]!;
      if (!firstRate.has(i)) {
        firstRate.set(i, r);
        steady.add(i);
      } else if (rate.get(i) !== r) steady.delete(i);
      rate.set(i, r);
    }
  }
};

/**
 * Progressive filling over the `active` flows: repeatedly the tightest resource (remaining capacity
 * / unfrozen flows) or flow cap fixes the rate of the flows it holds. Returns the rates in `active`
 * order.
 */
function maxMinRates(flows: readonly FlowSpec[], active: readonly number[], caps: readonly number[]): Float64Array {
  const rates = new Float64Array(active.length);
  const frozen = new Uint8Array(active.length);
  const remCap = new Map<number, number>();
  const onResource = new Map<number, number[]>(); // resource → positions in `active`
  const unfrozenOn = new Map<number, number>();
  active.forEach((i, k) => {
    for (const r of flows[i]!.resources) {
      const list = onResource.get(r);
      if (list === undefined) {
        onResource.set(r, [k]);
        remCap.set(r, caps[r]!);
      } else list.push(k);
    }
  });
  for (const [r, list] of onResource) unfrozenOn.set(r, list.length);
  // Heap entries: resources as r, flow caps as −1 − k; a stale resource key is skipped.
  const heap = new MinHeap();
  for (const [r, n] of unfrozenOn) if (caps[r] !== Infinity) heap.push(remCap.get(r)! / n, r);
  active.forEach((i, k) => {
    const cap = flows[i]!.capBytesPerS ?? Infinity;
    if (cap !== Infinity) heap.push(cap, -1 - k);
  });
  let left = active.length;
  const freeze = (k: number, level: number): void => {
    frozen[k] = 1;
    rates[k] = level;
    left--;
    for (const r of flows[active[k]!]!.resources) {
      if (caps[r] === Infinity) continue;
      const n = unfrozenOn.get(r)! - 1;
      unfrozenOn.set(r, n);
      const rc = Math.max(0, remCap.get(r)! - level);
      remCap.set(r, rc);
      if (n > 0) heap.push(rc / n, r);
    }
  };
  while (left > 0 && heap.size > 0) {
    const key = heap.peekKey();
    const id = heap.pop();
    if (id < 0) {
      const k = -1 - id;
      if (frozen[k] === 0) freeze(k, key);
      continue;
    }
    const n = unfrozenOn.get(id)!;
    if (n === 0 || remCap.get(id)! / n !== key) continue; // stale entry
    for (const k of onResource.get(id)!) if (frozen[k] === 0) freeze(k, key);
  }
  // Flows on infinite resources only, without a cap: unbounded (callers never build these with bytes).
  for (let k = 0; k < active.length; k++) if (frozen[k] === 0) rates[k] = Infinity;
  return rates;
}

