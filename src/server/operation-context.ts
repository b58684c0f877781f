import type { Principal } from '../auth/principal.ts';
import type { ResolverContext, WriteSupport } from '../graphql/resolver-context.ts';
import { createCustomerLoaders, type CustomerLoaders, type CustomersClient } from '../providers/customers/index.ts';
import { createHubSpotLoaders, type HubSpotClient, type HubSpotLoaders } from '../providers/hubspot/index.ts';
import { createStripeLoaders, type StripeClient, type StripeLoaders } from '../providers/stripe/index.ts';
import type { ProviderCache } from '../upstream/cache/entity-cache.ts';
import { CallContext } from '../upstream/call-context.ts';
import { UpstreamReport } from '../upstream/upstream-report.ts';
import type { OperationEstimate } from '../graphql/limits/cost-estimate.ts';
import type { ResultTicket } from './result-cache-hooks.ts';
import type { RequestRecord } from './access-log.ts';

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
  /** Set when the answer may be kept by the result cache (result-cache-hooks.ts). */
  readonly resultTicket: ResultTicket | undefined;
  /** The operation's estimated cost, set by the limits plugin before execution (operation-limits-plugin.ts). */
  estimate: OperationEstimate | undefined;
  /**
   * A mutation request's Idempotency-Key (header or argument), set by the idempotency plugin
   * before execution. A holder, not a field: Apollo runs each operation with a shallow copy of
   * the context (internalExecuteOperation's cloneObject), which shares the holder with what the
   * write support captured.
   */
  readonly idempotency: { key: string | undefined };
  /** The HTTP request's record (its logger, what the access line says); none for an event's refresh or a subscription. */
  readonly request: RequestRecord | undefined;
  /** `performance.now()` when the context was made, at the start of the operation: its metrics' duration. */
  readonly startedAt: number;
}

export interface OperationContextOptions {
  /** The services of the principal's tenant. */
  services: ProviderServices;
  principal: Principal;
  /** The operation's whole budget; every upstream call of it ends by then. */
  deadlineMs: number;
  resultTicket?: ResultTicket | undefined;
  /** Every read asks the provider again (an event's refresh; see CallContext.revalidate). */
  revalidate?: boolean;
  /** Reads fetch again what stops being fresh soon (a kept answer's refresh; see CallContext.refreshAhead). */
  refreshAhead?: boolean;
  /** The operation's writes (src/server/writes/); none where no write can happen (an event's refresh). */
  writes?: (context: OperationContext) => WriteSupport;
  /** The HTTP request this operation answers, and its id (which its upstream calls carry into telemetry). */
  request?: { id: string; record: RequestRecord } | undefined;
}

/** Where nothing is written: a context of the gateway's own (an event's refresh) never runs a mutation. */
const NO_WRITES: WriteSupport = {
  run: () => Promise.reject(new Error('no writes in this context')),
  status: () => Promise.resolve(undefined),
};

export function createOperationContext({ services, principal, deadlineMs, resultTicket, revalidate = false, refreshAhead = false, writes, request }: OperationContextOptions): OperationContext {
  const report = new UpstreamReport();
  const call = new CallContext(report, deadlineMs, `${principal.tenantId}/${principal.clientId}`, revalidate, request?.id, refreshAhead);
  if (request) request.record.report = report;
  return new LazyOperationContext({ services, call, writes }, principal, report, call, resultTicket, request?.record);
}

/** What the context makes on first use, shared by the context and Apollo's copies of it. */
interface Made {
  readonly services: ProviderServices;
  readonly call: CallContext;
  readonly writes: OperationContextOptions['writes'];
  customers?: CustomerLoaders;
  stripe?: StripeLoaders;
  hubspot?: HubSpotLoaders;
  writeSupport?: WriteSupport;
}

/**
 * Loaders are made on first use: an operation that touches one provider pays for one, and
 * `{ __typename }` for none. Apollo runs each operation with a shallow copy of the context
 * (`Object.assign(Object.create(prototype), context)`), which would call getters that are own
 * properties and copy their results, making everything at once. Getters on the prototype are
 * not copied, and `made`, an own property, is shared by reference with every copy.
 */
class LazyOperationContext implements OperationContext {
  estimate: OperationEstimate | undefined = undefined;
  readonly idempotency: { key: string | undefined } = { key: undefined };
  readonly startedAt = performance.now();

  constructor(
    private readonly made: Made,
    readonly principal: Principal,
    readonly report: UpstreamReport,
    readonly call: CallContext,
    readonly resultTicket: ResultTicket | undefined,
    readonly request: RequestRecord | undefined,
  ) {}

  get customers(): CustomerLoaders {
    const { made } = this;
    return (made.customers ??= createCustomerLoaders(made.services.customers.client, made.services.customers.cache, made.call));
  }

  get stripe(): StripeLoaders {
    const { made } = this;
    return (made.stripe ??= createStripeLoaders(made.services.stripe.client, made.services.stripe.cache, made.call));
  }

  get hubspot(): HubSpotLoaders {
    const { made } = this;
    return (made.hubspot ??= createHubSpotLoaders({ ...made.services.hubspot, call: made.call }));
  }

  get writes(): WriteSupport {
    const { made } = this;
    return (made.writeSupport ??= made.writes ? made.writes(this) : NO_WRITES);
  }
}
