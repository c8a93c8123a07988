/**
 * Named GPT sizes, from the 108k-parameter default the simulator trains up to a GPU-sized 50.6M
 * (all through the same config keys, `backend.model.{contextLength, dModel, numLayers, numHeads}`),
 * and the exact parameter count of any shape from its config alone, without allocating a weight.
 *
 * @example
 * gptParamCount({ ...GPT_SIZES['gpt-50m'], vocabSize: 63 }); // 50_602_496
 */
import type { GptShape } from './model.ts';

/** A model shape without the vocabulary (the corpus sets it). */
export type GptSize = Omit<GptShape, 'vocabSize'>;

/**
 * 'gpt-108k' is TFJS_DEFAULTS.model; 'gpt-3m' is the bench's second size (a step that wasm still
 * finishes in seconds); 'gpt-50m' is the GPU-sized model (16 layers × 512 wide, 256-token context).
 */
export const GPT_SIZES = Object.freeze({
  'gpt-108k': Object.freeze({ contextLength: 64, dModel: 64, numLayers: 2, numHeads: 4, mlpRatio: 4, tiedEmbeddings: true }),
  'gpt-3m': Object.freeze({ contextLength: 128, dModel: 256, numLayers: 4, numHeads: 8, mlpRatio: 4, tiedEmbeddings: true }),
  'gpt-50m': Object.freeze({ contextLength: 256, dModel: 512, numLayers: 16, numHeads: 8, mlpRatio: 4, tiedEmbeddings: true }),
} satisfies Record<string, GptSize>);

export type GptSizeName = keyof typeof GPT_SIZES;

/**
 * Parameters of a GPT of `shape`, in closed form: embeddings V·d + T·d; per block two LayerNorms
 * (4d), q|k|v (3d² + 3d), the attention projection (d² + d), the MLP (2·r·d² + r·d + d); the final
 * LayerNorm (2d); an untied head d·V.
 */
export function gptParamCount(shape: GptShape): number {
  const { vocabSize: v, contextLength: t, dModel: d, numLayers: l, mlpRatio: r } = shape;
  const block = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (2 * r * d * d + r * d + d);
  return v * d + t * d + l * block + 2 * d + (shape.tiedEmbeddings ? 0 : d * v);
}
