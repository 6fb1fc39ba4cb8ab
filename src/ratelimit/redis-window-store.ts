import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { WindowDecision, WindowStore } from './window-store.js';

/**
 * One Lua script does the whole check-and-record atomically inside Redis, with Redis's own clock,
 * so every node sees one counter and node clocks do not matter. A sorted set per key, scored by the
 * hit time in ms; members are unique (time, node id, sequence). Mode: take | peek | hit.
 */
const SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local mode = ARGV[3]
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if mode ~= 'hit' then
  local count = redis.call('ZCARD', KEYS[1])
  if count >= limit then
    local blocking = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
    local retry = tonumber(blocking[2]) + window - now
    if retry < 1 then retry = 1 end
    return retry
  end
end
if mode ~= 'peek' then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
end
return 0
`;

type SlidingRedis = Redis & {
  orgvaultWindow(key: string, windowMs: number, limit: number, mode: string, member: string): Promise<number>;
};

/** The shared sliding log for several nodes (ORGVAULT_REDIS_URL). */
export class RedisWindowStore implements WindowStore {
  private readonly redis: SlidingRedis;
  private readonly nodeId = randomBytes(6).toString('hex');
  private seq = 0;

  constructor(
    redis: Redis,
    private readonly prefix = 'orgvault:rl:',
  ) {
    redis.defineCommand('orgvaultWindow', { numberOfKeys: 1, lua: SCRIPT });
    this.redis = redis as SlidingRedis;
  }

  async take(key: string, limit: number, windowMs: number): Promise<WindowDecision> {
    return this.run(key, limit, windowMs, 'take');
  }

  async peek(key: string, limit: number, windowMs: number): Promise<WindowDecision> {
    return this.run(key, limit, windowMs, 'peek');
  }

  async hit(key: string, windowMs: number): Promise<void> {
    await this.run(key, 0, windowMs, 'hit');
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }

  private async run(key: string, limit: number, windowMs: number, mode: string): Promise<WindowDecision> {
    this.seq = (this.seq + 1) % Number.MAX_SAFE_INTEGER;
    const member = `${this.nodeId}:${this.seq}`;
    const retry = await this.redis.orgvaultWindow(`${this.prefix}${key}`, windowMs, limit, mode, member);
    return retry > 0 ? { ok: false, retryAfterMs: retry } : { ok: true };
  }
}
