import { buildDataset } from '../dataset/build-dataset.ts';
import { FixedWindowLimiter } from '../shared/fixed-window-limiter.ts';
import type { Admission, ProviderAdapter } from '../shared/provider-adapter.ts';
import { Router } from '../shared/router.ts';
import type { SimResponse } from '../shared/sim-request.ts';
import { startSimServer } from '../shared/sim-server.ts';
import type { SimulatorHandle, SimulatorOptions } from '../shared/simulator-options.ts';
import { SIM_CREDENTIALS } from '../sim-credentials.ts';
import { createRefund } from './create-refund.ts';
import { IdempotencyStore } from './idempotency-store.ts';
import { listHandler } from './list-handler.ts';
import { retrieveHandler } from './retrieve-handler.ts';
import { searchCharges } from './search-charges.ts';
import { searchCustomers } from './search-customers.ts';
import { requestedVersion, STRIPE_API_VERSIONS } from './stripe-api-versions.ts';
import { authenticateStripe } from './stripe-auth.ts';
import { stripeError } from './stripe-error.ts';
import { stripeMutation } from './stripe-mutations.ts';
import { stripeRequestId } from './stripe-request-id.ts';
import { StripeStore } from './stripe-store.ts';
import { StripeWebhooks } from './stripe-webhooks.ts';

export interface StripeSimulatorOptions extends SimulatorOptions {
  /** Default `SIM_CREDENTIALS.stripeSecretKey`. */
  secretKey?: string;
  /** The account's default API version, used when a request names no `Stripe-Version`; one of `apiVersions`. */
  defaultApiVersion?: string;
  /** `Stripe-Version` values accepted; default STRIPE_API_VERSIONS, every version Stripe knows. */
  apiVersions?: readonly string[];
  /** Signs webhooks to endpoints configured without their own; default `SIM_CREDENTIALS.stripeWebhookSecret`. */
  webhookSecret?: string;
  /**
   * How long a changed charge takes to become searchable (`GET /v1/charges/search`), in
   * milliseconds; default 5 s. Stripe promises "under 1 minute" in normal operation and more
   * during an outage; a few seconds keeps the lag visible without making demos wait.
   */
  searchLagMs?: number;
}

const RATE_PER_SECOND = { test: 25, live: 100 } as const;
// Stripe: search has its own 20 read operations per second, and each also counts against the basic limit.
const SEARCH_RATE_PER_SECOND = 20;
const DEFAULT_SEARCH_LAG_MS = 5 * 1000; // 5 s
const RATE_LIMITED_MESSAGE =
  'Request rate limit exceeded. You can learn more about rate limits here https://stripe.com/docs/rate-limits.';

