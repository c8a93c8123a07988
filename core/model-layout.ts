/**
 * Model layouts at any size, described by architecture, without allocating parameters: a
 * LLaMA-style decoder (`llamaLayout`) or a plain list of shapes (`shapesLayout`), both as the
 * {@link ParamLayout} the codec and the wire-size functions read. A ParamLayout holds one small
 * record per tensor (offset, shape, chunk geometry) and nothing per chunk or per element, so a
 * 72B-parameter layout is ≈ 700 records; `wire-size.ts` walks it in closed form per tensor.
 *
 * Tensor order and names follow a Hugging Face LLaMA checkpoint (`LlamaForCausalLM` module order):
 * embedding, then per layer q/k/v/o projections, gate/up/down MLP, input and post-attention
 * RMSNorm vectors, then the final norm and the LM head (absent when the embedding is tied).
 * Linear weights are [out_features, in_features], as torch stores them.
 *
 * @example
 * const layout = llamaLayout(COVENANT_72B);
 * layout.size;                      // 72,747,327,488 parameters
 * llamaParamCount(COVENANT_72B);    // the same, in closed form
 */
import { ConfigError } from './errors.ts';
import { defineLayout } from './layout.ts';
import type { ParamLayout, TensorSpec } from './layout.ts';

/** A LLaMA-style decoder-only transformer (grouped-query attention, SwiGLU MLP, RMSNorm). */
export interface LlamaArchitecture {
  /** Decoder layers. */
  readonly layers: number;
  /** Model width d_model. */
  readonly hidden: number;
  /** Query heads. */
  readonly heads: number;
  /** Key/value heads (grouped-query attention); must divide `heads`. */
  readonly kvHeads: number;
  /** MLP inner width (gate/up output features). */
  readonly ffn: number;
  /** Vocabulary size (embedding rows). */
  readonly vocab: number;
  /** True when the LM head reuses the embedding matrix (no separate lm_head tensor). */
  readonly tiedEmbeddings: boolean;
  /** Per-head width; default hidden / heads. */
  readonly headDim?: number;
}

/**
 * Covenant-72B as its paper describes it (arXiv 2603.08163): 80 layers, hidden 8192, 64 query /
 * 8 KV heads, FFN 28,672, vocabulary 262,144, untied embeddings. 72,747,327,488 parameters.
 */
export const COVENANT_72B: LlamaArchitecture = Object.freeze({
  layers: 80,
  hidden: 8192,
  heads: 64,
  kvHeads: 8,
  ffn: 28672,
  vocab: 262144,
  tiedEmbeddings: false,
});

/**
 * A SCALED LLaMA-style 1T-class model, not a published one (no dense LLaMA-style 1T checkpoint
 * has been published): Covenant-72B's recipe widened to hidden 24,576 (192 heads of 128,
 * 16 KV heads), FFN 3.5 × hidden = 86,016, 128 layers, same vocabulary, untied. 992,143,761,408 parameters.
 */
export const SCALED_1T: LlamaArchitecture = Object.freeze({
  layers: 128,
  hidden: 24576,
  heads: 192,
  kvHeads: 16,
  ffn: 86016,
  vocab: 262144,
  tiedEmbeddings: false,
});

/**
 * SCALED LLaMA-style 200B-class model (our own scaling of Covenant-72B's recipe, FFN 3.5 × hidden;
 * not a published model): 96 layers, hidden 12,288 (96 heads of 128, 8 KV heads), FFN 43,008.
 * 190,054,674,432 parameters.
 */
export const SCALED_200B: LlamaArchitecture = Object.freeze({
  layers: 96,
  hidden: 12288,
  heads: 96,
  kvHeads: 8,
  ffn: 43008,
  vocab: 262144,
  tiedEmbeddings: false,
});

/**
 * SCALED LLaMA-style 500B-class model (as {@link SCALED_200B}; not a published model): 112 layers,
 * hidden 18,432 (144 heads of 128, 16 KV heads), FFN 64,512. 493,757,614,080 parameters.
 */
export const SCALED_500B: LlamaArchitecture = Object.freeze({
  layers: 112,
  hidden: 18432,
  heads: 144,
  kvHeads: 16,
  ffn: 64512,
  vocab: 262144,
  tiedEmbeddings: false,
});

/**
 * The sizes the trillion projection compares (bench/scenario.ts, experiments/catalog/trillion.ts),
 * smallest first: Covenant-72B as published, then the three scaled layouts. `id` is the
 * `charge.layout` name (sim/charge.ts CHARGE_LAYOUTS) and the row label.
 */
