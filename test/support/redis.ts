import { createClient } from '@keyv/redis';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createConnection, createServer } from 'node:net';

/** The Redis the suites share (CI starts one when none answers); each test uses its own prefix. */
export const REDIS_URL = process.env['REDIS_TEST_URL'] ?? 'redis://127.0.0.1:6379';

/** Whether Redis at `url` answers PING, after logging in with the URL's password if it has one. */
export function ping(url: string, timeoutMs = 500): Promise<boolean> {
  const { hostname, port, password } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    let replies = '';
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write(`${password ? `AUTH ${decodeURIComponent(password)}\r\n` : ''}PING\r\n`));
    socket.on('data', (data) => {
      replies += data.toString();
      if (replies.startsWith('-')) done(false);
      else if (replies.includes('+PONG')) done(true);
    });
  });
}

/**
 * Whether the Redis suites can run. Outside CI a missing Redis skips them; in CI (CI=true) it
 * fails the run, so a green CI always means they ran.
 */
export async function redisForTests(): Promise<boolean> {
  const available = await ping(REDIS_URL);
  if (!available && process.env['CI'] === 'true') {
    throw new Error(`CI=true but no Redis answers at ${REDIS_URL}: the Redis suites cannot run`);
  }
  return available;
}

/**
 * Removes a Redis store's tag registry from the shared Redis: entries and marks expire on their
 * own, the registry (see redis-store.ts) does not. `storePrefix` is the store's own prefix.
 */
export async function dropTagRegistry(storePrefix: string): Promise<void> {
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  await client.del(`${storePrefix}-tags`);
  await client.close();
}

export function uniquePrefix(name: string): string {
  return `test-${name}-${randomUUID().slice(0, 8)}`;
}

/** A Redis of the test's own on a free port, which the test may stop and start again. */
export class PrivateRedis {
  private process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly extraArguments: string[] = [],
    private readonly password?: string,
  ) {}

  /**
   * `debugCommand`: allow DEBUG from 127.0.0.1 (Redis 7 refuses it by default), for `stall`.
   * `password`: Redis's `requirepass`, as docker-compose.yml sets it; `url` carries it.
   */
  static async start(options: { debugCommand?: boolean; password?: string } = {}): Promise<PrivateRedis> {
    const extra = [...(options.debugCommand ? ['--enable-debug-command', 'local'] : []), ...(options.password ? ['--requirepass', options.password] : [])];
    const redis = new PrivateRedis(await freePort(), extra, options.password);
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://${this.password ? `:${encodeURIComponent(this.password)}@` : ''}127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...this.extraArguments], { stdio: 'ignore' });
    const spawned = new Promise<never>((_, reject) => this.process?.once('error', (error) => reject(new Error(`redis-server could not start: ${error.message}`))));
    const deadline = Date.now() + 5000;
    const up = (async () => {
      while (!(await ping(this.url, 200))) {
        if (Date.now() > deadline) throw new Error('redis-server did not answer within 5 s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await Promise.race([up, spawned]);
  }

  /**
   * Makes Redis answer nobody for `seconds` with `DEBUG SLEEP`, sent on a connection of its own;
   * its socket stays open, as with a slow command. Resolves when Redis answers again.
   */
  stall(seconds: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port: this.port });
      socket.on('error', reject);
      socket.on('connect', () => socket.write(`DEBUG SLEEP ${seconds}\r\n`));
      socket.on('data', (data) => {
        socket.destroy();
        const reply = data.toString();
        if (reply.startsWith('+OK')) resolve();
        else reject(new Error(`DEBUG SLEEP: ${reply.trim()} (start the PrivateRedis with debugCommand: true)`));
      });
    });
  }

  /** Every key it holds, sorted (a test's Redis is small). */
  async keys(): Promise<string[]> {
    const client = createClient({ url: this.url });
    await client.connect();
    try {
      return (await client.keys('*')).sort();
    } finally {
      await client.close();
    }
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
