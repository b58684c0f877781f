import { afterEach, describe, expect, it } from 'vitest';
import {
  createCustomersSimulator,
  SIM_CREDENTIALS,
  signStandardWebhook,
  startSimulators,
  type SimulatorHandle,
  type WebhookDelivery,
} from '../../src/simulators/index.ts';
import { simAdmin } from './sim-admin.ts';
import { header, startReceiver, type WebhookReceiver } from './webhook-receiver.ts';

/** What every simulator's sender does, driven through the customer service (the smallest). */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function customers(options: Parameters<typeof createCustomersSimulator>[0] = {}): Promise<SimulatorHandle> {
  const sim = await createCustomersSimulator(options);
  cleanups.push(() => sim.close());
  return sim;
}

async function receiver(answers: Array<number | 'hang'> = []): Promise<WebhookReceiver> {
  const started = await startReceiver(answers);
  cleanups.push(() => started.close());
  return started;
}

const touch = (sim: SimulatorHandle, name = 'Touched') => simAdmin(sim.url).mutate({ action: 'updateCustomer', id: 'cust_0001', name });

describe('webhook delivery', () => {
  it('is configured through POST /_sim/webhooks, which never echoes a secret, and reported by GET', async () => {
    const sim = await customers();
    const hooks = await receiver();
    const configured = await simAdmin(sim.url).webhooks({ endpoints: [{ url: hooks.url, secret: SIM_CREDENTIALS.customersWebhookSecret }], retryDelaysMs: [5] });
    expect(configured.status).toBe(200);
    const text = await configured.text();
    expect(JSON.parse(text)).toEqual({ endpoints: [{ url: hooks.url }], retryDelaysMs: [5] });
    expect(text).not.toContain('whsec_');

    await touch(sim);
    await sim.webhooks.settled();
    const state = (await (await fetch(`${sim.url}/_sim/webhooks`)).json()) as { deliveries: WebhookDelivery[] };
    expect(state.deliveries).toEqual([
      { id: header(hooks.received[0]!, 'webhook-id'), url: hooks.url, types: ['customer.updated'], attempts: 1, lastStatus: 200, delivered: true, pending: false },
    ]);
  });

  it('refuses a bad configuration naming the field, and keeps the old one', async () => {
    const sim = await customers();
    const admin = simAdmin(sim.url);
    await admin.webhooks({ endpoints: [{ url: 'http://127.0.0.1:9/hooks' }] });
    for (const [body, field] of [
      [{ endpoints: [{ url: 'ftp://example.com/' }] }, 'endpoints[0].url'],
      [{ endpoints: [{ url: 'http://ok.example/' }, { url: 'http://ok.example/', secret: '' }] }, 'endpoints[1].secret'],
      [{ endpoints: [], retryDelaysMs: [10, -1] }, 'retryDelaysMs[1]'],
      [{ endpoint: [] }, 'endpoints'],
    ] as const) {
      const response = await admin.webhooks(body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toContain(field);
    }
    expect(await (await fetch(`${sim.url}/_sim/webhooks`)).json()).toMatchObject({ endpoints: [{ url: 'http://127.0.0.1:9/hooks' }] });
  });

  it('waits the compressed default schedule through the injected sleep, then gives up', async () => {
    const waits: number[] = [];
    const sim = await customers({ sleep: async (ms) => waits.push(ms) });
    const hooks = await receiver([500, 500, 500, 500, 500]);
    sim.webhooks.configure([{ url: hooks.url }]);
    await touch(sim);
    await sim.webhooks.settled();
    expect(waits).toEqual([250, 1000, 5000, 15_000]);
    expect(sim.webhooks.deliveries()).toMatchObject([{ attempts: 5, lastStatus: 500, delivered: false, pending: false }]);
  });

  it('gives an attempt the timeout and no more, and reports a refused connection', async () => {
    const sim = await customers({ webhookTimeoutMs: 50 });
    const hanging = await receiver(['hang']);
    const closed = await startReceiver();
    await closed.close();
    sim.webhooks.configure([{ url: hanging.url }, { url: closed.url }], []);
    await touch(sim);
    await sim.webhooks.settled();
    const byUrl = Object.fromEntries(sim.webhooks.deliveries().map((delivery) => [delivery.url, delivery]));
    expect(byUrl[hanging.url]).toMatchObject({ attempts: 1, lastStatus: null, lastError: 'timeout', delivered: false });
    expect(byUrl[closed.url]).toMatchObject({ attempts: 1, lastStatus: null, lastError: 'ECONNREFUSED', delivered: false });
  });

  it('treats a redirect as a failure, as Stripe does', async () => {
    const sim = await customers();
    const hooks = await receiver([302]);
    sim.webhooks.configure([{ url: hooks.url }], []);
    await touch(sim);
    await sim.webhooks.settled();
    expect(sim.webhooks.deliveries()).toMatchObject([{ attempts: 1, lastStatus: 302, delivered: false }]);
  });

  it('stops a delivery waiting to retry on POST /_sim/reset, and forgets endpoints and deliveries', async () => {
    let attempted!: () => void;
    const firstAttempt = new Promise<void>((resolve) => (attempted = resolve));
    const sim = await customers({ sleep: () => new Promise(() => undefined) });
    const hooks = await receiver();
    hooks.respond = () => {
      attempted();
      return 500;
    };
    sim.webhooks.configure([{ url: hooks.url }]);
    await touch(sim);
    await firstAttempt;
    await simAdmin(sim.url).reset();
    await sim.webhooks.settled();
    expect(sim.webhooks.deliveries()).toEqual([]);

    await touch(sim, 'Again');
    await sim.webhooks.settled();
    expect(hooks.received).toHaveLength(1);
    expect(await (await fetch(`${sim.url}/_sim/webhooks`)).json()).toEqual({ endpoints: [], retryDelaysMs: [250, 1000, 5000, 15_000], deliveries: [] });
  });

  it('stops deliveries when the simulator closes', async () => {
    const sim = await createCustomersSimulator({ sleep: () => new Promise(() => undefined) });
    const hooks = await receiver(['hang']);
    sim.webhooks.configure([{ url: hooks.url }]);
    await touch(sim);
    await sim.close();
    await sim.webhooks.settled();
    expect(sim.webhooks.deliveries()[0]).toMatchObject({ pending: false, delivered: false });
  });

  it('signs with the secrets given to startSimulators', async () => {
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const sims = await startSimulators({ credentials: { customersWebhookSecret: secret, stripeWebhookSecret: 'whsec_otherTenant' } });
    cleanups.push(() => sims.close());
    expect(sims.credentials).toMatchObject({ customersWebhookSecret: secret, stripeWebhookSecret: 'whsec_otherTenant' });
    const hooks = await receiver();
    sims.customers.webhooks.configure([{ url: hooks.url }]);
    await touch(sims.customers);
    await sims.customers.webhooks.settled();
    const webhook = hooks.received[0]!;
    const signed = signStandardWebhook(secret, header(webhook, 'webhook-id'), Number(header(webhook, 'webhook-timestamp')), webhook.rawBody);
    expect(header(webhook, 'webhook-signature')).toBe(signed['webhook-signature']);
  });

  it('refuses a customers webhook secret that is not whsec_ and base64 of 24 bytes or more', () => {
    expect(() => createCustomersSimulator({ webhookSecret: 'whsec_c2hvcnQ=' })).toThrow(/at least 24 bytes/);
  });
});
