import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { toGlobalId } from '../../../src/model/global-id.ts';
import { startSimulators, type SimulatorSet } from '../../../src/simulators/index.ts';
import { apiKeysFile, bearer, tenantsFile, type TestApiKey } from '../../support/auth.ts';
import { countedSince, countsOf } from '../../support/event-counts.ts';
import { eventually } from '../../support/eventually.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';
import { REDIS_URL, redisForTests, uniquePrefix } from '../../support/redis.ts';
import { dropKeysWith } from '../../support/redis-cleanup.ts';
import { mutate, setFaults, webhookUrl } from '../../support/webhook-deliveries.ts';

const redisUp = await redisForTests();

const KEYS = {
  acmeOps: { key: 'acme-ops-key-0123456789abcdef', client: 'acme-ops', tenant: 'acme', scopes: ['customers:read', 'ops:read', 'ops:write'] },
  acmeReader: { key: 'acme-reader-key-0123456789abcdef', client: 'acme-reader', tenant: 'acme', scopes: ['customers:read'] },
  acmeWatcher: { key: 'acme-watcher-key-0123456789abcdef', client: 'acme-watcher', tenant: 'acme', scopes: ['ops:read'] },
  globexOps: { key: 'globex-ops-key-0123456789abcdef', client: 'globex-ops', tenant: 'globex', scopes: ['customers:read', 'ops:read', 'ops:write'] },
} satisfies Record<string, TestApiKey>;

interface DeadLetterView {
  entryId: string;
  event: { tenantId: string; provider: string; type: string; payload: { data: { id: string } } };
  attempts: number;
  lastError: string;
}

const SECRETS = { acme: `whsec_${Buffer.from('acme-customers-webhook-key-0001').toString('base64')}`, globex: `whsec_${Buffer.from('globex-customers-webhook-key-001').toString('base64')}` };

/**
 * Events whose effects fail every time end up with operators, per tenant: listed with their last
 * error, replayed once the cause is gone (and processed once), or dropped.
 */
