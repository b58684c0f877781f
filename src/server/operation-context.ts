import type { Principal } from '../auth/principal.ts';
import type { ResolverContext, WriteSupport } from '../graphql/resolver-context.ts';
import { createCustomerLoaders, type CustomerLoaders, type CustomersClient } from '../providers/customers/index.ts';
import { createHubSpotLoaders, type HubSpotClient, type HubSpotLoaders } from '../providers/hubspot/index.ts';
import { createStripeLoaders, type StripeClient, type StripeLoaders } from '../providers/stripe/index.ts';
import type { ProviderCache } from '../upstream/cache/entity-cache.ts';
import { CallContext } from '../upstream/call-context.ts';
import { UpstreamReport } from '../upstream/upstream-report.ts';
import type { OperationEstimate } from '../graphql/limits/cost-estimate.ts';

/** What lives as long as the gateway: one client and one cache view per provider. */
export interface ProviderServices {
  customers: { client: CustomersClient; cache: ProviderCache };
  stripe: { client: StripeClient; cache: ProviderCache };
  hubspot: { client: HubSpotClient; cache: ProviderCache; defaultCurrency: string };
}

/**
 * The resolvers' context plus what only the server's plugins read: the upstream report (the
 * `upstream` extension) and the call context (the result cache asks it how fresh the answer is).
 */
export interface OperationContext extends ResolverContext {
  readonly report: UpstreamReport;
  readonly call: CallContext;
  /** Set when the answer may be kept by the result cache under this key. */
  readonly resultKey: string | undefined;
  /** The operation's estimated cost, set by the limits plugin before execution (operation-limits-plugin.ts). */
  estimate: OperationEstimate | undefined;
  /**
   * A mutation request's Idempotency-Key (header or argument), set by the idempotency plugin
   * before execution. A holder, not a field: Apollo runs each operation with a shallow copy of
   * the context (internalExecuteOperation's cloneObject), which shares the holder with what the
   * write support captured.
   */
  readonly idempotency: { key: string | undefined };
}

export interface OperationContextOptions {
  /** The services of the principal's tenant. */
  services: ProviderServices;
  principal: Principal;
  /** The operation's whole budget; every upstream call of it ends by then. */
  deadlineMs: number;
  resultKey?: string | undefined;
  /** Every read asks the provider again (an event's refresh; see CallContext.revalidate). */
  revalidate?: boolean;
  /** The operation's writes (src/server/writes/); none where no write can happen (an event's refresh). */
  writes?: (context: OperationContext) => WriteSupport;
}

/** Where nothing is written: a context of the gateway's own (an event's refresh) never runs a mutation. */
const NO_WRITES: WriteSupport = {
  run: () => Promise.reject(new Error('no writes in this context')),
  status: () => Promise.resolve(undefined),
};

export function createOperationContext({ services, principal, deadlineMs, resultKey, revalidate = false, writes }: OperationContextOptions): OperationContext {
  const report = new UpstreamReport();
  const call = new CallContext(report, deadlineMs, `${principal.tenantId}/${principal.clientId}`, revalidate);
  // Loaders are made on first use: an operation that touches one provider pays for one.
  let customers: CustomerLoaders | undefined;
  let stripe: StripeLoaders | undefined;
  let hubspot: HubSpotLoaders | undefined;
  let writeSupport: WriteSupport | undefined;
  const context: OperationContext = {
    get customers() {
      return (customers ??= createCustomerLoaders(services.customers.client, services.customers.cache, call));
    },
    get stripe() {
      return (stripe ??= createStripeLoaders(services.stripe.client, services.stripe.cache, call));
    },
    get hubspot() {
      return (hubspot ??= createHubSpotLoaders({ ...services.hubspot, call }));
    },
    principal,
    report,
    call,
    get writes() {
      return (writeSupport ??= writes ? writes(context) : NO_WRITES);
    },
    resultKey,
    estimate: undefined,
    idempotency: { key: undefined },
  };
  return context;
}
