import type { EventLogRedis } from './redis-event-log.ts';
import type { DeadLetter, DeadLetterQueue } from './event-log.ts';
import { REPLAY, STREAM_ID, type EventLogKeys } from './redis-event-scripts.ts';
import { decodeStoredEvent } from './stored-event-codec.ts';

/** The dead-letter stream, oldest first. Every call rejects while Redis is away. */
export class RedisDeadLetters implements DeadLetterQueue {
  constructor(
    private readonly redis: EventLogRedis,
    private readonly keys: EventLogKeys,
  ) {}

  async list(limit: number): Promise<DeadLetter[]> {
    if (!(limit > 0)) return [];
    const entries = await this.redis.run((client) => client.xRange(this.keys.dead, '-', '+', { COUNT: Math.floor(limit) }));
    return entries.flatMap((entry) => toDeadLetter(entry.id, entry.message) ?? []);
  }

  async get(entryId: string): Promise<DeadLetter | undefined> {
    if (!STREAM_ID.test(entryId)) return undefined;
    const [entry] = await this.redis.run((client) => client.xRange(this.keys.dead, entryId, entryId));
    return entry ? toDeadLetter(entry.id, entry.message) : undefined;
  }

  async replay(entryId: string): Promise<boolean> {
    if (!STREAM_ID.test(entryId)) return false;
    const replayed = await this.redis.run((client) => client.eval(REPLAY, { keys: [this.keys.dead, this.keys.stream], arguments: [entryId] }));
    return replayed === 1;
  }

  async drop(entryId: string): Promise<boolean> {
    if (!STREAM_ID.test(entryId)) return false;
    return (await this.redis.run((client) => client.xDel(this.keys.dead, entryId))) === 1;
  }

  async count(): Promise<number> {
    return this.redis.run((client) => client.xLen(this.keys.dead));
  }
}

function toDeadLetter(entryId: string, fields: Record<string, string | undefined>): DeadLetter | undefined {
  const event = decodeStoredEvent(fields['event']);
  if (!event) return undefined;
  return {
    entryId,
    event,
    attempts: Number(fields['attempts'] ?? 0),
    lastError: fields['lastError'] ?? '',
    failedAt: Number(fields['failedAt'] ?? 0),
  };
}
