/**
 * The flow model: transfers are flows over capacity resources (a peer's uplink or downlink, a
 * bucket's or the shared store's ingress / egress) that share each resource max-min fairly, the
 * fluid model SimGrid uses for TCP ("progressive filling": raise every flow's rate together; when a
 * resource is full, freeze the flows crossing it at that rate; continue with the rest). Pure and
 * deterministic: given the flows and the capacities it returns each flow's finish time.
 *
 * Why max-min rather than processor sharing per resource (each flow gets min over its resources of
 * capacity / flows there): processor sharing leaves capacity idle whenever a flow is held back
 * elsewhere (a bucket serving 10k peers would keep a slow peer's unused share), so it would charge
 * contention that a TCP-like network does not have. Max-min is work-conserving on every bottleneck.
 *
 * A flow is requested at `startS` (or, with `after`, when flow `after` finishes: a chain, e.g. a
 * catch-up's objects one after another), waits `latencyS` (path + request latency, no bytes move),
 * then moves `bytes` at the rate the fair share gives it, never above its own `capBytesPerS` (a
 * per-transfer ceiling: today's per-transfer store cap). Rates are recomputed only when a flow
 * starts moving bytes or finishes (event-driven); between events they are constant.
 *
 * Speed: flows are split into connected components first (flows meet only on a resource of finite
 * capacity, or through a chain), each solved alone, so uncontended flows (every resource private
 * or infinite) cost one closed form each. A flow whose rate never changed gets the closed form
 * `request + (latencyS + bytes / rate)` as its finish, which is bit for bit what `transferSeconds`
 * returns for a lone transfer (sim/network.ts).
 *
 * @example
 * // two downloads from one bucket with 10 B/s egress, each peer's downlink 100 B/s
 * solveFlows([
 *   { startS: 0, latencyS: 1, bytes: 50, resources: [0, 1] },
 *   { startS: 0, latencyS: 1, bytes: 50, resources: [0, 2] },
 * ], [10, 100, 100]).finishS; // [11, 11]: 5 B/s each from t = 1
 */
import { assertInvariant } from '../core/errors.ts';

/** One transfer. Units: sim seconds, bytes, bytes/s. */
export interface FlowSpec {
  /** When the flow is requested, sim seconds (ignored when `after` is set). */
  readonly startS: number;
  /** Index of a flow (lower than this one's) whose finish is this flow's request time. */
  readonly after?: number;
  /** Sim seconds from the request until bytes move (path latency + request latency). */
  readonly latencyS: number;
  /** bytes (≥ 0; a zero-byte flow finishes at request + latency) */
  readonly bytes: number;
  /** Indices into the capacities of the resources the flow crosses (each at most once). */
  readonly resources: readonly number[];
  /** The flow's own rate ceiling, bytes/s; Infinity (default) for none. */
  readonly capBytesPerS?: number;
}

/** What `solveFlows` returns. */
export interface FlowSolution {
  /** Each flow's finish time, sim seconds, in input order. */
  readonly finishS: Float64Array;
  /**
   * Each flow's finish − request, sim seconds; for a flow at one rate all along exactly
   * `latencyS + bytes / rate` (what transferSeconds returns for it alone).
   */
  readonly durationS: Float64Array;
  /** When each flow began moving bytes (request + latency), sim seconds, in input order. */
  readonly movingFromS: Float64Array;
  /** Per resource, the most flows moving bytes across it at once (over every component). */
  readonly peakFlows: Uint32Array;
  /** Per resource, the bytes that crossed it. */
  readonly bytesThrough: Float64Array;
}

/** Two finish times this close (relative) are one event: keeps symmetric flows finishing together. */
const SAME_EVENT_REL = 1e-12;

/**
 * Solves the flows max-min fairly over resources with `capacitiesBytesPerS` (> 0, Infinity allowed:
 * an infinite resource constrains nothing). Throws an InvariantError on malformed flows.
 */
export function solveFlows(flows: readonly FlowSpec[], capacitiesBytesPerS: readonly number[]): FlowSolution {
  const nR = capacitiesBytesPerS.length;
  for (let r = 0; r < nR; r++) {
    const c = capacitiesBytesPerS[r]!;
    assertInvariant(c > 0, `capacity of resource ${r} (${c} bytes/s) must be > 0`);
  }
  const finishS = new Float64Array(flows.length);
  const movingFromS = new Float64Array(flows.length);
  const durationS = new Float64Array(flows.length);
  const bytesThrough = new Float64Array(nR);
  flows.forEach((f, i) => {
    assertInvariant(Number.isFinite(f.bytes) && f.bytes >= 0, `flow ${i}: bytes (${f.bytes}) must be a finite number ≥ 0`);
    assertInvariant(Number.isFinite(f.latencyS) && f.latencyS >= 0, `flow ${i}: latencyS (${f.latencyS}) must be a finite number ≥ 0`);
    assertInvariant(f.after !== undefined || Number.isFinite(f.startS), `flow ${i}: startS (${f.startS}) must be finite`);
    assertInvariant(f.after === undefined || (Number.isInteger(f.after) && f.after >= 0 && f.after < i), `flow ${i}: after (${f.after}) must index an earlier flow`);
    assertInvariant(f.capBytesPerS === undefined || f.capBytesPerS > 0, `flow ${i}: capBytesPerS (${f.capBytesPerS}) must be > 0`);
    for (const r of f.resources) {
      assertInvariant(Number.isInteger(r) && r >= 0 && r < nR, `flow ${i}: resource ${r} is not one of the ${nR} resources`);
      bytesThrough[r] += f.bytes;
    }
  });
  for (const component of components(flows, capacitiesBytesPerS)) solveComponent(flows, component, capacitiesBytesPerS, { finishS, durationS, movingFromS });
  return { finishS, durationS, movingFromS, peakFlows: peakConcurrency(flows, movingFromS, finishS, nR), bytesThrough };
}

