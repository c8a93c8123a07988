/**
 * The only source of randomness in `core/` and `sim/`: seeded, named, forkable streams built on
 * `seedrandom`'s Alea generator. A fork is derived from the parent's *seed path*, never from how
 * many numbers the parent has drawn, so `rng.fork('peer:17')` yields the same stream whatever
 * else happened before: adding a peer or an event elsewhere cannot perturb another stream.
 *
 * @example
 * const rng = createRng(42);
 * const net = rng.fork('net');
 * const latency = net.uniform(0.02, 0.2); // sim seconds
 */
import seedrandom from 'seedrandom';
import { ConfigError } from './errors.ts';

export interface Rng {
  /** The seed path that identifies this stream, e.g. `42/peer:17/data`. */
  readonly path: string;
  /** A new independent stream named `name` under this one. */
  fork(name: string): Rng;
  /** Uniform float in [0, 1), 32 bits of randomness. */
  next(): number;
  /** Uniform unsigned 32-bit integer. */
  uint32(): number;
  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Uniform integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  bernoulli(p: number): boolean;
  /** Standard normal (Box–Muller; both variates are used). */
  normal(): number;
  /** Exponential with the given mean. */
  exponential(mean: number): number;
  /** Fills `out` with N(0, std²) samples and returns it. */
  fillNormal(out: Float32Array, std?: number): Float32Array;
  /** In-place Fisher–Yates shuffle. */
  shuffle<T>(items: T[]): T[];
  /** One element chosen uniformly. */
  pick<T>(items: readonly T[]): T;
}

class AleaRng implements Rng {
  readonly path: string;
  readonly #prng: seedrandom.PRNG;
  #spareNormal: number | null = null;

  constructor(path: string) {
    this.path = path;
    this.#prng = seedrandom.alea(path);
  }

  fork(name: string): Rng {
    if (name.length === 0 || name.includes('/')) {
      throw new ConfigError('rng.fork name', name, 'must be non-empty and must not contain "/"');
    }
    return new AleaRng(`${this.path}/${name}`);
  }

  next(): number {
    return this.#prng();
  }

  uint32(): number {
    return this.#prng.int32() >>> 0;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.#prng();
  }

  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) {
      throw new ConfigError('rng.int range', [lo, hi], 'must be integers with lo ≤ hi');
    }
    return lo + Math.floor(this.#prng() * (hi - lo + 1));
  }

  bernoulli(p: number): boolean {
    return this.#prng() < p;
  }

  normal(): number {
    if (this.#spareNormal !== null) {
      const z = this.#spareNormal;
      this.#spareNormal = null;
      return z;
    }
    // 1 − u keeps the log argument in (0, 1].
    const u = 1 - this.#prng();
    const v = this.#prng();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.#prng());
  }

  fillNormal(out: Float32Array, std = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = std * this.normal();
    return out;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.#prng() * (i + 1));
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new ConfigError('rng.pick items', items, 'must not be empty');
    return items[Math.floor(this.#prng() * items.length)]!;
  }
}

/** The root stream of a run. Everything random in a run forks from it. */
export function createRng(seed: number | string): Rng {
  if (typeof seed === 'number' && !Number.isFinite(seed)) {
    throw new ConfigError('seed', seed, 'must be a finite number or a string');
  }
  return new AleaRng(String(seed));
}
