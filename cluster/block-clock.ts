/**
 * The round clock: rounds are block windows (contracts/README.md), so the orchestrator makes time
 * pass by mining. One block every `blockTimeMs` wall ms (a steady rate, like a real chain's block
 * time; transactions mined in between add blocks of their own), and a fast-forward: when the
 * orchestrator says every expected peer has committed, the rest of the window is mined at once
 * (the cluster's closeWhenComplete), so rounds take as long as the work and no longer. A late peer
 * therefore has at most `roundLength × blockTimeMs` wall ms per window.
 */
import { mineBlocks } from '../chain/devnet.ts';
import type { ChainTransport } from '../chain/transport.ts';
import type { CoordinatorReader } from '../chain/types.ts';

export interface BlockClockParameters {
  readonly transport: ChainTransport;
  readonly chain: CoordinatorReader;
  readonly blockTimeMs: number; // wall ms per mined block
  /** The block to jump to right now (mining up to it), or null to mine one block. */
  readonly fastForwardTo: (block: bigint) => Promise<bigint | null>;
  /** Called with a mining fault (the clock keeps going). */
  readonly onError?: (error: unknown) => void;
}

/** A running clock; `stop()` ends it and waits for the tick in progress. */
export interface BlockClock {
  stop(): Promise<void>;
}

/** Starts mining at a steady rate with fast-forward. */
export function startBlockClock(p: BlockClockParameters): BlockClock {
  let stopped = false;
  let ticking: Promise<void> = Promise.resolve();
  const tick = async (): Promise<void> => {
    try {
      const block = await p.chain.blockNumber();
      const target = await p.fastForwardTo(block);
      if (stopped) return;
      await mineBlocks(p.transport, target !== null && target > block ? target - block : 1n);
    } catch (error) {
      p.onError?.(error);
    }
  };
  let busy = false;
  const timer = setInterval(() => {
    // One tick at a time: a slow node delays the clock rather than piling up requests.
    if (busy || stopped) return;
    busy = true;
    ticking = tick().finally(() => {
      busy = false;
    });
  }, p.blockTimeMs);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await ticking;
    },
  };
}
