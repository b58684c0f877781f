import type { EventLogRedis } from './redis-event-log.ts';
import type { DeadLetter, DeadLetterQueue } from './event-log.ts';
import { REPLAY, STREAM_ID, type EventLogKeys } from './redis-event-scripts.ts';
import { decodeStoredEvent } from './stored-event-codec.ts';

/** Dead letters read per XRANGE while listing. */
const LIST_PAGE = 500;

/** The dead-letter stream, oldest first. Every call rejects while Redis is away. */
export class RedisDeadLetters implements DeadLetterQueue {
  constructor(
    private readonly redis: EventLogRedis,
    private readonly keys: EventLogKeys,
  ) {}

  /**
   * One stream holds every tenant's letters, so a tenant's are read page by page past the
   * others' (one XRANGE per page), until `limit` are found or the stream ends.
   */
  async list(limit: number, tenantId?: string): Promise<DeadLetter[]> {
    if (!(limit > 0)) return [];
    const found: DeadLetter[] = [];
    let start = '-';
    for (;;) {
      const from = start;
      const entries = await this.redis.run((client) => client.xRange(this.keys.dead, from, '+', { COUNT: LIST_PAGE }));
      for (const entry of entries) {
        const letter = toDeadLetter(entry.id, entry.message);
        if (letter && (tenantId === undefined || letter.event.tenantId === tenantId)) found.push(letter);
        if (found.length >= limit) return found;
      }
      if (entries.length < LIST_PAGE) return found;
      start = `(${entries.at(-1)!.id}`;
    }
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
