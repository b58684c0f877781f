import { randomUUID } from 'node:crypto';
import type { ProviderName } from '../../errors.ts';
import type { RedisConnection } from '../redis/redis-connection.ts';
import { budgetSpent, checkQuotaOptions, guardedWindowMs, systemClock, windowSnapshot, type Quota, type QuotaClock, type QuotaGuard, type QuotaSnapshot } from './quota-guard.ts';

/**
 * One attempt of one caller, atomic, on Redis's clock so that instances' clocks need not agree.
 * KEYS: log (sorted set of sends by time), pause (a time), queue (waiters by ticket), leases
 * (waiters by the time their entry lapses), seq (the arrival counter), tags (hash: fairness key →
 * its last tag), round (the tag last served), flights (requests let go and not yet answered, by
 * the time their entry lapses); all share one hash tag, so one slot on Redis Cluster.
 * ARGV: limit, guarded window ms, caller id, ms the caller may wait, lease grace ms, from an
 * earlier attempt the caller's ticket and deadline on Redis's clock ('' on the first), the
 * caller's fairness key, and how long a request may stay in flight before it counts as answered.
 *
 * As in QuotaGuard, a request let go is in flight until its instance settles it (SETTLE) and
 * counts as sent at every `now` till then: it joins the log only when its answer came, at that
 * time, so a late delivery cannot put it into the provider's window beside `limit` later ones.
 * An instance that dies with requests in flight leaves them to lapse, as sent then, after the
 * flight lease.
 * Returns {1, 0} go now; {0, wait, ticket, deadline} come back in `wait` ms; {-1, wait} refused.
 * The deadline is fixed on the first attempt, on Redis's clock, as QuotaGuard fixes it on its
 * own: a waiter admitted for its exact slot is not refused later because its event loop was
 * slow to hand it the answer.
 *
 * The caller takes its place in the queue (or keeps the one it had), and its exact time is read
 * from the log the way QuotaGuard reads it: the r-th waiter in the queue goes at the r-th slot
 * the log frees. So only the head(s) of the queue are let go while the log has room, and a
 * caller that arrives later, on any instance, cannot take a slot from one that waits unless it
 * is fairly owed one: the queue's order is FairQueue's (start-time fair queuing), computed here,
 * in the same atomic step, for every instance at once. A ticket is `tag · 2^20 + arrival mod
 * 2^20`: sorting by it is sorting by (tag, arrival), the tie-break wrapping once a million
 * arrivals at worst, which only swaps two waiters of the same round. Fairness across instances
 * costs one hash read and write per first attempt; ordering only each instance's own waiters
 * would be cheaper but lets a flood spread over instances take every slot.
 *
 * A waiter that others went ahead of learns its later slot when it wakes at the old one (it
 * cannot be told earlier: it sleeps), and is refused then if the new slot is past its deadline.
 * A lapsed waiter's tag stays its key's last until the round passes it: a key whose caller died
 * waits a round or so longer, never anyone else.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local id = ARGV[3]
local maxWait = tonumber(ARGV[4])
local grace = tonumber(ARGV[5])
local deadline = tonumber(ARGV[7]) or (now + maxWait)
local fairnessKey = ARGV[8]
local flightLease = tonumber(ARGV[9])
local span = 1048576
local landed = redis.call('ZRANGEBYSCORE', KEYS[8], '-inf', now)
for _, member in ipairs(landed) do redis.call('ZADD', KEYS[1], now, member) end
if #landed > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', now)
  redis.call('PEXPIRE', KEYS[1], window)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)
for _, member in ipairs(lapsed) do redis.call('ZREM', KEYS[3], member) end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
local rank = redis.call('ZRANK', KEYS[3], id)
if not rank then
  local ticket = tonumber(ARGV[6])
  if not ticket then
    local round = tonumber(redis.call('GET', KEYS[7]) or '0')
    local tag = math.max(round, tonumber(redis.call('HGET', KEYS[6], fairnessKey) or '0')) + 1
    redis.call('HSET', KEYS[6], fairnessKey, tag)
    ticket = tag * span + (redis.call('INCR', KEYS[5]) % span)
  end
  redis.call('ZADD', KEYS[3], string.format('%.0f', ticket), id)
  rank = redis.call('ZRANK', KEYS[3], id)
end
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
local sent = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local schedule = {}
for i = 2, #sent, 2 do schedule[#schedule + 1] = tonumber(sent[i]) end
for _ = 1, redis.call('ZCARD', KEYS[8]) do schedule[#schedule + 1] = now end
local at = now
for _ = 0, rank do
  at = math.max(now, paused)
  if #schedule >= limit then at = math.max(at, schedule[#schedule - limit + 1] + window) end
  schedule[#schedule + 1] = at
end
local tag = math.floor(tonumber(redis.call('ZSCORE', KEYS[3], id)) / span)
local lastTag = tonumber(redis.call('HGET', KEYS[6], fairnessKey) or '0')
if at <= now then
  if tag > tonumber(redis.call('GET', KEYS[7]) or '0') then redis.call('SET', KEYS[7], tag) end
  -- The key's last waiter went: it has nobody queued, its next one starts in the next round.
  if lastTag == tag then redis.call('HDEL', KEYS[6], fairnessKey) end
  for k = 3, 7 do
    if redis.call('PTTL', KEYS[k]) < grace + window then redis.call('PEXPIRE', KEYS[k], grace + window) end
  end
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[4], id)
  redis.call('ZADD', KEYS[8], now + flightLease, id)
  if redis.call('PTTL', KEYS[8]) < flightLease then redis.call('PEXPIRE', KEYS[8], flightLease) end
  return {1, 0}
end
local wait = at - now
if at > deadline then
  if lastTag == tag then redis.call('HSET', KEYS[6], fairnessKey, tag - 1) end
  for k = 3, 7 do
    if redis.call('PTTL', KEYS[k]) < grace + window then redis.call('PEXPIRE', KEYS[k], grace + window) end
  end
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[4], id)
  return {-1, wait}
end
redis.call('ZADD', KEYS[4], at + grace, id)
local ttl = wait + grace + window
for k = 3, 7 do
  if redis.call('PTTL', KEYS[k]) < ttl then redis.call('PEXPIRE', KEYS[k], ttl) end
end
return {0, wait, redis.call('ZSCORE', KEYS[3], id), tostring(deadline)}
`;

/** Records sends made elsewhere (ARGV: window, then ages in ms), on Redis's clock. KEYS: the log. */
const BACKFILL = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], now - tonumber(ARGV[i]), 'local:' .. t[1] .. t[2] .. ':' .. i)
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return #ARGV - 1
`;

/** A request this instance let go has its answer: into the log, now. KEYS: log, flights. ARGV: id, window ms. */
const SETTLE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
end
return 0
`;

