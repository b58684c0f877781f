import { buildDataset } from '../dataset/build-dataset.ts';
import { FixedWindowLimiter } from '../shared/fixed-window-limiter.ts';
import type { ProviderAdapter } from '../shared/provider-adapter.ts';
import { Router } from '../shared/router.ts';
import { headerValue } from '../shared/sim-request.ts';
import { startSimServer } from '../shared/sim-server.ts';
import type { SimulatorHandle, SimulatorOptions } from '../shared/simulator-options.ts';
import { SIM_CREDENTIALS } from '../sim-credentials.ts';
import { batchGetCustomers } from './batch-get-customers.ts';
import { customerMutation } from './customer-mutations.ts';
import { CustomerStore } from './customer-store.ts';
import { CustomerWebhooks } from './customer-webhooks.ts';
import { codeForStatus, customersError } from './customers-error.ts';
import { getCustomer } from './get-customer.ts';
import { listCustomers } from './list-customers.ts';
import { patchCustomer } from './patch-customer.ts';

export interface CustomersSimulatorOptions extends SimulatorOptions {
  /** Default `SIM_CREDENTIALS.customersToken`. */
  token?: string;
  /** Per token; default 100 requests per 1000 ms, as docs/providers/customers.md says. */
  rateLimit?: { limit: number; windowMs: number };
  /** Standard Webhooks secret (`whsec_<base64>`) for endpoints configured without their own; default `SIM_CREDENTIALS.customersWebhookSecret`. */
  webhookSecret?: string;
}

/** The first-party customer service, exactly as docs/providers/customers.md describes it. */
export function createCustomersSimulator(options: CustomersSimulatorOptions = {}): Promise<SimulatorHandle> {
  const store = new CustomerStore((options.dataset ?? buildDataset()).customers);
  const tokens = new Set([options.token ?? SIM_CREDENTIALS.customersToken, ...(options.extraCredentials ?? [])]);
  const defaultLimit = options.rateLimit ?? { limit: 100, windowMs: 1000 };
  const limiter = new FixedWindowLimiter();
  const clock = options.clock ?? Date.now;
  const webhooks = new CustomerWebhooks({
    secret: options.webhookSecret ?? SIM_CREDENTIALS.customersWebhookSecret,
    clock,
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.webhookRetryDelaysMs ? { retryDelaysMs: options.webhookRetryDelaysMs } : {}),
    ...(options.webhookTimeoutMs === undefined ? {} : { timeoutMs: options.webhookTimeoutMs }),
  });

  const router = new Router()
    .add('POST', '/v1/customers/batch-get', batchGetCustomers(store))
    .add('GET', '/v1/customers/:id', getCustomer(store))
    .add('PATCH', '/v1/customers/:id', patchCustomer(store, webhooks, clock))
    .add('GET', '/v1/customers', listCustomers(store));

  const adapter: ProviderAdapter = {
    name: 'customers',
    router,
    contentType: 'application/json; charset=utf-8',
    authenticate(req) {
      const token = /^Bearer\s+(.+)$/i.exec(headerValue(req, 'authorization') ?? '')?.[1]?.trim();
      if (token !== undefined && tokens.has(token)) return { ok: true, principal: token, budgetKey: token };
      const response = customersError(401, 'unauthorized', token ? 'Unknown bearer token' : 'Missing bearer token');
      return { ok: false, response: { ...response, headers: { 'www-authenticate': 'Bearer realm="customers"' } } };
    },
    admit(_req, budgetKey, { faults, now }) {
      const { limit, windowMs } = faults.rateLimit ?? defaultLimit;
      const decision = limiter.take(budgetKey, now, limit, windowMs);
      const resetSeconds = Math.max(1, Math.ceil(decision.resetMs / 1000));
      // IETF RateLimit fields, draft 11: the policy, then what is left and when it refills.
      const headers = {
        'ratelimit-policy': `"default";q=${limit};w=${Math.max(1, Math.ceil(windowMs / 1000))}`,
        ratelimit: `"default";r=${decision.remaining};t=${resetSeconds}`,
      };
      if (decision.allowed) return { headers };
      const rejection = customersError(429, 'rate_limited', `Rate limit of ${limit} requests exceeded; retry in ${resetSeconds} s`);
      return { headers, rejection: { ...rejection, headers: { 'retry-after': String(resetSeconds) } } };
    },
    errorResponse: (_req, status, message) => customersError(status, codeForStatus(status), message),
    reset() {
      limiter.reset();
      store.reset();
    },
    webhooks: webhooks.sender,
    mutate: customerMutation(store, webhooks, clock),
  };
  return startSimServer(adapter, options);
}