describe.each([
  { log: 'memory', redis: false },
  { log: 'redis', redis: true },
])('dead letters ($log log)', ({ redis }) => {
  const prefix = uniquePrefix('events-dead');
  let simulators: SimulatorSet;
  let stack: GatewayStack;

  beforeAll(async () => {
    if (redis && !redisUp) return;
    simulators = await startSimulators();
    // Each tenant its own signing secret, as the gateway requires: the simulator signs with the one
    // of the tenant it delivers to (see failingChange).
    const secrets = (secret: string) => ({ webhooks: { customers: { secrets: [secret] } } });
    stack = await GatewayStack.startConfigured(
      {
        TENANTS_FILE: tenantsFile({ acme: simulators, globex: simulators }, { acme: secrets(SECRETS.acme), globex: secrets(SECRETS.globex) }),
        API_KEYS_FILE: apiKeysFile(Object.values(KEYS)),
        EVENTS_MAX_ATTEMPTS: '3',
        EVENTS_RETRY_BASE_MS: '1',
        EVENTS_RETRY_MAX_MS: '5',
        EVENTS_CLAIM_IDLE_MS: '100',
        // Not under test: the failing attempts must not open the circuit, or the replay would meet it open.
        BREAKER_MIN_CALLS_PER_SECOND: '1000000',
        ...(redis ? { REDIS_URL, CACHE_KEY_PREFIX: prefix } : {}),
      },
      simulators,
      Object.values(KEYS).map((k) => k.key),
    );
  });
  afterAll(async () => {
    await stack?.close();
    await simulators?.close();
    if (redis && redisUp) await dropKeysWith(prefix);
  });

  const admin = async (method: 'GET' | 'POST' | 'DELETE', path: string, key?: TestApiKey) => {
    const response = await request(new URL(path, stack.url), { method, headers: key ? bearer(key.key) : {} });
    const text = await response.body.text();
    return { status: response.statusCode, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
  const lettersOf = async (key: TestApiKey) => ((await admin('GET', '/admin/events/dead-letters', key)).body as { deadLetters: DeadLetterView[] }).deadLetters;
  const emailOf = async (customerId: string, key: TestApiKey) =>
    (await stack.query<{ customer: { email: string } }>(`query($id: ID!) { customer(id: $id) { email } }`, { id: toGlobalId('Customer', customerId) }, bearer(key.key))).data?.customer.email;
  /** A change made in the customer service while it fails, delivered to one tenant's receiver. */
  const failingChange = async (tenant: string, customerId: string, email: string) => {
    simulators.customers.webhooks.configure([{ url: webhookUrl(stack.url, 'customers', tenant), secret: SECRETS[tenant as keyof typeof SECRETS] }]);
    await mutate(simulators.customers.url, { action: 'updateCustomer', id: customerId, email });
    await simulators.customers.webhooks.settled();
  };

  it.skipIf(redis && !redisUp)('dead-letters a change whose refresh fails every time, replays it once the service is back, and drops another tenant\'s', async () => {
    const mine = simulators.dataset.customers[6]!;
    const theirs = simulators.dataset.customers[7]!;
    // Cached by each tenant: the event then reads the customer again (and fails to).
    expect(await emailOf(mine.id, KEYS.acmeOps)).toBe(mine.email);
    expect(await emailOf(theirs.id, KEYS.globexOps)).toBe(theirs.email);
    await setFaults(simulators.customers.url, { errorRate: 1, errorStatus: 500 });

    await failingChange('acme', mine.id, 'mine-moved@example.com');
    await failingChange('globex', theirs.id, 'theirs-moved@example.com');
    await eventually(async () => (await stack.gateway.events.log.deadLetters.count()) === 2, 1000);

    // Each tenant's operators see their own only, after three attempts, with the last error.
    const [letter, ...moreOfMine] = await lettersOf(KEYS.acmeOps);
    expect(moreOfMine).toEqual([]);
    expect(letter).toMatchObject({ attempts: 3, event: { tenantId: 'acme', provider: 'customers', type: 'customer.updated', payload: { data: { id: mine.id } } } });
    expect(letter!.lastError).not.toBe('');
    expect(await lettersOf(KEYS.acmeWatcher)).toEqual([letter]);
    const theirLetters = await lettersOf(KEYS.globexOps);
    expect(theirLetters.map((l) => l.event.tenantId)).toEqual(['globex']);
    const their = theirLetters[0]!;
    expect((await admin('GET', `/admin/events/dead-letters/${their.entryId}`, KEYS.acmeOps)).status).toBe(404);
    expect((await admin('POST', `/admin/events/dead-letters/${their.entryId}/replay`, KEYS.acmeOps)).status).toBe(404);
    expect((await admin('DELETE', `/admin/events/dead-letters/${their.entryId}`, KEYS.acmeOps)).status).toBe(404);
    expect(await stack.gateway.events.log.backlog()).toBe(0);

    // The service is back: the replay reads the customer again, once; a second replay finds nothing.
    await setFaults(simulators.customers.url, {});
    const before = countsOf(stack.gateway.events.counters.snapshot(), 'customers');
    expect(await admin('POST', `/admin/events/dead-letters/${letter!.entryId}/replay`, KEYS.acmeOps)).toEqual({ status: 202, body: { replayed: letter!.entryId } });
    expect((await admin('POST', `/admin/events/dead-letters/${letter!.entryId}/replay`, KEYS.acmeOps)).status).toBe(404);
    await eventually(async () => (await stack.gateway.events.log.backlog()) === 0);
    expect(countedSince(before, countsOf(stack.gateway.events.counters.snapshot(), 'customers')).effects).toMatchObject({ refreshed: 1, published: 1 });
    const calls = (await stack.simStats('customers')).requests;
    expect(await emailOf(mine.id, KEYS.acmeOps)).toBe('mine-moved@example.com');
    // In process the replay's read is kept. Redis refuses a write whose fetch began within
    // INVALIDATION_MARGIN_MS (50 ms) of the key's invalidation, which the event's own update
    // effect made just before: there the query reads once more (a known cost, not a loss).
    if (!redis) expect((await stack.simStats('customers')).requests).toBe(calls);
    expect(await lettersOf(KEYS.acmeOps)).toEqual([]);

    // Dropped for good by its own tenant.
    expect((await admin('DELETE', `/admin/events/dead-letters/${their.entryId}`, KEYS.globexOps)).status).toBe(204);
    expect((await admin('DELETE', `/admin/events/dead-letters/${their.entryId}`, KEYS.globexOps)).status).toBe(404);
    expect(await lettersOf(KEYS.globexOps)).toEqual([]);
    expect(await stack.gateway.events.log.deadLetters.count()).toBe(0);
  });

  it.skipIf(redis && !redisUp)('asks for a key (401) and for the ops scopes (403)', async () => {
    expect(await admin('GET', '/admin/events/dead-letters')).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    expect(await admin('GET', '/admin/events/dead-letters', KEYS.acmeReader)).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect((await admin('GET', '/admin/events/dead-letters/1-0', KEYS.acmeReader)).status).toBe(403);
    // Looking is not acting.
    expect((await admin('POST', '/admin/events/dead-letters/1-0/replay', KEYS.acmeWatcher)).status).toBe(403);
    expect((await admin('DELETE', '/admin/events/dead-letters/1-0', KEYS.acmeWatcher)).status).toBe(403);
    expect((await admin('POST', '/admin/events/dead-letters/1-0/replay')).status).toBe(401);
  });
});
