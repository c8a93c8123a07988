/**
 * The round clock: rounds are block windows (contracts/README.md), so the orchestrator makes time
 * pass by mining. Two paces:
 * - 'wall' (real windows): block b is mined at base + (b − baseBlock) × `blockTimeMs` wall ms, so
 *   a window of B blocks lasts B × blockTimeMs however busy the node is. Hardhat's automine adds a
 *   block for every transaction, which runs the chain ahead of the wall; the clock then mines
 *   nothing until the wall catches up, so a window ends at most (transactions in it) blocks early.
 * - 'tick' (default): one block every `blockTimeMs` (transactions mined in between add blocks of
 *   their own), the pace the loopback tests were written for.
 * Either pace honours the fast-forward: when `fastForwardTo` names a later block (the orchestrator's
 * closeWhenComplete: every expected peer has committed) the clock mines up to it at once, and the
 * wall pace counts from there.
 */
import { mineBlocks } from '../chain/devnet.ts';
import type { ChainTransport } from '../chain/transport.ts';
import type { CoordinatorReader } from '../chain/types.ts';

export type ClockPace = 'wall' | 'tick';

export interface BlockClockParameters {
  readonly transport: ChainTransport;
  readonly chain: CoordinatorReader;
  readonly blockTimeMs: number; // wall ms per mined block
  /** Default 'tick'. */
  readonly pace?: ClockPace;
  /** The block to jump to right now (mining up to it), or null for none. */
  readonly fastForwardTo: (block: bigint) => Promise<bigint | null>;
  /** Called with a mining fault (the clock keeps going). */
  readonly onError?: (error: unknown) => void;
  /** Wall ms now (default Date.now; tests pass their own). */
  readonly nowMs?: () => number;
  /**
   * True while the clock must not mine (a restarted process is coming up: cluster/supervision.ts),
   * so no window closes on it; the wall pace counts again from the release. Default: never.
   */
  readonly holding?: () => boolean;
}

/** A running clock; `stop()` ends it and waits for the tick in progress. */
export interface BlockClock {
  stop(): Promise<void>;
}

/**
 * How many blocks to mine now: up to the fast-forward target if there is one ahead, else one
 * ('tick'), else up to the wall-clock block ('wall'; 0 when the chain is ahead of the wall).
 */
export function blocksToMine(p: { readonly pace: ClockPace; readonly block: bigint; readonly target: bigint | null; readonly wallBlock: bigint }): bigint {
  if (p.target !== null && p.target > p.block) return p.target - p.block;
  if (p.pace === 'tick') return 1n;
  return p.wallBlock > p.block ? p.wallBlock - p.block : 0n;
}

/** Starts mining at the chosen pace with fast-forward. */
export function startBlockClock(p: BlockClockParameters): BlockClock {
  const pace = p.pace ?? 'tick';
  const nowMs = p.nowMs ?? Date.now;
  let stopped = false;
  let ticking: Promise<void> = Promise.resolve();
  let base: { block: bigint; ms: number } | null = null; // the wall pace's origin
  const tick = async (): Promise<void> => {
    try {
      if (p.holding?.() === true) {
        base = null;
        return;
      }
      const block = await p.chain.blockNumber();
      base ??= { block, ms: nowMs() };
      const target = await p.fastForwardTo(block);
      if (stopped) return;
      const wallBlock = base.block + BigInt(Math.floor((nowMs() - base.ms) / p.blockTimeMs));
      const n = blocksToMine({ pace, block, target, wallBlock });
      await mineBlocks(p.transport, n);
      if (target !== null && target > block) base = { block: target, ms: nowMs() }; // a jump restarts the wall pace
    } catch (error) {
      p.onError?.(error);
    }
  };
  let busy = false;
  // The wall pace polls faster than a block so that a block is mined within ~¼ block of its time.
  const period = pace === 'wall' ? Math.max(1, Math.floor(p.blockTimeMs / 4)) : p.blockTimeMs;
  const timer = setInterval(() => {
    // One tick at a time: a slow node delays the clock rather than piling up requests.
    if (busy || stopped) return;
    busy = true;
    ticking = tick().finally(() => {
      busy = false;
    });
  }, period);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await ticking;
    },
  };
}
