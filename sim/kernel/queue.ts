/**
 * The event queue: a binary min-heap ordered by (time, priority, sequence). The sequence number is
 * the insertion order, so events scheduled for the same time and priority run first-in first-out —
 * the documented tie rule that makes every simulation replay bit-identically.
 */

export interface QueueEntry<T> {
  readonly time: number; // sim seconds
  readonly priority: number; // lower runs first
  readonly seq: number; // insertion order
  readonly item: T;
}

function before<T>(a: QueueEntry<T>, b: QueueEntry<T>): boolean {
  if (a.time !== b.time) return a.time < b.time;
  if (a.priority !== b.priority) return a.priority < b.priority;
  return a.seq < b.seq;
}

export class EventQueue<T> {
  readonly #heap: QueueEntry<T>[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  push(time: number, priority: number, item: T): void {
    const heap = this.#heap;
    const entry: QueueEntry<T> = { time, priority, seq: this.#seq++, item };
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  peek(): QueueEntry<T> | undefined {
    return this.#heap[0];
  }

  pop(): QueueEntry<T> | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    // Sift the last entry down from the root.
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(heap[r]!, heap[l]!) ? r : l;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
