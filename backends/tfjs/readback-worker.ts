/**
 * Worker-thread side of readback-bridge.ts: selects the engine in this thread (webgpu with its
 * adapter check), then answers each objective call with the asynchronous readers of objective.ts
 * and wakes the blocked caller through the shared signal.
 */
import { workerData, parentPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { SparseLocoError } from '../../core/errors.ts';
import { EngineUnavailableError, NoGpuError, selectEngine } from './engine.ts';
import type { EngineKind, TfjsEngine } from './engine.ts';
import { gptLayout } from './model.ts';
import { lossAndGradientAsync, summedTokenLossAsync } from './objective.ts';
import type { BridgeReply, BridgeRequest, ReadyMessage } from './readback-bridge.ts';

const { kind, signal, port } = workerData as { kind: Exclude<EngineKind, 'auto'>; signal: Int32Array; port: MessagePort };

let engine: TfjsEngine;
try {
  engine = await selectEngine(kind, { inThread: true });
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  const typed = e instanceof EngineUnavailableError ? { engine: e.engine, packageName: e.packageName, installHint: e.installHint, reason: e.reason } : {};
  const probe = e instanceof NoGpuError ? { probe: e.probe } : {};
  parentPort!.postMessage({ kind: 'error', name: e.name, message: e instanceof SparseLocoError ? e.shortMessage : e.message, ...typed, ...probe } satisfies ReadyMessage);
  process.exit(0);
}
parentPort!.postMessage({ kind: 'ready', engine: engine.name, backendName: engine.backendName, device: engine.device } satisfies ReadyMessage);

port.on('message', (request: BridgeRequest) => {
  void answer(request).then(({ reply, transfer }) => {
    port.postMessage(reply, transfer);
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  });
});

async function answer(request: BridgeRequest): Promise<{ reply: BridgeReply; transfer: ArrayBuffer[] }> {
  try {
    if (request.op === 'memory') return { reply: { ok: true, value: engine.tf.memory().numTensors }, transfer: [] };
    const layout = gptLayout(request.shape);
    if (layout.size !== request.size) throw new SparseLocoError(`the caller's layout has ${request.size} parameters, this shape ${layout.size}`);
    if (request.op === 'eval') return { reply: { ok: true, value: await summedTokenLossAsync(engine, request.shape, layout, request.params, request.data) }, transfer: [] };
    const grad = new Float32Array(layout.size);
    const value = await lossAndGradientAsync(engine, request.shape, layout, request.params, request.data, grad);
    return { reply: { ok: true, value, grad }, transfer: [grad.buffer] };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    return { reply: { ok: false, name: e.name, message: e.message }, transfer: [] };
  }
}
