import { selectEngine } from './backends/tfjs/engine.ts';
import { startReadbackWorker } from './backends/tfjs/readback-bridge.ts';
import { gptLayout, initGptParams } from './backends/tfjs/model.ts';
import { lossAndGradient } from './backends/tfjs/objective.ts';
import { createRng } from './core/rng.ts';
const t0 = Date.now();
try { await selectEngine('webgpu'); } catch (e) { console.log('webgpu:', (e as Error).name, (e as Error).message); }
console.log('ms', Date.now() - t0);
const a = await selectEngine('auto'); console.log(a.name, a.device.label, a.attempts);
const remote = await startReadbackWorker('wasm');
console.log('remote', remote.device);
const shape = { vocabSize: 11, contextLength: 6, dModel: 8, numLayers: 1, numHeads: 2, mlpRatio: 2, tiedEmbeddings: true };
const layout = gptLayout(shape); const p = initGptParams(shape, layout, createRng(1));
const data = { inputs: Int32Array.from({length: 12}, (_, i) => i % 11), targets: Int32Array.from({length: 12}, (_, i) => (i+1) % 11), batch: 2 };
const g1 = new Float32Array(layout.size), g2 = new Float32Array(layout.size);
const l1 = lossAndGradient(a, shape, layout, p, data, g1);
const l2 = remote.lossAndGradient(shape, layout, p, data, g2);
console.log(l1, l2, Buffer.from(g1.buffer).equals(Buffer.from(g2.buffer)), remote.numTensors());
await remote.close();
