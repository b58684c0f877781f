import { createClient } from '@keyv/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisConnection } from '../../src/upstream/redis/redis-connection.ts';
import { createRedisWriteRecordStore } from '../../src/writes/redis-write-record-store.ts';
import { eventually } from '../support/eventually.ts';
import { REDIS_URL, uniquePrefix } from '../support/redis.ts';
import { redisBackends } from './redis-backends.ts';
import { queuedRecord, writeRecordStoreContract } from './write-record-store-contract.ts';

const backends = await redisBackends();
const [single] = backends;

for (const backend of backends) {
  writeRecordStoreContract(
    backend.name,
    async () => {
      const keyPrefix = uniquePrefix('writes');
      const connections = [await backend.connect(), await backend.connect()];
      const stores = connections.map((connection) => createRedisWriteRecordStore(connection, keyPrefix));
      return {
        instance: (index) => stores[index % stores.length]!,
        shortMs: 50, // Redis's own clock runs out while the harness polls every 10 ms
        until: (holds) => eventually(holds),
        cleanup: async () => {
          await Promise.all(connections.map((connection) => connection.close()));
          await backend.dropKeys(keyPrefix);
        },
      };
    },
    backend.skip,
  );
}

describe.skipIf(single!.skip)('redis write record store', () => {
  const keyPrefix = uniquePrefix('writes');
  let connection: RedisConnection;
  let admin: ReturnType<typeof createClient>;
  beforeAll(async () => {
    connection = await single!.connect();
    admin = createClient({ url: REDIS_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await connection?.close();
    await admin?.close();
    await single!.dropKeys(keyPrefix);
  });

  it('keeps a record as one JSON value under <prefix>:writes:v1:<id>, expiring by Redis with its ttl', async () => {
    const store = createRedisWriteRecordStore(connection, keyPrefix);
    const record = queuedRecord();
    await store.put(record, 60_000);
    const key = `${keyPrefix}:writes:v1:${record.id}`;
    expect(JSON.parse((await admin.get(key))!)).toEqual(record);
    const ttl = await admin.pTTL(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('replaces a value it did not write, and refuses to read one with a code', async () => {
    const store = createRedisWriteRecordStore(connection, keyPrefix);
    const record = queuedRecord();
    const key = `${keyPrefix}:writes:v1:${record.id}`;
    await admin.set(key, '{"state":"SUCCEEDED"}', { PX: 60_000 });
    await expect(store.get(record.id, 'acme')).rejects.toMatchObject({ code: 'WRITE_STORE_ENTRY_UNREADABLE' });
    await admin.set(key, 'not json', { PX: 60_000 });
    await store.put(record, 60_000);
    expect(await store.get(record.id, 'acme')).toStrictEqual(record);
  });
});