/** Stripe API v1: customers, charges, payment intents and refunds over the seeded account. */
export function createStripeSimulator(options: StripeSimulatorOptions = {}): Promise<SimulatorHandle> {
  const clock = options.clock ?? Date.now;
  const store = new StripeStore(options.dataset ?? buildDataset());
  const idempotency = new IdempotencyStore();
  const keys = new Set([options.secretKey ?? SIM_CREDENTIALS.stripeSecretKey, ...(options.extraCredentials ?? [])]);
  const versions = new Set(options.apiVersions ?? STRIPE_API_VERSIONS);
  const defaultVersion = options.defaultApiVersion ?? '2025-02-24.acacia';
  if (!versions.has(defaultVersion)) throw new TypeError(`defaultApiVersion must be one of apiVersions: '${defaultVersion}'`);
  const limiter = new FixedWindowLimiter();
  const searchLagMs = options.searchLagMs ?? DEFAULT_SEARCH_LAG_MS;
  if (!Number.isFinite(searchLagMs) || searchLagMs < 0) throw new TypeError(`searchLagMs must be a non-negative number of milliseconds: ${searchLagMs}`);
  const webhooks = new StripeWebhooks({
    secret: options.webhookSecret ?? SIM_CREDENTIALS.stripeWebhookSecret,
    apiVersion: defaultVersion,
    clock,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.webhookRetryDelaysMs ? { retryDelaysMs: options.webhookRetryDelaysMs } : {}),
    ...(options.webhookTimeoutMs === undefined ? {} : { timeoutMs: options.webhookTimeoutMs }),
  });
  const refunds = { store, clock, webhooks };

  const router = new Router()
    .add('GET', '/v1/customers/search', searchCustomers(store))
    .add('GET', '/v1/customers/:id', retrieveHandler('customer', (id) => store.customer(id)))
    .add('GET', '/v1/customers', listHandler({
      url: '/v1/customers', noun: 'customer', items: () => store.customers,
      // Stripe documents this filter as case-sensitive.
      filters: { email: (customer, email) => customer.email === email },
    }))
    .add('GET', '/v1/charges/search', searchCharges(store, { clock, lagMs: () => searchLagMs }))
    .add('GET', '/v1/charges/:id', retrieveHandler('charge', (id) => store.charge(id)))
    .add('GET', '/v1/charges', listHandler({
      url: '/v1/charges', noun: 'charge', items: () => store.charges,
      filters: { customer: (c, id) => c.customer === id, payment_intent: (c, id) => c.payment_intent === id },
      candidates: { customer: (id) => store.chargesOf(id) },
    }))
    .add('GET', '/v1/payment_intents/:id', retrieveHandler('payment_intent', (id) => store.paymentIntent(id)))
    .add('GET', '/v1/payment_intents', listHandler({
      url: '/v1/payment_intents', noun: 'payment_intent', items: () => store.paymentIntents,
      filters: { customer: (p, id) => p.customer === id },
    }))
    .add('POST', '/v1/refunds', createRefund(refunds, idempotency))
    .add('GET', '/v1/refunds/:id', retrieveHandler('refund', (id) => store.refund(id)))
    .add('GET', '/v1/refunds', listHandler({
      url: '/v1/refunds', noun: 'refund', items: () => store.refunds,
      filters: { charge: (r, id) => r.charge === id, payment_intent: (r, id) => r.payment_intent === id },
    }));

  const adapter: ProviderAdapter = {
    name: 'stripe',
    router,
    contentType: 'application/json',
    authenticate(req) {
      const auth = authenticateStripe(req, keys);
      const { rejection } = requestedVersion(req, versions);
      return auth.ok && rejection ? { ok: false, response: rejection } : auth;
    },
    admit(req, key, { faults, now }): Admission {
      const mode = key.startsWith('sk_live_') ? 'live' : 'test';
      const { limit, windowMs } = faults.rateLimit ?? { limit: RATE_PER_SECOND[mode], windowMs: 1000 };
      if (!limiter.take(key, now, limit, windowMs).allowed) return { headers: {}, rejection: rateLimited('global-rate') };
      if (req.path.endsWith('/search') && !limiter.take(`${key} search`, now, SEARCH_RATE_PER_SECOND, 1000).allowed) {
        return { headers: {}, rejection: rateLimited('endpoint-rate') };
      }
      return { headers: {} };
    },
    errorResponse(_req, status, message) {
      if (status === 429) return rateLimited('global-rate');
      return stripeError(status, status >= 500 ? 'api_error' : 'invalid_request_error', message);
    },
    finish(req, response) {
      const headers: Record<string, string> = {
        'request-id': stripeRequestId(req),
        'stripe-version': requestedVersion(req, versions).version ?? defaultVersion,
        'cache-control': 'no-cache, no-store',
        ...response.headers,
      };
      if (response.status >= 400 && headers['stripe-should-retry'] === undefined) {
        headers['stripe-should-retry'] = String(response.status === 409 || response.status >= 500);
      }
      return { ...response, headers };
    },
    reset() {
      store.reset();
      idempotency.reset();
      limiter.reset();
    },
    webhooks: webhooks.sender,
    mutate: stripeMutation(refunds),
  };
  return startSimServer(adapter, options);
}

/** Stripe documents no Retry-After; `stripe-should-retry: true` tells clients a backoff retry is fine. */
function rateLimited(reason: 'global-rate' | 'endpoint-rate'): SimResponse {
  return {
    status: 429,
    headers: { 'stripe-rate-limited-reason': reason, 'stripe-should-retry': 'true' },
    body: { error: { message: RATE_LIMITED_MESSAGE, type: 'invalid_request_error', code: 'rate_limit' } },
  };
}
