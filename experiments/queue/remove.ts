/**
 * Removing a finished sweep's queue. Its submitter and every worker that served it each remove it
 * (a worker writes a few keys back until it leaves), so removals overlap; BullMQ's obliterate
 * pauses the queue and then deletes in passes, and a pass whose pause flag another remover has
 * already deleted fails with "Cannot obliterate non-paused queue" — leaving behind whatever was
 * written since. Retrying (pause, delete again) until one whole removal succeeds means each
 * remover's last successful pass follows all of its own writes, so nothing is left.
 */
import type { Queue } from 'bullmq';

/** Attempts before the failure is passed on; overlapping removers settle in one or two. */
const OBLITERATE_ATTEMPTS = 5;

/** BullMQ's message when the pause flag vanished under a removal. */
const NOT_PAUSED = /non-paused/;

/** Deletes every key of `queue`, retrying a removal that raced another. */
export async function removeQueue(queue: Queue): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await queue.obliterate({ force: true });
      return;
    } catch (error) {
      if (attempt >= OBLITERATE_ATTEMPTS || !NOT_PAUSED.test(error instanceof Error ? error.message : String(error))) throw error;
    }
  }
}
