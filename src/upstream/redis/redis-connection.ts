import { createClient, type RedisClientType } from '@keyv/redis';

export interface RedisLogger {
  warn(message: string): void;
  info(message: string): void;
}

export interface RedisConnectionOptions {
  url: string;
  /** Longest any command may take before the caller falls back. */
  commandTimeoutMs: number;
  logger: RedisLogger;
}

export class RedisUnavailableError extends Error {
  constructor(reason: string) {
    super(`Redis unavailable: ${reason}`);
    this.name = 'RedisUnavailableError';
  }
}

type RedisState = { kind: 'connecting' } | { kind: 'up' } | { kind: 'down'; since: number; reason: string } | { kind: 'closed' };

/**
 * One Redis client for the cache and the quota, with the rule that Redis trouble is never an
 * outage: commands do not queue while disconnected (`disableOfflineQueue`), every command races a
 * short timeout, and callers get a RedisUnavailableError at once so they can fall back to their
 * in-process path. The client reconnects on its own; each change of state is logged once.
 */
export class RedisConnection {
  readonly client: RedisClientType;
  private state: RedisState = { kind: 'connecting' };
  private readonly subscribers: RedisClientType[] = [];

  constructor(private readonly options: RedisConnectionOptions) {
    this.client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: Math.max(options.commandTimeoutMs, 1000),
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000), // up to 2s
      },
    }) as RedisClientType;
    this.client.on('ready', () => this.moveTo({ kind: 'up' }));
    this.client.on('error', (error: Error) => this.markDown(error.message || error.name));
    this.client.on('end', () => this.markDown('connection ended'));
  }

  /** Starts connecting; resolves once connected or after the timeout, never rejects. */
  async connect(): Promise<void> {
    const connecting = this.client.connect().catch((error: unknown) => this.markDown(String(error)));
    await Promise.race([connecting, delay(Math.max(this.options.commandTimeoutMs, 1000))]);
  }

  get available(): boolean {
    return this.state.kind === 'up' && this.client.isReady;
  }

  /** Runs a command with the timeout, or fails fast when Redis is known to be away. */
  async run<T>(command: (client: RedisClientType) => Promise<T>): Promise<T> {
    if (!this.available) throw new RedisUnavailableError(this.state.kind === 'down' ? this.state.reason : this.state.kind);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisUnavailableError(`no answer within ${this.options.commandTimeoutMs} ms`)), this.options.commandTimeoutMs);
    });
    try {
      return await Promise.race([command(this.client), timeout]);
    } catch (error) {
      if (error instanceof RedisUnavailableError) this.markDown(error.message);
      throw error instanceof RedisUnavailableError ? error : new RedisUnavailableError(error instanceof Error ? error.message : String(error));
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Calls `onMessage` for every message on `channel`, on a connection of its own (a subscribed
   * client can do nothing else). It resubscribes by itself after reconnecting.
   */
  async subscribe(channel: string, onMessage: (message: string) => void): Promise<void> {
    const subscriber = this.client.duplicate();
    subscriber.on('error', () => undefined); // the main client already reports Redis's state
    this.subscribers.push(subscriber);
    await Promise.race([subscriber.connect().then(() => subscriber.subscribe(channel, onMessage)), delay(Math.max(this.options.commandTimeoutMs, 1000))]).catch(
      () => undefined,
    );
  }

  async close(): Promise<void> {
    this.state = { kind: 'closed' };
    // A client still trying to reconnect is open but not ready: a graceful close would wait for
    // a Redis that may never come back, so shutdown during an outage would hang.
    for (const subscriber of this.subscribers) {
      if (subscriber.isReady) await subscriber.close().catch(() => undefined);
      else subscriber.destroy();
    }
    if (this.client.isReady) await this.client.close().catch(() => undefined);
    else this.client.destroy();
  }

  private markDown(reason: string): void {
    if (this.state.kind === 'down' || this.state.kind === 'closed') return;
    this.moveTo({ kind: 'down', since: Date.now(), reason });
  }

  private moveTo(next: RedisState): void {
    const previous = this.state;
    if (previous.kind === 'closed' || previous.kind === next.kind) return;
    this.state = next;
    switch (next.kind) {
      case 'up':
        this.options.logger.info(previous.kind === 'down' ? 'redis is back: shared cache and quota in use again' : 'redis connected');
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

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
