/**
 * The flow solver's priority queue (sim/flows.ts): a binary min-heap of (key, id) with ties broken
 * by the lower id, so the order of pops never depends on the order of pushes.
 */
/** A binary min-heap of (key, id); ties by the lower id, so pops are deterministic. */
export class MinHeap {
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

  peekId(): number {
    return this.#ids[0]!;
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
