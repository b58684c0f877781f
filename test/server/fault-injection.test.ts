import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators, type SimulatorSet } from '../../src/simulators/index.ts';
import { GatewayStack } from '../support/gateway-stack.ts';

/**
 * Each fault the simulators can inject, against a running gateway: the answer comes with the
 * healthy providers' data, the right code at the failed paths, no unhandled rejection, and a
 * process that goes on serving. How fast it comes is the bench's business, not a test's: a busy
 * machine must not fail the suite. The simulators' dice are seeded, so rate-based faults fall the
 * same way on every run.
 */
const DEADLINE_MS = 1500;

const PAGE = /* GraphQL */ `
  {
    customers(first: 8) {
      edges { node { name payments(first: 2) { edges { node { id } } } crmContact { email } deals(first: 2) { edges { node { id } } } } }
    }
  }
`;

interface Page {
  customers: { edges: Array<{ node: { name: string; payments: unknown; crmContact: unknown; deals: unknown } }> } | null;
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

let simulators: SimulatorSet;
beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  simulators = await startSimulators();
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await simulators.close();
  expect(unhandled).toEqual([]);
});

async function fault(provider: 'customers' | 'stripe' | 'hubspot', body: unknown): Promise<void> {
  const response = await fetch(`${simulators[provider].url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBeLessThan(300);
}

async function resetSimulators(): Promise<void> {
  await Promise.all((['customers', 'stripe', 'hubspot'] as const).map((p) => fetch(`${simulators[p].url}/_sim/reset`, { method: 'POST' })));
}

describe('fault injection', () => {
  let stack: GatewayStack;
  afterEach(async () => {
    // The process goes on serving after every fault.
    expect((await fetch(new URL('/healthz', stack.url))).status).toBe(200);
    await stack.close();
    await resetSimulators();
  });

  const stripeFaults: Array<[string, unknown, string]> = [
    ['outage', { outage: true }, 'UPSTREAM_UNAVAILABLE'],
    ['latency ten times past the deadline', { latencyMs: 10 * DEADLINE_MS }, 'UPSTREAM_TIMEOUT'],
    ['a 429 storm', { errorRate: 1, errorStatus: 429 }, 'UPSTREAM_RATE_LIMITED'],
    ['malformed JSON', { malformedRate: 1 }, 'UPSTREAM_BAD_RESPONSE'],
    ['truncated bodies', { truncateRate: 1 }, 'UPSTREAM_BAD_RESPONSE'],
    ['connection resets', { resetRate: 1 }, 'UPSTREAM_UNAVAILABLE'],
  ];

  for (const [name, body, code] of stripeFaults) {
    it(`Stripe ${name}: customers and CRM data arrive, payments fail with ${code}`, async () => {
      stack = await GatewayStack.startRemote(simulators, { OPERATION_DEADLINE_MS: String(DEADLINE_MS), LOG_LEVEL: 'debug' });
      await fault('stripe', body);
      const response = await stack.query<Page>(PAGE);
      const edges = response.data?.customers?.edges ?? [];
      expect(edges).toHaveLength(8);
      expect(edges.every(({ node }) => node.name && node.deals !== null)).toBe(true);
      expect(edges.some(({ node }) => node.crmContact !== null)).toBe(true);
      const errors = response.errors ?? [];
      expect(errors.length).toBeGreaterThan(0);
      for (const error of errors) {
        expect(error.path?.at(-1)).toBe('payments');
        expect(error.extensions).toMatchObject({ code, provider: 'stripe' });
        if (code === 'UPSTREAM_RATE_LIMITED') expect(error.extensions?.['retryAfter']).toBeGreaterThanOrEqual(1);
        expect(Object.keys(error.extensions ?? {})).not.toContain('stacktrace');
      }
    });
  }

  it('Stripe slower than one attempt may take, well inside the deadline: each attempt is cut by its own timeout, UPSTREAM_TIMEOUT at payments', async () => {
    stack = await GatewayStack.startRemote(simulators, { OPERATION_DEADLINE_MS: '10000', UPSTREAM_TIMEOUT_MS: '100' });
    await fault('stripe', { latencyMs: 5000 });
    const response = await stack.query<Page>(PAGE);
    const edges = response.data?.customers?.edges ?? [];
    expect(edges.every(({ node }) => node.name && node.deals !== null)).toBe(true);
    const errors = response.errors ?? [];
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error.path?.at(-1)).toBe('payments');
      expect(error.extensions?.['provider']).toBe('stripe');
      // Timed out, or refused by the breaker those timeouts opened.
      expect(['UPSTREAM_TIMEOUT', 'UPSTREAM_UNAVAILABLE']).toContain(error.extensions?.['code']);
    }
    // The attempts' own timeouts, not the operation's deadline (whose message names the deadline).
    expect(errors.filter((e) => e.extensions?.['code'] === 'UPSTREAM_TIMEOUT').map((e) => e.message)).toContain('stripe did not answer in time');
    expect(errors.every((e) => !e.message.includes('deadline'))).toBe(true);
  });

  it('Stripe failing half the time: retries hide most failures from the client', async () => {
    // At a 50% failure rate the default breaker (opens at 50%) may or may not trip; this test is
    // about retries, so the breaker is set to stay out of it (resilience.test.ts covers it).
    stack = await GatewayStack.startRemote(simulators, { OPERATION_DEADLINE_MS: String(DEADLINE_MS), BREAKER_FAILURE_RATE: '0.9' });
    await fault('stripe', { errorRate: 0.5, errorStatus: 500 });
    const response = await stack.query<Page>(PAGE);
    for (const error of response.errors ?? []) expect(error.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', provider: 'stripe' });
    const edges = response.data?.customers?.edges ?? [];
    expect(edges.filter(({ node }) => node.payments !== null).length).toBeGreaterThan(4);
  });

  it('HubSpot OAuth token expired: one refresh and one retry, then UPSTREAM_UNAUTHORIZED at CRM paths only', async () => {
    const { hubspotClientId, hubspotClientSecret, hubspotRefreshToken } = simulators.credentials;
    stack = await GatewayStack.startRemote(simulators, {
      OPERATION_DEADLINE_MS: String(DEADLINE_MS),
      LOG_LEVEL: 'debug',
      HUBSPOT_ACCESS_TOKEN: '',
      HUBSPOT_CLIENT_ID: hubspotClientId,
      HUBSPOT_CLIENT_SECRET: hubspotClientSecret,
      HUBSPOT_REFRESH_TOKEN: hubspotRefreshToken,
    });
    const healthy = await stack.query<Page>(PAGE);
    expect(healthy.errors).toBeUndefined();
    await stack.gateway.flushCache();
    await fault('hubspot', { expireTokens: true });
    const response = await stack.query<Page>(PAGE);
    const edges = response.data?.customers?.edges ?? [];
    expect(edges.every(({ node }) => node.name && node.payments !== null)).toBe(true);
    const errors = response.errors ?? [];
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(['crmContact', 'deals']).toContain(error.path?.at(-1));
      expect(error.extensions).toMatchObject({ code: 'UPSTREAM_UNAUTHORIZED', provider: 'hubspot' });
    }
    const stats = (await (await fetch(`${simulators.hubspot.url}/_sim/stats`)).json()) as { byRoute: Record<string, Record<string, number>> };
    // The first token, then one refresh however many calls were refused on it, then each refused
    // call tried once more and given up.
    expect(stats.byRoute['POST /oauth/v1/token']?.['200']).toBe(2);
    const refused = stats.byRoute['POST /crm/v3/objects/contacts/batch/read']?.['401'] ?? 0;
    expect(refused % 2).toBe(0);
    expect(refused).toBeGreaterThan(0);
  });
});
