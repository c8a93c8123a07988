/**
 * The `--queue` value: a Redis URL, `redis://[user:password@]host[:port][/db]` (or `rediss://` for
 * TLS), parsed into connection options for BullMQ and ioredis. Anything this project would
 * otherwise ignore (a query string, a fragment, a path that is not a database number) is an error
 * naming the value, so a typo never silently points a sweep at another database.
 */
import { ConfigError } from '../../core/errors.ts';

const DEFAULT_PORT = 6379;
const USAGE = 'redis://[user:password@]host[:port][/db] or rediss://… (e.g. redis://127.0.0.1:6379)';

/** Where the queue lives, as ioredis takes it. */
export interface RedisLocation {
  readonly host: string;
  readonly port: number;
  /** Redis logical database (SELECT n). */
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  /** Present for `rediss://`: connect over TLS with Node's defaults. */
  readonly tls?: Record<string, never>;
  /** The URL without its password, for logs. */
  readonly display: string;
}

/**
 * @throws {ConfigError} naming `key` and the URL's broken part.
 * @example parseRedisUrl('redis://10.0.0.5:6380/2') // { host: '10.0.0.5', port: 6380, db: 2, display: 'redis://10.0.0.5:6380/2' }
 */
export function parseRedisUrl(text: string, key = '--queue'): RedisLocation {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new ConfigError(key, text, `is not a URL: expected ${USAGE}`, { cause });
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new ConfigError(key, text, `must use redis:// or rediss://, not ${url.protocol}//: expected ${USAGE}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1'); // IPv6 literals come bracketed
  if (host === '') throw new ConfigError(key, text, `must name a host: expected ${USAGE}`);
  if (url.search !== '' || url.hash !== '') throw new ConfigError(key, text, 'must not carry a query string or fragment (no options are read from the URL)');
  const port = url.port === '' ? DEFAULT_PORT : Number(url.port); // URL already rejects ports outside 0–65535
  if (port === 0) throw new ConfigError(key, text, 'must have a port in 1–65535');
  const path = url.pathname;
  if (path !== '' && path !== '/' && !/^\/\d+$/.test(path)) throw new ConfigError(key, text, `has path "${path}": only a database number may follow the host (/0, /1, …)`);
  const db = path.length > 1 ? Number(path.slice(1)) : 0;
  if (!Number.isSafeInteger(db)) throw new ConfigError(key, text, 'must have a database number that is a safe integer');
  const username = url.username === '' ? undefined : decodeURIComponent(url.username);
  const password = url.password === '' ? undefined : decodeURIComponent(url.password);
  const auth = username === undefined && password === undefined ? '' : `${username ?? ''}${password === undefined ? '' : ':***'}@`;
  const display = `${url.protocol}//${auth}${url.host}${db === 0 ? '' : `/${db}`}`;
  return {
    host,
    port,
    db,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    display,
  };
}

/**
 * ioredis options for a location. BullMQ requires `maxRetriesPerRequest: null` on the connections
 * its workers block on; the same for every connection keeps one rule.
 */
export function redisOptions(location: RedisLocation): { host: string; port: number; db: number; username?: string; password?: string; tls?: Record<string, never>; maxRetriesPerRequest: null } {
  const { display: _display, ...options } = location;
  return { ...options, maxRetriesPerRequest: null };
}
