import { randomUUID } from 'node:crypto';
import type { Change } from '../events/change.ts';
import type { Invalidation } from '../upstream/cache/entity-cache.ts';
import type { RedisConnection } from '../upstream/redis/redis-connection.ts';

export interface InvalidationBus {
  /**
   * Tells every other instance what this one has just invalidated, and which changes its
   * subscribers should hear of once their copies are dropped: one message, so that no instance
   * tells a subscriber before it has dropped the copy the subscriber would read.
   */
  announce(what: Invalidation, changes?: readonly Change[]): Promise<void>;
  /**
   * The same, but rejects when Redis could not take the message: an event's handler then fails
   * and is retried, instead of being marked done while other instances never heard of it.
   */
  announceOrFail(what: Invalidation, changes: readonly Change[]): Promise<void>;
}

interface Message {
  from: string;
  what: Invalidation;
  changes?: readonly Change[];
}

/**
 * Invalidations reach every other instance through Redis pub/sub, where they empty the result
 * cache and the in-process copy of the entity cache (`onRemote`), which that instance reads first
 * while it is listening (`onListening`, see tiered-store.ts); without Redis there is no other
 * instance to tell. Pub/sub delivers at most once: an instance whose subscription was
 * interrupted treats its return as "everything changed" and empties both. While Redis is away an
 * announcement reaches no one: other instances keep their copies until they hear from Redis
 * again, or until those expire (at most the entities' ttl) — see the README.
 */
export async function createInvalidationBus(
  redis: RedisConnection | undefined,
  channel: string,
  onRemote: (what: Invalidation, changes: readonly Change[]) => void,
  /**
   * Whether every other instance's invalidation reaches `onRemote` from now on. True comes after
   * the `onRemote({ all: true })` of a gap, so a copy emptied there may be trusted again.
   */
  onListening: (listening: boolean) => void = () => undefined,
): Promise<InvalidationBus> {
  if (!redis) return { announce: async () => undefined, announceOrFail: async () => undefined };
  const self = randomUUID();
  await redis.subscribe(channel, {
    message: (text) => {
      const message = parse(text);
      if (message.from !== self) onRemote(message.what, message.changes ?? []);
    },
    // Messages sent while this instance was not listening are lost: assume everything changed.
    gap: () => onRemote({ all: true }, []),
    listening: onListening,
  });
  const publish = async (what: Invalidation, changes: readonly Change[]) => {
    const message: Message = { from: self, what, ...(changes.length > 0 ? { changes } : {}) };
    await redis.run((client) => client.publish(channel, JSON.stringify(message)));
  };
  return {
    announce: async (what, changes = []) => {
      await publish(what, changes).catch(() => undefined);
    },
    announceOrFail: (what, changes) => publish(what, changes),
  };
}

function parse(text: string): Message {
  try {
    const message = JSON.parse(text) as Partial<Message>;
    const what = message.what as Partial<{ keys: unknown; all: unknown }> | undefined;
    if (typeof message.from !== 'string' || !what) return { from: '', what: { all: true } };
    const changes = Array.isArray(message.changes) ? message.changes.filter(isChange) : [];
    if (what.all === true) return { from: message.from, what: { all: true }, changes };
    if (Array.isArray(what.keys) && what.keys.every((key) => typeof key === 'string')) return { from: message.from, what: { keys: what.keys as string[] }, changes };
  } catch {
    // Not one of ours (an older version's timestamp): treat it as "everything may have changed".
  }
  return { from: '', what: { all: true } };
}

const TOPICS: ReadonlySet<string> = new Set(['customer', 'payment', 'crmContact', 'deal', 'write']);

function isChange(value: unknown): value is Change {
  const change = value as Partial<Change> | null;
  return (
    typeof change === 'object' &&
    change !== null &&
    typeof change.tenantId === 'string' &&
    typeof change.topic === 'string' &&
    TOPICS.has(change.topic) &&
    typeof change.key === 'string' &&
    typeof change.occurredAt === 'number' &&
    (change.entityId === undefined || typeof change.entityId === 'string')
  );
}
