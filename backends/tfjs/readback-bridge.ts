/**
 * Synchronous calls into a tfjs engine running in a worker thread. Why: the TrainingBackend
 * interface is synchronous (the simulator's round loop and a cluster peer call it in line), but
 * webgpu on Node reads tensors only asynchronously. The worker (readback-worker.ts) selects the
 * engine in its own thread and answers each call with `await data()`; this thread posts the call
 * and blocks on `Atomics.wait` until the answer is on the port, then takes it with
 * `receiveMessageOnPort` — no event loop turn needed.
 *
 * Costs per call: the flat parameters go over (a structured-clone copy, 4 bytes/parameter) and the
 * gradient comes back (transferred). Any engine can be hosted this way (the tests host wasm and
 * compare bit for bit with the same engine in-thread).
 *
 * @example
 * const remote = await startReadbackWorker('webgpu');
 * const loss = remote.lossAndGradient(shape, layout, theta, batch, gradOut);
 */
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { SparseLocoError, assertInvariant } from '../../core/errors.ts';
import type { ParamLayout } from '../../core/layout.ts';
import type { EngineDevice } from './device.ts';
import { EngineUnavailableError, NoGpuError } from './engine-names.ts';
import type { EngineKind, EngineName } from './engine-names.ts';
import type { GptShape } from './model.ts';
import type { TokenBatch } from './objective.ts';

/** The objective, answered by a worker thread. */
export interface RemoteObjective {
  readonly engine: EngineName;
  readonly backendName: string;
  readonly device: EngineDevice;
  lossAndGradient(shape: GptShape, layout: ParamLayout, params: Float32Array, data: TokenBatch, gradOut: Float32Array): number;
  summedTokenLoss(shape: GptShape, layout: ParamLayout, params: Float32Array, data: TokenBatch): number;
  /** `tf.memory().numTensors` in the worker (the leak check). */
  numTensors(): number;
  /** Stops the worker. */
  close(): Promise<void>;
}

/** A call and its answer on the channel. */
export type BridgeRequest =
  | { readonly op: 'grad'; readonly shape: GptShape; readonly size: number; readonly params: Float32Array; readonly data: TokenBatch }
  | { readonly op: 'eval'; readonly shape: GptShape; readonly size: number; readonly params: Float32Array; readonly data: TokenBatch }
  | { readonly op: 'memory' };
export type BridgeReply = { readonly ok: true; readonly value: number; readonly grad?: Float32Array } | { readonly ok: false; readonly name: string; readonly message: string };

/** What the worker says once its engine is ready, or why it is not. */
export type ReadyMessage =
  | { readonly kind: 'ready'; readonly engine: EngineName; readonly backendName: string; readonly device: EngineDevice }
  | { readonly kind: 'error'; readonly name: string; readonly message: string; readonly engine?: EngineName; readonly packageName?: string; readonly installHint?: string; readonly reason?: string; readonly probe?: string };

/** The longest one call may block this thread (a 50M-parameter step on a slow engine takes seconds). */
const CALL_TIMEOUT_MS = 15 * 60_000;
/** Blocking slice between checks of the deadline. */
const WAIT_SLICE_MS = 1_000;

/**
 * Starts a worker that selects `kind` in its own thread, and resolves once it is ready.
 *
 * @throws {NoGpuError | EngineUnavailableError} as the worker's engine selection threw it.
 */
export async function startReadbackWorker(kind: Exclude<EngineKind, 'auto'>): Promise<RemoteObjective> {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(new URL('./readback-worker.ts', import.meta.url), { workerData: { kind, signal, port: port2 }, transferList: [port2] });
  const ready = await new Promise<ReadyMessage>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new SparseLocoError(`the ${kind} readback worker exited with code ${code} before it was ready`)));
  });
  worker.removeAllListeners('exit');
  if (ready.kind === 'error') {
    await worker.terminate();
    throw rebuildError(ready);
  }
  worker.unref(); // an idle bridge does not keep the process alive
  const call = (request: BridgeRequest, transfer: ArrayBuffer[] = []): BridgeReply => callSync(port1, signal, request, transfer, kind);
  return Object.freeze({
    engine: ready.engine,
    backendName: ready.backendName,
    device: ready.device,
    lossAndGradient(shape: GptShape, layout: ParamLayout, params: Float32Array, data: TokenBatch, gradOut: Float32Array): number {
      const reply = unwrap(call({ op: 'grad', shape, size: layout.size, params, data }));
      assertInvariant(reply.grad !== undefined && reply.grad.length === gradOut.length, 'the readback worker returned no gradient of the layout size');
      gradOut.set(reply.grad);
      return reply.value;
    },
    summedTokenLoss(shape: GptShape, layout: ParamLayout, params: Float32Array, data: TokenBatch): number {
      return unwrap(call({ op: 'eval', shape, size: layout.size, params, data })).value;
    },
    numTensors: () => unwrap(call({ op: 'memory' })).value,
    close: async () => {
      port1.close();
      await worker.terminate();
    },
  });
}

/** Posts `request` and blocks until the worker's reply is on the port. */
function callSync(port: MessagePort, signal: Int32Array, request: BridgeRequest, transfer: ArrayBuffer[], kind: string): BridgeReply {
  Atomics.store(signal, 0, 0);
  port.postMessage(request, transfer);
  const deadline = Date.now() + CALL_TIMEOUT_MS;
  while (Atomics.load(signal, 0) === 0) {
    if (Date.now() > deadline) throw new SparseLocoError(`the ${kind} readback worker did not answer a "${request.op}" call within ${CALL_TIMEOUT_MS / 60_000} min`);
    Atomics.wait(signal, 0, 0, WAIT_SLICE_MS);
  }
  const received = receiveMessageOnPort(port);
  assertInvariant(received !== undefined, 'the readback worker signalled without a reply on the port');
  return received.message as BridgeReply;
}

function unwrap(reply: BridgeReply): { value: number; grad?: Float32Array } {
  if (!reply.ok) {
    const error = new SparseLocoError(`readback worker: ${reply.message}`);
    error.name = reply.name;
    throw error;
  }
  return reply;
}

/** The worker's engine-selection error as the same typed error in this thread. */
function rebuildError(m: ReadyMessage & { kind: 'error' }): Error {
  if (m.name === 'NoGpuError' && m.engine && m.packageName && m.installHint && m.probe) return new NoGpuError(m.engine, m.packageName, m.probe, m.installHint);
  if (m.name === 'EngineUnavailableError' && m.engine && m.packageName && m.installHint) return new EngineUnavailableError(m.engine, m.packageName, m.installHint, new Error(m.message), m.reason);
  const error = new SparseLocoError(m.message);
  error.name = m.name;
  return error;
}
