import type { EventHandler } from './event-log.ts';
import type { StoredEvent } from './event.ts';
import { errorMessage, retryDelayMs, type ResolvedEventLogOptions } from './event-log-options.ts';

/** One stored entry handed to this instance. */
export interface Delivery {
  entryId: string;
  event: StoredEvent;
}

/** After a failed attempt: try again after this many failures, dead-lettered, or no longer ours. */
export type FailureOutcome = { kind: 'retry'; attempts: number } | { kind: 'dead'; attempts: number } | { kind: 'gone' };

/** What the scheduler needs from a log's storage; each may reject (Redis away). */
export interface DeliveryStore {
  /** Whether the event's effects were already applied (its processed marker is set). */
  isProcessed(delivery: Delivery): Promise<boolean>;
  /** Sets the processed marker and removes the entry and its attempts, in one step. */
  succeeded(delivery: Delivery): Promise<void>;
  /** Counts a failed attempt durably and dead-letters the entry once it has had them all. */
  failed(delivery: Delivery, lastError: string): Promise<FailureOutcome>;
}

type Phase = 'ready' | 'running' | 'waiting';

interface Held {
  delivery: Delivery;
  phase: Phase;
  timer?: unknown;
  /** The handler succeeded but the store did not record it yet: only that is retried. */
  handled: boolean;
  /** Store failures in a row for this entry, for the backoff when nothing durable counts them. */
  storeFailures: number;
}

export type SchedulerOptions = Pick<ResolvedEventLogOptions, 'concurrency' | 'retryBaseMs' | 'retryMaxMs' | 'random' | 'setTimer' | 'clearTimer' | 'onError'> &
  Partial<Pick<ResolvedEventLogOptions, 'onDeadLetter'>>;

/**
 * Runs the handler over deliveries, at most `concurrency` at once, never one entry twice at once:
 * an entry is held from `submit` until it is recorded as handled, dead-lettered or lost to another
 * consumer, and a second `submit` of a held entry is ignored. Retries wait on a timer (full
 * jitter); the durable attempts count decides when an entry is dead.
 */
export class DeliveryScheduler {
  private readonly held = new Map<string, Held>();
  private readonly ready: string[] = [];
  private readonly running = new Set<Promise<void>>();
  private roomWaiters: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly store: DeliveryStore,
    private readonly handler: EventHandler,
    private readonly options: SchedulerOptions,
  ) {}

  /** How many more deliveries can start now: a reader asks for no more than this. */
  get room(): number {
    return Math.max(0, this.options.concurrency - this.running.size - this.ready.length);
  }

  holds(entryId: string): boolean {
    return this.held.has(entryId);
  }

  heldIds(): string[] {
    return [...this.held.keys()];
  }

  submit(delivery: Delivery): void {
    if (this.closed || this.held.has(delivery.entryId)) return;
    this.held.set(delivery.entryId, { delivery, phase: 'ready', handled: false, storeFailures: 0 });
    this.ready.push(delivery.entryId);
    this.pump();
  }

  /** Another consumer owns the entry now: forget a retry waiting for it (a running attempt finishes). */
  release(entryId: string): void {
    const held = this.held.get(entryId);
    if (!held || held.phase === 'running') return;
    this.options.clearTimer(held.timer);
    this.held.delete(entryId);
    const index = this.ready.indexOf(entryId);
    if (index >= 0) this.ready.splice(index, 1);
  }

  /** Resolves once `room` is above 0, or the scheduler is closed. */
  whenRoom(): Promise<void> {
    if (this.room > 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Starts nothing more and resolves when the attempts in progress have settled. Retries waiting
   * and deliveries not started are dropped here; their entries stay stored for a later run.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const held of this.held.values()) this.options.clearTimer(held.timer);
    this.ready.length = 0;
    this.wakeRoomWaiters();
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  // Private: starting attempts, one attempt, and scheduling the next.

  private pump(): void {
    while (!this.closed && this.running.size < this.options.concurrency && this.ready.length > 0) {
      const held = this.held.get(this.ready.shift()!);
      if (!held) continue;
      held.phase = 'running';
      const attempt: Promise<void> = this.attempt(held).finally(() => {
        this.running.delete(attempt);
        this.pump();
        this.wakeRoomWaiters();
      });
      this.running.add(attempt);
    }
  }

  private wakeRoomWaiters(): void {
    if (this.room === 0 && !this.closed) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }

  private async attempt(held: Held): Promise<void> {
    const { delivery } = held;
    const { entryId } = delivery;
    try {
      if (!held.handled && !(await this.store.isProcessed(delivery))) {
        try {
          await this.handler(delivery.event);
        } catch (error) {
          await this.recordFailure(held, error);
          return;
        }
      }
      held.handled = true;
      await this.store.succeeded(delivery);
      this.held.delete(entryId);
    } catch (error) {
      // The store is away: nothing durable changed, so wait and try the same step again.
      held.storeFailures += 1;
      this.options.onError(error, `recording the outcome of event entry ${entryId}`);
      this.retryLater(held, held.storeFailures);
    }
  }

  private async recordFailure(held: Held, error: unknown): Promise<void> {
    const { entryId } = held.delivery;
    const outcome = await this.store.failed(held.delivery, errorMessage(error));
    switch (outcome.kind) {
      case 'retry':
        this.options.onError(error, `handling event entry ${entryId} (attempt ${outcome.attempts}), will retry`);
        this.retryLater(held, outcome.attempts);
        break;
      case 'dead':
        this.options.onError(error, `handling event entry ${entryId} (attempt ${outcome.attempts}), dead-lettered`);
        this.held.delete(entryId);
        await this.options.onDeadLetter?.(held.delivery.event, errorMessage(error)).catch((failure: unknown) => this.options.onError(failure, `telling of dead letter ${entryId}`));
        break;
      case 'gone':
        this.held.delete(entryId);
        break;
    }
  }

  private retryLater(held: Held, failures: number): void {
    if (this.closed) return;
    held.phase = 'waiting';
    held.timer = this.options.setTimer(() => {
      if (this.closed || this.held.get(held.delivery.entryId) !== held) return;
      held.phase = 'ready';
      this.ready.push(held.delivery.entryId);
      this.pump();
    }, retryDelayMs(this.options, failures));
  }
}
