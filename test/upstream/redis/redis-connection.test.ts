import { createClient } from '@keyv/redis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisConnection } from '../../../src/upstream/redis/redis-connection.ts';
import { PrivateRedis, redisForTests } from '../../support/redis.ts';

// Needs redis-server on the PATH; the same condition as the shared Redis suites.
const redisUp = await redisForTests();

const COMMAND_TIMEOUT_MS = 100;
const STALL_SECONDS = 0.3; // three command timeouts: long enough for failures in a row

/** Checks `condition` every 20 ms; gives up after a bound far beyond what the test expects. */
async function eventually(condition: () => boolean, boundMs = 5000): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return condition();
}

describe.skipIf(!redisUp)('RedisConnection when Redis stalls on a healthy socket', () => {
  let redis: PrivateRedis;
  let connection: RedisConnection;
  const logs: string[] = [];

  beforeEach(async () => {
    logs.length = 0;
    redis = await PrivateRedis.start({ debugCommand: true });
    connection = new RedisConnection({
      url: redis.url,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      // Back within a second of a 300 ms stall: two answered probes, 200 ms apart.
      probeIntervalMs: 200,
      logger: { warn: (m) => logs.push(`warn: ${m}`), info: (m) => logs.push(`info: ${m}`) },
    });
    await connection.connect();
    expect(await eventually(() => connection.available)).toBe(true);
  });
  afterEach(async () => {
    await connection?.close();
    await redis?.stop();
  });

  it('is used again once Redis answers, though the client never reconnects', async () => {
    let stallOver = false;
    const stalled = redis.stall(STALL_SECONDS).then(() => (stallOver = true));
    // Commands every 20 ms, as under load: those the stall leaves unanswered fail in a row.
    const commands: Array<Promise<unknown>> = [];
    while (connection.available && !stallOver) {
      commands.push(connection.run((client) => client.ping()).catch(() => undefined));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await expect(connection.run((client) => client.ping())).rejects.toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    await Promise.all([stalled, ...commands]);
    expect(logs.filter((line) => line.includes('redis unavailable'))).toHaveLength(1);

    expect(await eventually(() => connection.available)).toBe(true);
    await connection.run((client) => client.set('answered', 'yes'));
    expect(await connection.run((client) => client.get('answered'))).toBe('yes');
    expect(logs.filter((line) => line.includes('redis unavailable'))).toHaveLength(1);
    expect(logs.filter((line) => line.includes('redis is back'))).toHaveLength(1);
    expect(logs.find((line) => line.includes('redis unavailable'))).toContain('commands in a row failed, the last with: no answer within 100 ms');
  });

  it('stays in use through a single slow command', async () => {
    let stallOver = false;
    const stalled = redis.stall(STALL_SECONDS).then(() => (stallOver = true));
    // One PING after another through the stall: the one it holds may fail (or, on a loop too
    // busy to tell, wait it out); either way no three fail in a row.
    let failed = false;
    while (!failed && !stallOver) failed = await connection.run((client) => client.ping()).then(() => false, () => true);
    await stalled;

    expect(connection.available).toBe(true);
    expect(await connection.run((client) => client.ping())).toBe('PONG');
    expect(logs.filter((line) => line.includes('redis unavailable'))).toHaveLength(0);
  });

  it('stays in use when this process, not Redis, was too busy to read the answers in time', async () => {
    const commands = Array.from({ length: 5 }, (_, i) => connection.run((client) => client.set(`busy-${i}`, String(i))));
    // The event loop held past three timeouts, as a saturated gateway holds it: Redis answered
    // at once, and every timer is overdue by the time the loop reads the socket.
    const until = performance.now() + 3 * COMMAND_TIMEOUT_MS;
    while (performance.now() < until);
    await expect(Promise.all(commands)).resolves.toEqual(['OK', 'OK', 'OK', 'OK', 'OK']);

    expect(connection.available).toBe(true);
    expect(logs.filter((line) => line.includes('redis unavailable'))).toHaveLength(0);
  });

  it('gives up on a command after a second more however busy Redis is with others, without taking Redis down', async () => {
    let done = false;
    const never = connection.run(() => new Promise<never>(() => undefined)).catch((error: unknown) => error);
    void never.then(() => (done = true));
    // Redis answers a PING every 20 ms all along: it is not silent, yet the command never comes.
    while (!done) await connection.run((client) => client.ping()).then(() => new Promise((resolve) => setTimeout(resolve, 20)));

    expect(await never).toMatchObject({ code: 'REDIS_UNAVAILABLE' });
    expect(connection.available).toBe(true);
    expect(logs.filter((line) => line.includes('redis unavailable'))).toHaveLength(0);
  });

  it('waits for a command queued behind others while Redis keeps answering them', async () => {
    // A timeout far above the pace below, so that a busy machine's scheduling cannot make Redis
    // look silent for one; the PING still waits longer than one.
    const timeoutMs = 500;
    const patient = new RedisConnection({ url: redis.url, commandTimeoutMs: timeoutMs, logger: { warn: (m) => logs.push(`warn: ${m}`), info: () => undefined } });
    await patient.connect();
    const pusher = createClient({ url: redis.url });
    await pusher.connect();
    try {
      expect(await eventually(() => patient.available)).toBe(true);
      // Blocking pops hold this connection's later commands; another client frees one every
      // 20 ms, so the PING behind them is answered only after 30 × 20 ms, more than one of its
      // timeouts, though Redis never went a timeout without answering this connection.
      const pops = Array.from({ length: 30 }, (_, i) => patient.run((client) => client.blPop(`queue-${i}`, 0)));
      const ping = patient.run((client) => client.ping());
      for (let i = 0; i < 30; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await pusher.lPush(`queue-${i}`, 'x');
      }

      await expect(Promise.all(pops)).resolves.toHaveLength(30);
      await expect(ping).resolves.toBe('PONG');
      expect(patient.available).toBe(true);
      expect(logs.filter((line) => line.includes('redis unavailable'))).toHaveLength(0);
    } finally {
      await pusher.close();
      await patient.close();
    }
  });
});
