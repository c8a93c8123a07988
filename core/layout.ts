/**
 * A model's parameters as one flat `Float32Array` with named tensor shapes, and the chunking of
 * each tensor for SparseLoCo (SPEC.md §2.1). A 1-D tensor of length n is treated as a 1×n matrix,
 * which gives exactly SPEC's (n/c, c) view, so one code path serves both ranks.
 *
 * Chunk (i, j) of an (m, n) tensor holds rows i·c1 … i·c1+c1−1 and columns j·c2 … j·c2+c2−1,
 * flattened row-major: index-within-chunk w = r·c2 + c. Chunks are numbered row-major too:
 * chunk = i·chunksX + j. Chunks never cross tensor boundaries.
 *
 * @example
 * const layout = defineLayout([{ name: 'w', shape: [4096, 4096] }, { name: 'norm', shape: [4096] }]);
 * layout.tensors[0].chunk.chunkLen; // 4096 (64×64)
 */
import { ConfigError } from './errors.ts';
import { fnv1a32 } from './hash.ts';

export interface TensorSpec {
  readonly name: string;
  /** 1-D `[n]` or 2-D `[rows, cols]`. */
  readonly shape: readonly number[];
}

export interface ChunkGeometry {
  /** Rows and columns of the tensor as a matrix (1-D tensors: rows = 1). */
  readonly rows: number;
  readonly cols: number;
  /** Chunk side lengths: c1 = split(rows, target), c2 = split(cols, target). */
  readonly c1: number;
  readonly c2: number;
  /** Elements per chunk, c1·c2. */
  readonly chunkLen: number;
  readonly chunksY: number;
  readonly chunksX: number;
  readonly numChunks: number;
}

export interface TensorLayout {
  readonly name: string;
  readonly shape: readonly number[];
  /** First element of this tensor in the flat parameter vector. */
  readonly offset: number;
  /** Number of elements. */
  readonly size: number;
  readonly chunk: ChunkGeometry;
}

export interface ParamLayout {
  readonly tensors: readonly TensorLayout[];
  /** Total number of parameters. */
  readonly size: number;
  readonly targetChunk: number;
  /** 32-bit FNV-1a hash of names, shapes and chunk target: carried in every wire message. */
  readonly id: number;
}

/** Largest divisor of n that is ≤ target (n itself when n ≤ target). SPEC.md §2.1 `_get_smaller_split`. */
export function split(n: number, target: number): number {
  if (n <= target) return n;
  for (let d = target; d >= 1; d--) if (n % d === 0) return d;
  return 1;
}

/** Builds and validates a frozen layout. Throws {@link ConfigError} naming the bad tensor. */
export function defineLayout(specs: readonly TensorSpec[], options: { targetChunk?: number } = {}): ParamLayout {
  const targetChunk = options.targetChunk ?? 64;
  if (!Number.isInteger(targetChunk) || targetChunk < 1 || targetChunk > 64) {
    // 64×64 = 4096 is the largest chunk whose within-chunk index fits the 12-bit wire packing.
    throw new ConfigError('targetChunk', targetChunk, 'must be an integer in [1, 64]');
  }
  if (specs.length === 0) throw new ConfigError('layout.tensors', specs.length, 'must hold at least one tensor');
  const seen = new Set<string>();
  const tensors: TensorLayout[] = [];
  let offset = 0;
  for (const spec of specs) {
    if (typeof spec.name !== 'string' || spec.name.length === 0) {
      throw new ConfigError('tensor name', spec.name, 'must be a non-empty string');
    }
    if (seen.has(spec.name)) throw new ConfigError(`tensor "${spec.name}"`, spec.name, 'is defined twice');
    seen.add(spec.name);
    const shape = spec.shape;
    if (shape.length < 1 || shape.length > 2) {
      throw new ConfigError(`tensor "${spec.name}".shape`, shape, 'must be 1-D or 2-D (SPEC.md §2.1)');
    }
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 1) {
        throw new ConfigError(`tensor "${spec.name}".shape`, shape, 'must hold positive integers');
      }
    }
    const rows = shape.length === 2 ? shape[0]! : 1;
    const cols = shape.length === 2 ? shape[1]! : shape[0]!;
    const c1 = split(rows, targetChunk);
    const c2 = split(cols, targetChunk);
    const chunksY = rows / c1;
    const chunksX = cols / c2;
    const size = rows * cols;
    tensors.push(
      Object.freeze({
        name: spec.name,
        shape: Object.freeze([...shape]),
        offset,
        size,
        chunk: Object.freeze({ rows, cols, c1, c2, chunkLen: c1 * c2, chunksY, chunksX, numChunks: chunksY * chunksX }),
      }),
    );
    offset += size;
  }
  return Object.freeze({ tensors: Object.freeze(tensors), size: offset, targetChunk, id: layoutHash(tensors, targetChunk) });
}

function layoutHash(tensors: readonly TensorLayout[], targetChunk: number): number {
  const text = `${targetChunk};` + tensors.map((t) => `${t.name}:${t.shape.join('x')}`).join(';');
  return fnv1a32(new TextEncoder().encode(text));
}

/** Flat-vector position of element `within` (= r·c2 + c) of chunk `chunk` of tensor `t`. */
export function chunkElementIndex(t: TensorLayout, chunk: number, within: number): number {
  const g = t.chunk;
  const i = Math.floor(chunk / g.chunksX);
  const j = chunk - i * g.chunksX;
  const r = Math.floor(within / g.c2);
  const c = within - r * g.c2;
  return t.offset + (i * g.c1 + r) * g.cols + j * g.c2 + c;
}

/** Copies chunk `chunk` of tensor `t` out of `flat` into `out` (length chunkLen), row-major. */
export function readChunk(flat: Float32Array, t: TensorLayout, chunk: number, out: Float32Array): Float32Array {
  const g = t.chunk;
  const i = Math.floor(chunk / g.chunksX);
  const j = chunk - i * g.chunksX;
  let base = t.offset + i * g.c1 * g.cols + j * g.c2;
  for (let r = 0; r < g.c1; r++, base += g.cols) out.set(flat.subarray(base, base + g.c2), r * g.c2);
  return out;
}

/** Inverse of {@link readChunk}: writes `values` (length chunkLen) into chunk `chunk` of `t` in `flat`. */
export function writeChunk(flat: Float32Array, t: TensorLayout, chunk: number, values: Float32Array): void {
  const g = t.chunk;
  const i = Math.floor(chunk / g.chunksX);
  const j = chunk - i * g.chunksX;
  let base = t.offset + i * g.c1 * g.cols + j * g.c2;
  for (let r = 0; r < g.c1; r++, base += g.cols) flat.set(values.subarray(r * g.c2, (r + 1) * g.c2), base);
}

/** The layout of `count` square matrices of side `side` (the benchmark model: four 4096×4096). */
export function squareMatrices(count: number, side: number): ParamLayout {
  return defineLayout(Array.from({ length: count }, (_, i) => ({ name: `w${i}`, shape: [side, side] })));
}
