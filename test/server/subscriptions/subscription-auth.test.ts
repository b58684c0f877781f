import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../../src/model/global-id.ts';
import type { SimStats, SimulatorSet } from '../../../src/simulators/index.ts';
import { READ_SCOPES } from '../../support/auth.ts';
import { eventually } from '../../support/eventually.ts';
import type { GatewayStack } from '../../support/gateway-stack.ts';
import { startTwoTenants } from '../../support/two-tenants.ts';
import { SubscriptionClient } from './subscription-client.ts';

const ACME_KEY = 'trib_test_acme_live_feed_7d20c4';
const GLOBEX_KEY = 'trib_test_globex_live_feed_1e9b53';
const CUSTOMERS_ONLY_KEY = 'trib_test_acme_customers_only_42aa0f';

const CUSTOMER_CHANGED = 'subscription($id: ID!) { customerChanged(id: $id) { id email } }';
const PAYMENT_CHANGED = 'subscription($id: ID!) { paymentChanged(customerId: $id) { id } }';

async function stats(sims: SimulatorSet, provider: 'customers' | 'stripe'): Promise<SimStats> {
  return (await (await fetch(new URL('/_sim/stats', sims[provider].url))).json()) as SimStats;
}

describe('subscriptions with API keys and two tenants', () => {
  let acme: SimulatorSet;
  let globex: SimulatorSet;
  let stack: GatewayStack;
  const clients: SubscriptionClient[] = [];
  const connect = (params: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const client = new SubscriptionClient(stack.url, params, headers);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    ({ acme, globex, stack } = await startTwoTenants([
      { key: ACME_KEY, client: 'acme-feed', tenant: 'acme', scopes: READ_SCOPES },
      { key: GLOBEX_KEY, client: 'globex-feed', tenant: 'globex', scopes: READ_SCOPES },
      { key: CUSTOMERS_ONLY_KEY, client: 'acme-crm-sync', tenant: 'acme', scopes: ['customers:read'] },
    ]));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await eventually(async () => stack.gateway.events.changes.size === 0);
  });
  afterAll(async () => {
    await stack?.close();
    await acme?.close();
    await globex?.close();
  });

  it('closes a connection without valid credentials with 4401 Unauthorized', async () => {
    for (const params of [{}, { authorization: 'Bearer trib_test_not_a_key' }, { 'x-api-key': 42 }, { authorization: `Bearer ${ACME_KEY}`, Authorization: `Bearer ${ACME_KEY}` }]) {
      const client = connect(params);
      expect(await client.closed).toEqual({ code: 4401, reason: 'Unauthorized' });
    }
  });

  it('accepts the key in connectionParams (Authorization or X-API-Key) and in the upgrade request headers', async () => {
    const id = toGlobalId('Customer', acme.dataset.customers[0]!.id);
    for (const client of [connect({ authorization: `Bearer ${ACME_KEY}` }), connect({ 'X-API-Key': ACME_KEY }), connect({}, { authorization: `Bearer ${ACME_KEY}` })]) {
      const results = client.subscribe(CUSTOMER_CHANGED, { id });
      void results.next();
    }
    await eventually(async () => stack.gateway.events.changes.size === 3);
  });

  it('refuses a field whose scope the key lacks with FORBIDDEN, before any lookup or listener', async () => {
    const before = await stats(acme, 'customers');
    const client = connect({ authorization: `Bearer ${CUSTOMERS_ONLY_KEY}` });
    const result = await client.once(PAYMENT_CHANGED, { id: toGlobalId('Customer', acme.dataset.customers[0]!.id) });
    expect(result.errors?.map((e) => ({ code: e.extensions?.['code'], scope: e.extensions?.['scope'] }))).toEqual([{ code: 'FORBIDDEN', scope: 'payments:read' }]);
    expect(stack.gateway.events.changes.size).toBe(0);
    expect((await stats(acme, 'customers')).requests).toBe(before.requests);
  });

  it("gives each tenant its own changes only, for the same customer id", async () => {
    const record = (sims: SimulatorSet) => sims.dataset.customers[0]!;
    // The same id (cust_0001) names a different person in each account.
    expect(record(acme).id).toBe(record(globex).id);
    const id = toGlobalId('Customer', record(acme).id);
    const forAcme = connect({ authorization: `Bearer ${ACME_KEY}` }).subscribe<{ customerChanged: { email: string } }>(CUSTOMER_CHANGED, { id });
    const forGlobex = connect({ authorization: `Bearer ${GLOBEX_KEY}` }).subscribe<{ customerChanged: { email: string } }>(CUSTOMER_CHANGED, { id });
    const [acmeFirst, globexFirst] = [forAcme.next(), forGlobex.next()];
    await eventually(async () => stack.gateway.events.changes.size === 2);
    stack.gateway.events.changes.publish({ tenantId: 'globex', topic: 'customer', key: record(globex).id, occurredAt: 0 });
    expect((await globexFirst).value?.data?.customerChanged.email).toBe(record(globex).email);
    stack.gateway.events.changes.publish({ tenantId: 'acme', topic: 'customer', key: record(acme).id, occurredAt: 0 });
    // Acme's first event is its own change, read from its own account: globex's never reached it.
    expect((await acmeFirst).value?.data?.customerChanged.email).toBe(record(acme).email);
    expect(record(acme).email).not.toBe(record(globex).email);
  });
});
