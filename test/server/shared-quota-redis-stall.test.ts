import { createClient } from '@keyv/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/model/global-id.ts';
import { startSimulators, type SimStats, type SimulatorSet } from '../../src/simulators/index.ts';
import { GatewayStack, type GraphQLResponse } from '../support/gateway-stack.ts';
import { PrivateRedis, redisForTests, uniquePrefix } from '../support/redis.ts';

// Needs redis-server on the PATH; the same condition as the shared Redis suites.
const redisUp = await redisForTests();

const LIMIT = 20; // HubSpot requests per window, for the simulator and the gateways alike
// Two seconds, so that the gateways' guard against calls bunched in transit (a tenth of the
// window) absorbs the event-loop delays of one busy process running three gateways and the
// simulators.
const WINDOW_MS = 2000;
// Twice the limit per window: more than the three local shares together (3 × 0.5) let through.
const OFFERED_PER_SECOND = (2 * LIMIT * 1000) / WINDOW_MS;
const STALL_SECONDS = 0.3; // three times REDIS_TIMEOUT_MS's default
const INSTANCES = 3;
const QUERY = `query($id: ID!) { node(id: $id) { ... on CrmContact { email } } }`;

type ContactAnswer = GraphQLResponse<{ node: { email: string } | null }>;

async function readyz(stack: GatewayStack): Promise<{ redis?: string }> {
  return (await (await fetch(new URL('/readyz', stack.url))).json()) as { redis?: string };
}

function redisLogs(stack: GatewayStack, text: string): string[] {
  return stack.logs.filter((line) => line.includes(text));
}

describe.skipIf(!redisUp)('three gateway instances sharing one Redis that stalls for 300 ms', () => {
  let simulators: SimulatorSet;
  let redis: PrivateRedis;
  const gateways: GatewayStack[] = [];
  const prefix = uniquePrefix('stall');
  let sent = 0;

  /** Offers OFFERED_PER_SECOND calls, spread over the gateways, for `ms`; resolves with the answers. */
  async function offer(ms: number): Promise<ContactAnswer[]> {
    const contacts = simulators.dataset.hubspot.contacts;
    const pending: Array<Promise<ContactAnswer>> = [];
    const started = Date.now();
    while (Date.now() - started < ms) {
      for (let i = 0; i < OFFERED_PER_SECOND / 10; i += 1) {
        const n = sent++;
        pending.push(gateways[n % INSTANCES]!.query(QUERY, { id: toGlobalId('CrmContact', contacts[n % contacts.length]!.id) }));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return Promise.all(pending);
  }

  beforeAll(async () => {
    simulators = await startSimulators();
    redis = await PrivateRedis.start({ debugCommand: true });
    await fetch(`${simulators.hubspot.url}/_sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rateLimit: { limit: LIMIT, windowMs: WINDOW_MS } }),
    });
    const env = {
      REDIS_URL: redis.url,
      CACHE_KEY_PREFIX: prefix,
      CACHE_ENABLED: 'false', // every call needs HubSpot
      HUBSPOT_RATE_LIMIT: String(LIMIT),
      HUBSPOT_RATE_WINDOW_MS: String(WINDOW_MS),
      QUOTA_MAX_WAIT_MS: '250',
      // Back within a second of the stall: two answered probes, 200 ms apart.
      REDIS_PROBE_INTERVAL_MS: '200',
    };
    for (let i = 0; i < INSTANCES; i += 1) gateways.push(await GatewayStack.startRemote(simulators, env));
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await simulators?.close();
    await redis?.stop();
  });

  it('go back to the shared quota, and offered twice the limit before, during and after, receive no 429 from HubSpot', async () => {
    const started = Date.now();
    const before = await offer(WINDOW_MS / 2);

    // Calls go on through the stall: one whose Redis command times out asks Redis again rather
    // than spending a local slot on top of the one that command may still take, and an instance
    // that marks Redis down waits out a window before spending its local share. Invalidation
    // announcements make sure every instance meets the stall, whatever the calls' timing.
    let awake = false;
    const stalled = redis.stall(STALL_SECONDS).then(() => (awake = true));
    const during = offer(STALL_SECONDS * 1000 + 200);
    const contactId = simulators.dataset.hubspot.contacts[0]!.id;
    await Promise.all(
      gateways.map(async (stack) => {
        const announcements: Array<Promise<void>> = [];
        while (!awake && redisLogs(stack, 'redis unavailable').length === 0) {
          announcements.push(stack.gateway.invalidate('hubspot', 'hubspot.contact', contactId));
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await Promise.all(announcements);
      }),
    );
    await stalled;
    const duringAnswers = await during;
    for (const stack of gateways) expect(redisLogs(stack, 'redis unavailable')).toHaveLength(1);

    // Bounded only so that a Redis that never comes back fails the assertions below instead of
    // timing the test out.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (await Promise.all(gateways.map(readyz))).some((r) => r.redis !== 'up')) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const after = await offer(WINDOW_MS);
    const elapsedMs = Date.now() - started;

    const stats = (await (await fetch(`${simulators.hubspot.url}/_sim/stats`)).json()) as SimStats;
    expect(stats.rateLimited).toBe(0);
    const answers = [...before, ...duringAnswers, ...after];
    let succeeded = 0;
    for (const answer of answers) {
      if (answer.data?.node) succeeded += 1;
      else expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_RATE_LIMITED', provider: 'hubspot' });
    }
    expect(succeeded).toBe(stats.requests);
    // The shared budget was the bound: spent in full, and calls beyond it refused by the gateways.
    expect(stats.requests).toBeGreaterThanOrEqual(LIMIT);
    expect(stats.requests).toBeLessThanOrEqual(LIMIT * Math.ceil(elapsedMs / WINDOW_MS));
    expect(after.filter((answer) => !answer.data?.node).length).toBeGreaterThan(0);

    for (const stack of gateways) {
      expect((await readyz(stack)).redis).toBe('up');
      expect(redisLogs(stack, 'redis is back')).toHaveLength(1);
    }
    // The shared log keeps one window of entries: those of the calls after the stall.
    const client = createClient({ url: redis.url });
    await client.connect();
    const [logKey] = await client.keys(`${prefix}:*quota*hubspot*:log`);
    expect(logKey).toBeDefined();
    expect(await client.zCard(logKey!)).toBeGreaterThan(0);
    await client.close();
  });
});
