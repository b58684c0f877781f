import { createCustomerLoaders, type CustomerLoaders, type CustomersClient } from '../providers/customers/index.ts';
import { createHubSpotLoaders, type HubSpotClient, type HubSpotLoaders } from '../providers/hubspot/index.ts';
import { createStripeLoaders, type StripeClient, type StripeLoaders } from '../providers/stripe/index.ts';
import { UpstreamReport } from '../upstream/upstream-report.ts';

export interface ProviderClients {
  customers: CustomersClient;
  stripe: StripeClient;
  hubspot: HubSpotClient;
}

/** Everything a resolver may use, made fresh for each GraphQL operation. */
export interface GatewayContext {
  readonly customers: CustomerLoaders;
  readonly stripe: StripeLoaders;
  readonly hubspot: HubSpotLoaders;
  readonly clients: ProviderClients;
  readonly report: UpstreamReport;
}

export function createContext(clients: ProviderClients): GatewayContext {
  const report = new UpstreamReport();
  return {
    customers: createCustomerLoaders(clients.customers, report),
    stripe: createStripeLoaders(clients.stripe, report),
    hubspot: createHubSpotLoaders(clients.hubspot, report),
    clients,
    report,
  };
}
