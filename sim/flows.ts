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
import { MinHeap } from './flows-heap.ts';

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
  return solveFlowsWith(flows, capacitiesBytesPerS, solveComponent);
}

/** Where a component solver writes each of its flows' times (indexed by flow, input order). */
export interface ComponentTimes {
  readonly finishS: Float64Array;
  readonly durationS: Float64Array;
  readonly movingFromS: Float64Array;
}

/** Solves one connected component (`ids` ascending) and writes its flows' times. */
export type ComponentSolver = (flows: readonly FlowSpec[], ids: readonly number[], caps: readonly number[], out: ComponentTimes) => void;

/**
 * `solveFlows` with another component solver: the differential test plugs in the reference (every
 * event recomputes max-min over every active flow) to compare against the incremental one.
 */
export function solveFlowsWith(flows: readonly FlowSpec[], capacitiesBytesPerS: readonly number[], solveOne: ComponentSolver): FlowSolution {
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
  for (const component of components(flows, capacitiesBytesPerS)) {
    if (component.length === 1) solveOne(flows, component, capacitiesBytesPerS, { finishS, durationS, movingFromS });
    else solveLocally(flows, component, capacitiesBytesPerS, solveOne, { finishS, durationS, movingFromS });
  }
  return { finishS, durationS, movingFromS, peakFlows: peakConcurrency(flows, movingFromS, finishS, nR), bytesThrough };
}

/**
 * Solves a component as a problem of its own (flows and resources renumbered from 0), so the
 * solver's per-flow and per-resource state is sized by the component, not by the whole batch: a
 * round's gather is thousands of small components (each peer's downloads share its downlink).
 */
