/**
 * The event queue: a binary min-heap ordered by (time, priority, sequence). The sequence number is
 * the insertion order, so events scheduled for the same time and priority run first-in first-out —
 * the documented tie rule that makes every simulation replay bit-identically.
 *
 * Why this layout: the kernel pushes and pops one entry per event, so the heap is the hottest code
 * of a simulation. The heap itself moves only two numbers per entry, in typed arrays: the time and
 * the index of a slot. The slot holds the item and its tie key `priority·2^40 + seq` (one exact
 * number), which are written once on push and read only to break a tie of equal times. Sifting
 * thus moves no object pointers (each pointer store into a long-lived array costs a GC write
 * barrier) and allocates nothing.
 */
import { KernelError } from './errors.ts';

export interface QueueEntry<T> {
  readonly time: number; // sim seconds
  readonly priority: number; // lower runs first
  readonly seq: number; // insertion order
  readonly item: T;
}

/** 2^40: room for ~10^12 insertions before the sequence would spill into the priority. */
const SEQ_SPAN = 1099511627776;
/** Priorities are integers in [-MAX_PRIORITY, MAX_PRIORITY], so that priority·2^40 + seq stays exact (< 2^53). */
export const MAX_PRIORITY = 4095;
const INITIAL_CAPACITY = 64;

export class EventQueue<T> {
  /** Heap-ordered event times, sim seconds. */
  #times = new Float64Array(INITIAL_CAPACITY);
  /** Heap-ordered slot indices. */
  #slotOf = new Int32Array(INITIAL_CAPACITY);
  /** Tie key of each slot's entry, priority·2^40 + seq. */
  #keyOfSlot = new Float64Array(INITIAL_CAPACITY);
  /** The item of each slot; a slot is reused once its item is popped. */
  readonly #items: (T | undefined)[] = [];
  /** Stack of free slot indices. */
  #freeSlots = new Int32Array(INITIAL_CAPACITY);
  #freeCount = 0;
  #size = 0;
  #seq = 0;

  get size(): number {
    return this.#size;
  }

  /** Inserts `item` at (time, priority); `priority` must be an integer in [-4095, 4095]. */
  push(time: number, priority: number, item: T): void {
    if (!(priority >= -MAX_PRIORITY && priority <= MAX_PRIORITY && Math.floor(priority) === priority)) {
      throw new KernelError(`priority (${priority}) must be an integer in [-${MAX_PRIORITY}, ${MAX_PRIORITY}]`);
    }
    if (this.#seq === SEQ_SPAN) throw new KernelError(`the queue ran out of sequence numbers after ${SEQ_SPAN} insertions`);
    const key = priority * SEQ_SPAN + this.#seq++;
    let i = this.#size;
    if (i === this.#times.length) this.#grow();
    this.#size = i + 1;
    let slot: number;
    if (this.#freeCount > 0) {
      slot = this.#freeSlots[--this.#freeCount]!;
      this.#items[slot] = item;
    } else {
      slot = this.#items.length;
      this.#items.push(item);
    }
    this.#keyOfSlot[slot] = key;
    this.#siftUp(i, time, key, slot);
  }

  /** Time of the first entry (sim seconds), or Infinity when empty. */
  peekTime(): number {
    return this.#size > 0 ? this.#times[0]! : Infinity;
  }

  /** The first entry without removing it. Allocates; the kernel uses {@link peekTime}. */
  peek(): QueueEntry<T> | undefined {
    if (this.#size === 0) return undefined;
    const slot = this.#slotOf[0]!;
    const key = this.#keyOfSlot[slot]!;
    const priority = Math.floor(key / SEQ_SPAN);
    return { time: this.#times[0]!, priority, seq: key - priority * SEQ_SPAN, item: this.#items[slot] as T };
  }

  /** Removes and returns the first entry. Allocates; the kernel uses {@link popItem}. */
  pop(): QueueEntry<T> | undefined {
    const entry = this.peek();
    if (entry !== undefined) this.popItem();
    return entry;
  }

  /**
   * Removes the first entry and returns its item (undefined when empty). Read {@link peekTime}
   * before calling to learn the entry's time.
   */
  popItem(): T | undefined {
    const n = this.#size - 1;
    if (n < 0) return undefined;
    const times = this.#times;
    const slotOf = this.#slotOf;
    const keyOfSlot = this.#keyOfSlot;
    const items = this.#items;
    const topSlot = slotOf[0]!;
    const top = items[topSlot];
    items[topSlot] = undefined; // let the popped item be collected
    this.#freeSlots[this.#freeCount++] = topSlot;
    this.#size = n;
    if (n === 0) return top;
    const time = times[n]!;
    const slot = slotOf[n]!;
    const key = keyOfSlot[slot]!;
    // Bottom-up deletion: walk the hole at the root down to a leaf, always promoting the earlier
    // child (one comparison per level), then sift the former last entry up from there. The last
    // entry nearly always belongs near the bottom, so this saves about half the comparisons of the
    // textbook sift-down and its hard-to-predict "stop here?" branch.
    let i = 0;
    for (let child = 1; child < n; child = 2 * i + 1) {
      const right = child + 1;
      if (right < n) {
        const ct = times[child]!;
        const rt = times[right]!;
        // Branch-free for distinct times: the "which child" outcome is a coin flip on random
        // times, so a conditional jump would be mispredicted half the time.
        if (rt === ct) {
          if (keyOfSlot[slotOf[right]!]! < keyOfSlot[slotOf[child]!]!) child = right;
        } else child += +(rt < ct);
      }
      times[i] = times[child]!;
      slotOf[i] = slotOf[child]!;
      i = child;
    }
    this.#siftUp(i, time, key, slot);
    return top;
  }

  /** Moves the hole at `i` towards the root while the parent comes later, then puts (time, slot) there. */
  #siftUp(i: number, time: number, key: number, slot: number): void {
    const times = this.#times;
    const slotOf = this.#slotOf;
    const keyOfSlot = this.#keyOfSlot;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < time || (pt === time && keyOfSlot[slotOf[parent]!]! < key)) break;
      times[i] = pt;
      slotOf[i] = slotOf[parent]!;
      i = parent;
    }
    times[i] = time;
    slotOf[i] = slot;
  }

  #grow(): void {
    const capacity = this.#times.length * 2;
    const times = new Float64Array(capacity);
    times.set(this.#times);
    const slotOf = new Int32Array(capacity);
    slotOf.set(this.#slotOf);
    const keyOfSlot = new Float64Array(capacity);
    keyOfSlot.set(this.#keyOfSlot);
    const freeSlots = new Int32Array(capacity);
    freeSlots.set(this.#freeSlots);
    this.#times = times;
    this.#slotOf = slotOf;
    this.#keyOfSlot = keyOfSlot;
    this.#freeSlots = freeSlots;
  }
}
