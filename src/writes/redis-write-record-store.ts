import type { RedisConnection } from '../upstream/redis/redis-connection.ts';
import { decodeWriteRecord, encodeWriteRecord } from './write-record-codec.ts';
import type { WriteRecord, WriteRecordStore } from './write-record-store.ts';
import { WRITE_STORE_COMMAND_TIMEOUT_MS } from './write-store-timeout.ts';
import { wholeMs } from './whole-ms.ts';

/**
 * Stores the record unless a final one is held and this one is QUEUED (isFinal in
 * write-record-codec.ts: every state but QUEUED is final), or a SUCCEEDED one is held and this
 * one is not (mayReplace there). KEYS: the record's key. ARGV: the
 * record's JSON, its state, ttl ms. Returns 1 when stored. A held value that is not a record
 * this store wrote is replaced.
 */
const PUT = `
local held = redis.call('GET', KEYS[1])
if held then
  local ok, record = pcall(cjson.decode, held)
  if ok and type(record) == 'table' and type(record.state) == 'string' then
    if ARGV[2] == 'QUEUED' and record.state ~= 'QUEUED' then return 0 end
    if record.state == 'SUCCEEDED' and ARGV[2] ~= 'SUCCEEDED' then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
`;

/**
 * Deferred writes' records shared by every gateway instance, one Redis key each
 * (`<keyPrefix>:writes:v1:<id>`, `v1` naming the JSON of write-record-codec.ts), expiring by
 * Redis's clock. `put` is one script on one key, so the rule that a final record is never
 * replaced by a QUEUED one holds between instances and on a Redis Cluster. Redis trouble
 * surfaces as the connection's RedisUnavailableError (code REDIS_UNAVAILABLE).
 */
export function createRedisWriteRecordStore(redis: RedisConnection, keyPrefix: string): WriteRecordStore {
  const redisKey = (id: string) => `${keyPrefix}:writes:v1:${id}`;
  const patience = WRITE_STORE_COMMAND_TIMEOUT_MS;
  return {
    kind: 'redis',
    put: async (record: WriteRecord, ttlMs: number): Promise<void> => {
      const ttl = wholeMs('ttlMs', ttlMs);
      const value = encodeWriteRecord(record);
      await redis.runPatiently((client) => client.eval(PUT, { keys: [redisKey(record.id)], arguments: [value, record.state, String(ttl)] }), patience);
    },
    get: async (id: string, tenantId: string): Promise<WriteRecord | undefined> => {
      const text = await redis.runPatiently((client) => client.get(redisKey(id)), patience);
      if (text === null || text === undefined) return undefined;
      const record = decodeWriteRecord(String(text));
      return record.tenantId === tenantId ? record : undefined;
    },
  };
}
