import type { RedisConnection } from '../../upstream/redis/redis-connection.ts';
import type { Budget, BudgetState, RateLimitStore } from './rate-limit-store.ts';

/**
 * The GCRA of rate-limit-store.ts for every budget of one call, all or nothing, on Redis's clock
 * so that instances' clocks need not agree. Mirrors `spendAll` in memory-rate-limit-store.ts.
 * KEYS: one hash per budget { at, debt }, all under one hash tag (one Cluster slot).
 * ARGV: limit, window ms, amount, for each key in turn.
 * Returns { allowed (1/0), then remaining, resetMs, waitMs for each key }. A hash expires when
 * its debt has drained, so an idle client leaves nothing behind.
 */
const CONSUME = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limits, windows, amounts, debts, afters, waits = {}, {}, {}, {}, {}, {}
local allowed = true
for i = 1, #KEYS do
  local limit, window, amount = tonumber(ARGV[3 * i - 2]), tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i])
  local stored = redis.call('HMGET', KEYS[i], 'at', 'debt')
  local debt = 0
  if stored[1] and stored[2] then
    debt = math.max(0, tonumber(stored[2]) - math.max(0, now - tonumber(stored[1])) * limit)
  end
  local after = debt + amount * window
  local capacity = window * limit
  local wait = 0
  if after > capacity then
    if amount > limit then wait = window else wait = math.ceil((after - capacity) / limit) end
    allowed = false
  end
  limits[i], windows[i], amounts[i], debts[i], afters[i], waits[i] = limit, window, amount, debt, after, wait
end
local answer = { allowed and 1 or 0 }
for i = 1, #KEYS do
  local kept = debts[i]
  if allowed then
    kept = afters[i]
    if amounts[i] > 0 then
      redis.call('HSET', KEYS[i], 'at', now, 'debt', kept)
      redis.call('PEXPIRE', KEYS[i], math.ceil(kept / limits[i]) + 1)
    end
  end
  answer[#answer + 1] = math.floor((windows[i] * limits[i] - kept) / windows[i])
  answer[#answer + 1] = math.ceil(kept / limits[i])
  answer[#answer + 1] = waits[i]
end
return answer
`;

export interface RedisRateLimitStoreOptions {
  redis: RedisConnection;
  /** e.g. `tributary:v1:ratelimit`; budget keys follow it, each holding its own `{hash tag}`. */
  keyPrefix: string;
  /**
   * Where budgets are spent while Redis cannot answer. Each instance then limits alone: a client
   * spread over n instances may get up to n budgets for as long as the outage lasts, which is
   * better than refusing everyone or letting everyone through.
   */
  fallback: RateLimitStore;
}

/** Budgets every gateway instance shares: one atomic script per call (above). */
export class RedisRateLimitStore implements RateLimitStore {
  constructor(private readonly options: RedisRateLimitStoreOptions) {
    if (/[{}]/.test(options.keyPrefix)) throw new TypeError(`keyPrefix must not hold a hash tag, the budget keys bring their own: ${options.keyPrefix}`);
  }

  async consume(budgets: readonly Budget[]): Promise<{ allowed: boolean; states: BudgetState[] }> {
    const { redis, keyPrefix, fallback } = this.options;
    let answer: number[];
    try {
      answer = (await redis.run((client) =>
        client.eval(CONSUME, {
          keys: budgets.map((budget) => `${keyPrefix}:${budget.key}`),
          arguments: budgets.flatMap((budget) => [String(budget.limit), String(budget.windowMs), String(budget.amount)]),
        }),
      )) as number[];
    } catch {
      // Down, or slow enough to count as a failure: RedisConnection logs the outage once, and
      // a command that times out yet still runs spends at most this one call twice.
      return fallback.consume(budgets);
    }
    return {
      allowed: answer[0] === 1,
      states: budgets.map((_, i) => ({ remaining: answer[1 + 3 * i]!, resetMs: answer[2 + 3 * i]!, waitMs: answer[3 + 3 * i]! })),
    };
  }
}