export const TRILLION_SIZES: readonly { readonly id: string; readonly label: string; readonly arch: LlamaArchitecture }[] = Object.freeze([
  Object.freeze({ id: 'covenant-72b', label: '72B', arch: COVENANT_72B }),
  Object.freeze({ id: 'scaled-200b', label: '200B', arch: SCALED_200B }),
  Object.freeze({ id: 'scaled-500b', label: '500B', arch: SCALED_500B }),
  Object.freeze({ id: 'scaled-1t', label: '1T', arch: SCALED_1T }),
]);

/** Checks every field of `arch`; throws {@link ConfigError} naming the bad field and rule. */
export function validateLlamaArchitecture(arch: LlamaArchitecture): void {
  for (const key of ['layers', 'hidden', 'heads', 'kvHeads', 'ffn', 'vocab'] as const) {
    const v = arch[key];
    if (!Number.isSafeInteger(v) || v < 1) throw new ConfigError(`model.${key}`, v, 'must be a positive integer');
  }
  if (typeof arch.tiedEmbeddings !== 'boolean') throw new ConfigError('model.tiedEmbeddings', arch.tiedEmbeddings, 'must be a boolean');
  if (arch.heads % arch.kvHeads !== 0) {
    throw new ConfigError('model.kvHeads', arch.kvHeads, `must divide model.heads (${arch.heads}) for grouped-query attention`);
  }
  if (arch.headDim === undefined) {
    if (arch.hidden % arch.heads !== 0) {
      throw new ConfigError('model.heads', arch.heads, `must divide model.hidden (${arch.hidden}) unless model.headDim is given`);
    }
  } else if (!Number.isSafeInteger(arch.headDim) || arch.headDim < 1) {
    throw new ConfigError('model.headDim', arch.headDim, 'must be a positive integer');
  }
}

function headDimOf(arch: LlamaArchitecture): number {
  return arch.headDim ?? arch.hidden / arch.heads;
}

/** The tensor shapes of `arch` in checkpoint order (see the file header). Validates `arch`. */
export function llamaShapes(arch: LlamaArchitecture): TensorSpec[] {
  validateLlamaArchitecture(arch);
  const { layers, hidden, heads, kvHeads, ffn, vocab } = arch;
  const hd = headDimOf(arch);
  const specs: TensorSpec[] = [{ name: 'model.embed_tokens.weight', shape: [vocab, hidden] }];
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    specs.push(
      { name: `${p}.self_attn.q_proj.weight`, shape: [heads * hd, hidden] },
      { name: `${p}.self_attn.k_proj.weight`, shape: [kvHeads * hd, hidden] },
      { name: `${p}.self_attn.v_proj.weight`, shape: [kvHeads * hd, hidden] },
      { name: `${p}.self_attn.o_proj.weight`, shape: [hidden, heads * hd] },
      { name: `${p}.mlp.gate_proj.weight`, shape: [ffn, hidden] },
      { name: `${p}.mlp.up_proj.weight`, shape: [ffn, hidden] },
      { name: `${p}.mlp.down_proj.weight`, shape: [hidden, ffn] },
      { name: `${p}.input_layernorm.weight`, shape: [hidden] },
      { name: `${p}.post_attention_layernorm.weight`, shape: [hidden] },
    );
  }
  specs.push({ name: 'model.norm.weight', shape: [hidden] });
  if (!arch.tiedEmbeddings) specs.push({ name: 'lm_head.weight', shape: [vocab, hidden] });
  return specs;
}

/**
 * The exact parameter count of `arch` in closed form (no shapes listed):
 * V·d·(tied ? 1 : 2) + d + L·(2·d·hd·(H + H_kv) + 3·d·F + 2·d).
 */
export function llamaParamCount(arch: LlamaArchitecture): number {
  validateLlamaArchitecture(arch);
  const { layers, hidden: d, heads, kvHeads, ffn, vocab } = arch;
  const hd = headDimOf(arch);
  const perLayer = 2 * d * hd * (heads + kvHeads) + 3 * d * ffn + 2 * d;
  return vocab * d * (arch.tiedEmbeddings ? 1 : 2) + d + layers * perLayer;
}

/** The {@link ParamLayout} of `arch` (chunk target as defineLayout, default 64 → 64×64 chunks). */
export function llamaLayout(arch: LlamaArchitecture, options: { targetChunk?: number } = {}): ParamLayout {
  return shapesLayout(llamaShapes(arch), options);
}

/**
 * The plain-list path: a layout from any list of 1-D / 2-D shapes (names and shape rules as
 * defineLayout). Checks that the total stays an exact integer in a JS number.
 */
export function shapesLayout(specs: readonly TensorSpec[], options: { targetChunk?: number } = {}): ParamLayout {
  const layout = defineLayout(specs, options);
  if (!Number.isSafeInteger(layout.size)) {
    throw new ConfigError('layout.size', layout.size, `must be ≤ ${Number.MAX_SAFE_INTEGER} parameters (exact in a float64)`);
  }
  return layout;
}
