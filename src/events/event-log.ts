import type { StoredEvent } from './event.ts';

/** What became of one event handed to `append`. */
export type AppendOutcome = 'appended' | 'duplicate';

/** An event that failed every attempt, as operators see it. */
export interface DeadLetter {
  /** The dead-letter entry's own id (a Redis stream id, or a sequence number in process). */
  entryId: string;
  event: StoredEvent;
  attempts: number;
  /** The last failure's message (never a stack or a secret). */
  lastError: string;
  /** When it was dead-lettered (ms since the epoch). */
  failedAt: number;
}

/** Handles one event; throwing (or rejecting) means "try again later". Must be idempotent. */
export type EventHandler = (event: StoredEvent) => Promise<void>;

/**
 * The durable, at-least-once log between webhook receivers and their effects. `append` resolves
 * only once every event it accepted is stored (Redis: after XADD), so a 2xx may follow; it
 * rejects when they could not be stored, and the receiver answers 503 for the provider to retry.
 * Duplicates (same tenant, provider and event id within the dedupe window) are not stored again.
 */
export interface EventLog {
  readonly kind: 'memory' | 'redis';
  append(events: readonly StoredEvent[]): Promise<AppendOutcome[]>;
  /** Starts handing events to `handler` (once per log); events appended before are handled too. */
  start(handler: EventHandler): void;
  /** Events stored and not yet handled or dead-lettered (an approximation for metrics and /readyz). */
  backlog(): Promise<number>;
  readonly deadLetters: DeadLetterQueue;
  /** Stops consuming; resolves when the handler calls in progress have settled. */
  close(): Promise<void>;
}

export interface DeadLetterQueue {
  /** Oldest first, at most `limit`; only `tenantId`'s when given (however many others come first). */
  list(limit: number, tenantId?: string): Promise<DeadLetter[]>;
  get(entryId: string): Promise<DeadLetter | undefined>;
  /**
   * Puts the event back on the log for one more round of attempts (its attempts start again)
   * and removes the dead letter; false when there was none. Replaying twice processes it once.
   */
  replay(entryId: string): Promise<boolean>;
  /** Removes the dead letter for good; false when there was none. */
  drop(entryId: string): Promise<boolean>;
  count(): Promise<number>;
}
