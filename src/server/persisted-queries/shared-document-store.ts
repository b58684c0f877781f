import type { RedisCommandClient } from '../../upstream/redis/redis-client.ts';

/**
 * Stores a document and keeps the count of documents at most the cap, in one step.
 * KEYS: the document, the index (a sorted set of hashes by expiry, in microseconds on Redis's
 * clock). ARGV: document, ttl (s), cap, the prefix of every document's key, the document's hash.
 * Index members whose expiry has passed are dropped (their documents are already gone); then,
 * past the cap, the documents that would expire first go, with their index members. The
 * documents it deletes are not in KEYS: a script may touch keys of its own slot that it did not
 * declare, and the hash tag puts every one in the index's slot. Lua's numbers print with 14
 * digits, so the score is formatted by hand (16 digits, exact below 2^53). Returns how many went.
 */
const SET_CAPPED = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
redis.call('ZADD', KEYS[2], string.format('%.0f', now + ttl * 1000000), ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%.0f', now))
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if over > 0 then
  for _, hash in ipairs(redis.call('ZRANGE', KEYS[2], 0, over - 1)) do
    redis.call('UNLINK', ARGV[4] .. hash)
  end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
else
  over = 0
end
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[2], string.format('%.0f', math.ceil(tonumber(last[2]) / 1000)))
return over
`;

/** Deletes a document and its index member. KEYS: the document, the index. ARGV: its hash. */
const DELETE = `
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
`;

/**
 * Where persisted queries live in Redis, at most `maxEntries` of them for every instance together:
 * `<keyPrefix>:{apq}:<sha256>` for each document, `<keyPrefix>:{apq}:index` for their index.
 *
 * Without a cap one client could fill Redis at its rate limit (a new comment is a new hash, and
 * comments are not tokens), and a Redis that refuses writes when full (`noeviction`) would then
 * refuse the event log, the quotas and the idempotency keys as well. The cap needs the count and
 * the deletions in one script, so every key shares the hash tag `{apq}`: on a Redis Cluster they
 * live on one node, at most the cap times MAX_QUERY_BYTES.
 */
export class SharedDocumentStore {
  private readonly documentPrefix: string;
  private readonly indexKey: string;

  constructor(
    keyPrefix: string,
    private readonly maxEntries: number,
  ) {
    if (/[{}]/.test(keyPrefix)) throw new TypeError(`keyPrefix must not contain a hash tag's braces: ${keyPrefix}`);
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new TypeError(`maxEntries must be a positive integer: ${maxEntries}`);
    this.documentPrefix = `${keyPrefix}:{apq}:`;
    this.indexKey = `${keyPrefix}:{apq}:index`;
  }

  keyOf(hash: string): string {
    return `${this.documentPrefix}${hash}`;
  }

  get(client: RedisCommandClient, hash: string): Promise<string | null> {
    return client.get(this.keyOf(hash));
  }

  /** Resolves to how many older documents were deleted to stay within the cap. */
  async set(client: RedisCommandClient, hash: string, document: string, ttlSeconds: number): Promise<number> {
    const deleted = await client.eval(SET_CAPPED, {
      keys: [this.keyOf(hash), this.indexKey],
      arguments: [document, String(ttlSeconds), String(this.maxEntries), this.documentPrefix, hash],
    });
    return Number(deleted);
  }

  /** Whether the document was there. */
  async delete(client: RedisCommandClient, hash: string): Promise<boolean> {
    return Number(await client.eval(DELETE, { keys: [this.keyOf(hash), this.indexKey], arguments: [hash] })) > 0;
  }
}