function solveLocally(flows: readonly FlowSpec[], ids: readonly number[], caps: readonly number[], solveOne: ComponentSolver, out: ComponentTimes): void {
  const localFlow = new Map<number, number>();
  const localResource = new Map<number, number>();
  const localCaps: number[] = [];
  const local: FlowSpec[] = ids.map((i, k) => {
    localFlow.set(i, k);
    const f = flows[i]!;
    const resources = f.resources.map((r) => {
      let lr = localResource.get(r);
      if (lr === undefined) {
        lr = localCaps.length;
        localResource.set(r, lr);
        localCaps.push(caps[r]!);
      }
      return lr;
    });
    // `after` stays inside the component (components() joins chains) and below k (ids ascend).
    return { ...f, resources, ...(f.after === undefined ? {} : { after: localFlow.get(f.after)! }) };
  });
  const times: ComponentTimes = { finishS: new Float64Array(ids.length), durationS: new Float64Array(ids.length), movingFromS: new Float64Array(ids.length) };
  solveOne(local, local.map((_, k) => k), localCaps, times);
  ids.forEach((i, k) => {
    out.finishS[i] = times.finishS[k]!;
    out.durationS[i] = times.durationS[k]!;
    out.movingFromS[i] = times.movingFromS[k]!;
  });
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
export function loneRate(f: FlowSpec, caps: readonly number[]): number {
  let rate = f.capBytesPerS ?? Infinity;
  for (const r of f.resources) rate = Math.min(rate, caps[r]!);
  return rate;
}

/**
 * A resource this close to full (relative) counts as saturated. Counting a resource as saturated
 * is always safe (it only widens the re-solved region); the tolerance absorbs the rounding of the
 * running loads.
 */
const SATURATED_REL = 1e-9;

/**
 * Event-driven max-min over one component, re-solving only the region an event can change
 * (MovingFlows). Flows move bytes lazily: each keeps its bytes left as of its last rate change, and
 * a heap holds each moving flow's finish at its current rate.
 */
function solveComponent(flows: readonly FlowSpec[], ids: readonly number[], caps: readonly number[], out: ComponentTimes): void {
  const { finishS, durationS, movingFromS } = out;
  if (ids.length === 1) {
    const f = flows[ids[0]!]!;
    durationS[ids[0]!] = f.latencyS + f.bytes / loneRate(f, caps);
    finishS[ids[0]!] = f.startS + durationS[ids[0]!]!;
    movingFromS[ids[0]!] = f.startS + f.latencyS;
    return;
  }
  const successors = new Map<number, number[]>();
  const requestS = new Float64Array(flows.length);
  const pending = new MinHeap();
  for (const i of ids) {
    const f = flows[i]!;
    if (f.after === undefined) {
      requestS[i] = f.startS;
      pending.push(f.startS + f.latencyS, i);
    } else {
      const list = successors.get(f.after);
      if (list === undefined) successors.set(f.after, [i]);
      else list.push(i);
    }
  }
  const moving = new MovingFlows(flows, caps);
  const finishing = new MinHeap(); // (finish at the current rate, flow); stale entries skipped
  const steady = new Uint8Array(flows.length); // 1: the flow's rate has not changed since it started moving
  const firstRate = new Float64Array(flows.length);

  const finish = (i: number, atS: number): void => {
    const f = flows[i]!;
    // A flow at one rate all along gets the closed form (bit-identical to transferSeconds).
    durationS[i] = steady[i] === 1 ? f.latencyS + f.bytes / firstRate[i]! : atS - requestS[i]!;
    finishS[i] = steady[i] === 1 ? requestS[i]! + durationS[i]! : atS;
    for (const s of successors.get(i) ?? []) {
      requestS[s] = finishS[i]!;
      pending.push(finishS[i]! + flows[s]!.latencyS, s);
    }
  };

  const seeds: number[] = [];
  const arrived: number[] = [];
  while (moving.count > 0 || pending.size > 0) {
    while (finishing.size > 0 && !moving.isCurrentFinish(finishing.peekId(), finishing.peekKey())) finishing.pop();
    const t = Math.min(finishing.size > 0 ? finishing.peekKey() : Infinity, pending.size > 0 ? pending.peekKey() : Infinity);
    const sameS = Math.abs(t) * SAME_EVENT_REL;
    seeds.length = 0; // saturated resources a finished flow leaves: the flows there may speed up
    while (finishing.size > 0 && finishing.peekKey() <= t + sameS) {
      const key = finishing.peekKey();
      const i = finishing.pop();
      if (!moving.isCurrentFinish(i, key)) continue;
      moving.remove(i, seeds);
      finish(i, key);
    }
    // Activations at t (and zero-byte or infinitely fast flows, which finish on the spot; their
    // successors may activate at t too, so loop until none is due).
    arrived.length = 0;
    while (pending.size > 0 && pending.peekKey() <= t + sameS) {
      const i = pending.pop();
      const f = flows[i]!;
      movingFromS[i] = t;
      if (f.bytes === 0 || loneRate(f, caps) === Infinity) {
        firstRate[i] = loneRate(f, caps);
        steady[i] = 1;
        finish(i, t);
        continue;
      }
      arrived.push(i);
    }
    if (seeds.length === 0 && arrived.length === 0) continue;
    moving.settleRegion(t, arrived, seeds, (i, rate, fresh) => {
      if (fresh) {
        firstRate[i] = rate;
        steady[i] = 1;
      } else steady[i] = 0;
      finishing.push(moving.finishAt(i), i);
    });
  }
}

/**
 * The moving flows of one component and their max-min rates, kept current event by event.
 *
 * Why a region and not every flow: under max-min, a change at a resource reaches another flow
 * only through saturated resources (an unsaturated resource binds no one). So after an event the
 * re-solved region starts from the resources the event touched that were saturated and grows by
 * every boundary resource that is saturated afterwards, or was saturated before and saw a rate
 * change there; flows outside keep their rates. When no boundary resource qualifies, every flow —
 * inside or outside — still has a bottleneck where it is the fastest (or its cap): that is the
 * max-min allocation, which is unique, so the result is the full recomputation's (up to rounding).
 * At 10k peers × gather-20 with per-peer buckets (~9,000 readers per bucket) the downlinks bind
 * and the buckets do not, so an event costs one reader's 20 flows instead of every moving flow.
 * Per-flow and per-resource state lives in typed arrays; marks carry an epoch so nothing is
 * cleared or allocated per event.
 */
/**
 * Processor sharing on one resource of `capacityBytesPerS` for flows that all start moving at the
 * same instant (TransferNetwork.uncontendedDownloadsS: a peer's gather downloads on its downlink) (max-min fairness when no flow has a lower cap of its own): with sizes sorted
 * b₁ ≤ … ≤ bₙ, the k-th finishes (bₖ − bₖ₋₁)·(n − k + 1)/C after the (k − 1)-th. Returns each
 * flow's finish, sim seconds after that instant, in the input order.
 */
export function sharedLinkFinishOffsetsS(bytes: ArrayLike<number>, capacityBytesPerS: number): Float64Array {
  const n = bytes.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => bytes[a]! - bytes[b]! || a - b);
  const out = new Float64Array(n);
  let atS = 0;
  let previous = 0;
  order.forEach((i, k) => {
    atS += ((bytes[i]! - previous) * (n - k)) / capacityBytesPerS;
    previous = bytes[i]!;
    out[i] = atS;
  });
  return out;
}

