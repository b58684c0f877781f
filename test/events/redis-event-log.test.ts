import { createClient } from '@keyv/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventLog } from '../../src/events/event-log.ts';
import type { EventLogOptions } from '../../src/events/event-log-options.ts';
import { createRedisEventLog } from '../../src/events/redis-event-log.ts';
import { eventLogKeys } from '../../src/events/redis-event-scripts.ts';
import { encodeStoredEvent } from '../../src/events/stored-event-codec.ts';
import { RedisConnection } from '../../src/upstream/redis/redis-connection.ts';
import { REDIS_URL, freePort, redisForTests, uniquePrefix } from '../support/redis.ts';
import { FAST_RETRIES, deferred, eventLogContract, storedEvent, until } from './event-log-contract.ts';

const available = await redisForTests();
const quiet = { warn: () => undefined, info: () => undefined };

/** A connection of the test's own; a generous timeout, as the machine may be busy. */
async function connection(url = REDIS_URL, commandTimeoutMs = 5000): Promise<RedisConnection> {
  const redis = new RedisConnection({ url, commandTimeoutMs, logger: quiet });
  await redis.connect();
  return redis;
}

type Admin = ReturnType<typeof createClient>;

/** Every key a log under `keyPrefix` made: they all carry its hash tag. */
async function keysOf(admin: Admin, keyPrefix: string): Promise<string[]> {
  return (await admin.keys(`{${keyPrefix}}*`)).sort();
}

async function removeKeys(admin: Admin, keyPrefix: string): Promise<void> {
  const keys = await keysOf(admin, keyPrefix);
  if (keys.length > 0) await admin.del(keys);
}

describe.skipIf(!available)('redis log', () => {
  let admin: Admin;
  beforeAll(async () => {
    admin = createClient({ url: REDIS_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.close();
  });

  eventLogContract('redis log', async () => {
    const keyPrefix = uniquePrefix('events');
    const connections: RedisConnection[] = [];
    const redis = await connection();
    connections.push(redis);
    return {
      create: (options) => createRedisEventLog(redis, { keyPrefix, blockMs: 100, ...options }),
      cleanup: async () => {
        await Promise.all(connections.map((each) => each.close()));
        await removeKeys(admin, keyPrefix);
      },
    };
  });

  describe('shared by instances', () => {
    let keyPrefix = '';
    const logs: EventLog[] = [];
    const connections: RedisConnection[] = [];
    const open = async (options: Partial<EventLogOptions> = {}): Promise<EventLog> => {
      const redis = await connection();
      connections.push(redis);
      const log = createRedisEventLog(redis, { keyPrefix, blockMs: 100, ...FAST_RETRIES, ...options });
      logs.push(log);
      return log;
    };

    beforeAll(() => {
      keyPrefix = uniquePrefix('events');
    });
    afterEach(async () => {
      await Promise.all(logs.splice(0).map((log) => log.close()));
      await Promise.all(connections.splice(0).map((redis) => redis.close()));
      await removeKeys(admin, keyPrefix);
    });

    it('stores an event appended five times by two instances at once once, and handles it once', async () => {
      const [first, second] = [await open(), await open()];
      const event = storedEvent();
      const outcomes = (await Promise.all([first, second, first, second, first].map((log) => log.append([event])))).flat();
      expect(outcomes.filter((outcome) => outcome === 'appended')).toHaveLength(1);
      let calls = 0;
      const count = async () => {
        calls += 1;
      };
      first.start(count);
      second.start(count);
      await until(async () => calls === 1 && (await first.backlog()) === 0);
      expect(calls).toBe(1);
    });

    it('has another instance take over what a dead one read and never acknowledged', async () => {
      // The first instance reads the event and hangs in its handler; with an hour of claimIdleMs
      // it does not touch the entry within the test, which is how a dead instance looks.
      const dead = await open({ claimIdleMs: 3_600_000 });
      const hung = deferred();
      let readByDead = false;
      dead.start(async () => {
        readByDead = true;
        await hung.promise;
      });
      const event = storedEvent();
      await dead.append([event]);
      await until(() => readByDead);

      const survivor = await open({ claimIdleMs: 30 });
      const handled: string[] = [];
      survivor.start(async (taken) => {
        handled.push(taken.id);
      });
      await until(async () => handled.length === 1 && (await survivor.backlog()) === 0);
      expect(handled).toEqual([event.id]);
      hung.resolve();
    });

    it('does not handle again an event whose effects were applied and which was stored again', async () => {
      // As after a crash between the handler and the acknowledgement, or an append after the
      // dedupe key was lost: the entry is back, the processed marker is not gone.
      const log = await open();
      const handled: string[] = [];
      log.start(async (event) => {
        handled.push(event.id);
      });
      const event = storedEvent();
      await log.append([event]);
      await until(async () => handled.length === 1 && (await log.backlog()) === 0);
      await admin.xAdd(eventLogKeys(keyPrefix).stream, '*', { event: encodeStoredEvent(event) });
      await until(async () => (await log.backlog()) === 0);
      expect(handled).toEqual([event.id]);
    });

    it('keeps every key under one hash tag and leaves only the dedupe and processed keys once handled', async () => {
      const log = await open();
      let calls = 0;
      log.start(async () => {
        calls += 1;
      });
      const event = storedEvent({ tenantId: 'a:b', id: 'evt_{x}' });
      await log.append([event]);
      await until(async () => calls === 1 && (await log.backlog()) === 0);
      const base = `{${keyPrefix}}:v1`;
      expect(await keysOf(admin, keyPrefix)).toEqual([`${base}:processed:a%3Ab:stripe:evt_%7Bx%7D`, `${base}:seen:a%3Ab:stripe:evt_%7Bx%7D`, `${base}:stream`]);
      expect(await admin.pTTL(`${base}:seen:a%3Ab:stripe:evt_%7Bx%7D`)).toBeGreaterThan(3 * 24 * 3600 * 1000);
    });

    it('refuses an append it could not store, and leaves no dedupe key behind', async () => {
      const log = await open();
      const { stream } = eventLogKeys(keyPrefix);
      await admin.set(stream, 'not a stream'); // XADD now fails inside the script
      const event = storedEvent();
      await expect(log.append([event])).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
      expect(await keysOf(admin, keyPrefix)).toEqual([stream]);
      await admin.del(stream);
      expect(await log.append([event])).toEqual(['appended']);
    });
  });

  it('refuses an append while Redis is unreachable', async () => {
    const redis = await connection(`redis://127.0.0.1:${await freePort()}`, 200);
    const log = createRedisEventLog(redis, { keyPrefix: uniquePrefix('events') });
    try {
      await expect(log.append([storedEvent()])).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    } finally {
      await log.close();
      await redis.close();
    }
  });
});
