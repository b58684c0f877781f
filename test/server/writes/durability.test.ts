import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { toGlobalId } from '../../../src/model/global-id.ts';
import { DatasetLookup, startSimulators, type SimStats, type SimulatorSet } from '../../../src/simulators/index.ts';
import { eventually } from '../../support/eventually.ts';
import { spawnGateway, type GatewayProcess } from '../../support/gateway-process.ts';
import { GatewayStack, type GraphQLResponse } from '../../support/gateway-stack.ts';
import { REDIS_URL, redisForTests, uniquePrefix } from '../../support/redis.ts';
import { dropKeysWith } from '../../support/redis-cleanup.ts';
import { setFaults } from '../../support/webhook-deliveries.ts';

const redisUp = await redisForTests();

const REFUND = `mutation($id: ID!, $amount: MoneyInput, $deferred: Boolean) {
  refundPayment(input: { paymentId: $id, amount: $amount }, allowDeferred: $deferred) {
    status operationId
    refund { id amount { amount currency } status }
    payment { id status amountRefunded { amount } }
    userErrors { code field }
  }
}`;

const WRITE_STATUS = `query($id: ID!) {
  writeStatus(id: $id) {
    state attempts error { code message }
    payload { ... on RefundPaymentPayload { status operationId refund { id amount { amount } } } }
  }
}`;

interface RefundAnswer {
  refundPayment: { status: string; operationId: string | null; refund: { id: string; amount: { amount: string } } | null } | null;
}

interface StatusAnswer {
  writeStatus: { state: string; attempts: number; error: { code: string } | null; payload: RefundAnswer['refundPayment'] } | null;
}

type Provider = 'customers' | 'stripe' | 'hubspot';

async function post<T>(url: string, query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return { status: response.statusCode, headers: response.headers, body: (await response.body.json()) as GraphQLResponse<T> };
}

/**
 * Idempotency keys, write records and the deferred-write queue in the shared Redis: what one
 * gateway answered or queued holds across concurrent repeats, a restart, and a SIGKILL. The
 * simulators outlive every gateway, so what Stripe holds is counted from Stripe's side.
 */