class MovingFlows {
  readonly #flows: readonly FlowSpec[];
  readonly #caps: readonly number[];
  /** Per resource, the moving flows crossing it (finite resources only). */
  readonly #on: (Set<number> | undefined)[];
  /** Per resource, the sum of the moving flows' rates, bytes/s. */
  readonly #load: Float64Array;
  /** Per flow: rate, bytes/s (valid while moving). */
  readonly #rate: Float64Array;
  /** Per flow: bytes left at `#since`. */
  readonly #left: Float64Array;
  /** Per flow: sim seconds when `#left` was last brought up to date. */
  readonly #since: Float64Array;
  /** Per flow: the finish pushed at its current rate (NaN when not moving); other heap entries are stale. */
  readonly #finishKey: Float64Array;
  #count = 0;
  // Epoch marks: a slot equal to #epoch is set for the current region.
  #epoch = 0;
  readonly #inRegion: Uint32Array; // per resource
  readonly #member: Uint32Array; // per flow
  readonly #fresh: Uint32Array; // per flow: arrived this event
  readonly #seen: Uint32Array; // per resource, per region pass
  #pass = 0;
  readonly #residual: Float64Array; // per resource: capacity left to the region, bytes/s
  readonly #newLoad: Float64Array; // per boundary resource: its load at the region's new rates, bytes/s
  readonly #changed: Uint8Array; // per boundary resource: 1 if a region flow's rate changed there
  readonly #filler: ProgressiveFilling;

  constructor(flows: readonly FlowSpec[], caps: readonly number[]) {
    this.#flows = flows;
    this.#caps = caps;
    const nF = flows.length;
    const nR = caps.length;
    this.#on = new Array<Set<number> | undefined>(nR);
    this.#load = new Float64Array(nR);
    this.#rate = new Float64Array(nF);
    this.#left = new Float64Array(nF);
    this.#since = new Float64Array(nF);
    this.#finishKey = new Float64Array(nF).fill(NaN);
    this.#inRegion = new Uint32Array(nR);
    this.#member = new Uint32Array(nF);
    this.#fresh = new Uint32Array(nF);
    this.#seen = new Uint32Array(nR);
    this.#residual = new Float64Array(nR);
    this.#newLoad = new Float64Array(nR);
    this.#changed = new Uint8Array(nR);
    this.#filler = new ProgressiveFilling(flows, caps);
  }

  get count(): number {
    return this.#count;
  }

  finishAt(i: number): number {
    return this.#finishKey[i]!;
  }

  isCurrentFinish(i: number, key: number): boolean {
    return this.#finishKey[i] === key;
  }

