/**
 * Orthonormal DCT-II over one chunk, as DeMo applies it (SPEC.md §2.1 DCT note, arXiv 2411.19870):
 * a c1×c2 chunk X (row-major) maps to Y = F_c1 · X · F_c2ᵀ and back with X = F_c1ᵀ · Y · F_c2,
 * where F_n[k][i] = s_k · cos(π(2i + 1)k / 2n), s_0 = √(1/n), s_k = √(2/n) (torch/scipy `norm="ortho"`).
 * A 1-row chunk (1-D tensors) has F_1 = [1], so only the row transform acts.
 *
 * Matrices are built in float64 and cached per n; products are accumulated in float64 and
 * rounded to fp32 once on output.
 */
import { ConfigError } from '../errors.ts';

const cache = new Map<number, Float64Array>();

/**
 * The n×n orthonormal DCT-II matrix, row-major (entry [k·n + i] = F[k][i]); cached per n.
 *
 * @example
 * const F = dctMatrix(4); // F·Fᵀ = I
 */
export function dctMatrix(n: number): Float64Array {
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('dct size', n, 'must be an integer ≥ 1');
  let m = cache.get(n);
  if (m === undefined) {
    m = new Float64Array(n * n);
    for (let k = 0; k < n; k++) {
      const s = k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n);
      for (let i = 0; i < n; i++) m[k * n + i] = s * Math.cos((Math.PI * (2 * i + 1) * k) / (2 * n));
    }
    cache.set(n, m);
  }
  return m;
}

/** Scratch for the chunk transforms: at least c1·c2 float64 entries. */
export function createDctScratch(chunkLen: number): Float64Array {
  return new Float64Array(chunkLen);
}

function checkChunk(x: Float32Array, out: Float32Array, c1: number, c2: number, tmp: Float64Array): void {
  const len = c1 * c2;
  if (x.length < len || out.length < len || tmp.length < len) {
    throw new ConfigError('dct chunk buffers', [x.length, out.length, tmp.length], `must each hold at least c1·c2 = ${len} entries`);
  }
}

/**
 * Forward transform of the c1×c2 chunk `x` into `out`: Y = F_c1 · X · F_c2ᵀ. `out` may not alias `x`.
 * Returns `out`.
 */
export function forwardDctChunk(x: Float32Array, c1: number, c2: number, out: Float32Array, tmp: Float64Array = createDctScratch(c1 * c2)): Float32Array {
  checkChunk(x, out, c1, c2, tmp);
  const f1 = dctMatrix(c1);
  const f2 = dctMatrix(c2);
  // tmp = X · F2ᵀ: tmp[r][k] = Σ_c X[r][c]·F2[k][c]
  for (let r = 0; r < c1; r++) {
    for (let k = 0; k < c2; k++) {
      let s = 0;
      for (let c = 0; c < c2; c++) s += x[r * c2 + c]! * f2[k * c2 + c]!;
      tmp[r * c2 + k] = s;
    }
  }
  // out = F1 · tmp: out[k1][k] = Σ_r F1[k1][r]·tmp[r][k]
  for (let k1 = 0; k1 < c1; k1++) {
    for (let k = 0; k < c2; k++) {
      let s = 0;
      for (let r = 0; r < c1; r++) s += f1[k1 * c1 + r]! * tmp[r * c2 + k]!;
      out[k1 * c2 + k] = s;
    }
  }
  return out;
}

/**
 * Inverse transform of the c1×c2 DCT-domain chunk `y` into `out`: X = F_c1ᵀ · Y · F_c2.
 * `out` may not alias `y`. Returns `out`.
 */
export function inverseDctChunk(y: Float32Array, c1: number, c2: number, out: Float32Array, tmp: Float64Array = createDctScratch(c1 * c2)): Float32Array {
  checkChunk(y, out, c1, c2, tmp);
  const f1 = dctMatrix(c1);
  const f2 = dctMatrix(c2);
  // tmp = Y · F2: tmp[r][c] = Σ_k Y[r][k]·F2[k][c]
  for (let r = 0; r < c1; r++) {
    for (let c = 0; c < c2; c++) {
      let s = 0;
      for (let k = 0; k < c2; k++) s += y[r * c2 + k]! * f2[k * c2 + c]!;
      tmp[r * c2 + c] = s;
    }
  }
  // out = F1ᵀ · tmp: out[i][c] = Σ_k1 F1[k1][i]·tmp[k1][c]
  for (let i = 0; i < c1; i++) {
    for (let c = 0; c < c2; c++) {
      let s = 0;
      for (let k1 = 0; k1 < c1; k1++) s += f1[k1 * c1 + i]! * tmp[k1 * c2 + c]!;
      out[i * c2 + c] = s;
    }
  }
  return out;
}
