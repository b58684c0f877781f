import { DeliveryScheduler, type Delivery, type DeliveryStore, type FailureOutcome } from './delivery-scheduler.ts';
import type { AppendOutcome, DeadLetter, DeadLetterQueue, EventHandler, EventLog } from './event-log.ts';
import { eventKey, type StoredEvent } from './event.ts';
import { resolveEventLogOptions, type EventLogOptions, type ResolvedEventLogOptions } from './event-log-options.ts';

/**
 * The embedded default: the same at-least-once semantics as the Redis log (dedupe window,
 * processed markers, attempts, backoff, dead letters) within one process, so `append` never
 * fails. Nothing survives a restart, and its dead letters are reachable only in process (the
 * `events` script needs Redis). claimIdleMs, batchSize and blockMs have no use here.
 */
export function createMemoryEventLog(options: EventLogOptions): EventLog {
  return new MemoryEventLog(resolveEventLogOptions(options));
}

class MemoryEventLog implements EventLog, DeliveryStore {
  readonly kind = 'memory';
  readonly deadLetters: DeadLetterQueue;
  private readonly seen: ExpiringSet;
  private readonly processed: ExpiringSet;
  /** Stored and not yet handled or dead-lettered, by entry id. */
  private readonly pending = new Map<string, Delivery>();
  private readonly attempts = new Map<string, number>();
  private readonly dead: DeadLetter[] = [];
  private sequence = 0;
  private scheduler: DeliveryScheduler | undefined;

  constructor(private readonly options: ResolvedEventLogOptions) {
    this.seen = new ExpiringSet(options.dedupeTtlMs, options.now);
    this.processed = new ExpiringSet(options.dedupeTtlMs, options.now);
    this.deadLetters = new MemoryDeadLetters(this.dead, (event) => this.store(event));
  }

  async append(events: readonly StoredEvent[]): Promise<AppendOutcome[]> {
    return events.map((event) => {
      if (!this.seen.add(eventKey(event))) return 'duplicate';
      this.store(event);
      return 'appended';
    });
  }

  start(handler: EventHandler): void {
    if (this.scheduler) throw new Error('the event log was started already');
    this.scheduler = new DeliveryScheduler(this, handler, this.options);
    for (const delivery of this.pending.values()) this.scheduler.submit(delivery);
  }

  async backlog(): Promise<number> {
    return this.pending.size;
  }

  async close(): Promise<void> {
    await this.scheduler?.close();
  }

  // DeliveryStore, for the scheduler.

  async isProcessed(delivery: Delivery): Promise<boolean> {
    return this.processed.has(eventKey(delivery.event));
  }

  async succeeded(delivery: Delivery): Promise<void> {
    this.processed.add(eventKey(delivery.event));
    this.pending.delete(delivery.entryId);
    this.attempts.delete(delivery.entryId);
  }

  async failed(delivery: Delivery, lastError: string): Promise<FailureOutcome> {
    if (!this.pending.has(delivery.entryId)) return { kind: 'gone' };
    const attempts = (this.attempts.get(delivery.entryId) ?? 0) + 1;
    if (attempts < this.options.maxAttempts) {
      this.attempts.set(delivery.entryId, attempts);
      return { kind: 'retry', attempts };
    }
    this.pending.delete(delivery.entryId);
    this.attempts.delete(delivery.entryId);
    this.dead.push({ entryId: String((this.sequence += 1)), event: delivery.event, attempts, lastError, failedAt: this.options.now() });
    return { kind: 'dead', attempts };
  }

  private store(event: StoredEvent): void {
    const delivery = { entryId: String((this.sequence += 1)), event };
    this.pending.set(delivery.entryId, delivery);
    this.scheduler?.submit(delivery);
  }
}

class MemoryDeadLetters implements DeadLetterQueue {
  constructor(
    private readonly dead: DeadLetter[],
    private readonly putBack: (event: StoredEvent) => void,
  ) {}

  async list(limit: number, tenantId?: string): Promise<DeadLetter[]> {
    const letters = tenantId === undefined ? this.dead : this.dead.filter((letter) => letter.event.tenantId === tenantId);
    return letters.slice(0, Math.max(0, limit));
  }

  async get(entryId: string): Promise<DeadLetter | undefined> {
    return this.dead.find((letter) => letter.entryId === entryId);
  }

  /** The removal is synchronous, so of two concurrent replays only the first finds the letter. */
  async replay(entryId: string): Promise<boolean> {
    const letter = this.take(entryId);
    if (letter) this.putBack(letter.event);
    return letter !== undefined;
  }

  async drop(entryId: string): Promise<boolean> {
    return this.take(entryId) !== undefined;
  }

  async count(): Promise<number> {
    return this.dead.length;
  }

  private take(entryId: string): DeadLetter | undefined {
    const index = this.dead.findIndex((letter) => letter.entryId === entryId);
    return index < 0 ? undefined : this.dead.splice(index, 1)[0];
  }
}

/**
 * Event ids one in-process log remembers at most (seen, and processed, each): about 30 MiB. The
 * in-process log serves the embedded default and tests (production needs Redis); past this the
 * oldest ids are forgotten early, and a duplicate of one of them would be handled again (its
 * effects are idempotent), rather than memory growing with webhook volume for four days.
 */
const MAX_REMEMBERED = 200_000;

/**
 * Keys remembered for a fixed time. Every key lives equally long, so insertion order is expiry
 * order and expired keys are swept from the front.
 */
class ExpiringSet {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  has(key: string): boolean {
    this.sweep();
    return this.expiries.has(key);
  }

  /** False when the key was there already. */
  add(key: string): boolean {
    if (this.has(key)) return false;
    this.expiries.set(key, this.now() + this.ttlMs);
    if (this.expiries.size > MAX_REMEMBERED) this.expiries.delete(this.expiries.keys().next().value!);
    return true;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, expiresAt] of this.expiries) {
      if (expiresAt > now) break;
      this.expiries.delete(key);
    }
  }
}
