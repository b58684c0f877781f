import type { OpsSnapshot } from './ops-snapshot.ts';

/** One open /ops/stream: where its snapshots go, and how to end it when the gateway closes. */
export interface FeedSubscriber {
  /** The tenant whose view it gets (ops-snapshot.ts); undefined: the operator view, every tenant. */
  readonly tenant: string | undefined;
  send(snapshot: OpsSnapshot): void;
  end(): void;
}

export interface OpsFeedOptions {
  /** A snapshot for one tenant (or every tenant). */
  snapshot(tenant: string | undefined): Promise<OpsSnapshot>;
  /** A failed snapshot: logged by the caller; the stream goes on with the next tick. */
  onError(error: unknown): void;
  intervalMs?: number;
}

const DEFAULTS = {
  intervalMs: 1000, // 1 s: the page's charts plot one point per second
};

/**
 * Sends every subscriber a snapshot at once, then one per interval. One timer serves every
 * subscriber and runs only while there is one, so an idle gateway does no work for the page and a
 * closed one leaves no timer. Each tick takes one snapshot per tenant asked for, not one per
 * subscriber; a tick that comes while the previous one is still reading (a slow Redis behind a
 * backlog gauge) is skipped: snapshots are cumulative, so a skipped one loses nothing.
 */
export class OpsFeed {
  private readonly subscribers = new Set<FeedSubscriber>();
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private closed = false;

  constructor(private readonly options: OpsFeedOptions) {
    this.intervalMs = options.intervalMs ?? DEFAULTS.intervalMs;
    if (!(Number.isInteger(this.intervalMs) && this.intervalMs > 0)) throw new TypeError(`intervalMs must be a positive integer: ${options.intervalMs}`);
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Starts sending; the returned function stops (idempotent). After close(), ends the subscriber at once. */
  subscribe(subscriber: FeedSubscriber): () => void {
    if (this.closed) {
      subscriber.end();
      return () => undefined;
    }
    this.subscribers.add(subscriber);
    this.timer ??= setInterval(() => void this.tick(), this.intervalMs);
    void this.deliver([subscriber]);
    return () => {
      this.subscribers.delete(subscriber);
      if (this.subscribers.size === 0) this.stop();
    };
  }

  /** Ends every subscriber and stops the timer; later subscribers are ended at once. */
  close(): void {
    this.closed = true;
    this.stop();
    const ending = [...this.subscribers];
    this.subscribers.clear();
    for (const subscriber of ending) subscriber.end();
  }

  // Private:

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.deliver([...this.subscribers]);
    } finally {
      this.busy = false;
    }
  }

  private async deliver(to: readonly FeedSubscriber[]): Promise<void> {
    const byTenant = new Map<string | undefined, FeedSubscriber[]>();
    for (const subscriber of to) byTenant.set(subscriber.tenant, [...(byTenant.get(subscriber.tenant) ?? []), subscriber]);
    await Promise.all(
      [...byTenant].map(async ([tenant, subscribers]) => {
        let snapshot: OpsSnapshot;
        try {
          snapshot = await this.options.snapshot(tenant);
        } catch (error) {
          this.options.onError(error);
          return;
        }
        // One that left (or was ended) while the snapshot was read gets nothing.
        for (const subscriber of subscribers) if (this.subscribers.has(subscriber)) subscriber.send(snapshot);
      }),
    );
  }
}
