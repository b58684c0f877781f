import { isClientReady, type RedisCommandClient } from '../upstream/redis/redis-client.ts';
import type { RedisConnection } from '../upstream/redis/redis-connection.ts';
import { DeliveryScheduler, type Delivery, type DeliveryStore, type FailureOutcome } from './delivery-scheduler.ts';
import type { AppendOutcome, DeadLetterQueue, EventHandler, EventLog } from './event-log.ts';
import { resolveEventLogOptions, type EventLogOptions, type ResolvedEventLogOptions } from './event-log-options.ts';
import type { StoredEvent } from './event.ts';
import { RedisDeadLetters } from './redis-dead-letters.ts';
import { APPEND, CONSUMER_GROUP, FAIL, SUCCEED, TOUCH, eventLogKeys, type EventLogKeys } from './redis-event-scripts.ts';
import { decodeStoredEvent, encodeStoredEvent } from './stored-event-codec.ts';

/** How long past its BLOCK a read may take before it counts as lost (a stalled socket). */
const READ_GRACE_MS = 5000; // 5 s
/** The pause before reading again after a failed read, or while Redis is away. */
const READ_RETRY_MS = 250; // 0.25 s

type StreamEntry = { id: string; message: Record<string, string> };

/**
 * The durable log on a Redis stream, read by every gateway instance through one consumer group.
 *
 * An entry lives in the stream from `append` until it is handled (XACK + XDEL) or dead-lettered,
 * so the stream's length is the backlog and nothing unhandled is ever trimmed. New entries come
 * from XREADGROUP BLOCK on a connection of the log's own (a blocking read would stall the
 * shared client's other commands). Entries a consumer read and then died with are taken over
 * with XAUTOCLAIM once idle for claimIdleMs; a live consumer touches everything it holds every
 * claimIdleMs / 3, so neither a slow handler nor a retry waiting out its backoff looks dead.
 * Effects happen at least once: a processed marker, set in the same step as the ack, keeps a
 * reclaimed or re-stored event from being handled again, but a consumer that dies between its
 * handler and that step leaves the event to be handled once more (handlers are idempotent).
 */
/**
 * How long Redis may stay silent on the log's commands (up to a second more while it answers
 * others or the event loop is busy: RedisConnection.withTimeout). Not REDIS_TIMEOUT_MS (100 ms), which suits a cache read
 * on a request's path: the log's scripts are on no one's latency path, and one that times out
 * may still run in Redis, where it would count an attempt twice, or claim entries whose answer is
 * then lost. Under load that happened (late deliveries in the events bench).
 */
export const EVENT_LOG_COMMAND_TIMEOUT_MS = 2000; // 2 s

/** The part of a RedisConnection the log uses. */
export type EventLogRedis = Pick<RedisConnection, 'run' | 'available' | 'client'>;

export function createRedisEventLog(redis: RedisConnection, options: EventLogOptions): EventLog {
  const patient: EventLogRedis = {
    run: (command, timeoutMs = EVENT_LOG_COMMAND_TIMEOUT_MS) => redis.run(command, timeoutMs),
    get available() {
      return redis.available;
    },
    get client() {
      return redis.client;
    },
  };
  return new RedisEventLog(patient, resolveEventLogOptions(options));
}

