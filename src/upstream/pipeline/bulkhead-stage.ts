import { ErrorCode, UpstreamError, isUpstreamError, type ProviderName } from '../../errors.ts';
import { FairQueue } from '../fair-queue.ts';
import type { Stage } from './stage.ts';

export interface BulkheadOptions {
  /** Calls in flight at once. */
  maxConcurrent: number;
  /** Calls allowed to wait for a slot; one more is refused at once. */
  maxQueued: number;
}

/**
 * Caps a provider's calls in flight, with a bounded queue that is fair across callers' fairness
 * keys (see FairBulkhead). A full one is the gateway's own back-pressure (byGateway), so it never
 * counts against the provider's health.
 */
export function bulkheadStage(provider: ProviderName, options: BulkheadOptions, onFull: () => void = () => {}, bulkhead = new FairBulkhead(options)): Stage {
  const full = () => (onFull(), new UpstreamError(ErrorCode.UpstreamUnavailable, provider, `too many calls to ${provider} in flight`, { detail: 'bulkhead full', byGateway: true }));
  return (next) => async (req) => {
    const { call } = req;
    try {
      return await bulkhead.execute(() => next(req), call.fairnessKey, call.signal, full);
    } catch (error) {
      if (call.signal.aborted && !isUpstreamError(error)) throw call.timeoutError(provider);
      throw error;
    }
  };
}

interface Waiter {
  start(): void;
  refuse(error: Error): void;
}

/**
 * Written by hand: cockatiel's bulkhead has one FIFO queue, so a client that floods fills it and
 * every other client of the tenant waits behind (or is refused by) the flood. Here the queue is a
 * FairQueue keyed by the call's fairness key: a freed slot goes to the next key in round-robin
 * order. When the queue is full, a newcomer whose key has fewer waiters than the longest key's
 * pushes out that key's last waiter (longest-queue drop), so the flood's own calls are the ones
 * refused, and one key can never hold the whole queue against the others; a key alone still has
 * all of `maxQueued`, as before.
 */
export class FairBulkhead {
  private active = 0;
  private readonly queue = new FairQueue<Waiter>();
  private readonly bySignal = new WeakMap<AbortSignal, Set<Waiter>>();

  constructor(private readonly options: BulkheadOptions) {
    if (!(Number.isInteger(options.maxConcurrent) && options.maxConcurrent >= 1)) throw new TypeError(`maxConcurrent must be a positive integer: ${options.maxConcurrent}`);
    if (!(Number.isInteger(options.maxQueued) && options.maxQueued >= 0)) throw new TypeError(`maxQueued must be a non-negative integer: ${options.maxQueued}`);
  }

  /**
   * Runs `fn` in a slot, now or in its key's turn; rejects with `full()` when there is no room,
   * and with the signal's reason when it aborts (the operation's deadline) while still queued.
   */
  async execute<T>(fn: () => Promise<T>, key: string, signal: AbortSignal, full: () => Error): Promise<T> {
    signal.throwIfAborted();
    if (this.active >= this.options.maxConcurrent || this.queue.size > 0) await this.wait(key, signal, full);
    else this.active += 1;
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** Calls holding a slot now. */
  get inFlight(): number {
    return this.active;
  }

  /** Calls waiting for a slot now. */
  get queued(): number {
    return this.queue.size;
  }

  // Private:

  /** Resolves once a slot is this caller's (the slot already counted in `active`). */
  private wait(key: string, signal: AbortSignal, full: () => Error): Promise<void> {
    if (this.queue.size >= this.options.maxQueued) {
      const longest = this.queue.longestKey();
      const victim = longest === undefined ? undefined : this.queue.lastOf(longest);
      if (victim === undefined || this.queue.sizeOf(key) + 1 >= this.queue.sizeOf(longest!)) return Promise.reject(full());
      this.queue.delete(victim);
      victim.refuse(full());
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          this.bySignal.get(signal)?.delete(waiter);
          resolve();
        },
        refuse: (error) => {
          this.bySignal.get(signal)?.delete(waiter);
          reject(error);
        },
      };
      this.watch(signal).add(waiter);
      this.queue.push(key, waiter);
    });
  }

  /**
   * The waiters of one signal, with one listener on it however many there are: one operation's
   * batch of a hundred ids queues a hundred calls on its one deadline (Node warns past ten).
   */
  private watch(signal: AbortSignal): Set<Waiter> {
    let waiters = this.bySignal.get(signal);
    if (!waiters) {
      const watched = new Set<Waiter>();
      signal.addEventListener(
        'abort',
        () => {
          for (const waiter of watched) if (this.queue.delete(waiter)) waiter.refuse(signal.reason as Error);
          this.bySignal.delete(signal);
        },
        { once: true },
      );
      this.bySignal.set(signal, (waiters = watched));
    }
    return waiters;
  }

  private release(): void {
    this.active -= 1;
    while (this.active < this.options.maxConcurrent) {
      const waiter = this.queue.shift();
      if (!waiter) return;
      this.active += 1;
      waiter.start();
    }
  }
}
