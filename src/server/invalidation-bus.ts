import type { RedisConnection } from '../upstream/redis/redis-connection.ts';

export interface InvalidationBus {
  /** Tells every instance (this one included) that cached answers may now be wrong. */
  announce(): Promise<void>;
}

/**
 * Invalidations reach every instance's in-process result cache through Redis pub/sub; without
 * Redis there is one instance to tell. While Redis is away the announcement reaches only this
 * instance, and others replay their answers until those expire (at most the entities' ttl).
 */
export async function createInvalidationBus(redis: RedisConnection | undefined, channel: string, onInvalidate: () => void): Promise<InvalidationBus> {
  if (!redis) return { announce: async () => onInvalidate() };
  await redis.subscribe(channel, () => onInvalidate());
  return {
    announce: async () => {
      onInvalidate();
      await redis.run((client) => client.publish(channel, String(Date.now()))).catch(() => undefined);
    },
  };
}
