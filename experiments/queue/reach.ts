/**
 * Fails fast when the `--queue` Redis cannot be reached. The connections BullMQ uses retry forever
 * (right for a worker riding out a Redis restart), so without this check a typo'd host would make
 * the submitter or a worker wait silently.
 */
import { Redis } from 'ioredis';
import { ConfigError } from '../../core/errors.ts';
import { redisOptions } from './redis-url.ts';
import type { RedisLocation } from './redis-url.ts';

const CONNECT_TIMEOUT_MS = 5_000;

/** @throws {ConfigError} naming `--queue` and why the server did not answer a PING. */
export async function assertReachable(location: RedisLocation, key = '--queue'): Promise<void> {
  const client = new Redis({ ...redisOptions(location), lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: CONNECT_TIMEOUT_MS });
  let socketError: Error | undefined; // the cause (ECONNREFUSED, ENOTFOUND, …); connect() itself only says "Connection is closed."
  client.on('error', (e: Error) => (socketError ??= e));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const cause = socketError ?? error;
    throw new ConfigError(key, location.display, `must be a reachable Redis server (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
  } finally {
    client.disconnect();
  }
}
