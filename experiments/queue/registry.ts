/**
 * The list of open sweeps in Redis, which is how workers find work: the submitter announces its
 * queue (`SWEEPS_KEY`) and keeps a heartbeat key alive while it waits; a sweep whose heartbeat has
 * expired lost its submitter (killed, Ctrl-C, host gone), and the first worker to notice removes it
 * and its jobs so nobody runs tasks whose results no one will read.
 */
import type { Redis } from 'ioredis';
import { SWEEPS_KEY, heartbeatKey } from './protocol.ts';
import type { SweepAnnouncement } from './protocol.ts';

/** How long a heartbeat lives without a refresh (ms); the submitter refreshes every third of it. */
export const HEARTBEAT_TTL_MS = 30_000;

/** Announces a sweep and keeps its heartbeat alive until the returned stop() is called. */
export async function announceSweep(redis: Redis, sweep: SweepAnnouncement, ttlMs: number = HEARTBEAT_TTL_MS): Promise<{ stop(): Promise<void> }> {
  // Heartbeat first, so a worker never sees an announcement without one.
  await redis.multi().set(heartbeatKey(sweep.queue), '1', 'PX', ttlMs).hset(SWEEPS_KEY, sweep.queue, JSON.stringify(sweep)).exec();
  const timer = setInterval(() => {
    redis.set(heartbeatKey(sweep.queue), '1', 'PX', ttlMs).catch(() => {}); // a missed beat is retried at the next tick; ttl spans three
  }, Math.max(1, Math.floor(ttlMs / 3)));
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await redis.multi().hdel(SWEEPS_KEY, sweep.queue).del(heartbeatKey(sweep.queue)).exec();
    },
  };
}

/** Open sweeps whose submitter is alive, oldest first (queue names start with the experiment and a timestamp). */
export async function liveSweeps(redis: Redis): Promise<{ live: SweepAnnouncement[]; abandoned: string[] }> {
  const all = await redis.hgetall(SWEEPS_KEY);
  const names = Object.keys(all).sort();
  if (names.length === 0) return { live: [], abandoned: [] };
  const alive = await Promise.all(names.map((n) => redis.exists(heartbeatKey(n))));
  const live: SweepAnnouncement[] = [];
  const abandoned: string[] = [];
  names.forEach((name, i) => (alive[i] === 1 ? live.push(JSON.parse(all[name]!) as SweepAnnouncement) : abandoned.push(name)));
  return { live, abandoned };
}

/** Takes an abandoned sweep off the list; true for the one caller that did (and so cleans up its queue). */
export async function claimAbandoned(redis: Redis, queue: string): Promise<boolean> {
  return (await redis.hdel(SWEEPS_KEY, queue)) === 1;
}
