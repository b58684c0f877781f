import { randomUUID } from 'node:crypto';
import type { Invalidation } from '../upstream/cache/entity-cache.ts';
import type { RedisConnection } from '../upstream/redis/redis-connection.ts';

export interface InvalidationBus {
  /** Tells every other instance what this one has just invalidated. */
  announce(what: Invalidation): Promise<void>;
}

interface Message {
  from: string;
  what: Invalidation;
}

/**
 * Invalidations reach every other instance through Redis pub/sub, where they empty the result
 * cache and the in-process copy of the entity cache (`onRemote`); without Redis there is no other
 * instance to tell. Pub/sub delivers at most once: an instance whose subscription was
 * interrupted treats its return as "everything changed" and empties both. While Redis is away an
 * announcement reaches no one: other instances keep their copies until they hear from Redis
 * again, or until those expire (at most the entities' ttl) — see the README.
 */
export async function createInvalidationBus(redis: RedisConnection | undefined, channel: string, onRemote: (what: Invalidation) => void): Promise<InvalidationBus> {
  if (!redis) return { announce: async () => undefined };
  const self = randomUUID();
  await redis.subscribe(
    channel,
    (text) => {
      const message = parse(text);
      if (message.from !== self) onRemote(message.what);
    },
    // Messages sent while this instance was not listening are lost: assume everything changed.
    () => onRemote({ all: true }),
  );
  return {
    announce: async (what) => {
      const message: Message = { from: self, what };
      await redis.run((client) => client.publish(channel, JSON.stringify(message))).catch(() => undefined);
    },
  };
}

function parse(text: string): Message {
  try {
    const message = JSON.parse(text) as Partial<Message>;
    const what = message.what as Partial<{ keys: unknown; all: unknown }> | undefined;
    if (typeof message.from !== 'string' || !what) return { from: '', what: { all: true } };
    if (what.all === true) return { from: message.from, what: { all: true } };
    if (Array.isArray(what.keys) && what.keys.every((key) => typeof key === 'string')) return { from: message.from, what: { keys: what.keys as string[] } };
  } catch {
    // Not one of ours (an older version's timestamp): treat it as "everything may have changed".
  }
  return { from: '', what: { all: true } };
}
