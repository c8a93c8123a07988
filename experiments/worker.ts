/** Worker-thread entry of the experiment runner: runs one simulation and streams its rows back. */
import { parentPort, workerData } from 'node:worker_threads';
import { runSimulationAsync } from '../sim/run.ts';
import type { SimConfigInput } from '../sim/config.ts';

const port = parentPort!;
port.postMessage({ kind: 'loaded' }); // every import above has run: terminating is safe from here
try {
  // Async only to select a tfjs engine first; the simulation itself runs synchronously.
  const result = await runSimulationAsync(workerData as SimConfigInput, { onRound: (row) => port.postMessage({ kind: 'round', row }) });
  port.postMessage({ kind: 'done', result });
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error));
  port.postMessage({ kind: 'error', name: e.name, message: e.message });
}