class RedisEventLog implements EventLog, DeliveryStore {
  readonly kind = 'redis';
  readonly deadLetters: DeadLetterQueue;
  private readonly keys: EventLogKeys;
  private scheduler: DeliveryScheduler | undefined;
  private reader: RedisCommandClient | undefined;
  private reading: Promise<void> | undefined;
  private readerConnected: Promise<void> = Promise.resolve();
  private maintenanceTimer: unknown;
  private maintaining: Promise<void> | undefined;
  private claimCursor = '0-0';
  private groupReady = false;
  private closing = false;
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly redis: EventLogRedis,
    private readonly options: ResolvedEventLogOptions,
  ) {
    this.keys = eventLogKeys(options.keyPrefix);
    this.deadLetters = new RedisDeadLetters(redis, this.keys);
  }

  /** Rejects (RedisUnavailableError) when Redis is away or the script failed: nothing was stored then. */
  async append(events: readonly StoredEvent[]): Promise<AppendOutcome[]> {
    if (events.length === 0) return [];
    const outcomes = (await this.redis.run((client) =>
      client.eval(APPEND, {
        keys: [this.keys.stream, ...events.map((event) => this.keys.seen(event))],
        arguments: [String(this.options.dedupeTtlMs), ...events.map(encodeStoredEvent)],
      }),
    )) as number[];
    return outcomes.map((stored) => (stored === 1 ? 'appended' : 'duplicate'));
  }

  start(handler: EventHandler): void {
    if (this.scheduler) throw new Error('the event log was started already');
    if (this.closing) throw new Error('the event log is closed');
    this.scheduler = new DeliveryScheduler(this, handler, this.options);
    const reader = this.redis.client.duplicate();
    reader.on('error', () => undefined); // the shared client already reports Redis's state
    // It keeps reconnecting by itself; the loop waits until it is ready.
    this.readerConnected = reader.connect().then(
      () => undefined,
      () => undefined,
    );
    this.reader = reader;
    this.reading = this.readLoop(this.scheduler, reader);
    this.scheduleMaintenance();
  }

  /** The stream's length: stored events not yet handled or dead-lettered, including those in progress. */
  async backlog(): Promise<number> {
    return this.redis.run((client) => client.xLen(this.keys.stream));
  }

  async close(): Promise<void> {
    this.closing = true;
    this.options.clearTimer(this.maintenanceTimer);
    for (const wake of this.sleepers) wake();
    await Promise.all([this.reading, this.maintaining, this.scheduler?.close()]);
    const reader = this.reader;
    this.reader = undefined;
    if (reader && isClientReady(reader)) await reader.close().catch(() => undefined);
    else reader?.destroy();
  }

  // DeliveryStore, for the scheduler.

  async isProcessed(delivery: Delivery): Promise<boolean> {
    return (await this.redis.run((client) => client.exists(this.keys.processed(delivery.event)))) === 1;
  }

  async succeeded(delivery: Delivery): Promise<void> {
    const keys = [this.keys.stream, this.keys.attempts, this.keys.processed(delivery.event)];
    await this.redis.run((client) => client.eval(SUCCEED, { keys, arguments: [CONSUMER_GROUP, delivery.entryId, String(this.options.dedupeTtlMs)] }));
  }

  async failed(delivery: Delivery, lastError: string): Promise<FailureOutcome> {
    const { consumerName, maxAttempts, now } = this.options;
    const [status, attempts] = (await this.redis.run((client) =>
      client.eval(FAIL, {
        keys: [this.keys.stream, this.keys.dead, this.keys.attempts],
        arguments: [CONSUMER_GROUP, consumerName, delivery.entryId, lastError, String(maxAttempts), String(now())],
      }),
    )) as [number, number];
    if (status === -1) return { kind: 'gone' };
    return status === 1 ? { kind: 'dead', attempts } : { kind: 'retry', attempts };
  }

  // Private: reading new entries, and the periodic touch and takeover.

  private async readLoop(scheduler: DeliveryScheduler, reader: RedisCommandClient): Promise<void> {
    const { consumerName, batchSize, blockMs } = this.options;
    while (!this.closing) {
      await scheduler.whenRoom();
      if (this.closing) return;
      if (!this.redis.available || !isClientReady(reader)) {
        // The first wait ends as soon as the reader connects; later ones take the whole pause.
        await Promise.race([this.readerConnected, this.sleep(READ_RETRY_MS)]);
        this.readerConnected = new Promise(() => undefined);
        continue;
      }
      try {
        await this.ensureGroup();
        const count = Math.min(batchSize, scheduler.room);
        const read = reader.xReadGroup(CONSUMER_GROUP, consumerName, { key: this.keys.stream, id: '>' }, { COUNT: count, BLOCK: blockMs });
        const reply = (await withDeadline(read, blockMs + READ_GRACE_MS)) as Array<{ messages: StreamEntry[] }> | null;
        for (const stream of reply ?? []) this.deliver(scheduler, stream.messages);
      } catch (error) {
        // The stream or its group was deleted (a flushed Redis): create them again.
        if (/NOGROUP/.test(String(error))) this.groupReady = false;
        else if (!this.closing) this.options.onError(error, 'reading the event stream');
        await this.sleep(READ_RETRY_MS);
      }
    }
  }

  /** Reading from `0` rather than `$`: events appended before the group existed are read too. */
  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      await this.redis.run((client) => client.xGroupCreate(this.keys.stream, CONSUMER_GROUP, '0', { MKSTREAM: true }));
    } catch (error) {
      if (!/BUSYGROUP/.test(String(error))) throw error;
    }
    this.groupReady = true;
  }

  private deliver(scheduler: DeliveryScheduler, entries: ReadonlyArray<StreamEntry | null>): void {
    for (const entry of entries) {
      if (!entry) continue; // deleted while pending: handled elsewhere
      const event = decodeStoredEvent(entry.message['event']);
      if (event) scheduler.submit({ entryId: entry.id, event });
      else this.discard(entry.id);
    }
  }

  /** Not an entry this log wrote: no handler could take it, so it is removed and reported. */
  private discard(entryId: string): void {
    this.options.onError(new Error('the entry holds no event this log can read'), `discarding event entry ${entryId}`);
    const { stream } = this.keys;
    void this.redis
      .run(async (client) => {
        await client.xAck(stream, CONSUMER_GROUP, entryId);
        await client.xDel(stream, entryId);
      })
      .catch(() => undefined);
  }

  private scheduleMaintenance(): void {
    if (this.closing) return;
    this.maintenanceTimer = this.options.setTimer(() => {
      this.maintaining = this.maintain().finally(() => {
        this.maintaining = undefined;
        this.scheduleMaintenance();
      });
    }, Math.floor(this.options.claimIdleMs / 3));
  }

  private async maintain(): Promise<void> {
    const scheduler = this.scheduler;
    if (!scheduler || this.closing || !this.redis.available) return;
    const { consumerName, claimIdleMs, batchSize } = this.options;
    try {
      await this.ensureGroup();
      const held = scheduler.heldIds();
      if (held.length > 0) {
        const lost = (await this.redis.run((client) => client.eval(TOUCH, { keys: [this.keys.stream], arguments: [CONSUMER_GROUP, consumerName, ...held] }))) as string[];
        for (const entryId of lost) scheduler.release(entryId);
      }
      const count = Math.min(batchSize, scheduler.room);
      if (count === 0 || this.closing) return;
      const claimed = await this.redis.run((client) => client.xAutoClaim(this.keys.stream, CONSUMER_GROUP, consumerName, claimIdleMs, this.claimCursor, { COUNT: count }));
      this.claimCursor = claimed.nextId;
      // What this instance holds itself may come back too (its idle time ran out while Redis
      // was away); the scheduler ignores a second submit of a held entry.
      this.deliver(scheduler, claimed.messages as ReadonlyArray<StreamEntry | null>);
    } catch (error) {
      if (/NOGROUP/.test(String(error))) this.groupReady = false;
      else this.options.onError(error, 'taking over idle event entries');
    }
  }

  /** A pause that close() cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.options.clearTimer(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = this.options.setTimer(wake, ms);
      this.sleepers.add(wake);
    });
  }
}

function withDeadline<T>(pending: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref();
  });
  return Promise.race([pending, deadline]).finally(() => clearTimeout(timer));
}
