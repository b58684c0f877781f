import type { GatewayConfig, ProviderEndpoint } from '../config.ts';
import type { ProviderName } from '../errors.ts';
import type { ProviderClients } from '../graphql/context.ts';
import { CustomersClient } from '../providers/customers/index.ts';
import { HubSpotClient } from '../providers/hubspot/index.ts';
import { StripeClient } from '../providers/stripe/index.ts';
import { QuotaGuard } from '../upstream/quota-guard.ts';
import { UpstreamClient } from '../upstream/upstream-client.ts';

export type ProviderEndpoints = Record<ProviderName, ProviderEndpoint>;

const CONNECTIONS_PER_PROVIDER = 32;

/** One upstream client (pool, quota, timeouts) per provider, shared by every request. */
export function createProviderClients(config: GatewayConfig, endpoints: ProviderEndpoints): { clients: ProviderClients; close(): Promise<void> } {
  const upstream = (provider: ProviderName, headers: Record<string, string>) => {
    const endpoint = endpoints[provider];
    return new UpstreamClient({
      provider,
      baseUrl: endpoint.url,
      headers: { authorization: `Bearer ${endpoint.credential}`, accept: 'application/json', ...headers },
      quota: new QuotaGuard({ provider, ...config.rateLimits[provider], maxWaitMs: config.quotaMaxWaitMs }),
      timeoutMs: config.upstreamTimeoutMs,
      connections: CONNECTIONS_PER_PROVIDER,
    });
  };
  const customers = upstream('customers', {});
  const stripe = upstream('stripe', { 'stripe-version': config.stripeApiVersion });
  const hubspot = upstream('hubspot', {});
  return {
    clients: {
      customers: new CustomersClient(customers),
      stripe: new StripeClient(stripe),
      hubspot: new HubSpotClient(hubspot, config.hubspotDefaultCurrency),
    },
    close: async () => {
      await Promise.all([customers.close(), stripe.close(), hubspot.close()]);
    },
  };
}
