import { connectionEvents, createRedisClient, isClientReady, type RedisCommandClient, type RedisTarget } from './redis-client.ts';
import { RedisHealth, type RedisHealthState, type Timers } from './redis-health.ts';

export interface RedisLogger {
  warn(message: string): void;
  info(message: string): void;
}

export type RedisConnectionOptions = RedisTarget & {
  /**
   * How long Redis may stay silent with a command (or a probe) waiting before the caller falls
   * back; a command waiting behind others Redis answers, or on a busy event loop, may wait up to
   * MAX_EXTRA_WAIT_MS more (see withTimeout).
   */
  commandTimeoutMs: number;
  logger: RedisLogger;
  /** While Redis is down, the pause between PINGs that check whether it is back (default 250 ms). */
  probeIntervalMs?: number;
  /** Commands in a row without an answer in time that take Redis down (default 3). */
  failuresToDown?: number;
  /** Probes in a row answered in time that bring Redis back (default 2). */
  probesToUp?: number;
  /** The command timeouts and the probe timer; tests pass their own to drive time. */
  timers?: Timers;
  now?: () => number;
};

export interface SubscriptionHandlers {
  message: (message: string) => void;
  /** Messages may have been missed: the subscription is back after an interruption. */
  gap?: () => void;
  /** Whether every message published from now on reaches `message`, as far as can be told. */
  listening?: (listening: boolean) => void;
}

export class RedisUnavailableError extends Error {
  readonly code = 'REDIS_UNAVAILABLE';

  constructor(readonly reason: string) {
    super(`Redis unavailable: ${reason}`);
    this.name = 'RedisUnavailableError';
  }
}

/**
 * One Redis client for the cache and the quota, with the rule that Redis trouble is never an
 * outage: commands do not queue while disconnected (`disableOfflineQueue`), every command races a
 * short timeout, and callers get a RedisUnavailableError at once while Redis is down so they can
 * fall back to their in-process path. Whether it is down is RedisHealth's call (failures in a
 * row, then probes until it answers again); the client reconnects on its own, and each change of
 * state is logged once.
 */
export class RedisConnection {
  readonly client: RedisCommandClient;
  private readonly health: RedisHealth;
  private readonly subscribers: RedisCommandClient[] = [];
  private readonly timers: Timers;
  /** Commands answered so far (by a reply or a Redis error): how withTimeout tells a busy socket from a silent one. */
  private answers = 0;