const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1])) end
return 0
`;

const DEFAULT_LEASE_GRACE_MS = 250; // 0.25 s
/**
 * Past this, a request still in flight counts as answered (as sent then): only a dead instance's
 * requests get here, since an attempt's own timeout (UPSTREAM_TIMEOUT_MS) ends it sooner.
 */
const FLIGHT_LEASE_MS = 60_000; // 1 min
/** How soon a call asks a slow (not down) Redis again. */
const SHARED_RETRY_MS = 10; // 10 ms

export interface SharedQuotaOptions {
  provider: ProviderName;
  limit: number;
  windowMs: number;
  maxWaitMs: number;
  redis: RedisConnection;
  /**
   * `<prefix>:v4:quota:{<provider>:<credential fingerprint>}`; must hold a `{hash tag}` so that
   * every key of the script lands in one Redis Cluster slot.
   */
  key: string;
  fallback: QuotaGuard;
  /**
   * How long past its slot a waiter's place is kept for it (default 250 ms). A waiter that dies
   * holds up the queue this long at most; one that is merely late gets its place back.
   */
  leaseGraceMs?: number;
  /** Default: `performance.now` and the global timers. */
  clock?: QuotaClock;
}

/**
 * One budget for every gateway instance: the same sliding log as QuotaGuard and the same fair
 * order of waiters, kept in Redis and checked-and-spent by one atomic script per attempt (above).
 * A waiter sleeps until the exact time the script names, then asks again; it is let go only when
 * it is at the head of the queue and the log has room. A pause (429 + Retry-After) is a key
 * every instance reads. While Redis is away each instance falls back to its local guard, sized
 * to a conservative share of the budget.
 */
export class SharedQuota implements Quota {
  private readonly keys: string[];
  private readonly leaseGraceMs: number;
  private readonly clock: QuotaClock;
  /**
   * Where each request let go and not yet settled got its budget, oldest first: an id in the
   * shared flights, or 'local'. Which one a settle takes does not matter (see QuotaGuard).
   */
  private readonly flights: string[] = [];
  /** Where the last call got its budget; starts shared, as other instances may be spending. */
  private mode: 'shared' | 'local' = 'shared';
  private backfilling: Promise<void> | undefined;
  /** When this instance's shared requests were answered, oldest first, at most `limit`: for snapshot(). */
  private readonly answered: number[] = [];
  /** Until when Redis last said the shared window is full (it named a wait): for snapshot(). */
  private fullUntil = 0;

  constructor(private readonly options: SharedQuotaOptions) {
    checkQuotaOptions(options);
    if (!/\{[^}]+\}/.test(options.key)) throw new TypeError(`key must hold a {hash tag} so that all quota keys share one Redis Cluster slot: ${options.key}`);
    this.leaseGraceMs = options.leaseGraceMs ?? DEFAULT_LEASE_GRACE_MS;
    if (!(this.leaseGraceMs > 0)) throw new TypeError(`leaseGraceMs must be a positive number: ${options.leaseGraceMs}`);
    this.clock = options.clock ?? systemClock;
    const { key } = options;
    this.keys = [`${key}:log`, `${key}:pause`, `${key}:queue`, `${key}:leases`, `${key}:seq`, `${key}:tags`, `${key}:round`, `${key}:flights`];
  }

  async acquire(maxWaitMs = this.options.maxWaitMs, fairnessKey = ''): Promise<number> {
    const { redis, limit, windowMs, provider, fallback } = this.options;
    const started = this.clock.now();
    const id = randomUUID();
    let ticket = '';
    let deadline = '';
    for (;;) {
      const elapsed = this.clock.now() - started;
      const mayWait = Math.max(0, Math.floor(maxWaitMs - elapsed));
      let answer: [number, number, string?, string?];
      try {
        if (this.mode === 'local') await this.backfill();
        answer = (await redis.run((client) =>
          client.eval(ACQUIRE, {
            keys: this.keys,
            arguments: [String(limit), String(guardedWindowMs(windowMs)), id, String(mayWait), String(this.leaseGraceMs), ticket, deadline, fairnessKey, String(FLIGHT_LEASE_MS)],
          }),
        )) as [number, number, string?, string?];
      } catch {
        if (redis.available) {
          // Redis is slow, not gone: the command that timed out may still run when it wakes and
          // spend a slot, so spending a local one as well could put both into the provider's
          // window. Ask Redis again, within this call's wait.
          if (mayWait <= SHARED_RETRY_MS) throw budgetSpent(provider, SHARED_RETRY_MS);
          await new Promise<void>((resolve) => this.clock.setTimeout(resolve, SHARED_RETRY_MS));
          continue;
        }
        // Redis is down. Our place in the queue lapses by itself; the local guard takes over.
        this.enterLocalMode();
        const waited = elapsed + (await fallback.acquire(mayWait, fairnessKey));
        this.flights.push('local');
        return waited;
      }
      const [status, waitMs, place, until] = answer;
      if (status === 1) {
        this.mode = 'shared';
        this.flights.push(id);
        return this.clock.now() - started;
      }
      this.fullUntil = Math.max(this.fullUntil, this.clock.now() + waitMs);
      if (status === -1) throw budgetSpent(provider, waitMs);
      ticket = String(place);
      deadline = String(until);
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, waitMs));
    }
  }

  /**
   * Back from local mode: what this instance sent on its local share in the last window goes into
   * the shared log first (aged on Redis's clock), or the shared budget would not know of it and
   * could let a whole limit more into the provider's window. One backfill however many callers.
   */
  private backfill(): Promise<void> {
    return (this.backfilling ??= (async () => {
      const ages = this.options.fallback.recentSendAges();
      const window = guardedWindowMs(this.options.windowMs);
      await this.options.redis.run((client) => client.eval(BACKFILL, { keys: [this.keys[0]!], arguments: [String(window), ...ages.map((age) => String(Math.floor(age)))] }));
      this.mode = 'shared';
    })().finally(() => {
      this.backfilling = undefined;
    }));
  }

  /**
   * The shared window may be full of other instances' sends that the local guard never saw, so
   * on the way from shared to local it waits one whole window before spending its share: a
   * Redis outage costs a window of calls, and never a 429.
   */
  private enterLocalMode(): void {
    if (this.mode === 'local') return;
    this.mode = 'local';
    this.options.fallback.pause(guardedWindowMs(this.options.windowMs));
  }

  settle(): void {
    const flight = this.flights.shift();
    if (flight === undefined) return;
    if (flight === 'local') {
      this.options.fallback.settle();
      return;
    }
    const { redis, windowMs, limit } = this.options;
    this.answered.push(this.clock.now());
    if (this.answered.length > limit) this.answered.shift();
    // Unanswered (Redis away), the flight lapses by itself, as sent then: later, never sooner.
    const window = String(guardedWindowMs(windowMs));
    void redis.run((client) => client.eval(SETTLE, { keys: [this.keys[0]!, this.keys[7]!], arguments: [flight, window] })).catch(() => undefined);
  }

  /**
   * The shared log lives in Redis, and a scrape must not wait for it, so this is the last view
   * this instance has: in local mode, its fallback guard's (with the fallback's share as limit);
   * in shared mode, the full limit less what this instance itself has in the window (its own
   * requests in flight and those answered within it), and none left while the last answer from
   * Redis said to wait. Other instances' requests are not seen: `remaining` is an upper bound.
   */
  snapshot(): QuotaSnapshot {
    if (this.mode === 'local') return this.options.fallback.snapshot();
    let inFlight = 0;
    for (const flight of this.flights) if (flight !== 'local') inFlight += 1;
    const { limit, windowMs } = this.options;
    return windowSnapshot({ limit, windowMs: guardedWindowMs(windowMs), now: this.clock.now(), inFlight, sent: this.answered, blockedUntil: this.fullUntil });
  }

  pause(ms: number): void {
    this.options.fallback.pause(ms);
    const { redis } = this.options;
    void redis.run((client) => client.eval(PAUSE, { keys: [this.keys[1]!], arguments: [String(Math.ceil(ms))] })).catch(() => undefined);
  }
}
