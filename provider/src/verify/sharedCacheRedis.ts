/**
 * The shared cache's Redis connection (ioredis; verify/README.md says why): `parseSharedCacheUrl` validates
 * `redis://[user:password@]host:port/db` or `rediss://...` (TLS), and `connectSharedCache` opens two connections, one
 * for commands and one for the invalidation channel. Commands are never queued while disconnected (they fail at once
 * and the caller answers locally), each has a command timeout, and ioredis reconnects in the background with a
 * capped backoff. Connection errors go to `onError`, never to an unhandled 'error' event. ioredis is loaded only when
 * a shared cache is configured (it is not part of every process's footprint).
 */
import type { RedisOptions } from 'ioredis';
import type { SharedCacheClient } from './sharedCache.js';
import { SharedCacheError } from './sharedVerdict.js';

export interface SharedCacheUrl {
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
}

/** Highest database index accepted (Redis' own default is 16 databases, 0-15; servers may configure more). */
const MAX_DB = 1000;
const RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

function urlInvalid(text: string, reason: string): SharedCacheError {
  // the URL may hold a password: only its scheme and host go into the message
  const shown = /^([a-z]+:\/\/)(?:[^@/]*@)?([^/]*)/i.exec(text);
  const where = shown ? `${shown[1] ?? ''}${shown[2] ?? ''}` : 'the value';
  return new SharedCacheError(
    'SHARED_CACHE_URL_INVALID',
    `--shared-cache ${where}: ${reason}; expected redis://[user:password@]host:port/db or rediss://... for TLS (e.g. redis://redis.signgate.svc:6379/0)`,
  );
}

export function parseSharedCacheUrl(text: string): SharedCacheUrl {
  if (text.length > 2048) throw urlInvalid('', `is ${text.length} characters long, more than 2048`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw urlInvalid(text, 'is not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw urlInvalid(text, `has scheme "${url.protocol.replace(/:$/, '')}", not redis or rediss`);
  if (url.hostname === '') throw urlInvalid(text, 'names no host');
  if (url.search !== '' || url.hash !== '') throw urlInvalid(text, 'has a query or fragment, which signgate does not read');
  const port = url.port === '' ? 6379 : Number(url.port);
  const path = url.pathname === '' || url.pathname === '/' ? '0' : url.pathname.slice(1);
  if (!/^\d{1,4}$/.test(path) || Number(path) > MAX_DB) throw urlInvalid(text, `has database "${path.slice(0, 20)}", not a number from 0 to ${MAX_DB}`);
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw urlInvalid(text, 'has a user or password that is not valid percent-encoding');
    }
  };
  return {
    tls: url.protocol === 'rediss:',
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    db: Number(path),
    ...(url.username !== '' ? { username: decode(url.username) } : {}),
    ...(url.password !== '' ? { password: decode(url.password) } : {}),
  };
}

export interface SharedCacheConnectionOptions {
  readonly url: SharedCacheUrl;
  /** Overrides the URL's password (read from a file, so it is not on a command line). */
  readonly password?: string;
  /** PEM CA bundle that verifies a rediss:// server (default: the system's). */
  readonly caPem?: string;
  /** Command timeout, ms (the shared cache bounds each call itself too). */
  readonly commandTimeoutMs: number;
  readonly onError: (error: Error) => void;
}

export async function connectSharedCache(options: SharedCacheConnectionOptions): Promise<SharedCacheClient> {
  const { Redis } = await import('ioredis');
  const { url } = options;
  const password = options.password ?? url.password;
  const base: RedisOptions = {
    host: url.host,
    port: url.port,
    db: url.db,
    ...(url.username !== undefined ? { username: url.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(url.tls ? { tls: { servername: url.host, minVersion: 'TLSv1.2', ...(options.caPem !== undefined ? { ca: options.caPem } : {}) } } : {}),
    connectTimeout: 2000,
    // reconnect in the background: 100 ms, doubling, at most every 2 s, forever
    retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    lazyConnect: false,
  };
  const commands = new Redis({ ...base, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: options.commandTimeoutMs });
  // the subscriber waits for its connection (queued) and resubscribes after each reconnect
  const subscriber = new Redis({ ...base, enableOfflineQueue: true, maxRetriesPerRequest: null, autoResubscribe: true });
  commands.on('error', options.onError);
  subscriber.on('error', options.onError);
  return {
    ready: () => commands.status === 'ready',
    mget: (keys) => commands.mget(...keys),
    async set(key, value, ttlMs, onlyIfAbsent) {
      const answer = onlyIfAbsent ? await commands.set(key, value, 'PX', ttlMs, 'NX') : await commands.set(key, value, 'PX', ttlMs);
      return answer === 'OK';
    },
    async deleteIfEquals(key, value) {
      await commands.eval(RELEASE_SCRIPT, 1, key, value);
    },
    async bumpAndPublish(key, ttlMs, channel, message) {
      const results = await commands.multi().incr(key).pexpire(key, ttlMs).publish(channel, message).exec();
      const failed = results?.find(([error]) => error !== null)?.[0];
      if (results === null) throw new Error('the transaction was discarded');
      if (failed) throw failed;
    },
    async subscribe(channel, onMessage) {
      subscriber.on('message', (from: string, message: string) => {
        if (from === channel) onMessage(message);
      });
      await subscriber.subscribe(channel);
    },
    async close() {
      await Promise.allSettled([commands.quit(), subscriber.quit()]);
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}
