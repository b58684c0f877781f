import { createClient } from '@keyv/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisConnection } from '../../src/upstream/redis/redis-connection.ts';
import { createRedisIdempotencyStore } from '../../src/writes/redis-idempotency-store.ts';
import { eventually } from '../support/eventually.ts';
import { REDIS_URL, freePort, uniquePrefix } from '../support/redis.ts';
import { idempotencyStoreContract, response } from './idempotency-store-contract.ts';
import { redisBackends } from './redis-backends.ts';

const backends = await redisBackends();
const [single] = backends;

for (const backend of backends) {
  idempotencyStoreContract(
    backend.name,
    async () => {
      const keyPrefix = uniquePrefix('idem');
      const connections = [await backend.connect(), await backend.connect()];
      const stores = connections.map((connection) => createRedisIdempotencyStore(connection, keyPrefix));
      return {
        instance: (index) => stores[index % stores.length]!,
        // Redis's own clock runs: 50 ms lapses while the harness polls every 10 ms.
        shortMs: 50,
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

describe.skipIf(single!.skip)('redis idempotency store', () => {
  const keyPrefix = uniquePrefix('idem');
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

  it('keeps a claim as one JSON value under <prefix>:idem:v1:<key>, expiring by Redis with the lease, then with the ttl', async () => {
    const store = createRedisIdempotencyStore(connection, keyPrefix);
    const claim = await store.claim('k1', 'fp-a', 60_000);
    if (claim.outcome !== 'claimed') throw new Error('not claimed');
    const key = `${keyPrefix}:idem:v1:k1`;
    expect(JSON.parse((await admin.get(key))!)).toEqual({ fingerprint: 'fp-a', token: claim.token });
    const leased = await admin.pTTL(key);
    expect(leased).toBeGreaterThan(0);
    expect(leased).toBeLessThanOrEqual(60_000);

    await store.complete('k1', claim.token, response, 3_600_000);
    expect(JSON.parse((await admin.get(key))!)).toEqual({ fingerprint: 'fp-a', token: claim.token, response });
    expect(await admin.pTTL(key)).toBeGreaterThan(60_000);
  });

  it('refuses to guess about a value it did not write: claim fails with a code, complete and release leave it', async () => {
    const store = createRedisIdempotencyStore(connection, keyPrefix);
    const key = `${keyPrefix}:idem:v1:foreign`;
    await admin.set(key, 'not json', { PX: 60_000 });
    await expect(store.claim('foreign', 'fp-a', 60_000)).rejects.toMatchObject({ code: 'WRITE_STORE_ENTRY_UNREADABLE' });
    expect(await store.complete('foreign', 'any', response, 60_000)).toBe(false);
    await store.release('foreign', 'any');
    expect(await admin.get(key)).toBe('not json');
  });

  it('fails with REDIS_UNAVAILABLE when Redis does not answer, rather than answering claimed', async () => {
    const away = new RedisConnection({ url: `redis://127.0.0.1:${await freePort()}`, commandTimeoutMs: 200, logger: { warn: () => undefined, info: () => undefined } });
    await away.connect();
    try {
      const store = createRedisIdempotencyStore(away, keyPrefix);
      await expect(store.claim('k2', 'fp-a', 60_000)).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    } finally {
      await away.close();
    }
  });
});