  constructor(private readonly options: RedisConnectionOptions) {
    const { commandTimeoutMs } = options;
    if (!(Number.isFinite(commandTimeoutMs) && commandTimeoutMs > 0)) throw new TypeError(`commandTimeoutMs must be a positive number: ${commandTimeoutMs}`);
    this.timers = options.timers ?? { setTimeout: (callback, ms) => setTimeout(callback, ms), clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) };
    this.health = new RedisHealth({
      probe: () => this.withTimeout(this.client.ping()).then(() => undefined),
      onChange: (next, previous) => this.logChange(next, previous),
      ...(options.probeIntervalMs !== undefined ? { probeIntervalMs: options.probeIntervalMs } : {}),
      ...(options.failuresToDown !== undefined ? { failuresToDown: options.failuresToDown } : {}),
      ...(options.probesToUp !== undefined ? { probesToUp: options.probesToUp } : {}),
      ...(options.timers ? { timers: options.timers } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    this.client = createRedisClient(options, Math.max(commandTimeoutMs, 1000));
    const events = connectionEvents(this.client);
    this.client.on(events.up, () => this.health.connected());
    this.client.on('error', (error: Error) => this.health.lost(error.message || error.name));
    for (const event of events.down) this.client.on(event, (error?: Error) => this.health.lost(error?.message || 'connection ended'));
  }

  /** Starts connecting; resolves once connected or after the timeout, never rejects. */
  async connect(): Promise<void> {
    const connecting = this.client.connect().catch((error: unknown) => this.health.lost(String(error)));
    await Promise.race([connecting, delay(Math.max(this.options.commandTimeoutMs, 1000))]);
  }

  get available(): boolean {
    return this.health.state.kind === 'up' && isClientReady(this.client);
  }

  /**
   * Runs a command with the timeout (REDIS_TIMEOUT_MS unless `timeoutMs` says otherwise), or
   * fails fast when Redis is known to be away.
   */
  async run<T>(command: (client: RedisCommandClient) => Promise<T>, timeoutMs = this.options.commandTimeoutMs): Promise<T> {
    if (!this.available) {
      const { state } = this.health;
      throw new RedisUnavailableError(state.kind === 'down' ? state.reason : state.kind === 'up' ? 'not connected' : state.kind);
    }
    try {
      const result = await this.withTimeout(command(this.client), timeoutMs);
      this.health.succeeded();
      return result;
    } catch (error) {
      if (isUnavailable(error)) {
        this.health.failed(error.reason);
        throw error;
      }
      // An error on an open socket is Redis's answer (a script error, a wrong type): Redis is
      // alive. On a closed one the client's `error` event has already told the health.
      if (isClientReady(this.client)) this.health.succeeded();
      throw new RedisUnavailableError(error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * For commands with no fallback (a write's idempotency key, its record): tried whenever the
   * socket is open, even while the cache's fast commands have marked Redis down (100 ms timeouts
   * under load mark a slow but live Redis down, and a mutation would then be refused for no
   * reason), with their own longer timeout, which says nothing of Redis's health either way.
   */
  async runPatiently<T>(command: (client: RedisCommandClient) => Promise<T>, timeoutMs: number): Promise<T> {
    if (!isClientReady(this.client)) throw new RedisUnavailableError('not connected');
    try {
      return await this.withTimeout(command(this.client), timeoutMs);
    } catch (error) {
      if (isUnavailable(error)) throw error;
      throw new RedisUnavailableError(error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * Calls `message` for every message on `channel`, on a connection of its own (a subscribed
   * client can do nothing else). It resubscribes by itself after reconnecting; pub/sub keeps
   * nothing for a subscriber that is away, so `gap` is told each time it comes back (or first
   * connects late), when messages may have been missed. `listening` is told false as soon as the
   * connection is in doubt, and true once subscribed again, after `gap` (never on a cluster, see below).
   * On a cluster this is classic SUBSCRIBE on one node, not sharded SSUBSCRIBE: a PUBLISH on any
   * node reaches every node's subscribers, it needs no Redis 7, and invalidations are rare enough
   * that broadcasting them over the cluster bus costs nothing worth a shard.
   */
  async subscribe(channel: string, { message, gap = () => undefined, listening = () => undefined }: SubscriptionHandlers): Promise<void> {
    const subscriber = this.client.duplicate();
    let started = false;
    let subscribed = false;
    let subscribing: Promise<void> | undefined;
    const subscribe = () =>
      (subscribing ??= subscriber.subscribe(channel, message).then(
        () => {
          subscribed = true;
          // Later than the first attempt waited for: what was published meanwhile is missed.
          if (started) {
            gap();
            if ('isReady' in subscriber) listening(true);
          }
        },
        (error: unknown) => {
          subscribing = undefined;
          throw error;
        },
      ));
    // Any error counts, even one the socket survives: reading the shared store first is always
    // safe, and only a fresh subscription ('ready') says that nothing was missed since.
    subscriber.on('error', () => listening(false)); // the main client already reports Redis's state
    const events = connectionEvents(subscriber);
    for (const event of [...events.down, 'reconnecting']) subscriber.on(event, () => listening(false));
    // node-redis sends the resubscriptions before it says 'ready' (its socket initiator waits
    // for them), so on 'ready' the channel is listened to again.
    subscriber.on(events.up, () => {
      if (!started) return;
      if (subscribed) {
        gap();
        if ('isReady' in subscriber) listening(true);
      } else void subscribe().catch(() => undefined);
    });
    this.subscribers.push(subscriber);
    await Promise.race([subscriber.connect().then(subscribe), delay(Math.max(this.options.commandTimeoutMs, 1000))]).catch(() => undefined);
    started = true;
    // A cluster client says when a node failed but never that its subscription was made whole
    // again (it may even replace its pub/sub connection without an error), so on a cluster
    // `listening` is never told true: reads go to the shared store first, which is always safe.
    if (subscribed && isClientReady(subscriber) && 'isReady' in subscriber) listening(true);
  }

  async close(): Promise<void> {
    this.health.close();
    // A client still trying to reconnect is open but not ready: a graceful close would wait for
    // a Redis that may never come back, so shutdown during an outage would hang.
    for (const subscriber of this.subscribers) {
      if (isClientReady(subscriber)) await subscriber.close().catch(() => undefined);
      else subscriber.destroy();
    }
    if (isClientReady(this.client)) await this.client.close().catch(() => undefined);
    else this.client.destroy();
  }

  // Private: the timeout every command and probe races, and the log of state changes.

  /**
   * Fails a command only when Redis has been silent for a whole timeout that this process was
   * free to notice. A command waits behind every command written before it on the same socket,
   * and behind this process's own work (it is written, and its answer read, only when the event
   * loop gets to it): timing each command alone made a gateway whose CPU was saturated time out
   * answers that Redis had sent in microseconds, take a live Redis "down" every second or so, and
   * wait a whole quota window each time (the Redis bench ran at a twentieth of the in-process
   * rate). So when the timer fires, the answers already on the socket are read first (a
   * setImmediate runs after the poll phase that reads them), and the command gets another
   * timeout if the timer fired half a timeout late (the event loop was busy, so the wait says
   * nothing about Redis) or, on a single node, if Redis answered another command meanwhile (a
   * stalled Redis answers nothing; on a cluster another node's answers say nothing of this
   * one's). Never past MAX_EXTRA_WAIT_MS beyond the timeout: a waiting caller has its own
   * deadline, and a Redis stalled under a busy loop must still be found down.
   */
  private async withTimeout<T>(pending: Promise<T>, commandTimeoutMs = this.options.commandTimeoutMs): Promise<T> {
    let timer: unknown;
    let settled = false;
    const started = performance.now();
    const singleNode = 'isReady' in this.client;
    const timeout = new Promise<never>((_, reject) => {
      let heard = this.answers;
      const arm = () => {
        const armedAt = performance.now();
        timer = this.timers.setTimeout(() => {
          const late = performance.now() - armedAt - commandTimeoutMs >= commandTimeoutMs / 2;
          setImmediate(() => {
            if (settled) return;
            const waited = performance.now() - started;
            if ((late || (singleNode && this.answers !== heard)) && waited < commandTimeoutMs + MAX_EXTRA_WAIT_MS) {
              heard = this.answers;
              arm();
            } else reject(new RedisUnavailableError(`no answer within ${commandTimeoutMs} ms${waited >= 2 * commandTimeoutMs ? ` (${Math.round(waited)} ms in all)` : ''}`));
          });
        }, commandTimeoutMs);
      };
      arm();
    });
    // Only Redis's answers count, a reply or an error reply (the socket still open): not a
    // command failed because the connection went.
    const answered = pending.then(
      (value) => {
        this.answers += 1;
        return value;
      },
      (error: unknown) => {
        if (isClientReady(this.client)) this.answers += 1;
        throw error;
      },
    );
    try {
      return await Promise.race([answered, timeout]);
    } finally {
      settled = true;
      this.timers.clearTimeout(timer);
    }
  }

  private logChange(next: RedisHealthState, previous: RedisHealthState): void {
    switch (next.kind) {
      case 'up':
        if (previous.kind === 'down') {
          const seconds = ((this.options.now ?? Date.now)() - previous.since) / 1000;
          this.options.logger.info(`redis is back after ${seconds.toFixed(1)} s: shared cache and quota in use again`);
        } else this.options.logger.info('redis connected');
        break;
      case 'down':
        this.options.logger.warn(`redis unavailable (${next.reason}): answering from the in-process cache and a local share of each quota`);
        break;
      case 'connecting':
      case 'closed':
        break;
    }
  }
}

/** How much longer than its timeout a command may wait while Redis answers others or the loop is busy (see withTimeout). */
const MAX_EXTRA_WAIT_MS = 1000; // 1 s

function isUnavailable(error: unknown): error is RedisUnavailableError {
  return (error as { code?: unknown } | null)?.code === 'REDIS_UNAVAILABLE';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
