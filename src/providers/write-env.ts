import type { CallContext } from '../upstream/call-context.ts';
import type { CustomerLoaders, CustomersClient } from './customers/index.ts';
import type { HubSpotClient, HubSpotLoaders } from './hubspot/index.ts';
import type { StripeClient, StripeLoaders } from './stripe/index.ts';

/**
 * What a provider's write runs with, now or later in the worker: the loaders (to read what it
 * needs, through the cache like any read), the clients (to write), the call (its report and
 * deadline) and the idempotency key to send upstream, derived from the client's (see
 * src/writes/upstream-key.ts), the same on every attempt.
 */
export interface WriteEnv {
  customers: CustomerLoaders;
  stripe: StripeLoaders;
  hubspot: HubSpotLoaders;
  clients: { customers: CustomersClient; stripe: StripeClient; hubspot: HubSpotClient };
  call: CallContext;
  upstreamKey: string;
}
