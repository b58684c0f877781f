import { randomUUID } from 'node:crypto';
import type { ProviderName } from '../../errors.ts';
import type { RedisConnection } from '../redis/redis-connection.ts';
import { budgetSpent, guardedWindowMs, type Quota, type QuotaGuard } from './quota-guard.ts';

/**
 * One budget for every gateway instance: the same sliding log as QuotaGuard, kept in a Redis
 * sorted set and checked-and-spent by one atomic script, on Redis's clock so instances' clocks
 * need not agree. A pause (429 + Retry-After) is a key every instance reads. While Redis is away
 * each instance falls back to its local guard, sized to a conservative share of the budget.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then return paused - now end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`;

const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1])) end
return 0
`;

export interface SharedQuotaOptions {
  provider: ProviderName;
  limit: number;
  windowMs: number;
  maxWaitMs: number;
  redis: RedisConnection;
  /** `<prefix>:v1:quota:<provider>:<credential fingerprint>` */
  key: string;
  fallback: QuotaGuard;
}

export class SharedQuota implements Quota {
  constructor(private readonly options: SharedQuotaOptions) {}

  async acquire(maxWaitMs = this.options.maxWaitMs): Promise<number> {
    const { redis, key, limit, windowMs, provider, fallback } = this.options;
    const started = performance.now();
    for (;;) {
      let waitMs: number;
      try {
        const answer = await redis.run((client) =>
          client.eval(ACQUIRE, { keys: [`${key}:log`, `${key}:pause`], arguments: [String(limit), String(guardedWindowMs(windowMs)), randomUUID()] }),
        );
        waitMs = Number(answer);
      } catch {
        const elapsed = performance.now() - started;
        return elapsed + (await fallback.acquire(Math.max(0, maxWaitMs - elapsed)));
      }
      if (waitMs === 0) return performance.now() - started;
      const elapsed = performance.now() - started;
      if (elapsed + waitMs > maxWaitMs) throw budgetSpent(provider, waitMs);
      // A little jitter so that waiting instances do not all retry in the same millisecond.
      await new Promise((resolve) => setTimeout(resolve, waitMs + Math.random() * 5));
    }
  }

  pause(ms: number): void {
    this.options.fallback.pause(ms);
    const { redis, key } = this.options;
    void redis.run((client) => client.eval(PAUSE, { keys: [`${key}:pause`], arguments: [String(Math.ceil(ms))] })).catch(() => undefined);
  }
}
