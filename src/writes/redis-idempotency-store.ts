import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '../upstream/redis/redis-connection.ts';
import { claimOutcomeFor, decodeIdempotencyEntry, encodeIdempotencyEntry, encodeStoredResponse } from './idempotency-entry.ts';
import type { Claim, IdempotencyStore, StoredResponse } from './idempotency-store.ts';
import { WRITE_STORE_COMMAND_TIMEOUT_MS } from './write-store-timeout.ts';
import { wholeMs } from './whole-ms.ts';

/**
 * Sets the new claim unless the key is held, and answers what holds it; the caller decides the
 * outcome from that (claimOutcomeFor, as the memory store does). KEYS: the key. ARGV: the new
 * entry's JSON, lease ms. Returns the held entry's JSON, or nil when the claim was set.
 */
const CLAIM = `
local held = redis.call('GET', KEYS[1])
if held then return held end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`;

/**
 * Adds the response to the entry if the caller's token still holds the key, for the ttl (which
 * replaces the lease's expiry). KEYS: the key. ARGV: token, the response's JSON, ttl ms. Returns
 * 1 when the response is stored, now or by an earlier complete of the same claim (a retry whose
 * first answer was lost: the first response stays). The response goes in as Node wrote it,
 * spliced into the held JSON rather than decoded and encoded again by cjson, so a replay is
 * exactly what was stored; the held value is this store's (it decoded, and its token matched),
 * so it is one object ending in its closing brace. A value this store did not write is left alone.
 */
const COMPLETE = `
local held = redis.call('GET', KEYS[1])
if not held then return 0 end
local ok, entry = pcall(cjson.decode, held)
if not ok or type(entry) ~= 'table' or entry.token ~= ARGV[1] then return 0 end
if entry.response ~= nil then return 1 end
redis.call('SET', KEYS[1], string.sub(held, 1, -2) .. ',"response":' .. ARGV[2] .. '}', 'PX', ARGV[3])
return 1
`;

/**
 * Drops the key if the caller's token holds it and it is not completed. KEYS: the key. ARGV:
 * token. Returns 1 when dropped. cjson reads an absent field as nil.
 */
const RELEASE = `
local held = redis.call('GET', KEYS[1])
if not held then return 0 end
local ok, entry = pcall(cjson.decode, held)
if not ok or type(entry) ~= 'table' or entry.token ~= ARGV[1] or entry.response ~= nil then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

/**
 * Idempotency keys shared by every gateway instance, one Redis key each
 * (`<keyPrefix>:idem:v1:<key>`, `v1` naming the JSON of idempotency-entry.ts), expiring by Redis's
 * own clock (PX), so no instance's clock matters. Each method is one script on one key: atomic,
 * and routed whole to the key's node on a Redis Cluster.
 *
 * Redis trouble surfaces as the connection's RedisUnavailableError (code REDIS_UNAVAILABLE): the
 * caller cannot know whether a request ran before, so it must not guess. A command whose answer
 * was lost may still have run: a lost claim leaves the key held by a token nobody knows until its
 * lease lapses (the client's retries meanwhile get in-progress), a lost complete is harmless to
 * retry (the first response stays), and a completed key is never released.
 */
export function createRedisIdempotencyStore(redis: RedisConnection, keyPrefix: string): IdempotencyStore {
  const redisKey = (key: string) => `${keyPrefix}:idem:v1:${key}`;
  const patience = WRITE_STORE_COMMAND_TIMEOUT_MS;
  return {
    kind: 'redis',
    claim: async (key: string, fingerprint: string, leaseMs: number): Promise<Claim> => {
      const lease = wholeMs('leaseMs', leaseMs);
      const token = randomUUID();
      const entry = encodeIdempotencyEntry({ fingerprint, token });
      const held = await redis.runPatiently((client) => client.eval(CLAIM, { keys: [redisKey(key)], arguments: [entry, String(lease)] }), patience);
      if (held === null || held === undefined) return { outcome: 'claimed', token };
      return claimOutcomeFor(decodeIdempotencyEntry(String(held)), fingerprint);
    },
    complete: async (key: string, token: string, response: StoredResponse, ttlMs: number): Promise<boolean> => {
      const ttl = wholeMs('ttlMs', ttlMs);
      const stored = await redis.runPatiently((client) => client.eval(COMPLETE, { keys: [redisKey(key)], arguments: [token, encodeStoredResponse(response), String(ttl)] }), patience);
      return stored === 1;
    },
    release: async (key: string, token: string): Promise<void> => {
      await redis.runPatiently((client) => client.eval(RELEASE, { keys: [redisKey(key)], arguments: [token] }), patience);
    },
  };
}
