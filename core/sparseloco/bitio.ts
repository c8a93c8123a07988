/**
 * Bit-level writing and reading over a byte range, least-significant bit first: bit i of the
 * stream is bit (i mod 8) of byte start + ⌊i/8⌋. The wire codec uses it for Rice-coded indices;
 * the same bit order is used for packed b-bit codes, so the whole format has one convention.
 *
 * Both classes work in place on a caller-owned `Uint8Array` (no allocation per bit or per value).
 *
 * @example
 * const out = new Uint8Array(2);
 * const w = new BitWriter(out, 0);
 * w.writeBits(0b101, 3); w.writeUnary(2); w.flush(); // out[0] = 0b0_011_101
 * const r = new BitReader(out, 0, 2);
 * r.readBits(3); // 5
 * r.readUnary(100); // 2
 */

/** Largest field width `writeBits` / `readBits` accept; keeps the accumulator within 32 bits. */
export const MAX_FIELD_BITS = 16;

/** Writes LSB-first bit fields into a zero-initialised byte range starting at `start`. */
export class BitWriter {
  #out: Uint8Array;
  #pos: number; // next byte to write
  #acc = 0; // pending bits, LSB = earliest
  #bits = 0; // number of pending bits, always < 8 between calls

  constructor(out: Uint8Array, start: number) {
    this.#out = out;
    this.#pos = start;
  }

  /** Appends the low `n` bits of `value` (0 ≤ n ≤ 16). */
  writeBits(value: number, n: number): void {
    this.#acc |= (value & ((1 << n) - 1)) << this.#bits;
    this.#bits += n;
    while (this.#bits >= 8) {
      this.#out[this.#pos++] = this.#acc & 0xff;
      this.#acc >>>= 8;
      this.#bits -= 8;
    }
  }

  /** Appends `q` one-bits followed by a zero-bit (the unary part of a Rice code). */
  writeUnary(q: number): void {
    while (q >= MAX_FIELD_BITS) {
      this.writeBits(0xffff, MAX_FIELD_BITS);
      q -= MAX_FIELD_BITS;
    }
    this.writeBits((1 << q) - 1, q + 1);
  }

  /** Writes the last partial byte (its unused high bits stay zero). Returns the next free byte. */
  flush(): number {
    if (this.#bits > 0) {
      this.#out[this.#pos++] = this.#acc & 0xff;
      this.#acc = 0;
      this.#bits = 0;
    }
    return this.#pos;
  }
}

/**
 * Reads LSB-first bit fields from bytes [start, end). Reading past `end` yields zero bits instead
 * of throwing, so hot loops stay branch-light; callers check {@link BitReader.overran} (or
 * {@link BitReader.bitsConsumed}) at a convenient boundary and reject the stream there.
 */
export class BitReader {
  #bytes: Uint8Array;
  #start: number;
  #pos: number; // next byte to load
  #end: number;
  #acc = 0;
  #bits = 0;

  constructor(bytes: Uint8Array, start: number, end: number) {
    this.#bytes = bytes;
    this.#start = start;
    this.#pos = start;
    this.#end = end;
  }

  /** Reads `n` bits (0 ≤ n ≤ 16) as an unsigned integer. */
  readBits(n: number): number {
    while (this.#bits < n) {
      const byte = this.#pos < this.#end ? this.#bytes[this.#pos]! : 0;
      this.#pos++;
      this.#acc |= byte << this.#bits;
      this.#bits += 8;
    }
    const v = this.#acc & ((1 << n) - 1);
    this.#acc >>>= n;
    this.#bits -= n;
    return v;
  }

  /**
   * Counts one-bits up to the terminating zero-bit and consumes both. Stops early and returns
   * `limit + 1` once more than `limit` ones were seen, so a corrupt stream cannot loop for long.
   */
  readUnary(limit: number): number {
    let q = 0;
    for (;;) {
      if (this.#bits === 0) {
        const byte = this.#pos < this.#end ? this.#bytes[this.#pos]! : 0;
        this.#pos++;
        this.#acc = byte;
        this.#bits = 8;
      }
      // Trailing ones of the pending bits: ctz(~acc), capped at the pending bit count.
      const inverted = ~this.#acc;
      const run = Math.min(31 - Math.clz32(inverted & -inverted), this.#bits);
      q += run;
      if (q > limit) return limit + 1;
      if (run < this.#bits) {
        this.#acc >>>= run + 1;
        this.#bits -= run + 1;
        return q;
      }
      this.#acc = 0;
      this.#bits = 0;
    }
  }

  /** Bits consumed since `start` (may exceed the range when the stream overran). */
  get bitsConsumed(): number {
    return (this.#pos - this.#start) * 8 - this.#bits;
  }

  /** True once more bits were consumed than the range holds. */
  get overran(): boolean {
    return this.bitsConsumed > (this.#end - this.#start) * 8;
  }

  /** The not-yet-consumed bits of the current byte (the padding, once the stream is done). */
  get pendingBits(): number {
    return this.#bits;
  }

  /** Value of the not-yet-consumed bits of the current byte. */
  get pendingValue(): number {
    return this.#acc;
  }
}
