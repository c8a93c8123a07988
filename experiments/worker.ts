/**
 * Worker-thread entry of the experiment runner: runs simulations and streams their rows back.
 * Started with a config as `workerData` it runs that one and ends (runInWorker: a fresh thread
 * per task, as the queue worker wants); started without, it is a pool thread (runTasks): it runs
 * each `{ kind: 'run', config }` it is sent, one at a time, until the parent terminates it, so a
 * sweep of many short runs pays the thread's start (loading the TypeScript sources, ≈ 2–3 s here)
 * once per thread instead of once per run. Runs in a thread are sequential, as with `--jobs 1`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSimulationAsync } from '../sim/run.ts';
import type { SimConfigInput } from '../sim/config.ts';

const port = parentPort!;
port.postMessage({ kind: 'loaded' }); // every import above has run: terminating is safe from here

async function runOne(config: SimConfigInput): Promise<void> {
  try {
    // Async only to select a tfjs engine first; the simulation itself runs synchronously.
    const result = await runSimulationAsync(config, { onRound: (row) => port.postMessage({ kind: 'round', row }) });
    port.postMessage({ kind: 'done', result });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    port.postMessage({ kind: 'error', name: e.name, message: e.message });
  }
}

if (workerData !== null && workerData !== undefined) await runOne(workerData as SimConfigInput);
else port.on('message', (msg: { kind: 'run'; config: SimConfigInput }) => void runOne(msg.config));
