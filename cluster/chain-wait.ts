/**
 * Waiting on the chain by polling (works on every EVM node, no subscriptions): for a block number,
 * and for a round's `RoundFinalised` event. Every wait has a wall-clock limit and ends in a
 * {@link ClusterError} 'timeout' instead of hanging a process forever.
 */
import type { CoordinatorReader, Hex } from '../chain/types.ts';
import { ClusterError } from './errors.ts';

/** Wall-clock settings of the waits. */
export interface PollOptions {
  readonly pollMs: number; // wall ms between polls
  readonly timeoutMs: number; // wall ms before giving up
}

export const DEFAULT_POLL: PollOptions = Object.freeze({ pollMs: 40, timeoutMs: 600_000 });

/** A finalised round as the chain recorded it. */
export interface FinalisedRound {
  readonly chainRound: bigint;
  /** Selected uids, ascending; empty for a skipped round. */
  readonly uids: readonly number[];
  /** sha256 of the global params after the round (the validator's). */
  readonly aggregateHash: Hex;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the latest block once it is ≥ `block`. */
export async function waitForBlock(chain: CoordinatorReader, block: bigint, poll: PollOptions = DEFAULT_POLL): Promise<bigint> {
  const deadline = Date.now() + poll.timeoutMs;
  for (;;) {
    const now = await chain.blockNumber();
    if (now >= block) return now;
    if (Date.now() > deadline) throw new ClusterError('timeout', `block ${block} not reached after ${poll.timeoutMs} ms (at ${now})`);
    await sleep(poll.pollMs);
  }
}

/**
 * Resolves once `chainRound` is finalised, with its selection and aggregate hash (read from the
 * `RoundFinalised` event, searched from `fromBlock`, the block after its window).
 */
export async function waitForFinalised(chain: CoordinatorReader, chainRound: bigint, fromBlock: bigint, poll: PollOptions = DEFAULT_POLL): Promise<FinalisedRound> {
  const deadline = Date.now() + poll.timeoutMs;
  while (!(await chain.isFinalised({ round: chainRound }))) {
    if (Date.now() > deadline) throw new ClusterError('timeout', `round ${chainRound} not finalised after ${poll.timeoutMs} ms`);
    await sleep(poll.pollMs);
  }
  const found = (await finalisedRounds(chain, fromBlock)).find((f) => f.chainRound === chainRound);
  if (found === undefined) throw new ClusterError('timeout', `round ${chainRound} is finalised but its RoundFinalised event is not at or after block ${fromBlock}`);
  return found;
}

/** Every `RoundFinalised` event from `fromBlock` on, in chain order. */
export async function finalisedRounds(chain: CoordinatorReader, fromBlock: bigint): Promise<FinalisedRound[]> {
  const out: FinalisedRound[] = [];
  for (const e of await chain.events({ fromBlock })) {
    if (e.name === 'RoundFinalised') out.push({ chainRound: e.args.round, uids: e.args.uids, aggregateHash: e.args.aggregateHash });
  }
  return out;
}
