import { expect } from 'chai';
import fc from 'fast-check';
import { ConfigError } from '../../core/errors.ts';
import { COVENANT_72B, llamaLayout, llamaParamCount, llamaShapes, SCALED_1T, shapesLayout } from '../../core/model-layout.ts';
import type { LlamaArchitecture } from '../../core/model-layout.ts';

describe('core/model-layout', () => {
  it('counts Covenant-72B at 72,747,327,488 parameters, closed form = layout = Σ shapes', () => {
    const layout = llamaLayout(COVENANT_72B);
    expect(llamaParamCount(COVENANT_72B)).to.equal(72_747_327_488);
    expect(layout.size).to.equal(72_747_327_488);
    expect(layout.tensors).to.have.length(1 + 80 * 9 + 2);
    // Every matrix of the 72B model chunks into 64×64 (SPEC.md §2.1), norms into 64-element rows.
    for (const t of layout.tensors) expect(t.chunk.chunkLen).to.equal(t.shape.length === 2 ? 4096 : 64);
  });

  it('lists tensors in LLaMA checkpoint order with [out, in] shapes', () => {
    const arch: LlamaArchitecture = { layers: 2, hidden: 64, heads: 4, kvHeads: 2, ffn: 96, vocab: 100, tiedEmbeddings: false };
    const specs = llamaShapes(arch);
    expect(specs.map((s) => s.name).slice(0, 10)).to.deep.equal([
      'model.embed_tokens.weight',
      'model.layers.0.self_attn.q_proj.weight',
      'model.layers.0.self_attn.k_proj.weight',
      'model.layers.0.self_attn.v_proj.weight',
      'model.layers.0.self_attn.o_proj.weight',
      'model.layers.0.mlp.gate_proj.weight',
      'model.layers.0.mlp.up_proj.weight',
      'model.layers.0.mlp.down_proj.weight',
      'model.layers.0.input_layernorm.weight',
      'model.layers.0.post_attention_layernorm.weight',
    ]);
    expect(specs.slice(-2).map((s) => s.name)).to.deep.equal(['model.norm.weight', 'lm_head.weight']);
    expect(specs[2]!.shape).to.deep.equal([32, 64]); // k_proj: kvHeads · headDim = 2 · 16
    expect(specs[7]!.shape).to.deep.equal([64, 96]); // down_proj: [hidden, ffn]
    expect(llamaShapes({ ...arch, tiedEmbeddings: true }).map((s) => s.name)).to.not.include('lm_head.weight');
  });

  it('closed-form count equals the sum of the listed shapes on random architectures', () => {
    let cases = 0;
    fc.assert(
      fc.property(
        fc.record({
          layers: fc.integer({ min: 1, max: 200 }),
          kvHeads: fc.integer({ min: 1, max: 16 }),
          group: fc.integer({ min: 1, max: 8 }),
          headDim: fc.integer({ min: 1, max: 256 }),
          explicitHeadDim: fc.boolean(),
          ffn: fc.integer({ min: 1, max: 100_000 }),
          vocab: fc.integer({ min: 1, max: 300_000 }),
          tiedEmbeddings: fc.boolean(),
        }),
        (a) => {
          const heads = a.kvHeads * a.group;
          const arch: LlamaArchitecture = {
            layers: a.layers, hidden: heads * a.headDim, heads, kvHeads: a.kvHeads, ffn: a.ffn, vocab: a.vocab, tiedEmbeddings: a.tiedEmbeddings,
            ...(a.explicitHeadDim ? { headDim: a.headDim } : {}),
          };
          const sum = llamaShapes(arch).reduce((s, t) => s + t.shape.reduce((p, d) => p * d, 1), 0);
          expect(llamaParamCount(arch)).to.equal(sum);
          cases++;
        },
      ),
      { seed: 5, numRuns: 100 },
    );
    expect(cases).to.equal(100);
  });

  it('labels the 1T layout as scaled and counts it exactly', () => {
    expect(llamaParamCount(SCALED_1T)).to.equal(992_143_761_408);
  });

  it('rejects bad architectures with typed errors naming the field', () => {
    const good = COVENANT_72B;
    expect(() => llamaShapes({ ...good, kvHeads: 7 })).to.throw(ConfigError, /model.kvHeads \(7\) must divide model.heads \(64\)/);
    expect(() => llamaShapes({ ...good, layers: 0 })).to.throw(ConfigError, /model.layers \(0\)/);
    expect(() => llamaShapes({ ...good, hidden: 8000, heads: 48, kvHeads: 8 })).to.throw(ConfigError, /model.heads \(48\) must divide model.hidden/);
    expect(() => llamaShapes({ ...good, headDim: 0 })).to.throw(ConfigError, /model.headDim/);
    expect(() => shapesLayout([{ name: 'w', shape: [2 ** 27, 2 ** 27] }])).to.throw(ConfigError, /layout.size/);
  });
});
