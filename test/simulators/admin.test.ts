import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCustomersSimulator, SIM_CREDENTIALS, startSimulators, type SimulatorSet } from '../../src/simulators/index.ts';
import { simAdmin } from './sim-admin.ts';

let sims: SimulatorSet;
type Provider = 'customers' | 'stripe' | 'hubspot';
const providers: Provider[] = ['customers', 'stripe', 'hubspot'];

/** One cheap authenticated read per provider. */
const probe: Record<Provider, { path: string; authorization: string }> = {
  customers: { path: '/v1/customers/cust_0001', authorization: `Bearer ${SIM_CREDENTIALS.customersToken}` },
  stripe: { path: '/v1/customers?limit=1', authorization: `Bearer ${SIM_CREDENTIALS.stripeSecretKey}` },
  hubspot: { path: '/crm/v3/objects/contacts/1001', authorization: `Bearer ${SIM_CREDENTIALS.hubspotToken}` },
};
const call = (provider: Provider) =>
  fetch(`${sims[provider].url}${probe[provider].path}`, { headers: { authorization: probe[provider].authorization } });
const admin = (provider: Provider) => simAdmin(sims[provider].url);

beforeAll(async () => {
  sims = await startSimulators();
});
afterAll(() => sims.close());
beforeEach(async () => {
  await Promise.all(providers.map((p) => admin(p).reset()));
});

describe('simulator admin API', () => {
  it('starts on ephemeral ports with the documented credentials', () => {
    for (const provider of providers) expect(sims[provider].url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sims.credentials).toEqual(SIM_CREDENTIALS);
    expect(sims.dataset.customers).toHaveLength(1000);
  });

  it('answers 503 in each provider’s own error format during an outage, and not for admin calls', async () => {
    for (const provider of providers) await admin(provider).faults({ outage: true });
    const customers = await call('customers');
    expect(customers.status).toBe(503);
    expect(await customers.json()).toMatchObject({ error: { code: 'unavailable' } });
    const stripe = await call('stripe');
    expect(stripe.status).toBe(503);
    expect(await stripe.json()).toMatchObject({ error: { type: 'api_error' } });
    const hubspot = await call('hubspot');
    expect(hubspot.status).toBe(503);
    expect(await hubspot.json()).toMatchObject({ status: 'error', correlationId: expect.any(String) });
    expect((await admin('stripe').stats()).byStatus).toEqual({ '503': 1 });
  });

  it('injects errors at the given rate with the given status', async () => {
    await admin('stripe').faults({ errorRate: 1, errorStatus: 502 });
    const response = await call('stripe');
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: { type: 'api_error' } });
    await admin('stripe').faults({ errorRate: 0 });
    expect((await call('stripe')).status).toBe(200);
  });

  it('sends a 200 whose body is not JSON under malformedRate', async () => {
    await admin('hubspot').faults({ malformedRate: 1 });
    const response = await call('hubspot');
    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow(SyntaxError);
  });

  it('cuts the body short under the promised Content-Length under truncateRate', async () => {
    await admin('customers').faults({ truncateRate: 1 });
    const response = await call('customers');
    expect(response.status).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(0);
    await expect(response.text()).rejects.toThrow();
    expect((await admin('customers').stats()).byStatus).toEqual({ '200': 1 });
  });

  it('destroys the socket before any response under resetRate, counted as status 0', async () => {
    await admin('stripe').faults({ resetRate: 1 });
    await expect(call('stripe')).rejects.toThrow();
    expect((await admin('stripe').stats()).byStatus['0']).toBeGreaterThanOrEqual(1);
  });

  it('adds latency before answering', async () => {
    const waits: number[] = [];
    const sim = await createCustomersSimulator({ sleep: async (ms) => waits.push(ms) });
    await simAdmin(sim.url).faults({ latencyMs: 150 });
    const answer = await fetch(`${sim.url}${probe.customers.path}`, { headers: { authorization: probe.customers.authorization } });
    expect(answer.status).toBe(200);
    expect(waits).toEqual([150]);
    await sim.close();
  });

  it('reports the active faults and rejects a bad fault body naming the field', async () => {
    await admin('hubspot').faults({ expireTokens: true, rateLimit: { limit: 5, windowMs: 1000 } });
    const current = await (await fetch(`${sims.hubspot.url}/_sim/faults`)).json();
    expect(current).toEqual({ expireTokens: true, rateLimit: { limit: 5, windowMs: 1000 } });
    for (const [body, field] of [
      [{ errorRate: 2 }, 'errorRate'],
      [{ resetAfterRate: -0.5 }, 'resetAfterRate'],
      [{ latencyMs: -1 }, 'latencyMs'],
      [{ rateLimit: { limit: 0, windowMs: 1000 } }, 'rateLimit.limit'],
      [{ outage: 'yes' }, 'outage'],
      [{ associationPageSize: 501 }, 'associationPageSize'],
      [{ chaos: true }, 'chaos'],
    ] as const) {
      const response = await admin('hubspot').faults(body as never);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toContain(field);
    }
  });

  it('resets stats and faults, and does not count admin calls', async () => {
    await admin('customers').faults({ outage: true });
    await call('customers');
    await admin('customers').stats();
    expect((await admin('customers').stats()).requests).toBe(1);
    await admin('customers').reset();
    expect(await admin('customers').stats()).toEqual({
      provider: 'customers', requests: 0, byRoute: {}, byStatus: {}, bytesSent: 0, notModified: 0, rateLimited: 0, byCredential: {}, traced: 0, byTraceId: {},
    });
    expect((await call('customers')).status).toBe(200);
  });

  it('starts with the latency given to startSimulators and comes back to it on reset', async () => {
    const slow = await startSimulators({ latencyMs: 40 });
    try {
      const faults = simAdmin(slow.stripe.url);
      await faults.faults({ outage: true });
      await faults.reset();
      expect(await (await fetch(`${slow.stripe.url}/_sim/faults`)).json()).toEqual({ latencyMs: 40 });
    } finally {
      await slow.close();
    }
  });
});
