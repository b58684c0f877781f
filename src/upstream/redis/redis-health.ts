/** The timers a RedisHealth schedules its probes with; tests pass their own to drive time. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface RedisHealthOptions {
  /** One PING under the command timeout: resolves if Redis answered in time, rejects otherwise. */
  probe: () => Promise<void>;
  /** Called once per change of state, after it took effect. */
  onChange: (next: RedisHealthState, previous: RedisHealthState) => void;
  /** Commands in a row that fail (no answer in time) before Redis counts as down. */
  failuresToDown?: number;
  /** Probes in a row that Redis answers in time before it counts as up again. */
  probesToUp?: number;
  /** Pause between the end of one probe and the start of the next while Redis is down. */
  probeIntervalMs?: number;
  timers?: Timers;
  now?: () => number;
}

export type RedisHealthState =
  | { kind: 'connecting' }
  | { kind: 'up'; failures: number }
  | { kind: 'down'; since: number; reason: string; successes: number }
  | { kind: 'closed' };

/*
 * Why these numbers. Down: a Redis that stalls leaves every command in flight unanswered, so at
 * any real load three failures in a row arrive within one command timeout of the stall (up to a
 * second more while the gateway's own event loop is busy: RedisConnection.withTimeout), while one
 * slow command among answered ones (a big key, a fork for a snapshot) never makes three in a row.
 * Up: two answered probes, so that a Redis answering once between stalls is not trusted with the
 * shared quota at once. Interval: a quarter second keeps a short pause to well under a second of
 * local quota shares (which, added up over instances, may exceed the provider's limit) and costs
 * an idle Redis four PINGs a second per instance only while it is down.
 */
export const REDIS_HEALTH_DEFAULTS = {
  failuresToDown: 3, // commands in a row
  probesToUp: 2, // probes in a row
  probeIntervalMs: 250, // 0.25 s
} as const;

const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Whether Redis can be used, decided by what Redis does rather than by what the client says:
 * commands that fail in a row take it down, and while it is down a PING on a timer brings it back.
 * The client's `ready` event only says the socket is open again; after a stall on a healthy
 * socket it never comes, so recovery cannot wait for it (it only hurries the next probe).
 */
export class RedisHealth {
  private current: RedisHealthState = { kind: 'connecting' };
  private readonly failuresToDown: number;
  private readonly probesToUp: number;
  private readonly probeIntervalMs: number;
  private readonly timers: Timers;
  private readonly now: () => number;
  private probeTimer: unknown;
  private probing = false;

  constructor(private readonly options: RedisHealthOptions) {
    this.failuresToDown = positiveInteger('failuresToDown', options.failuresToDown ?? REDIS_HEALTH_DEFAULTS.failuresToDown);
    this.probesToUp = positiveInteger('probesToUp', options.probesToUp ?? REDIS_HEALTH_DEFAULTS.probesToUp);
    const interval = options.probeIntervalMs ?? REDIS_HEALTH_DEFAULTS.probeIntervalMs;
    if (!(Number.isFinite(interval) && interval > 0)) throw new TypeError(`probeIntervalMs must be a positive number: ${interval}`);
    this.probeIntervalMs = interval;
    this.timers = options.timers ?? realTimers;
    this.now = options.now ?? Date.now;
  }

  get state(): RedisHealthState {
    return this.current;
  }

  /** The client (re)connected. The first time that is enough; after an outage it only probes now. */
  connected(): void {
    switch (this.current.kind) {
      case 'connecting':
        this.moveTo({ kind: 'up', failures: 0 });
        break;
      case 'down':
        if (!this.probing) {
          this.timers.clearTimeout(this.probeTimer);
          void this.probe();
        }
        break;
      case 'up':
      case 'closed':
        break;
    }
  }

  /** The connection failed or ended: no command can be answered, so there is nothing to wait for. */
  lost(reason: string): void {
    switch (this.current.kind) {
      case 'connecting':
      case 'up':
        this.goDown(reason);
        break;
      case 'down':
        this.current = { ...this.current, successes: 0 };
        break;
      case 'closed':
        break;
    }
  }

  /** A command was answered in time. */
  succeeded(): void {
    if (this.current.kind === 'up') this.current = { kind: 'up', failures: 0 };
  }

  /**
   * A command was not answered in time. Only failures while up count: one sent before Redis went
   * down says nothing new, and while down only probes decide.
   */
  failed(reason: string): void {
    if (this.current.kind !== 'up') return;
    const failures = this.current.failures + 1;
    if (failures >= this.failuresToDown) this.goDown(`${failures} commands in a row failed, the last with: ${reason}`);
    else this.current = { kind: 'up', failures };
  }

  close(): void {
    this.timers.clearTimeout(this.probeTimer);
    this.current = { kind: 'closed' };
  }

  // Private: state changes and the probe loop.

  private goDown(reason: string): void {
    this.moveTo({ kind: 'down', since: this.now(), reason, successes: 0 });
    this.scheduleProbe();
  }

  private moveTo(next: RedisHealthState): void {
    const previous = this.current;
    this.current = next;
    this.options.onChange(next, previous);
  }

  private scheduleProbe(): void {
    this.timers.clearTimeout(this.probeTimer);
    this.probeTimer = this.timers.setTimeout(() => void this.probe(), this.probeIntervalMs);
  }

  /** One probe at a time: the next is scheduled only once this one has settled. */
  private async probe(): Promise<void> {
    if (this.current.kind !== 'down' || this.probing) return;
    this.probing = true;
    let answered: boolean;
    try {
      await this.options.probe();
      answered = true;
    } catch {
      answered = false;
    } finally {
      this.probing = false;
    }
    const state = this.current;
    if (state.kind !== 'down') return;
    const successes = answered ? state.successes + 1 : 0;
    if (successes >= this.probesToUp) {
      this.moveTo({ kind: 'up', failures: 0 });
      return;
    }
    this.current = { ...state, successes };
    this.scheduleProbe();
  }
}

function positiveInteger(name: string, value: number): number {
  if (!(Number.isInteger(value) && value > 0)) throw new TypeError(`${name} must be a positive integer: ${value}`);
  return value;
}
