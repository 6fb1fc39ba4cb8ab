import type { Config } from '../config.js';
import { VaultError } from '../errors.js';
import type { RequestLimiter } from '../http/rate-limiter.js';
import { MemoryWindowStore } from './memory-window-store.js';
import { WindowRequestLimiter } from './request-limiter.js';
import type { WindowStore } from './window-store.js';

/** Host and port of a Redis URL, never its password (for messages). */
function describeRedis(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 6379}`;
  } catch {
    return 'an unparsable URL';
  }
}

/**
 * The limiter `orgvault serve` uses: counters in Redis when ORGVAULT_REDIS_URL is set (shared by every
 * node), in this process's memory otherwise (one node only). An unreachable Redis at start is a clear
 * configuration error; a later outage lets requests through and is reported via onStoreError.
 */
export async function createRequestLimiter(
  config: Config,
  onStoreError?: (err: unknown) => void,
): Promise<RequestLimiter> {
  let store: WindowStore;
  if (config.redisUrl) {
    // Loaded on demand so that single-node users never load ioredis.
    const { Redis } = await import('ioredis');
    const { RedisWindowStore } = await import('./redis-window-store.js');
    const redis = new Redis(config.redisUrl, {
      lazyConnect: true,
      // Fail fast instead of queueing requests behind a dead connection; ioredis reconnects meanwhile.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
    });
    // Before the first connection a failure is the start-up error below, not an outage to report
    // ("requests are not limited meanwhile" would be wrong: the server does not start).
    let connected = false;
    redis.on('error', (err) => {
      if (connected) onStoreError?.(err);
    });
    try {
      await redis.connect();
      connected = true;
    } catch {
      redis.disconnect();
      throw new VaultError(
        'CONFIG_INVALID',
        `cannot reach Redis (ORGVAULT_REDIS_URL) at ${describeRedis(config.redisUrl)}`,
      );
    }
    store = new RedisWindowStore(redis);
  } else {
    store = new MemoryWindowStore();
  }
  return new WindowRequestLimiter({
    store,
    perKeyPerMinute: config.rateLimitPerMinute,
    authFailuresPerMinute: config.authFailuresPerMinute,
    ...(onStoreError ? { onStoreError } : {}),
  });
}