/**
 * Per resource, the most flows with bytes moving at one instant: a sweep over [movingFrom, finish)
 * intervals (a flow ending at t and one starting at t do not overlap).
 */
function peakConcurrency(flows: readonly FlowSpec[], fromS: Float64Array, toS: Float64Array, nR: number): Uint32Array {
  const peak = new Uint32Array(nR);
  const open = new Uint32Array(nR);
  const order: number[] = [];
  flows.forEach((f, i) => {
    if (f.bytes > 0 && toS[i]! > fromS[i]!) order.push(i, ~i); // i: starts, ~i: ends
  });
  const at = (e: number): number => (e >= 0 ? fromS[e]! : toS[~e]!);
  order.sort((a, b) => at(a) - at(b) || (a < 0 ? 0 : 1) - (b < 0 ? 0 : 1) || a - b);
  for (const e of order) {
    for (const r of flows[e >= 0 ? e : ~e]!.resources) {
      if (e >= 0) peak[r] = Math.max(peak[r]!, ++open[r]!);
      else open[r]!--;
    }
  }
  return peak;
}

/** The flows grouped by shared finite resources and chains (union-find), each list ascending. */
function components(flows: readonly FlowSpec[], caps: readonly number[]): number[][] {
  const parent = new Int32Array(flows.length).map((_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  const firstOn = new Int32Array(caps.length).fill(-1);
  flows.forEach((f, i) => {
    if (f.after !== undefined) union(i, f.after);
    for (const r of f.resources) {
      if (caps[r] === Infinity) continue;
      if (firstOn[r] === -1) firstOn[r] = i;
      else union(i, firstOn[r]!);
    }
  });
  const byRoot = new Map<number, number[]>();
  for (let i = 0; i < flows.length; i++) {
    const root = find(i);
    const list = byRoot.get(root);
    if (list === undefined) byRoot.set(root, [i]);
    else list.push(i);
  }
  return [...byRoot.values()];
}

/** The rate a flow alone gets: its cap and every resource it crosses. */
function loneRate(f: FlowSpec, caps: readonly number[]): number {
  let rate = f.capBytesPerS ?? Infinity;
  for (const r of f.resources) rate = Math.min(rate, caps[r]!);
  return rate;
}

/** Event-driven max-min over one component. Writes finishS and movingFromS for its flows. */
function solveComponent(
  flows: readonly FlowSpec[],
  ids: readonly number[],
  caps: readonly number[],
  out: { readonly finishS: Float64Array; readonly durationS: Float64Array; readonly movingFromS: Float64Array },
): void {
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
}

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

/** A binary min-heap of (key, id); ties by the lower id, so pops are deterministic. */
class MinHeap {
  #keys: number[] = [];
  #ids: number[] = [];

  get size(): number {
    return this.#keys.length;
  }

  push(key: number, id: number): void {
    const keys = this.#keys;
    const ids = this.#ids;
    let i = keys.length;
    keys.push(key);
    ids.push(id);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(i, p)) break;
      this.#swap(i, p);
      i = p;
    }
  }

  peekKey(): number {
    return this.#keys[0]!;
  }

  pop(): number {
    const keys = this.#keys;
    const ids = this.#ids;
    const top = ids[0]!;
    const lastKey = keys.pop()!;
    const lastId = ids.pop()!;
    if (keys.length > 0) {
      keys[0] = lastKey;
      ids[0] = lastId;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < keys.length && this.#less(l, m)) m = l;
        if (r < keys.length && this.#less(r, m)) m = r;
        if (m === i) break;
        this.#swap(i, m);
        i = m;
      }
    }
    return top;
  }

  #less(a: number, b: number): boolean {
    const ka = this.#keys[a]!;
    const kb = this.#keys[b]!;
    return ka < kb || (ka === kb && this.#ids[a]! < this.#ids[b]!);
  }

  #swap(a: number, b: number): void {
    const k = this.#keys;
    const d = this.#ids;
    [k[a], k[b]] = [k[b]!, k[a]!];
    [d[a], d[b]] = [d[b]!, d[a]!];
  }
}