  /** Takes a finished flow out; pushes onto `seeds` its resources that were saturated with it. */
  remove(i: number, seeds: number[]): void {
    const rate = this.#rate[i]!;
    for (const r of this.#flows[i]!.resources) {
      if (this.#caps[r] === Infinity) continue;
      if (this.#saturated(r)) seeds.push(r);
      const on = this.#on[r]!;
      on.delete(i);
      // An empty resource restarts from zero, so rounding in the running sum never accumulates.
      this.#load[r] = on.size === 0 ? 0 : this.#load[r]! - rate;
    }
    this.#finishKey[i] = NaN;
    this.#count--;
  }

  /**
   * Adds the `arrived` flows at `nowS` and re-solves the region grown from `seeds` (see the class
   * header). Calls `onRate` for each flow whose rate is new or changed (its finish already updated).
   */
  settleRegion(nowS: number, arrived: readonly number[], seeds: readonly number[], onRate: (i: number, rate: number, fresh: boolean) => void): void {
    const flows = this.#flows;
    const caps = this.#caps;
    const epoch = ++this.#epoch;
    const inRegion = this.#inRegion;
    const fresh = this.#fresh;
    const member = this.#member;
    const residual = this.#residual;
    const seen = this.#seen;
    for (const r of seeds) inRegion[r] = epoch;
    for (const i of arrived) {
      fresh[i] = epoch;
      member[i] = epoch;
    }
    const members: number[] = [...arrived];
    for (const r of seeds) this.#addFlowsOn(r, members, epoch);
    let rates: Float64Array;
    const boundary: number[] = [];
    for (;;) {
      members.sort((a, b) => a - b); // deterministic whatever the event history
      // Capacity left to the region on each resource it crosses: all of it inside, what the flows
      // outside leave on the boundary.
      const pass = ++this.#pass;
      boundary.length = 0;
      for (const i of members) {
        for (const r of flows[i]!.resources) {
          if (caps[r] === Infinity) continue;
          if (seen[r] !== pass) {
            seen[r] = pass;
            if (inRegion[r] === epoch) residual[r] = caps[r]!;
            else {
              residual[r] = caps[r]! - this.#load[r]!;
              boundary.push(r);
            }
          }
          if (inRegion[r] !== epoch && fresh[i] !== epoch) residual[r] = residual[r]! + this.#rate[i]!;
        }
      }
      rates = this.#filler.rates(members, residual);
      // Boundary resources that join: saturated now, or saturated before with a rate changed there.
      const newLoad = this.#newLoad;
      const changed = this.#changed;
      for (const r of boundary) {
        newLoad[r] = caps[r]! - residual[r]!;
        changed[r] = 0;
      }
      for (let k = 0; k < members.length; k++) {
        const i = members[k]!;
        const moved = fresh[i] === epoch || this.#rate[i] !== rates[k];
        for (const r of flows[i]!.resources) {
          if (caps[r] === Infinity || inRegion[r] === epoch) continue;
          newLoad[r] = newLoad[r]! + rates[k]!;
          if (moved) changed[r] = 1;
        }
      }
      let grew = false;
      for (const r of boundary) {
        if (newLoad[r]! >= caps[r]! * (1 - SATURATED_REL) || (changed[r] === 1 && this.#saturated(r))) {
          inRegion[r] = epoch;
          this.#addFlowsOn(r, members, epoch);
          grew = true;
        }
      }
      if (!grew) break;
    }
    for (let k = 0; k < members.length; k++) {
      const i = members[k]!;
      const rate = rates[k]!;
      const isFresh = fresh[i] === epoch;
      const old = isFresh ? 0 : this.#rate[i]!;
      if (!isFresh && old === rate) continue;
      if (isFresh) {
        this.#left[i] = flows[i]!.bytes;
        this.#count++;
        for (const r of flows[i]!.resources) {
          if (caps[r] === Infinity) continue;
          (this.#on[r] ??= new Set()).add(i);
        }
      } else this.#left[i] = this.#left[i]! - old * (nowS - this.#since[i]!);
      for (const r of flows[i]!.resources) if (caps[r] !== Infinity) this.#load[r] = this.#load[r]! - old + rate;
      this.#since[i] = nowS;
      this.#rate[i] = rate;
      this.#finishKey[i] = nowS + this.#left[i]! / rate;
      onRate(i, rate, isFresh);
    }
  }

  #addFlowsOn(r: number, members: number[], epoch: number): void {
    for (const i of this.#on[r] ?? []) {
      if (this.#member[i] === epoch) continue;
      this.#member[i] = epoch;
      members.push(i);
    }
  }

  #saturated(r: number): boolean {
    return this.#load[r]! >= this.#caps[r]! * (1 - SATURATED_REL);
  }
}

/**
 * Progressive filling, reusable across events: repeatedly the tightest resource (capacity left /
 * unfrozen flows) or flow cap fixes the rate of the flows it holds. Scratch arrays per resource
 * are sized once; each call touches only the resources its flows cross.
 */
class ProgressiveFilling {
  readonly #flows: readonly FlowSpec[];
  readonly #caps: readonly number[];
  readonly #remCap: Float64Array;
  readonly #unfrozen: Int32Array;
  readonly #start: Int32Array; // per resource: offset of its flows in #slots
  readonly #fill: Int32Array;
  readonly #stamp: Uint32Array;
  #call = 0;

  constructor(flows: readonly FlowSpec[], caps: readonly number[]) {
    this.#flows = flows;
    this.#caps = caps;
    const nR = caps.length;
    this.#remCap = new Float64Array(nR);
    this.#unfrozen = new Int32Array(nR);
    this.#start = new Int32Array(nR);
    this.#fill = new Int32Array(nR);
    this.#stamp = new Uint32Array(nR);
  }

  /** Max-min rates of `members` (bytes/s, in `members` order) given each finite resource's `residual` capacity. */
  rates(members: readonly number[], residual: Float64Array): Float64Array {
    const flows = this.#flows;
    const caps = this.#caps;
    const call = ++this.#call;
    const remCap = this.#remCap;
    const unfrozen = this.#unfrozen;
    const start = this.#start;
    const fill = this.#fill;
    const stamp = this.#stamp;
    const touched: number[] = [];
    for (const i of members) {
      for (const r of flows[i]!.resources) {
        if (caps[r] === Infinity) continue;
        if (stamp[r] !== call) {
          stamp[r] = call;
          unfrozen[r] = 0;
          remCap[r] = Math.max(0, residual[r]!);
          touched.push(r);
        }
        unfrozen[r]!++;
      }
    }
    // Each resource's member positions, contiguous in `slots` (counting sort by resource).
    let offset = 0;
    for (const r of touched) {
      start[r] = offset;
      fill[r] = offset;
      offset += unfrozen[r]!;
    }
    const slots = new Int32Array(offset);
    members.forEach((i, k) => {
      for (const r of flows[i]!.resources) if (caps[r] !== Infinity) slots[fill[r]!++] = k;
    });
    const rates = new Float64Array(members.length);
    const frozen = new Uint8Array(members.length);
    // Heap entries: resources as r, flow caps as −1 − k; a stale resource key is skipped.
    const heap = new MinHeap();
    for (const r of touched) heap.push(remCap[r]! / unfrozen[r]!, r);
    members.forEach((i, k) => {
      const cap = flows[i]!.capBytesPerS ?? Infinity;
      if (cap !== Infinity) heap.push(cap, -1 - k);
    });
    let left = members.length;
    const freeze = (k: number, level: number): void => {
      frozen[k] = 1;
      rates[k] = level;
      left--;
      for (const r of flows[members[k]!]!.resources) {
        if (caps[r] === Infinity) continue;
        const n = --unfrozen[r]!;
        const rc = Math.max(0, remCap[r]! - level);
        remCap[r] = rc;
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
      const n = unfrozen[id]!;
      if (n === 0 || remCap[id]! / n !== key) continue; // stale entry
      for (let s = start[id]!; s < fill[id]!; s++) {
        const k = slots[s]!;
        if (frozen[k] === 0) freeze(k, key);
      }
    }
    // Flows on infinite resources only, without a cap: unbounded (callers never build these with bytes).
    for (let k = 0; k < members.length; k++) if (frozen[k] === 0) rates[k] = Infinity;
    return rates;
  }
}
