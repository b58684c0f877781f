import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/model/global-id.ts';
import { startSimulators, type SimStats, type SimulatorSet } from '../../src/simulators/index.ts';
import { GatewayStack } from '../support/gateway-stack.ts';

let simulators: SimulatorSet;
beforeAll(async () => {
  simulators = await startSimulators();
});
afterAll(() => simulators.close());

const stripeStats = async () => (await (await fetch(`${simulators.stripe.url}/_sim/stats`)).json()) as SimStats;
const stripeFault = (body: unknown) =>
  fetch(`${simulators.stripe.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('resilience', () => {
  let stack: GatewayStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
    await fetch(`${simulators.stripe.url}/_sim/reset`, { method: 'POST' });
  });

  it('opens the circuit during a sustained outage, stops calling Stripe but for probes, and closes after recovery', async () => {
    // The breakers read this clock: the test moves time instead of waiting for it.
    let now = Date.now();
    stack = await GatewayStack.startRemote(
      simulators,
      { CACHE_ENABLED: 'false', BREAKER_WINDOW_MS: '1000', BREAKER_MIN_CALLS_PER_SECOND: '2', BREAKER_HALF_OPEN_AFTER_MS: '800', OPERATION_DEADLINE_MS: '1000' },
      () => now,
    );
    const charge = simulators.dataset.stripe.charges[0]!;
    const query = `query($id: ID!) { payment(id: $id) { id } }`;
    const ask = () => stack!.query<{ payment: { id: string } | null }>(query, { id: toGlobalId('Payment', charge.id) });
    const breaker = async () => ((await (await fetch(new URL('/readyz', stack!.url))).json()) as { tenants: { default: { breakers: { stripe: { kind: string } } } } }).tenants.default.breakers.stripe.kind;

    await stripeFault({ outage: true });
    for (let i = 0; i < 10 && (await breaker()) !== 'open'; i += 1) await ask();
    expect(await breaker()).toBe('open');

    const openedAt = (await stripeStats()).requests;
    const whileOpen = await ask();
    expect(whileOpen.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', provider: 'stripe' });
    expect(whileOpen.extensions?.upstream).toMatchObject({ stripe: { calls: 0, breaker: 'open' } });
    for (let i = 0; i < 20; i += 1) await ask();
    expect((await stripeStats()).requests - openedAt).toBe(0);

    now += 800; // half open: one probe, which fails and opens the circuit again
    await ask();
    expect(await breaker()).toBe('open');
    expect((await stripeStats()).requests - openedAt).toBe(1);

    await fetch(`${simulators.stripe.url}/_sim/reset`, { method: 'POST' });
    expect((await ask()).data?.payment).toBeNull(); // still open: Stripe is not asked
    now += 800;
    const recovered = await ask();
    expect(recovered.data?.payment?.id).toBe(toGlobalId('Payment', charge.id));
    expect(await breaker()).toBe('closed');
  });

  it('with half the calls failing, clients see far more than half succeed, and attempts stay within the retry budget', async () => {
    const requests = 120;
    const ratio = 1;
    const reserve = 10;
    stack = await GatewayStack.startRemote(simulators, {
      CACHE_ENABLED: 'false',
      RETRY_BUDGET_RATIO: String(ratio),
      RETRY_BUDGET_RESERVE: String(reserve),
      RETRY_BASE_DELAY_MS: '5',
      RETRY_MAX_DELAY_MS: '20',
      BREAKER_FAILURE_RATE: '0.95',
      STRIPE_RATE_LIMIT: '1000',
    });
    await stripeFault({ errorRate: 0.5, errorStatus: 503, rateLimit: { limit: 1000, windowMs: 1000 } });
    const charges = simulators.dataset.stripe.charges;
    const query = `query($id: ID!) { payment(id: $id) { id } }`;
    let succeeded = 0;
    for (let i = 0; i < requests; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, j) => stack!.query<{ payment: { id: string } | null }>(query, { id: toGlobalId('Payment', charges[i + j]!.id) })),
      );
      succeeded += batch.filter((r) => r.data?.payment).length;
      for (const r of batch) if (!r.data?.payment) expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    }
    const attempts = (await stripeStats()).requests;
    expect(succeeded / requests).toBeGreaterThan(0.75);
    expect(attempts).toBeGreaterThan(requests);
    expect(attempts).toBeLessThanOrEqual(requests * (1 + ratio) + reserve);
  });

  it('does not retry past the budget: with every call failing, attempts stay near one per request', async () => {
    stack = await GatewayStack.startRemote(simulators, { CACHE_ENABLED: 'false', RETRY_BUDGET_RATIO: '0.1', RETRY_BUDGET_RESERVE: '2', BREAKER_FAILURE_RATE: '0.99', STRIPE_RATE_LIMIT: '1000' });
    await stripeFault({ errorRate: 1, errorStatus: 500, rateLimit: { limit: 1000, windowMs: 1000 } });
    const charges = simulators.dataset.stripe.charges;
    for (let i = 0; i < 40; i += 1) await stack!.query(`query($id: ID!) { payment(id: $id) { id } }`, { id: toGlobalId('Payment', charges[i]!.id) });
    expect((await stripeStats()).requests).toBeLessThanOrEqual(40 * 1.1 + 2);
  });

  it('caps concurrent calls per provider: past the bulkhead and its queue, calls fail at once', async () => {
    stack = await GatewayStack.startRemote(simulators, { CACHE_ENABLED: 'false', BULKHEAD_MAX_CONCURRENT: '1', BULKHEAD_MAX_QUEUED: '1' });
    await stripeFault({ latencyMs: 300 });
    const charges = simulators.dataset.stripe.charges;
    const answers = await Promise.all(
      charges.slice(0, 4).map((charge) => stack!.query<{ payment: { id: string } | null }>(`query($id: ID!) { payment(id: $id) { id } }`, { id: toGlobalId('Payment', charge.id) })),
    );
    const codes = answers.map((a) => (a.data?.payment ? 'ok' : a.errors?.[0]?.extensions?.['code']));
    expect(codes.filter((c) => c === 'ok')).toHaveLength(2);
    expect(codes.filter((c) => c === 'UPSTREAM_UNAVAILABLE')).toHaveLength(2);
  });
});
