import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { toGlobalId } from '../../../src/model/global-id.ts';
import type { SimulatorSet } from '../../../src/simulators/index.ts';
import { countsOf } from '../../support/event-counts.ts';
import { eventually } from '../../support/eventually.ts';
import { spawnGateway, type GatewayProcess } from '../../support/gateway-process.ts';
import { GatewayStack } from '../../support/gateway-stack.ts';
import { HeldAnswers, startHeldSimulators } from '../../support/held-simulators.ts';
import { REDIS_URL, redisForTests, uniquePrefix } from '../../support/redis.ts';
import { dropKeysWith } from '../../support/redis-cleanup.ts';
import { mutate, setFaults, webhookUrl } from '../../support/webhook-deliveries.ts';

const redisUp = await redisForTests();

/** Long enough never to end by itself within a test: the held answer comes only when released. */
const HOLD_MS = 120_000;

/**
 * An instance killed in the middle of handling an event it has acknowledged: the event is in
 * Redis, and another instance takes it over once it has been idle EVENTS_CLAIM_IDLE_MS.
 */
describe.skipIf(!redisUp)('an instance killed while it handles an event', () => {
  const prefix = uniquePrefix('events-kill');
  const held = new HeldAnswers(HOLD_MS);
  let simulators: SimulatorSet;
  let a: GatewayProcess | undefined;
  let b: GatewayStack | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    simulators = await startHeldSimulators(held);
    const { credentials } = simulators;
    env = {
      REDIS_URL,
      CACHE_KEY_PREFIX: prefix,
      STRIPE_WEBHOOK_SECRETS: credentials.stripeWebhookSecret,
      HUBSPOT_WEBHOOK_SECRETS: credentials.hubspotClientSecret,
      CUSTOMERS_WEBHOOK_SECRETS: credentials.customersWebhookSecret,
      EVENTS_CLAIM_IDLE_MS: '500',
      EVENTS_RETRY_BASE_MS: '10',
      EVENTS_RETRY_MAX_MS: '100',
    };
    a = await spawnGateway({
      ...env,
      CUSTOMERS_API_URL: simulators.customers.url,
      CUSTOMERS_API_TOKEN: credentials.customersToken,
      STRIPE_API_URL: simulators.stripe.url,
      STRIPE_SECRET_KEY: credentials.stripeSecretKey,
      HUBSPOT_API_URL: simulators.hubspot.url,
      HUBSPOT_ACCESS_TOKEN: credentials.hubspotToken,
    });
  }, 60_000); // a process that compiles TypeScript as it starts, on a busy machine
  afterAll(async () => {
    await a?.kill('SIGKILL');
    await b?.close();
    await simulators?.close();
    await dropKeysWith(prefix);
  });

  it('is taken over by the next instance, which answers the change: nothing lost, nothing dead-lettered', async () => {
    const customer = simulators.dataset.customers[4]!;
    const emailQuery = `query($id: ID!) { customer(id: $id) { email } }`;
    const emailOn = async (url: string) => {
      const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: emailQuery, variables: { id: toGlobalId('Customer', customer.id) } }) });
      return ((await response.body.json()) as { data?: { customer: { email: string } } }).data?.customer.email;
    };
    // A holds the customer: the event makes it read the customer again, which the simulator now holds.
    expect(await emailOn(a!.url)).toBe(customer.email);
    await setFaults(simulators.customers.url, { latencyMs: HOLD_MS });
    simulators.customers.webhooks.configure([{ url: webhookUrl(a!.url, 'customers') }]);

    await mutate(simulators.customers.url, { action: 'updateCustomer', id: customer.id, email: 'moved@example.com' });
    await simulators.customers.webhooks.settled();
    await held.arrived();

    // Acknowledged (stored in Redis), and A is in the middle of handling it.
    expect(simulators.customers.webhooks.deliveries()).toMatchObject([{ delivered: true, lastStatus: 200 }]);
    await a!.kill('SIGKILL');
    simulators.customers.webhooks.configure([]);
    await setFaults(simulators.customers.url, {});
    held.release();

    b = await GatewayStack.startRemote(simulators, env);
    expect(countsOf(b.gateway.events.counters.snapshot(), 'customers').received).toBe(0);
    await eventually(async () => (await b!.gateway.events.log.backlog()) === 0, 1000);

    expect(countsOf(b.gateway.events.counters.snapshot(), 'customers').effects).toMatchObject({ published: 1 });
    expect(await b.gateway.events.log.deadLetters.count()).toBe(0);
    expect((await b.query<{ customer: { email: string } }>(emailQuery, { id: toGlobalId('Customer', customer.id) })).data?.customer.email).toBe('moved@example.com');
  });
});
