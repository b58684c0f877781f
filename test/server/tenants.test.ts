import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/model/global-id.ts';
import { credentialFingerprint, startSimulators, type SimStats, type SimulatorSet } from '../../src/simulators/index.ts';
import { READ_SCOPES, apiKeysFile, bearer, tenantsFile } from '../support/auth.ts';
import { GatewayStack } from '../support/gateway-stack.ts';
import { startTwoTenants } from '../support/two-tenants.ts';
import { CUSTOMER_360 } from '../support/queries.ts';

const ACME_KEY = 'trib_test_acme_dashboard_5f1c9a';
const GLOBEX_KEY = 'trib_test_globex_dashboard_93be07';

interface Page {
  customers: { edges: Array<{ node: { id: string; name: string; email: string; payments: { edges: Array<{ node: { id: string } }> } | null; crmContact: { email: string | null } | null } }> };
}

type Provider = 'customers' | 'stripe' | 'hubspot';
const PROVIDERS: Provider[] = ['customers', 'stripe', 'hubspot'];

async function stats(sims: SimulatorSet, provider: Provider): Promise<SimStats> {
  return (await (await fetch(new URL('/_sim/stats', sims[provider].url))).json()) as SimStats;
}

async function reset(sims: SimulatorSet): Promise<void> {
  await Promise.all(PROVIDERS.map((p) => fetch(new URL('/_sim/reset', sims[p].url), { method: 'POST' })));
}

describe('two tenants, each with its own provider accounts', () => {
  let acme: SimulatorSet;
  let globex: SimulatorSet;
  let stack: GatewayStack;

  beforeAll(async () => {
    ({ acme, globex, stack } = await startTwoTenants([
      { key: ACME_KEY, client: 'acme-dashboard', tenant: 'acme', scopes: READ_SCOPES },
      { key: GLOBEX_KEY, client: 'globex-dashboard', tenant: 'globex', scopes: READ_SCOPES },
    ]));
  });
  afterAll(async () => {
    await stack?.close();
    await acme?.close();
    await globex?.close();
  });
  beforeEach(async () => {
    await Promise.all([reset(acme), reset(globex)]);
    await stack.gateway.flushCache();
  });

  it('refuses a request without credentials with 401, UNAUTHENTICATED and a challenge, and calls no provider', async () => {
    for (const headers of [{}, bearer('trib_test_not_a_key'), { 'x-api-key': 'nope' }, { authorization: 'Basic YWxhZGRpbjpvcGVuc2VzYW1l' }]) {
      const response = await stack.post('{ customers(first: 1) { edges { node { id } } } }', {}, headers);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="tributary"');
      // The same words whatever was wrong, so a caller learns nothing about which part failed.
      expect(response.body.errors).toEqual([{ message: expect.stringContaining('Authentication required'), extensions: { code: 'UNAUTHENTICATED' } }]);
    }
    for (const provider of PROVIDERS) expect((await stats(acme, provider)).requests + (await stats(globex, provider)).requests).toBe(0);
  });

  it('lets only the bare landing page through without credentials, not a GET that names an operation', async () => {
    const html = { accept: 'text/html' };
    expect((await fetch(stack.url, { headers: html })).status).toBe(200);
    const byHash = new URL(stack.url);
    byHash.searchParams.set('extensions', JSON.stringify({ persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } }));
    const named = await fetch(byHash, { headers: { ...html, 'apollo-require-preflight': 'true' } });
    expect(named.status).toBe(401);
  });

  it('accepts the key in X-API-Key too, and refuses a request that sends two credentials', async () => {
    const ok = await stack.post('{ __typename }', {}, { 'x-api-key': ACME_KEY });
    expect(ok.status).toBe(200);
    const both = await stack.post('{ __typename }', {}, { 'x-api-key': ACME_KEY, ...bearer(GLOBEX_KEY) });
    expect(both.status).toBe(401);
  });

  it("gives a tenant-A key asking for a tenant-B payment a null, and tenant B's providers see no call", async () => {
    const charge = globex.dataset.stripe.charges[0]!;
    const response = await stack.query<{ payment: unknown }>(`query($id: ID!) { payment(id: $id) { id status } }`, { id: toGlobalId('Payment', charge.id) }, bearer(ACME_KEY));
    expect(response.data?.payment).toBeNull();
    for (const provider of PROVIDERS) expect((await stats(globex, provider)).requests).toBe(0);
    expect((await stats(acme, 'stripe')).byRoute['GET /v1/charges/:id']).toEqual({ '404': 1 });
  });

  it('answers the same page to both tenants concurrently, each with only its own data, cold and then warm', async () => {
    const expected = (sims: SimulatorSet) => sims.dataset.customers.slice(0, 20).map((c) => ({ id: toGlobalId('Customer', c.id), name: c.name, email: c.email }));
    for (let round = 0; round < 3; round += 1) {
      const [forAcme, forGlobex] = await Promise.all([
        stack.query<Page>(CUSTOMER_360, { first: 20 }, bearer(ACME_KEY)),
        stack.query<Page>(CUSTOMER_360, { first: 20 }, bearer(GLOBEX_KEY)),
      ]);
      expect(forAcme.errors).toBeUndefined();
      expect(forGlobex.errors).toBeUndefined();
      const summary = (page: Page | null | undefined) => page?.customers.edges.map(({ node }) => ({ id: node.id, name: node.name, email: node.email }));
      // The same customer ids (cust_0001…) name different people in the two accounts.
      expect(summary(forAcme.data)).toEqual(expected(acme));
      expect(summary(forGlobex.data)).toEqual(expected(globex));
      const paymentIds = (page: Page | null | undefined) => new Set(page?.customers.edges.flatMap(({ node }) => node.payments?.edges.map((e) => e.node.id) ?? []));
      const acmeCharges = new Set(acme.dataset.stripe.charges.map((c) => toGlobalId('Payment', c.id)));
      const globexCharges = new Set(globex.dataset.stripe.charges.map((c) => toGlobalId('Payment', c.id)));
      expect([...paymentIds(forAcme.data)].every((id) => acmeCharges.has(id))).toBe(true);
      expect([...paymentIds(forGlobex.data)].every((id) => globexCharges.has(id))).toBe(true);
    }
    // Each account's simulators saw only that account's credentials; the warm rounds cost nothing.
    for (const provider of PROVIDERS) {
      const own = (sims: SimulatorSet) => {
        const c = sims.credentials;
        return credentialFingerprint(provider === 'customers' ? c.customersToken : provider === 'stripe' ? c.stripeSecretKey : c.hubspotToken);
      };
      const [seenByAcme, seenByGlobex] = [await stats(acme, provider), await stats(globex, provider)];
      expect(Object.keys(seenByAcme.byCredential)).toEqual([own(acme)]);
      expect(Object.keys(seenByGlobex.byCredential)).toEqual([own(globex)]);
    }
    const callsAfterWarmUp = (await stats(acme, 'stripe')).requests + (await stats(globex, 'stripe')).requests;
    await stack.query<Page>(CUSTOMER_360, { first: 20 }, bearer(ACME_KEY));
    await stack.query<Page>(CUSTOMER_360, { first: 20 }, bearer(GLOBEX_KEY));
    expect((await stats(acme, 'stripe')).requests + (await stats(globex, 'stripe')).requests).toBe(callsAfterWarmUp);
  });
});

