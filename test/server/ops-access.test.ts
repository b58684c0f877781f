import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpsSnapshot } from '../../src/ops/ops-snapshot.ts';
import type { SimulatorSet } from '../../src/simulators/index.ts';
import { READ_SCOPES, bearer } from '../support/auth.ts';
import type { GatewayStack } from '../support/gateway-stack.ts';
import { startTwoTenants } from '../support/two-tenants.ts';
import { scrape, total } from '../support/prometheus-text.ts';

const TOKEN = 'metrics-operator-token-0123456789';
const ACME_APP = 'trib_test_acme_app_4b1f0c';
const GLOBEX_APP = 'trib_test_globex_app_9d27e1';
const ACME_ONCALL = 'trib_test_acme_oncall_61a8d3';
const PAGE = '{ customers(first: 3) { edges { node { id } } } }';

async function snapshotWith(stack: GatewayStack, headers: Record<string, string>): Promise<{ status: number; body: OpsSnapshot }> {
  const response = await request(new URL('/ops/snapshot', stack.url), { headers });
  return { status: response.statusCode, body: (await response.body.json()) as OpsSnapshot };
}

describe('who sees what of /metrics and /ops, with two tenants and client auth (staging: NODE_ENV unset)', () => {
  let acme: SimulatorSet;
  let globex: SimulatorSet;
  let stack: GatewayStack;

  beforeAll(async () => {
    ({ acme, globex, stack } = await startTwoTenants([
      { key: ACME_APP, client: 'acme-app', tenant: 'acme', scopes: READ_SCOPES },
      { key: GLOBEX_APP, client: 'globex-app', tenant: 'globex', scopes: READ_SCOPES },
      { key: ACME_ONCALL, client: 'acme-oncall', tenant: 'acme', scopes: ['ops:read'] },
    ], { METRICS_TOKEN: TOKEN }));
    // Each tenant reads its own customers: one customer-service call each, on its own account.
    for (const key of [ACME_APP, GLOBEX_APP]) expect((await stack.query(PAGE, {}, bearer(key))).errors).toBeUndefined();
  });
  afterAll(async () => {
    await stack?.close();
    await acme?.close();
    await globex?.close();
  });

  it('serves /metrics to METRICS_TOKEN only: not anonymously, not to a client key with ops:read', async () => {
    const url = stack.gateway.metricsUrl!;
    expect((await scrape(url)).status).toBe(401);
    const oncall = await scrape(url, bearer(ACME_ONCALL));
    expect(oncall.status).toBe(401);
    expect(oncall.text).not.toContain('tributary_');
    const operator = await scrape(url, bearer(TOKEN));
    expect(operator.status).toBe(200);
    for (const tenant of ['acme', 'globex']) expect(total(operator.samples, 'tributary_upstream_requests_total', { provider: 'customers', tenant }), tenant).toBeGreaterThan(0);
  });

  it('gives an ops:read key its own tenant\'s view of /ops/snapshot: its upstream figures, not the other tenant\'s, and nothing gateway-wide', async () => {
    const { status, body } = await snapshotWith(stack, bearer(ACME_ONCALL));
    expect(status).toBe(200);
    expect(body.view).toBe('tenant');
    const acmeCalls = (await (await fetch(new URL('/_sim/stats', acme.customers.url))).json()) as { requests: number };
    expect(body.providers.customers.attempts).toBe(acmeCalls.requests);
    expect(Object.keys(body.providers.customers.breakers)).toEqual(['acme']);
    expect(JSON.stringify(body)).not.toContain('globex');
    expect([body.graphql, body.process, body.events, body.writes, body.providers.customers.cache, body.providers.customers.bulkhead]).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  it('gives METRICS_TOKEN the operator\'s view of /ops/snapshot: both tenants', async () => {
    const { status, body } = await snapshotWith(stack, bearer(TOKEN));
    expect(status).toBe(200);
    expect(body.view).toBe('operator');
    const calls = await Promise.all([acme, globex].map(async (sims) => ((await (await fetch(new URL('/_sim/stats', sims.customers.url))).json()) as { requests: number }).requests));
    expect(body.providers.customers.attempts).toBe(calls[0]! + calls[1]!);
    expect(Object.keys(body.providers.customers.breakers).sort()).toEqual(['acme', 'globex']);
    expect(body.graphql?.requests).toBeGreaterThanOrEqual(2);
  });

  it('refuses /ops/snapshot without credentials, and to a client key without ops:read', async () => {
    expect((await snapshotWith(stack, {})).status).toBe(401);
    expect((await snapshotWith(stack, bearer(GLOBEX_APP))).status).toBe(403);
  });
});