describe.skipIf(!redisUp)('mutations with Redis', () => {
  let simulators: SimulatorSet;
  let providerEnv: Record<string, string>;
  const charges: string[] = [];
  const prefixes: string[] = [];
  const processes: GatewayProcess[] = [];

  beforeAll(async () => {
    simulators = await startSimulators();
    const { credentials, dataset } = simulators;
    providerEnv = {
      CUSTOMERS_API_URL: simulators.customers.url,
      CUSTOMERS_API_TOKEN: credentials.customersToken,
      STRIPE_API_URL: simulators.stripe.url,
      STRIPE_SECRET_KEY: credentials.stripeSecretKey,
      HUBSPOT_API_URL: simulators.hubspot.url,
      HUBSPOT_ACCESS_TOKEN: credentials.hubspotToken,
    };
    const lookup = new DatasetLookup(dataset);
    // One untouched charge per test, so no test's refunds count in another's.
    const refundable = dataset.customers.flatMap((c) => lookup.chargesOf(c.id)).filter((c) => c.status === 'succeeded' && c.amount_refunded === 0 && c.currency === 'usd' && c.amount > 2000);
    charges.push(...refundable.slice(0, 3).map((c) => c.id));
  });
  afterAll(async () => {
    for (const gateway of processes) await gateway.kill('SIGKILL');
    await simulators?.close();
    for (const prefix of prefixes) await dropKeysWith(prefix);
  });

  const redisEnv = (name: string, extra: Record<string, string> = {}) => {
    const prefix = uniquePrefix(name);
    prefixes.push(prefix);
    return { REDIS_URL, CACHE_KEY_PREFIX: prefix, ...extra };
  };
  const spawn = async (env: Record<string, string>) => {
    const gateway = await spawnGateway({ ...providerEnv, ...env });
    processes.push(gateway);
    return gateway;
  };
  const stats = async (provider: Provider) => (await (await request(new URL('/_sim/stats', simulators[provider].url))).body.json()) as SimStats;
  const upstreamRequests = async () => (await Promise.all((['customers', 'stripe', 'hubspot'] as const).map(stats))).reduce((sum, s) => sum + s.requests, 0);
  const refundsOf = async (chargeId: string) => {
    const response = await request(new URL(`/v1/refunds?charge=${chargeId}`, simulators.stripe.url), { headers: { authorization: `Bearer ${simulators.credentials.stripeSecretKey}` } });
    return ((await response.body.json()) as { data: Array<{ id: string; amount: number }> }).data;
  };
  const refundOf = (chargeIndex: number, amount: string, deferred = false) => ({ id: toGlobalId('Payment', charges[chargeIndex]!), amount: { amount, currency: 'USD' }, deferred });

  it('refunds once for 50 concurrent requests with one key: the others wait (409) or get the same answer, and a later repeat is replayed', async () => {
    const stack = await GatewayStack.startRemote(simulators, redisEnv('writes-concurrent'));
    try {
      const variables = refundOf(0, '12.00');
      const headers = { 'idempotency-key': 'k-concurrent' };
      const answers = await Promise.all(Array.from({ length: 50 }, () => post<RefundAnswer>(stack.url, REFUND, variables, headers)));

      // Labelled, so that a failure names every answer that was neither.
      const outcomes = answers.map((a) => {
        const code = a.body.errors?.[0]?.extensions?.['code'];
        if (a.status === 200 && !a.body.errors && a.body.data?.refundPayment?.status === 'SUCCEEDED') return 'succeeded';
        if (a.status === 409 && code === 'IDEMPOTENCY_IN_PROGRESS' && /^\d+$/.test(String(a.headers['retry-after']))) return 'in progress';
        return `HTTP ${a.status} ${String(code)}`;
      });
      expect(outcomes.filter((o) => o !== 'succeeded' && o !== 'in progress')).toEqual([]);
      const succeeded = answers.filter((_, i) => outcomes[i] === 'succeeded');
      const first = succeeded[0]!.body.data;
      expect(first?.refundPayment).toMatchObject({ status: 'SUCCEEDED', refund: { amount: { amount: '12.00' } } });
      for (const answer of succeeded) expect(answer.body.data).toEqual(first);
      expect(await refundsOf(charges[0]!)).toHaveLength(1);

      const before = (await stats('stripe')).requests;
      const repeat = await post<RefundAnswer>(stack.url, REFUND, variables, headers);
      expect(repeat.status).toBe(200);
      expect(repeat.headers['idempotent-replayed']).toBe('true');
      expect(repeat.body.data).toEqual(first);
      expect((await stats('stripe')).requests).toBe(before);
      expect(await refundsOf(charges[0]!)).toHaveLength(1);
    } finally {
      await stack.close();
    }
  });

  it('replays the first answer after a restart without calling anyone, and refuses the key for another amount (422)', async () => {
    const env = redisEnv('writes-restart');
    const headers = { 'idempotency-key': 'k-restart' };
    const a = await spawn(env);
    const first = await post<RefundAnswer>(a.url, REFUND, refundOf(1, '15.00'), headers);
    expect(first.status).toBe(200);
    expect(first.body.data?.refundPayment).toMatchObject({ status: 'SUCCEEDED', refund: { amount: { amount: '15.00' } } });
    await a.kill('SIGTERM');

    const b = await spawn(env);
    const before = await upstreamRequests();
    const replayed = await post<RefundAnswer>(b.url, REFUND, refundOf(1, '15.00'), headers);
    expect(replayed.status).toBe(200);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.body.data).toEqual(first.body.data);
    expect(await upstreamRequests()).toBe(before);

    const reused = await post<RefundAnswer>(b.url, REFUND, refundOf(1, '16.00'), headers);
    expect(reused.status).toBe(422);
    expect(reused.body.errors?.[0]?.extensions?.['code']).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await upstreamRequests()).toBe(before);
    expect(await refundsOf(charges[1]!)).toHaveLength(1);
    await b.kill('SIGTERM');
  }, 60_000); // two processes that compile TypeScript as they start

  it('sends a refund queued during an outage once, after the instance that held it was killed', async () => {
    // The dead consumer's entry is taken over after EVENTS_CLAIM_IDLE_MS, which must stay above both backoff caps.
    const env = redisEnv('writes-kill', {
      EVENTS_CLAIM_IDLE_MS: '1000',
      EVENTS_RETRY_BASE_MS: '10',
      EVENTS_RETRY_MAX_MS: '100',
      WRITES_RETRY_BASE_MS: '10',
      WRITES_RETRY_MAX_MS: '200',
      WRITES_MAX_ATTEMPTS: '1000', // the outage must not outlast the attempts while A retries
    });
    const a = await spawn(env);
    await setFaults(simulators.stripe.url, { outage: true });
    const queued = await post<RefundAnswer>(a.url, REFUND, refundOf(2, '20.00', true), { 'idempotency-key': 'k-kill' });
    expect(queued.status).toBe(200);
    expect(queued.body.data?.refundPayment).toMatchObject({ status: 'QUEUED', refund: null });
    const operationId = queued.body.data!.refundPayment!.operationId!;
    expect(operationId).toBeTruthy();

    // A's worker has the write in hand (it tried Stripe again) when it dies.
    const atQueued = (await stats('stripe')).requests;
    await eventually(async () => (await stats('stripe')).requests > atQueued);
    await a.kill('SIGKILL');
    await setFaults(simulators.stripe.url, {});
    expect(await refundsOf(charges[2]!)).toHaveLength(0);

    const b = await spawn(env);
    const stateOf = async () => (await post<StatusAnswer>(b.url, WRITE_STATUS, { id: operationId })).body.data?.writeStatus;
    await eventually(async () => (await stateOf())?.state !== 'QUEUED', 1000);
    const status = await stateOf();
    expect(status).toMatchObject({ state: 'SUCCEEDED', error: null, payload: { status: 'SUCCEEDED', operationId, refund: { amount: { amount: '20.00' } } } });

    const refunds = await refundsOf(charges[2]!);
    expect(refunds).toHaveLength(1);
    expect(refunds[0]!.amount).toBe(2000);
    expect(status?.payload?.refund?.id).toBe(refunds[0]!.id);
    await b.kill('SIGTERM');
  }, 60_000);
});