describe('two tenants on one provider account', () => {
  it('share its budget in process, as the provider counts it once', async () => {
    const sims = await startSimulators({ seed: 42 });
    const stripeBudget = { rateLimit: { limit: 3, windowMs: 600_000 } };
    const [sharedKeyA, sharedKeyB] = ['trib_test_shared_a_0c41', 'trib_test_shared_b_77e2'];
    const stack = await GatewayStack.startConfigured(
      {
        TENANTS_FILE: tenantsFile({ north: sims, south: sims }, { north: { stripe: { url: sims.stripe.url, secretKey: sims.credentials.stripeSecretKey, ...stripeBudget } }, south: { stripe: { url: sims.stripe.url, secretKey: sims.credentials.stripeSecretKey, ...stripeBudget } } }),
        API_KEYS_FILE: apiKeysFile([
          { key: sharedKeyA, client: 'a', tenant: 'north', scopes: READ_SCOPES },
          { key: sharedKeyB, client: 'b', tenant: 'south', scopes: READ_SCOPES },
        ]),
        QUOTA_MAX_WAIT_MS: '0',
      },
      sims,
      [sharedKeyA, sharedKeyB],
    );
    try {
      const charges = sims.dataset.stripe.charges;
      const ask = (key: string, i: number) => stack.query<{ payment: { id: string } | null }>(`query($id: ID!) { payment(id: $id) { id } }`, { id: toGlobalId('Payment', charges[i]!.id) }, bearer(key));
      const answers = [];
      for (let i = 0; i < 4; i += 1) answers.push(await ask(sharedKeyA, i), await ask(sharedKeyB, 10 + i));
      expect(answers.filter((a) => a.data?.payment).length).toBe(3);
      expect(answers.flatMap((a) => a.errors?.map((e) => e.extensions?.['code']) ?? [])).toEqual(Array(5).fill('UPSTREAM_RATE_LIMITED'));
      expect((await stats(sims, 'stripe')).requests).toBe(3);
    } finally {
      await stack.close();
      await sims.close();
    }
  });
});
